"""The CLI's context object: global options in, lazily built library objects out.

Nothing is built until a command asks for it, so ``account list`` never touches the network and
``tx decode`` needs no configuration at all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["AppContext", "pass_app"]

PASSWORD_ENV = "FISCO_KEYSTORE_PASSWORD"


class AppContext:
    """Holds the global options and builds Settings -> client -> signer -> service on demand."""

    def __init__(self, *, config_path: str | None = None, rpc_url: str | None = None,
                 account_name: str | None = None, debug: bool = False,
                 password_file: str | None = None) -> None:
        self.config_path = config_path
        self.password_file = password_file
        self.rpc_url = rpc_url
        self.account_name = account_name
        self.debug = debug
        #: ``--timeout``: the client's total deadline per node call (``None``: from the settings)
        self.timeout: float | None = None
        self._settings: Any = None
        self._client: Any = None
        self._signer: Any = None
        self._service: Any = None

    # -- configuration -------------------------------------------------------------------
    @property
    def settings(self) -> Any:
        if self._settings is None:
            from fisco_drugtrace.config import load_settings

            overrides: dict[str, Any] = {}
            if self.rpc_url:
                overrides["urls"] = [u.strip() for u in self.rpc_url.split(",") if u.strip()]
            if self.account_name:
                overrides["account"] = self.account_name
            if self.timeout is not None:
                overrides["timeout"] = self.timeout
            self._settings = load_settings(self.config_path, overrides=overrides)
        return self._settings

    # -- network -------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            from fisco_drugtrace.client import connect

            self._client = connect(self.settings)
        return self._client

    # -- keys ----------------------------------------------------------------------------
    def password(self, prompt: str = "Keystore password", confirm: bool = False) -> str:
        """The keystore password: ``--password-file`` (first line), else $FISCO_KEYSTORE_PASSWORD,
        else a hidden prompt — only on a terminal; without one (cron, a service) a usage error
        says what to set instead of hanging or aborting."""
        if self.password_file:
            path = Path(self.password_file).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
                mode = path.stat().st_mode
            except (OSError, UnicodeDecodeError) as exc:
                raise click.UsageError(f"cannot read --password-file {self.password_file}: {exc}") from exc
            if mode & 0o077:
                click.echo(f"Warning: {path} is readable by others (mode {mode & 0o777:o}); chmod 600 it", err=True)
            lines = text.splitlines()
            return lines[0] if lines else ""
        value = os.environ.get(PASSWORD_ENV)
        if value is not None:
            return value
        if not _stdin_is_terminal():
            raise click.UsageError(f"no keystore password and no terminal to ask on: set {PASSWORD_ENV} "
                                   "(or --password-file FILE)")
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)

    @property
    def signer(self) -> Any:
        if self._signer is None:
            from fisco_drugtrace.accounts import LocalSigner
            from fisco_drugtrace.crypto.keystore import AccountStore

            settings = self.settings
            store = AccountStore(settings.account_dir)
            name = settings.account
            if not name:
                raise click.UsageError("no signing account: pass --account or set [account] default in the config")
            keypair = store.load(name, self.password(f"Password for account {name}"))
            self._signer = LocalSigner(keypair)
        return self._signer

    @property
    def service(self) -> Any:
        if self._service is None:
            from fisco_drugtrace.drugtrace import TraceService

            self._service = TraceService.from_settings(self.settings, client=self.client, signer=self.signer)
        return self._service

    def close(self) -> None:
        for obj in (self._service, self._client):
            closer = getattr(obj, "close", None)
            if callable(closer):
                closer()


def _stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


pass_app = click.make_pass_decorator(AppContext)
