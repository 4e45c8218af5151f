"""Root of the ``fisco-drugtrace`` command line.

The CLI is thin: each command takes the :class:`AppContext` from ``ctx.obj``, makes one library
call and renders the typed result (text, or JSON with ``--json``). Errors from the library are
mapped to one clear line and a documented exit code here, in one place; ``--debug`` shows the
traceback. Subcommand modules are imported lazily, so ``fisco-drugtrace --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from fisco_drugtrace.errors import (
    AbiError,
    AuditError,
    CodeNotGenuine,
    BatchDatesError,
    ConfigError,
    CryptoError,
    DomainError,
    DrugTraceError,
    EncodingError,
    RpcError,
    TransactionError,
    TransportError,
    ContractError,
    DevChainError,
    ReleaseGateError,
    SuiteMismatch,
    TraceCodeError,
)

__all__ = ["cli", "main", "EXIT_CODES", "EXIT_DUPLICATE_DISPENSE", "exit_code_for"]

#: Documented exit codes (also in docs/cli.md).
EXIT_CODES = {
    0: "success",
    1: "a domain, contract or dev-chain error (not found, wrong state, artifact missing)",
    2: "bad usage or bad input (options, files, hex, keys, passwords, configuration)",
    3: "no usable answer from any node (refused, timeout, TLS, HTML or broken JSON)",
    4: "the node refused the request (JSON-RPC error, transaction rejected by the pool)",
    5: "the transaction failed on chain (revert with decoded error, receipt timeout)",
    6: "audit verification failed: the chain differs from the index or report",
    7: "verify / trace unit: counterfeit (the chain proves the code is not a real unit)",
    8: "verify / trace unit: cannot tell here (no code manifest held for the code's product)",
    9: "a duplicate dispense: the chain recorded a counterfeit/diversion alert (DuplicateDispense)",
}

#: Exit code of ``dispense`` when a code was dispensed before (the chain raised an alert).
EXIT_DUPLICATE_DISPENSE = 9

# name -> "module:attribute"; a module that does not exist yet is simply not listed.
_COMMANDS: dict[str, str] = {
    "account": "fisco_drugtrace.cli.commands.account:account",
    "tx": "fisco_drugtrace.cli.commands.tx:tx",
    "node": "fisco_drugtrace.cli.commands.node:node",
    "contracts": "fisco_drugtrace.cli.commands.contracts:contracts",
    "devchain": "fisco_drugtrace.cli.commands.devchain:devchain",
    "org": "fisco_drugtrace.cli.commands.org:org",
    "product": "fisco_drugtrace.cli.commands.product:product",
    "batch": "fisco_drugtrace.cli.commands.batch:batch",
    "ship": "fisco_drugtrace.cli.commands.shipment:ship",
    "receive": "fisco_drugtrace.cli.commands.shipment:receive",
    "dispense": "fisco_drugtrace.cli.commands.dispense:dispense",
    "unpack": "fisco_drugtrace.cli.commands.packing:unpack",
    "repack": "fisco_drugtrace.cli.commands.packing:repack",
    "decommission": "fisco_drugtrace.cli.commands.packing:decommission",
    "observe": "fisco_drugtrace.cli.commands.observe:observe",
    "lifecycle": "fisco_drugtrace.cli.commands.lifecycle:lifecycle",
    "recall": "fisco_drugtrace.cli.commands.recall:recall",
    "closeout": "fisco_drugtrace.cli.commands.closeout:closeout",
    "void": "fisco_drugtrace.cli.commands.void:void",
    "procure": "fisco_drugtrace.cli.commands.procure:procure",
    "trace": "fisco_drugtrace.cli.commands.trace:trace",
    "verify": "fisco_drugtrace.cli.commands.trace:verify",
    "audit": "fisco_drugtrace.cli.commands.audit:audit",
    "gov": "fisco_drugtrace.cli.commands.gov:gov",
    "call": "fisco_drugtrace.cli.commands.generic:call",
    "send": "fisco_drugtrace.cli.commands.generic:send",
    "deploy": "fisco_drugtrace.cli.commands.generic:deploy",
    "abi": "fisco_drugtrace.cli.commands.generic:abi",
    "keccak": "fisco_drugtrace.cli.commands.generic:keccak_cmd",
    "selector": "fisco_drugtrace.cli.commands.generic:selector_cmd",
    "receipt": "fisco_drugtrace.cli.commands.chain:receipt",
    "block": "fisco_drugtrace.cli.commands.chain:block",
    "logs": "fisco_drugtrace.cli.commands.chain:logs",
    "code": "fisco_drugtrace.cli.commands.chain:code",
    "sysconfig": "fisco_drugtrace.cli.commands.chain:sysconfig",
    "watch": "fisco_drugtrace.cli.commands.watch:watch",
    "serve": "fisco_drugtrace.cli.commands.web:serve",
    "web": "fisco_drugtrace.cli.commands.web:web",
}


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for a library exception."""
    if isinstance(exc, AuditError):
        return 6
    if isinstance(exc, CodeNotGenuine):
        return 7 if exc.verdict == "counterfeit" else 8
    if isinstance(exc, TransactionError):
        return 5
    if isinstance(exc, RpcError):
        return 4
    if isinstance(exc, TransportError):
        return 3
    if isinstance(exc, (ConfigError, EncodingError, CryptoError, TraceCodeError, SuiteMismatch, AbiError, BatchDatesError)):
        return 2
    if isinstance(exc, (DomainError, ContractError, DevChainError, DrugTraceError)):
        return 1
    return 1


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = dict(lazy or {})

    def _available(self) -> dict[str, str]:
        out = {}
        for name, target in self._lazy.items():
            module = target.split(":", 1)[0]
            if importlib.util.find_spec(module) is not None:
                out[name] = target
        return out

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._available()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = self._available().get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":", 1)
        command = getattr(importlib.import_module(module_name), attr)
        self.add_command(command, cmd_name)
        return command


