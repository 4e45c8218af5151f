"""``fisco-drugtrace serve`` and ``fisco-drugtrace web token …``: the web service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from fisco_drugtrace.cli.context import PASSWORD_ENV, AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["serve", "web"]


def _backend(app: AppContext, *, password_file: str | None, sync_interval: float):  # type: ignore[no-untyped-def]
    from fisco_drugtrace.web import Backend

    settings = app.settings
    secret: str | None = None
    if password_file:
        try:
            secret = Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise click.UsageError(f"cannot read --password-file {password_file}: {exc.strerror}") from None
    elif os.environ.get(PASSWORD_ENV) is not None:
        secret = os.environ[PASSWORD_ENV]
    password = (lambda _account: secret) if secret is not None else None  # type: ignore[misc]
    return Backend(app.client, Path(settings.home), account_dir=Path(settings.account_dir),
                   password=password, sync_interval=sync_interval, database=settings.database,
                   schema_prefix=settings.database_schema)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="FISCO_WEB_HOST",
              help="Address to bind (anything but loopback is announced on stderr).")
@click.option("--port", default=8600, show_default=True, type=click.IntRange(0, 65535), envvar="FISCO_WEB_PORT")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS with this certificate (PEM).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="... and this key (PEM).")
@click.option("--sync-interval", default=2.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds between background syncs of the audit index.")
@click.option("--password-file", type=click.Path(dir_okay=False),
              help=f"Keystore password for write tokens' accounts (else ${PASSWORD_ENV}; none: read-only).")
@pass_app
def serve(app: AppContext, host: str, port: int, tls_cert: str | None, tls_key: str | None, sync_interval: float,
          password_file: str | None) -> None:
    """Serve the verification pages, the supervision board and the HTTP API (Ctrl-C stops)."""
    import uvicorn

    from fisco_drugtrace.web import create_app

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    backend = _backend(app, password_file=password_file, sync_interval=sync_interval)
    backend.service().deployment  # no suite recorded here: fail now, with the address book's advice
    scheme = "https" if tls_cert else "http"
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the service is reachable from other machines", err=True)
    config = uvicorn.Config(create_app(backend), host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                            log_level="warning", timeout_keep_alive=15, limit_concurrency=512,
                            h11_max_incomplete_event_size=64 * 1024, server_header=False)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    echo(f"serving {scheme}://{shown}:{port}/ (verify: /verify, board: /board, API: /api/openapi.json)")
    sys.stdout.flush()
    try:
        server.run()
    except OSError as exc:
        raise click.UsageError(f"cannot bind {host}:{port}: {exc.strerror}") from None


@click.group("web")
def web() -> None:
    """The web service's access tokens."""


@web.group("token")
def token() -> None:
    """Issue, list and revoke API tokens (stored hashed under the home directory)."""


def _tokens(app: AppContext):  # type: ignore[no-untyped-def]
    from fisco_drugtrace.web import TokenStore

    return TokenStore(Path(app.settings.home) / "web" / "tokens.sqlite")


@token.command("issue")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--account", "account", help="Keystore account a write token signs as (required for write).")
@json_option
@pass_app
def token_issue(app: AppContext, name: str, scope: str, account: str | None, as_json: bool) -> None:
    """Issue a token; its secret is printed once and cannot be shown again."""
    if account is not None:
        from fisco_drugtrace.crypto.keystore import AccountStore

        AccountStore(app.settings.account_dir).find(account)  # AccountNotFound -> exit 2
    store = _tokens(app)
    try:
        secret, info = store.issue(name, scope, account)
    finally:
        store.close()
    if as_json:
        emit({"name": info.name, "scope": info.scope, "account": info.account, "token": secret}, True)
    else:
        echo(f"token {info.name} ({info.scope}{', signs as ' + info.account if info.account else ''}):")
        echo(secret)
        echo("keep it secret: only its hash is stored, it cannot be shown again", err=True)


@token.command("list")
@json_option
@pass_app
def token_list(app: AppContext, as_json: bool) -> None:
    """The tokens (never their secrets)."""
    store = _tokens(app)
    try:
        emit(store.list(), as_json, title="tokens")
    finally:
        store.close()


@token.command("revoke")
@click.argument("name")
@pass_app
def token_revoke(app: AppContext, name: str) -> None:
    """Revoke a token by name."""
    store = _tokens(app)
    try:
        if not store.revoke(name):
            raise click.UsageError(f"no live token named {name!r}")
    finally:
        store.close()
    echo(f"revoked {name}")
