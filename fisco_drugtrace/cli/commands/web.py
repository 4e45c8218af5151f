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


def _secret(password_file: str | None) -> str | None:
    secret: str | None = None
    if password_file:
        try:
            secret = Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise click.UsageError(f"cannot read --password-file {password_file}: {exc.strerror}") from None
    elif os.environ.get(PASSWORD_ENV) is not None:
        secret = os.environ[PASSWORD_ENV]
    return secret


def _backend_kwargs(app: AppContext, sync_interval: float) -> dict:  # type: ignore[type-arg]
    settings = app.settings
    return {"home": Path(settings.home), "account_dir": Path(settings.account_dir), "sync_interval": sync_interval,
            "database": settings.database, "schema_prefix": settings.database_schema}


def _backend(app: AppContext, *, secret: str | None, sync_interval: float):  # type: ignore[no-untyped-def]
    from fisco_drugtrace.web import Backend

    password = (lambda _account: secret) if secret is not None else None  # type: ignore[misc]
    return Backend(app.client, password=password, **_backend_kwargs(app, sync_interval))


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
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), envvar="FISCO_WEB_WORKERS",
              help="Request worker processes sharing this home's stores (one more process keeps the index "
                   "in step); about one per core.")
@pass_app
def serve(app: AppContext, host: str, port: int, tls_cert: str | None, tls_key: str | None, sync_interval: float,
          password_file: str | None, workers: int) -> None:
    """Serve the verification pages, the supervision board and the HTTP API (Ctrl-C stops)."""
    import uvicorn

    from fisco_drugtrace.web import create_app

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    secret = _secret(password_file)
    backend = _backend(app, secret=secret, sync_interval=sync_interval)
    if not backend.connect_chain():  # the node is down: pages and scans from the index, 503 for the rest
        click.echo(f"warning: the node cannot be reached: serving from the index ({backend.sync.error})", err=True)
    backend.service().deployment  # no suite recorded here: fail now, with the address book's advice
    scheme = "https" if tls_cert else "http"
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the service is reachable from other machines", err=True)
    # httptools and uvloop (dependencies) when importable: uvicorn's "auto" picks them
    options = dict(ssl_certfile=tls_cert, ssl_keyfile=tls_key, log_level="warning", timeout_keep_alive=15,
                   limit_concurrency=512, h11_max_incomplete_event_size=64 * 1024, server_header=False,
                   access_log=False)
    shown = f"[{host}]" if ":" in host else host

    def announce(_host: str, bound: int) -> None:
        extra = f", {workers} workers" if workers > 1 else ""
        echo(f"serving {scheme}://{shown}:{bound}/ (verify: /verify, board: /board, API: /api/openapi.json{extra})")
        sys.stdout.flush()

    if workers > 1:
        from fisco_drugtrace.web.workers import WorkerSpec, serve_workers

        spec = WorkerSpec(app.settings, _backend_kwargs(app, sync_interval), options, secret)
        try:
            serve_workers(backend, spec, host=host, port=port, workers=workers, announce=announce)
        except OSError as exc:
            raise click.UsageError(f"cannot bind {host}:{port}: {exc.strerror}") from None
        return
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host=host, port=port, **options))  # type: ignore[arg-type]
    announce(host, port)
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
