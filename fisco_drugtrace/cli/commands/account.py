"""``fisco-drugtrace account``: create, import, export and list encrypted local accounts.

The account directory is ``--dir`` if given, else the configured ``account_dir`` (settings
file or ``$FISCO_ACCOUNT_DIR``), else ``~/.fisco-drugtrace/accounts``. Passwords come from
``$FISCO_KEYSTORE_PASSWORD`` or a hidden prompt; they are never echoed or logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["account", "account_dir"]

_DEFAULT_DIR = "~/.fisco-drugtrace/accounts"

dir_option = click.option("--dir", "directory", type=click.Path(file_okay=False),
                          help="Account directory (default: config account_dir, $FISCO_ACCOUNT_DIR, "
                               f"{_DEFAULT_DIR}).")
suite_option = click.option("--suite", type=click.Choice(["ecdsa", "sm2"]), default="ecdsa", show_default=True,
                            help="Crypto suite of the chain: ecdsa (secp256k1) or sm2 (SM2/SM3 chains).")
kdf_option = click.option("--kdf", type=click.Choice(["scrypt", "pbkdf2", "fast"]), default="scrypt",
                          show_default=True,
                          help="Key derivation for the keystore; 'fast' (weak, quick) only for dev-chain accounts.")


def account_dir(app: AppContext, directory: str | None) -> Path:
    """Where accounts live: ``--dir``, else settings, else $FISCO_ACCOUNT_DIR, else the default."""
    if directory:
        return Path(directory).expanduser()
    try:
        return Path(app.settings.account_dir).expanduser()
    except ImportError:  # the config module is not available: fall back to env / default
        return Path(os.environ.get("FISCO_ACCOUNT_DIR") or _DEFAULT_DIR).expanduser()


def _store(app: AppContext, directory: str | None, suite: str = "ecdsa", kdf: str = "scrypt") -> Any:
    from fisco_drugtrace.crypto import suite_by_name
    from fisco_drugtrace.crypto.keystore import AccountStore

    return AccountStore(account_dir(app, directory), suite_by_name(suite), kdf=kdf)  # type: ignore[arg-type]


@click.group()
def account() -> None:
    """Local accounts: encrypted keystores, one file per account."""


@account.command("new")
@click.argument("name")
@dir_option
@suite_option
@kdf_option
@json_option
@pass_app
def new(app: AppContext, name: str, directory: str | None, suite: str, kdf: str, as_json: bool) -> None:
    """Create account NAME with a fresh random key."""
    store = _store(app, directory, suite, kdf)
    info = store.new(name, app.password(f"Password for new account {name}", confirm=True))
    emit(info, as_json)


@account.command("import")
@click.argument("name")
@click.argument("source")
@dir_option
@suite_option
@kdf_option
@json_option
@pass_app
def import_(app: AppContext, name: str, source: str, directory: str | None, suite: str, kdf: str,
            as_json: bool) -> None:
    """Import SOURCE as account NAME: a keystore .json, a PEM file, a 64-hex private key, or
    "-" to type the hex key at a hidden prompt (keeps it out of the shell history).

    With $FISCO_KEYSTORE_PASSWORD set, the same password opens an encrypted SOURCE.
    """
    from fisco_drugtrace.crypto.keystore import source_needs_password

    store = _store(app, directory, suite, kdf)
    if source == "-":
        source = click.prompt("Private key (hex)", hide_input=True)
    source_password = app.password(f"Password of {source}") if source_needs_password(source) else None
    password = app.password(f"Password for account {name}", confirm=True)
    info = store.import_key(name, source, password, source_password=source_password or "")
    emit(info, as_json)


@account.command("export")
@click.argument("account_key", metavar="NAME_OR_ADDRESS")
@click.option("--format", "fmt", type=click.Choice(["keystore", "pem"]), default="keystore", show_default=True,
              help="keystore: V3 JSON (encrypted); pem: PKCS#8 PEM as the FISCO console writes it.")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write here (atomically, mode 0600 even over an existing file); required for PEM.")
@click.option("--encrypt-pem", is_flag=True, help="Encrypt the PEM with a new password (asked for; secp256k1 only).")
@dir_option
@suite_option
@pass_app
def export(app: AppContext, account_key: str, fmt: str, out: str | None, encrypt_pem: bool, directory: str | None,
           suite: str) -> None:
    """Export an account's key as keystore JSON or PEM."""
    if fmt == "pem" and not out:
        raise click.UsageError("--out is required for PEM: a private key is not printed to the terminal")
    store = _store(app, directory, suite)
    password = app.password(f"Password for account {account_key}")
    out_password = app.password("Password for the exported PEM", confirm=True) if fmt == "pem" and encrypt_pem else None
    text = store.export(account_key, password, fmt=fmt, out_password=out_password)
    if out:
        from fisco_drugtrace.crypto.keystore import write_private_file

        path = write_private_file(out, text)  # atomic and 0600 even over an existing 0644 file
        echo(f"wrote {path} (mode 0600)", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@account.command("list")
@dir_option
@json_option
@pass_app
def list_(app: AppContext, directory: str | None, as_json: bool) -> None:
    """List the accounts in the account directory."""
    emit(_store(app, directory).list(), as_json, title=str(account_dir(app, directory)))
