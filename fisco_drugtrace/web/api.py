"""The JSON API: ``GET /api/v1/<read>``, ``POST /api/v1/<write>``, ``GET /api/openapi.json``.

Reads need a token of any scope (``verify_code`` needs none: it is the patients' question);
writes need a ``write`` token and are signed by the account the token is bound to. A write may
carry ``Idempotency-Key``: the same key with the same body replays the first answer instead of
sending a second transaction. Every write is logged with the token's name and account.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fisco_drugtrace.web.backend import Backend
from fisco_drugtrace.web.httperrors import error_body, status_for
from fisco_drugtrace.web.jsonview import to_json
from fisco_drugtrace.web.operations import OPERATIONS, ArgumentError, Operation, openapi_schema
from fisco_drugtrace.web.tokens import TokenInfo

__all__ = ["api_routes", "MAX_BODY", "read_json_body", "BodyError"]

_log = logging.getLogger("fisco_drugtrace.web.api")

#: Largest write body (a batch of 200,000 codes fits).
MAX_BODY = 8 * 1024 * 1024


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(status: int, data: Any) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _error(status: int, error: str, message: str) -> Response:
    return _json(status, {"error": error, "message": message})


async def read_json_body(request: Request, limit: int = MAX_BODY) -> Any:
    """The request's JSON body, refusing oversize (413) before reading it all, and anything
    that is not JSON (400). orjson refuses nesting deeper than 1,024 levels with an error, never
    a crash, whatever the interpreter's recursion limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError(400, "bad Content-Length")
        if int(declared) > limit:
            raise BodyError(413, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"body over {limit} bytes")
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks) or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, f"the body is not JSON: {exc}") from None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get("dt_token")


