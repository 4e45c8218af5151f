"""The ASGI application: pages, API, static files, security headers."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fisco_drugtrace.web.api import api_routes
from fisco_drugtrace.web.backend import Backend
from fisco_drugtrace.web.pages import page_routes

__all__ = ["create_app", "find_scanner_js", "SCANNER_ENV"]

STATIC = Path(__file__).parent / "static"
SCANNER_ENV = "FISCO_DRUGTRACE_SCANNER_JS"
_SCANNER_REL = Path("node_modules") / "html5-qrcode" / "html5-qrcode.min.js"

_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                                 b"media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def find_scanner_js() -> Path | None:
    """The html5-qrcode bundle installed by ``npm ci`` (no CDN at run time): ``$FISCO_DRUGTRACE_SCANNER_JS``,
    else ``node_modules`` in the current directory or beside the package's source tree."""
    env = os.environ.get(SCANNER_ENV)
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd() / _SCANNER_REL] + [parent / _SCANNER_REL for parent in Path(__file__).resolve().parents]
    return next((p for p in candidates if p.is_file()), None)


class _PackagedStatic:
    """The package's own static files (a few KB of CSS and JS, fixed for the life of the process),
    read once and answered from memory with an ETag: Starlette's ``StaticFiles`` stats and reads
    the file in worker threads on every request (measured ~3 ms a request under load, more than a
    served verification)."""

    _TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

    def __init__(self, directory: Path) -> None:
        import hashlib

        self._files: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}
        for path in sorted(directory.iterdir()):
            if not path.is_file() or path.suffix not in self._TYPES:
                continue
            body = path.read_bytes()
            etag = b'"' + hashlib.sha256(body).hexdigest()[:16].encode() + b'"'
            self._files["/" + path.name] = (body, [(b"content-type", self._TYPES[path.suffix].encode()),
                                                   (b"etag", etag), (b"cache-control", b"public, max-age=3600")])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._files.get(scope.get("path", "")[len(scope.get("root_path", "")):] or scope.get("path", ""))
        if scope["method"] not in ("GET", "HEAD"):
            status, body, headers = 405, b"", [(b"allow", b"GET, HEAD")]
        elif found is None:
            status, body, headers = 404, b"Not Found", [(b"content-type", b"text/plain; charset=utf-8")]
        else:
            body, headers = found
            sent = dict(scope.get("headers") or ()).get(b"if-none-match")
            status = 304 if sent is not None and sent == headers[1][1] else 200
            if status == 304:
                body = b""
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


class _SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + _HEADERS
            await send(message)

        await self.app(scope, receive, wrapped)


def create_app(backend: Backend, *, scanner_js: Path | None | bool = True, start_sync: bool = True) -> Starlette:
    """The web service over ``backend``. ``scanner_js``: the html5-qrcode bundle (``True``: look for it)."""
    scanner = find_scanner_js() if scanner_js is True else (scanner_js or None)

    async def vendor(request: Request) -> Response:
        if scanner is None:
            return Response("camera scanning is not installed (npm ci)", status_code=404)
        return FileResponse(scanner, media_type="text/javascript")

    async def health(request: Request) -> Response:
        sync = backend.sync_status()
        return JSONResponse({"ok": sync.healthy, "indexed_block": sync.indexed_block, "last_sync_ms": sync.last_ok_ms,
                             "error": sync.error, "scanner": scanner is not None},
                            status_code=200 if sync.healthy else 503)

    routes: list[Any] = [
        *api_routes(),
        *page_routes(),
        Route("/healthz", health, methods=["GET"]),
        Route("/static/vendor/html5-qrcode.min.js", vendor, methods=["GET"]),
        Mount("/static", app=_PackagedStatic(STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start_sync:
            backend.start()
        try:
            yield
        finally:
            backend.close()

    app = Starlette(routes=routes, middleware=[Middleware(_SecurityHeaders)], lifespan=lifespan)
    app.state.backend = backend
    app.state.scanner_js = scanner
    return app
