"""JSON-RPC envelopes as each node's server frames them.

3.x (``JsonRpcImpl_2_0``): one JSON object per request, ``params`` must be an array, integer ids;
no batches. 2.x (libjson-rpc-cpp ``RpcProtocolServerV2``): batches allowed (an empty batch is
-32600), a request without ``id`` is refused with -32604, standard errors carry the library's
``NAME: text`` messages. Both answer bad JSON with -32700 and unknown methods with -32601.
Internal failures never leak a traceback: they become -32603.

Nesting depth: orjson refuses bodies nested deeper than 1,024 levels, and the :mod:`json`
fallback recurses once per level on the C stack. Python's recursion limit does not protect it in
this process: py_ecc (imported through eth-keyfile by the keystore module) raises it to 100,000 at
import, so 50k-70k nested ``[`` overflowed the C stack (SIGSEGV) before this bound existed. So a
body only reaches :func:`json.loads` after an iterative scan
(:func:`fisco_drugtrace.jsonsafe.json_depth`, the SDK's own guard) found it nested at most
:data:`MAX_DEPTH` levels; deeper bodies are answered as bad JSON (-32700).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping

import orjson

from fisco_drugtrace.errors import DevChainError, DrugTraceError, RpcError
from fisco_drugtrace.jsonsafe import json_depth
from fisco_drugtrace.types import Dialect

__all__ = ["Envelope", "V3Envelope", "V2Envelope", "MAX_BATCH", "MAX_DEPTH"]

MAX_BATCH = 1000
#: Deepest nesting of arrays/objects the json fallback parses (orjson's own limit is 1,024).
MAX_DEPTH = 512

Handler = Callable[[list], Any]


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _has_float(obj: Any) -> bool:
    """Whether a parsed JSON value holds a float anywhere (iterative: orjson nests deeper than Python recurses)."""
    if type(obj) is not dict and type(obj) is not list:
        return type(obj) is float
    stack = [obj]
    while stack:
        top = stack.pop()
        for value in (top.values() if type(top) is dict else top):
            kind = type(value)
            if kind is float:
                return True
            if kind is dict or kind is list:
                stack.append(value)
    return False


def _loads(body: bytes) -> tuple[Any, bool]:
    """The request and whether orjson read it exactly as :func:`json.loads` would.

    orjson is ~5x faster but differs in two ways: it refuses what the json module accepts
    (NaN/Infinity, a BOM, UTF-16/32 bodies, lone surrogates, 1e400) and it reads an integer beyond
    64 bits as a float. Both fall back to :func:`json.loads`: the first raises, the second leaves a
    float (a request without floats parsed by orjson equals json's parse). Requests carry no
    floats in practice, so the fallback costs only odd bodies.
    :raises ValueError: the body is not JSON (json's verdict), or nests deeper than :data:`MAX_DEPTH`.
    """
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        if json_depth(body) > MAX_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    else:
        if not _has_float(request):
            return request, True
    try:
        return json.loads(body), False
    except RecursionError as exc:  # a thread already deep in its stack: still only bad input
        raise ValueError("JSON nested too deeply") from exc


def _dumps_fast(obj: Any) -> bytes:
    """:func:`_dumps` through orjson, for answers to requests orjson parsed (so the answer holds no
    NaN/Infinity, which orjson would write as null; no handler makes floats). Semantically the
    same JSON; orjson writes non-ASCII as UTF-8 where json escapes it."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:  # ints beyond 64 bits, non-str keys, lone surrogates: json writes them (or raises as before)
        return _dumps(obj)


class Envelope(ABC):
    """Base: request bytes/dicts in, response bytes/dicts out, via a method table."""

    dialect: Dialect

    def __init__(self, table: Mapping[str, Handler]) -> None:
        self.table = table

    @abstractmethod
    def handle(self, request: Any) -> Any:
        """One request object (or a 2.x batch) -> the response object, or None for no answer."""

    def handle_raw(self, body: bytes) -> bytes:
        try:
            request, fast = _loads(body)
        except (ValueError, UnicodeDecodeError):
            return _dumps(self.parse_error())
        response = self.handle(request)
        if response is None:
            return b""
        return _dumps_fast(response) if fast else _dumps(response)

    @abstractmethod
    def parse_error(self) -> dict[str, Any]:
        """The dialect's answer to a body that is not JSON."""


class V3Envelope(Envelope):
    dialect = Dialect.V3

    def parse_error(self) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": None,
                "error": {"code": -32700, "message": "Invalid JSON was received by the server."}}

    @staticmethod
    def _error(req_id: Any, code: int, message: str) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": req_id, "error": {"code": code, "message": message}}

    def handle(self, request: Any) -> dict[str, Any]:
        invalid = "The JSON sent is not a valid Request object."
        if not isinstance(request, dict):
            return self._error(None, -32600, invalid)
        req_id = request.get("id", 0)
        if isinstance(req_id, bool) or not isinstance(req_id, int):
            return self._error(None, -32600, invalid)
        method = request.get("method")
        params = request.get("params")
        if not isinstance(request.get("jsonrpc"), str) or not isinstance(method, str) or not isinstance(params, list):
            return self._error(req_id, -32600, invalid)
        handler = self.table.get(method)
        if handler is None:
            return self._error(req_id, -32601, "The method does not exist/is not available.")
        try:
            result = handler(params)
        except Exception as exc:  # the node answers, never dies: any bug becomes an internal error
            return self.error_of(req_id, exc)
        return {"jsonrpc": "2.0", "id": req_id, "result": result}

    @classmethod
    def error_of(cls, req_id: Any, exc: BaseException) -> dict[str, Any]:
        """The 3.x answer to a failed call, worded by the kind of failure (the fronts that run
        sends outside :meth:`handle` word their failures with this too)."""
        if isinstance(exc, RpcError):
            return cls._error(req_id, exc.code, exc.node_message)
        if isinstance(exc, DevChainError):
            return cls._error(req_id, -32603, str(exc))
        if isinstance(exc, DrugTraceError):
            return cls._error(req_id, -32602, f"Invalid params: {exc}")
        return cls._error(req_id, -32603, f"Internal error: {type(exc).__name__}: {exc}")


# libjson-rpc-cpp's standard messages
_V2_TEXT = {
    -32700: "JSON_PARSE_ERROR: The JSON-Object is not JSON-Valid",
    -32600: "INVALID_JSON_REQUEST: The JSON sent is not a valid JSON-RPC Request object",
    -32601: "METHOD_NOT_FOUND: The method being requested is not available on this server",
    -32602: "INVALID_PARAMS: Invalid method parameters (invalid name and/or type) recognised",
    -32604: "PROCEDURE_IS_METHOD: The requested notification is declared as a method",
}


class V2Envelope(Envelope):
    dialect = Dialect.V2

    def parse_error(self) -> dict[str, Any]:
        return self._error(None, -32700)

    @staticmethod
    def _error(req_id: Any, code: int, message: str | None = None, data: Any = ...) -> dict[str, Any]:
        error: dict[str, Any] = {"code": code, "message": message if message is not None else _V2_TEXT[code]}
        if data is not ...:
            error["data"] = data
        return {"jsonrpc": "2.0", "id": req_id, "error": error}

    def handle(self, request: Any) -> Any:
        if isinstance(request, list):
            if not request or len(request) > MAX_BATCH:
                return self._error(None, -32600)
            return [self._one(r) for r in request]
        return self._one(request)

    def _one(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return self._error(None, -32600)
        req_id = request.get("id")
        if "id" in request and not (req_id is None or isinstance(req_id, (str, int))) or isinstance(req_id, bool):
            return self._error(None, -32600)
        method = request.get("method")
        if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
            return self._error(req_id, -32600)
        params = request.get("params", [])
        if not isinstance(params, (list, dict)):
            return self._error(req_id, -32600)
        handler = self.table.get(method)
        if handler is None:
            return self._error(req_id, -32601)
        if "id" not in request:
            return self._error(None, -32604)
        if isinstance(params, dict):
            return self._error(req_id, -32602)
        try:
            result = handler(params)
        except RpcError as exc:
            text = exc.node_message if exc.code != -32602 else _V2_TEXT[-32602]
            return self._error(req_id, exc.code, text, exc.data)
        except Exception as exc:  # the node answers, never dies
            return self._error(req_id, -32603, f"INTERNAL_ERROR: : {type(exc).__name__}: {exc}", None)
        return {"jsonrpc": "2.0", "id": req_id, "result": result}