def _backend(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


def _token(request: Request) -> TokenInfo | None:
    return _backend(request).tokens.check(_bearer(request))


def _run(backend: Backend, op: Operation, args: dict[str, Any], account: str | None) -> tuple[int, Any]:
    try:
        result = op.call(backend.service(account), args)
    except ArgumentError as exc:
        return 400, {"error": "ArgumentError", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a typed HTTP answer
        status = status_for(exc)
        if status >= 500 and status != 503:
            _log.exception("operation %s failed", op.name)
        return status, error_body(exc)
    return 200, to_json(result)


async def _read(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    name = request.path_params["op"]
    op = OPERATIONS.get(name)
    if op is None:
        return _error(404, "UnknownOperation", f"no operation {name!r}; see /api/openapi.json")
    if op.write:
        return _error(405, "MethodNotAllowed", f"{name} is a write: POST it with a write token")
    if name == "verify_code":
        return await _verify(request)
    if _token(request) is None:
        return _error(401, "Unauthorized", "a token is required (Authorization: Bearer …)")
    args = dict(request.query_params)
    status, body = await run_in_threadpool(_run, _backend(request), op, args, None)
    return _json(status, body)


def _served_verify(backend: Backend, code: str, chain: bool) -> tuple[int, Any]:
    try:
        result = backend.verifier.verify(code, chain=chain)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a typed HTTP answer
        status = status_for(exc)
        if status >= 500 and status != 503:
            _log.exception("verify_code failed")
        return status, error_body(exc)
    return 200, None if result is None else to_json(result)


async def _verify(request: Request) -> Response:
    """The patients' question, answered from the code store and the audit index as of its last
    block (``drugtrace.served``): on the event loop, as it reads only local files; a code no
    manifest here lists goes to a worker thread, for the chain decides it."""
    from starlette.concurrency import run_in_threadpool

    args = dict(request.query_params)
    code = args.get("code")
    if not isinstance(code, str) or set(args) - {"code"}:
        return _error(400, "ArgumentError", "verify_code takes one argument: code")
    backend = _backend(request)
    status, body = _served_verify(backend, code[:64], False)
    if status == 200 and body is None:
        status, body = await run_in_threadpool(_served_verify, backend, code[:64], True)
    return _json(status, body)


async def _write(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    name = request.path_params["op"]
    op = OPERATIONS.get(name)
    if op is None:
        return _error(404, "UnknownOperation", f"no operation {name!r}; see /api/openapi.json")
    if not op.write:
        return _error(405, "MethodNotAllowed", f"{name} is a read: GET it")
    token = _token(request)
    if token is None:
        return _error(401, "Unauthorized", "a write token is required (Authorization: Bearer …)")
    if not token.can_write:
        return _error(403, "Forbidden", f"token {token.name!r} may only read")
    try:
        body = await read_json_body(request)
    except BodyError as exc:
        return _error(exc.status, "BadBody", exc.message)
    if not isinstance(body, dict):
        return _error(400, "BadBody", "the body must be a JSON object of arguments")
    backend = _backend(request)
    key = request.headers.get("idempotency-key")
    digest = hashlib.sha256(name.encode() + b"\0" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    if key is not None:
        if not 0 < len(key) <= 200:
            return _error(400, "BadIdempotencyKey", "Idempotency-Key must be 1-200 characters")
        begun = backend.store.idempotent_begin(token.token_id, key, digest)
        if isinstance(begun, str):
            return _error(409 if "running" in begun else 422, "IdempotencyConflict", begun)
        if begun is not None:
            return Response(begun.body, status_code=begun.status, media_type="application/json",
                            headers={"Idempotent-Replay": "true"})
    assert token.account is not None
    status, result = await run_in_threadpool(_run, backend, op, body, token.account)
    encoded = orjson.dumps(result)
    tx_hash = None
    if isinstance(result, dict):
        tx = result.get("tx") if isinstance(result.get("tx"), dict) else None
        tx_hash = result.get("tx_hash") or (tx or {}).get("tx_hash")
    backend.store.log_write(token=token.name, account=token.account, operation=name, arguments=body,
                            status=status, tx_hash=tx_hash, error=None if status == 200 else result.get("error"))
    _log.info("write %s by token %s (account %s): %s", name, token.name, token.account, status)
    if key is not None:
        if status in (400, 401, 403, 503):
            backend.store.idempotent_abandon(token.token_id, key)
        else:
            backend.store.idempotent_finish(token.token_id, key, status, encoded)
    return Response(encoded, status_code=status, media_type="application/json")


#: Largest manifest upload (about 3 million codes).
MAX_MANIFEST = 64 * 1024 * 1024


async def _read_raw(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyError(413 if declared.isdigit() else 400, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _import(backend: Backend, data: bytes, shipment: int | None) -> tuple[int, Any]:
    try:
        imported = backend.service().import_manifest(data, shipment_id=shipment)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a typed HTTP answer
        return status_for(exc), error_body(exc)
    backend.refresh_proofs()  # the batch's proof file, so its codes verify at full speed at once
    return 200, to_json(imported)


async def _upload_manifest(request: Request) -> Response:
    """POST a batch's code manifest (the file ``batch export-manifest`` writes). It is checked
    against the chain — chain, group, suite, unit count and the on-chain Merkle root — and kept
    only if every check passes; then every code of that batch verifies here, for everyone."""
    from starlette.concurrency import run_in_threadpool

    token = _token(request)
    if token is None:
        return _error(401, "Unauthorized", "a write token is required to upload a manifest")
    if not token.can_write:
        return _error(403, "Forbidden", f"token {token.name!r} may only read")
    try:
        data = await _read_raw(request, MAX_MANIFEST)
    except BodyError as exc:
        return _error(exc.status, "BadBody", exc.message)
    shipment_text = request.query_params.get("shipment_id")
    if shipment_text is not None and not shipment_text.isdigit():
        return _error(400, "ArgumentError", "shipment_id must be a number")
    backend = _backend(request)
    status, body = await run_in_threadpool(_import, backend, data, int(shipment_text) if shipment_text else None)
    backend.store.log_write(token=token.name, account=token.account or "", operation="import_manifest",
                            arguments={"bytes": len(data), "shipment_id": shipment_text}, status=status,
                            tx_hash=None, error=None if status == 200 else body.get("error"))
    return _json(status, body)


def _export(backend: Backend, batch: str) -> tuple[int, Any]:
    from fisco_drugtrace.encoding.hexutil import to_bytes

    try:
        return 200, backend.service().export_manifest(to_bytes(batch))
    except Exception as exc:  # noqa: BLE001
        return status_for(exc), error_body(exc)


async def _download_manifest(request: Request) -> Response:
    """GET the manifest of a batch held here (read token)."""
    from starlette.concurrency import run_in_threadpool

    if _token(request) is None:
        return _error(401, "Unauthorized", "a token is required (Authorization: Bearer …)")
    batch = request.path_params["batch"]
    status, body = await run_in_threadpool(_export, _backend(request), batch)
    if status != 200:
        return _json(status, body)
    return Response(body, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="manifest-{batch[:18]}.txt"'})


def _import_details(backend: Backend, data: bytes) -> tuple[int, Any]:
    try:
        # checked against the product's detailsHash as the audit index has it (kept in step by the
        # server's background sync): a product registered a moment ago is found after the next round
        imported = backend.service().import_product_details(data, sync=False)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a typed HTTP answer
        return status_for(exc), error_body(exc)
    backend.verifier.forget_details()  # its codes' answers name the product from now on
    return 200, to_json(imported)


async def _upload_details(request: Request) -> Response:
    """POST a product's details document (its names; ``product_details``): kept only if its
    keccak256 is the product's on-chain ``detailsHash`` (422 otherwise, 400 for a file that is not
    one, 404 for a product the index has not seen registered; nothing stored)."""
    from starlette.concurrency import run_in_threadpool

    from fisco_drugtrace.drugtrace.product_details import MAX_DETAILS

    token = _token(request)
    if token is None:
        return _error(401, "Unauthorized", "a write token is required to upload product details")
    if not token.can_write:
        return _error(403, "Forbidden", f"token {token.name!r} may only read")
    try:
        data = await _read_raw(request, MAX_DETAILS)
    except BodyError as exc:
        return _error(exc.status, "BadBody", exc.message)
    backend = _backend(request)
    status, body = await run_in_threadpool(_import_details, backend, data)
    backend.store.log_write(token=token.name, account=token.account or "", operation="import_product_details",
                            arguments={"bytes": len(data)}, status=status, tx_hash=None,
                            error=None if status == 200 else body.get("error"))
    return _json(status, body)


def _export_details(backend: Backend, product: str) -> tuple[int, Any]:
    from fisco_drugtrace.encoding.hexutil import to_bytes

    try:
        return 200, backend.service().export_product_details(to_bytes(product))
    except Exception as exc:  # noqa: BLE001
        return status_for(exc), error_body(exc)


async def _download_details(request: Request) -> Response:
    """GET a product's details document held here, byte for byte (read token)."""
    from starlette.concurrency import run_in_threadpool

    if _token(request) is None:
        return _error(401, "Unauthorized", "a token is required (Authorization: Bearer …)")
    status, body = await run_in_threadpool(_export_details, _backend(request), request.path_params["product"])
    if status != 200:
        return _json(status, body)
    return Response(body, media_type="application/json")


async def _openapi(request: Request) -> Response:
    from fisco_drugtrace import __version__

    return _json(200, openapi_schema(__version__))


def api_routes() -> list[Route]:
    return [
        # the patients' question first: routes are tried in order, and it is most of the traffic
        Route("/api/v1/verify_code", _verify, methods=["GET"]),
        Route("/api/openapi.json", _openapi, methods=["GET"]),
        Route("/api/v1/manifests", _upload_manifest, methods=["POST"]),
        Route("/api/v1/manifests/{batch}", _download_manifest, methods=["GET"]),
        Route("/api/v1/product-details", _upload_details, methods=["POST"]),
        Route("/api/v1/product-details/{product}", _download_details, methods=["GET"]),
        Route("/api/v1/{op}", _read, methods=["GET"]),
        Route("/api/v1/{op}", _write, methods=["POST"]),
    ]
