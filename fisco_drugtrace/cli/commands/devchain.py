"""``fisco-drugtrace devchain``: run the embedded FISCO-compatible dev chain."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit, emit_table
from fisco_drugtrace.devchain.accounts import DEV_PASSWORD

__all__ = ["devchain"]


@click.group()
def devchain() -> None:
    """Run a local FISCO BCOS-compatible chain (3.x or 2.x JSON-RPC) for development and tests."""


def _data_dir_option(default: str | None) -> Any:
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=default,
                        help="Where the chain is kept (SQLite, keystores, certificates, pid file)."
                             + ("" if default else " Default: in memory (foreground only)."))


def _check_auth(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--auth``: an account address, on a 3.x chain (usage errors, exit 2)."""
    if value is None:
        return None
    digits = value[2:] if value[:2] in ("0x", "0X") else ""
    if len(digits) != 40 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise click.BadParameter(f"needs an account address (0x + 40 hex digits), got {value!r}")
    if ctx.params.get("dialect") == "v2":
        raise click.BadParameter("permission governance is a FISCO BCOS 3.x feature (--dialect v3)")
    return value.lower()


@devchain.command()
@click.option("--dialect", type=click.Choice(["v3", "v2"]), default="v3", show_default=True, help="Protocol.")
@click.option("--port", type=int, default=20200, show_default=True, help="TCP port (0 = any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@_data_dir_option(None)
@click.option("--tls", is_flag=True, help="Serve mutual TLS with generated RSA certificates (sdk/ in the data dir).")
@click.option("--detach", is_flag=True, help="Run in the background (needs --data-dir; default .devchain).")
@click.option("--compat", type=click.Choice(["3.7", "3.9"]), default="3.9", show_default=True,
              help="3.x node version to answer as: 3.7 has no getLogs/filter methods (as 3.0-3.8 nodes).")
@click.option("--web3-port", type=int, default=None,
              help="Also serve the Web3-compatible JSON-RPC (as FISCO 3.9+ [web3_rpc]; 8545 there) on this port.")
@click.option("--http-front", type=click.Choice(["loop", "thread", "process"]), default=None,
              help="loop (the default, with or without --tls): one event-loop thread serves every connection and "
                   "runs the sends that arrived as one round (fastest under concurrent senders); thread: a thread "
                   "per connection; process: HTTP in a child process, the chain's work in one engine thread (plain "
                   "HTTP only).")
@click.option("--web3-chain-id", type=click.IntRange(min=0), default=20200, show_default=True,
              help="The Web3 port's Ethereum chain id (FISCO's web3_chain_id system config).")
@click.option("--channel-port", type=int, default=None,
              help="2.x only: also serve the channel protocol (events pushed) on this port (0 = any free port).")
@click.option("--auth", "auth_admin", metavar="ADMIN_ADDRESS", default=None, callback=_check_auth,
              help="3.x: permission governance with this account as the committee's only governor (build_chain.sh -a).")
@json_option
def start(dialect: str, port: int, host: str, data_dir: Path | None, tls: bool, detach: bool, web3_port: int | None,
          http_front: str | None, web3_chain_id: int, channel_port: int | None, as_json: bool,
          auth_admin: str | None = None, compat: str = "3.9") -> None:
    """Start the dev chain; prints the endpoint, ids and the dev accounts (password "devchain")."""
    from fisco_drugtrace.devchain import runner

    if detach:
        data_dir = data_dir or runner.DEFAULT_DATA_DIR
        argv = [sys.executable, "-m", "fisco_drugtrace.cli.main", "devchain", "start", "--dialect", dialect,
                "--port", str(port), "--host", host, "--data-dir", str(data_dir), "--compat", compat] \
            + (["--tls"] if tls else []) + (["--auth", auth_admin] if auth_admin else []) \
            + (["--web3-port", str(web3_port), "--web3-chain-id", str(web3_chain_id)] if web3_port is not None else []) \
            + (["--channel-port", str(channel_port)] if channel_port is not None else []) \
            + (["--http-front", http_front] if http_front else [])
        _warn_if_exposed(host, port)
        info = runner.start_detached(data_dir, argv, on_progress=_show_progress)
        detached: dict[str, Any] = {
            "url": info.url, "pid": info.pid, "dialect": info.dialect, "chain_id": info.chain_id,
            "group_id": info.group_id, "listening": _listening(host, info.url), "data_dir": str(data_dir),
            "log": str(data_dir / runner.LOG_FILE), "keystore_password": DEV_PASSWORD,
            "env_file": str(data_dir / runner.ENV_FILE)}
        dev_accounts = [{"name": a.name, "address": a.address, "keystore": a.keystore}
                        for a in runner.dev_accounts(data_dir)]
        exports = runner.read_env_file(data_dir)
        if as_json:
            emit({**detached, "accounts": dev_accounts, "exports": exports}, True)
        else:
            emit(detached, False, title="dev chain")
            emit_table(dev_accounts, title="dev accounts")
            _show_exports(exports, data_dir / runner.ENV_FILE)
        return
    if web3_port is not None and dialect != "v3":
        raise click.UsageError("--web3-port needs a 3.x dev chain (--dialect v3): FISCO 3.9+ serves it")
    if channel_port is not None and dialect != "v2":
        raise click.UsageError("--channel-port is a 2.x node's port (add --dialect v2); 3.x pushes over "
                               "WebSocket on its RPC port (ws:// or wss:// URL)")
    _warn_if_exposed(host, port)
    running = runner.start(runner.StartOptions(dialect=dialect, host=host, port=port, data_dir=data_dir, tls=tls,
                                               web3_port=web3_port, web3_chain_id=web3_chain_id, http_front=http_front,
                                               channel_port=channel_port, compat=compat, auth_admin=auth_admin))
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    try:
        config = running.devchain.config
        summary: dict[str, Any] = {
            "url": running.url, "dialect": config.dialect.value, "chain_id": config.chain_id,
            "group_id": config.group_id, "block_number": running.devchain.block_number,
            "listening": f"{running.server.host}:{running.server.port}", "http_front": running.front,
            "data_dir": str(data_dir) if data_dir else "(in memory)", "keystore_password": DEV_PASSWORD}
        exports = runner.client_exports(running)
        if data_dir is not None:
            summary["env_file"] = str(data_dir / runner.ENV_FILE)
        if running.devchain.chain.auth_admin:
            summary["auth_admin"] = running.devchain.chain.auth_admin
        if running.web3_server is not None:
            summary.update(web3_url=running.web3_server.url, web3_chain_id=config.web3_chain_id)
        if running.channel is not None:
            summary["channel_url"] = running.channel.url.replace("channel://", "channels://") if running.tls \
                else running.channel.url
        if running.tls:
            summary.update(tls_ca=str(running.tls.sdk_ca), tls_cert=str(running.tls.sdk_cert),
                           tls_key=str(running.tls.sdk_key))
        accounts = [{"name": a.name, "address": a.address, "keystore": a.keystore} for a in running.accounts]
        if as_json:
            emit({**summary, "accounts": accounts, "exports": exports}, True)
        else:
            emit(summary, False, title="dev chain")
            emit_table(accounts, title="dev accounts")
            _show_exports(exports, data_dir / runner.ENV_FILE if data_dir is not None else None)
            echo("Serving; Ctrl-C to stop.", err=True)
        sys.stdout.flush()
        while not stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.close()


def _warn_if_exposed(host: str, port: int) -> None:
    from fisco_drugtrace.devchain import runner

    if not runner.is_loopback(host):
        where = "every network interface" if host in ("0.0.0.0", "::", "") else f"interface {host}"
        echo(f"warning: the dev chain will listen on {host}:{port} ({where}), reachable from other machines; "
             "its JSON-RPC has no authentication unless --tls is given", err=True)


def _listening(host: str, url: str) -> str:
    return f"{host}:{url.rsplit(':', 1)[-1]}"


def _show_progress(progress: Any) -> None:
    if progress.phase == "replaying":
        echo(f"opening: replayed {progress.block} of {progress.head} blocks", err=True)


def _show_exports(exports: dict[str, str], env_file: Path | None) -> None:
    import shlex

    where = f" (also in {env_file}: `source {shlex.quote(str(env_file))}`)" if env_file is not None else ""
    echo(f"To point the CLI/SDK at this chain, in your shell{where}:")
    for name, value in exports.items():
        echo(f"export {name}={shlex.quote(value)}")


@devchain.command()
@_data_dir_option(".devchain")
@json_option
def stop(data_dir: Path, as_json: bool) -> None:
    """Stop a detached dev chain."""
    from fisco_drugtrace.devchain import runner

    info = runner.stop(data_dir)
    emit({"stopped": True, "pid": info.pid, "url": info.url}, as_json)


@devchain.command()
@_data_dir_option(".devchain")
@json_option
def status(data_dir: Path, as_json: bool) -> None:
    """Show whether a dev chain serves the data dir, and where."""
    from fisco_drugtrace.devchain import runner

    info = runner.status(data_dir)
    emit({"running": True, "pid": info.pid, "url": info.url, "dialect": info.dialect, "chain_id": info.chain_id,
          "group_id": info.group_id}, as_json)


from fisco_drugtrace.cli.commands.devtools import register as _register_test_controls  # noqa: E402

_register_test_controls(devchain)  # time, snapshot, revert, mine, mining, ... (the dev_ test controls)