import importlib.util  # noqa: E402  (used by LazyGroup._available)


@click.group(cls=LazyGroup, lazy=_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="FISCO_DRUGTRACE_CONFIG",
              help="SDK config file (TOML); default: ./fisco-drugtrace.toml, else built-in dev-chain defaults (v3, http://127.0.0.1:20200, group0).")
@click.option("--rpc-url", envvar="FISCO_RPC_URL", help="Node URL(s), comma separated; overrides the config.")
@click.option("--account", "account_name", envvar="FISCO_ACCOUNT", help="Account (name or address) that signs.")
@click.option("--password-file", type=click.Path(dir_okay=False), envvar="FISCO_KEYSTORE_PASSWORD_FILE",
              help="Read the keystore password from the first line of this file (else $FISCO_KEYSTORE_PASSWORD, "
                   "else a prompt on a terminal).")
@click.option("--timeout", "timeout", type=float, default=None, metavar="SECONDS",
              help="Total deadline of each node call, retries and failover included (default: config "
                   "[network] timeout, $FISCO_TIMEOUT, else 30).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="fisco-drugtrace")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, rpc_url: str | None, account_name: str | None,
        password_file: str | None, timeout: float | None, debug: bool) -> None:
    """Drug traceability on FISCO BCOS: contracts, accounts, a dev chain, operations and audits."""
    from fisco_drugtrace.cli.context import AppContext

    ctx.obj = AppContext(config_path=config_path, rpc_url=rpc_url, account_name=account_name, debug=debug,
                         password_file=password_file)
    ctx.obj.timeout = timeout
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: runs the CLI and maps library errors to exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # without standalone mode, click returns ctx.exit(n) / Exit(n) codes instead of raising
        returned = cli.main(args=argv, prog_name="fisco-drugtrace", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except DrugTraceError as exc:
        if debug:
            traceback.print_exc()
        text = exc.user_message or str(exc)
        if isinstance(exc, TraceCodeError):
            _show_code_problems(exc, as_json="--json" in (argv if argv is not None else sys.argv[1:]))
            return exit_code_for(exc)
        if isinstance(exc, ReleaseGateError):
            click.echo(f"Error: batch {exc.batch_id} cannot be released yet; nothing was recorded:", err=True)
            for problem in exc.problems:
                click.echo(f"  - {problem}", err=True)
            return exit_code_for(exc)
        click.echo(f"Error: {text}", err=True)
        hint = getattr(exc, "hint", None) or getattr(exc.__cause__, "hint", None)
        if hint:
            click.echo(f"Hint: {hint}", err=True)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except OSError as exc:  # a port in use, a file that cannot be read or written: the user's to fix
        if debug:
            traceback.print_exc()
        click.echo(f"Error: {_os_error_text(exc)}", err=True)
        return 2
    except Exception as exc:  # the only broad catch: never a bare traceback without --debug
        if debug:
            traceback.print_exc()
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        return 1
    return returned if isinstance(returned, int) and not isinstance(returned, bool) else 0


def _os_error_text(exc: OSError) -> str:
    import errno

    if exc.errno == errno.EADDRINUSE:
        return f"the address is already in use ({exc.strerror}): stop what listens there or choose another --port"
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _show_code_problems(exc: TraceCodeError, *, as_json: bool) -> None:
    """Every problem of a code file, one a line (bounded by the library), or as JSON on stdout."""
    if as_json:
        import json

        click.echo(json.dumps({"error": "TraceCodeError", "problems": [
            {"line": line, "code": code, "reason": reason} for line, code, reason in exc.problems],
            "total": exc.total}, ensure_ascii=False, indent=2))
    by_line = bool(exc.problems) and exc.problems[0][0] > 0
    click.echo(f"Error: the code file has {exc.total} problem(s):" if by_line else f"Error: {exc}", err=True)
    if by_line:
        for line, code, reason in exc.problems:
            click.echo(f"  line {line}: {code!r}: {reason}", err=True)
        if exc.total > len(exc.problems):
            click.echo(f"  ... and {exc.total - len(exc.problems)} more", err=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
