"""The HTTP API's operation table: which ``TraceService`` methods are served, how their JSON
arguments become Python values, and their OpenAPI description — all read from the methods'
own signatures, so the API cannot drift from the library.

Reads are ``GET /api/v1/<name>?arg=…``; writes are ``POST /api/v1/<name>`` with a JSON object
body. Arguments by type: ``bytes`` as 0x-hex, ``str | bytes`` organisations as their code or
0x-id, enums by name (or number), ``Sequence[str]`` as a JSON list of strings.
"""

from __future__ import annotations

import enum
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from fisco_drugtrace.drugtrace import TraceService
from fisco_drugtrace.drugtrace import models
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import EncodingError, HexError

__all__ = ["Operation", "OPERATIONS", "ArgumentError", "openapi_schema"]

#: Served reads. Index-backed queries are answered from the audit index (``sync=False``):
#: the server's background sync keeps it in step with the chain.
_READS = (
    "status", "now_ms", "list_orgs", "get_org", "org_of", "get_product", "get_batch", "get_shipment",
    "get_recall", "get_destruction", "get_observation", "get_adr_policy", "holding", "is_dispensed",
    "effective_state", "release_status", "recovered", "shipments_of", "verify_code",
    "trace_unit", "trace_batch", "trace_shipment", "where_is", "audit_alerts", "audit_recalls",
    "audit_compliance", "audit_report", "recall_figures", "batch_stock", "stop_authority", "suspended_by",
    "recall_links", "latest_case", "observation_voided_by", "drug_code_of", "product_of_drug_code",
    "product_details",
    # procurement (issue 17 B)
    "get_bid", "bids", "is_allowed_distributor", "agreed_volume", "get_order", "orders", "get_delivery",
    "settlement_period",
)
#: Served writes, signed by the account the caller's token is bound to.
_WRITES = (
    "register_org", "bind_account", "unbind_account", "suspend_org", "restore_org",
    "register_product", "assign_drug_code", "register_batch", "import_codes", "define_process", "approve_process",
    "reject_process", "record_process_step", "record_release_test", "pass_release_gate",
    "release_batch", "record_official_inspection", "transition_batch", "transition_product",
    "stop", "resume", "deregister", "set_adr_policy", "dispatch", "dispatch_return", "receive",
    "reject", "release_quarantine", "dispense", "observe", "open_recall", "issue_notice",
    "report_progress", "record_recovery", "record_destruction", "countersign_destruction",
    "complete_recall", "evaluate_recall", "void_shipment", "record_destruction_for", "rework",
    "void_observation", "void_destruction", "void_batch", "open_follow_up",
    # procurement (issue 17 B)
    "publish_bid", "set_agreed_volumes", "withdraw_bid", "set_settlement_period", "place_order", "accept_order",
    "decline_order", "cancel_order", "close_order", "record_delivery", "confirm_receipt", "invoice",
    "record_payment", "flag_overdue",
)
_INDEX_BACKED = {"trace_unit", "trace_batch", "trace_shipment", "where_is", "audit_alerts",
                 "audit_recalls", "audit_compliance", "audit_report"}
_SKIP_PARAMS = {"self", "sync", "on_progress", "on_step", "triggered"}
_ENUMS: dict[str, type[enum.Enum]] = {
    name: obj for name, obj in vars(models).items() if isinstance(obj, type) and issubclass(obj, enum.Enum)
}
_MAX_LIST = 200_000


class ArgumentError(EncodingError):
    """An API argument is missing, unknown or of the wrong type (HTTP 400)."""

    def __init__(self, operation: str, message: str) -> None:
        super().__init__(f"{operation}: {message}")
        self.operation = operation


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str
    required: bool
    default: Any

    def schema(self) -> dict[str, Any]:
        kind = self.annotation.replace(" ", "")
        if kind in _ENUMS:
            return {"oneOf": [{"type": "string", "enum": [m.name for m in _ENUMS[kind]]}, {"type": "integer"}]}
        if kind in ("int", "int|None"):
            return {"type": "integer"}
        if kind == "bool":
            return {"type": "boolean"}
        if kind.startswith("Sequence[str"):
            return {"type": "array", "items": {"type": "string"}}
        if kind.startswith("Mapping[str"):
            return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
        if "bytes" in kind and "str" not in kind:
            return {"type": "string", "pattern": "^0x[0-9a-fA-F]*$"}
        return {"type": "string"}

    def convert(self, op: str, value: Any) -> Any:
        kind = self.annotation.replace(" ", "")
        try:
            if kind in _ENUMS:
                cls = _ENUMS[kind]
                if isinstance(value, str) and not value.isdigit():
                    return cls[value.upper()]
                return cls(int(value))
            if kind in ("int", "int|None"):
                if isinstance(value, bool):
                    raise ValueError("a boolean is not an integer")
                number = int(value)
                if number < 0 or number >= 2**256:
                    raise ValueError("out of range")
                return number
            if kind == "bool":
                if isinstance(value, bool):
                    return value
                if str(value).lower() in ("true", "1", "yes"):
                    return True
                if str(value).lower() in ("false", "0", "no"):
                    return False
                raise ValueError("not a boolean")
            if kind.startswith("Mapping[str"):
                if not isinstance(value, dict) or not all(
                        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
                        for k, v in value.items()):
                    raise ValueError("an object of organisation -> whole number is expected")
                if len(value) > _MAX_LIST:
                    raise ValueError(f"at most {_MAX_LIST} items")
                return dict(value)
            if kind.startswith("Sequence[str"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError("a list of strings is expected")
                if len(value) > _MAX_LIST:
                    raise ValueError(f"at most {_MAX_LIST} items")
                return value
            if kind in ("bytes", "bytes|None"):
                return to_bytes(str(value))
            if kind == "str|bytes":
                text = str(value)
                return to_bytes(text) if text.startswith("0x") else text
            if not isinstance(value, (str, int)):
                raise ValueError("a string is expected")
            return str(value)
        except (KeyError, ValueError, TypeError, HexError) as exc:
            raise ArgumentError(op, f"argument {self.name!r}: {value!r} is not a valid {self.annotation}"
                                    f" ({exc})") from None


@dataclass(frozen=True)
class Operation:
    """One served ``TraceService`` method."""

    name: str
    write: bool
    params: tuple[Param, ...]
    doc: str

    def bind(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Typed keyword arguments for the call (``ArgumentError`` on anything wrong)."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(arguments) - set(known) - {"lang"})
        if unknown:
            raise ArgumentError(self.name, f"unknown argument(s) {', '.join(unknown)}; expected "
                                           f"{', '.join(known) or 'none'}")
        out: dict[str, Any] = {}
        for param in self.params:
            if param.name in arguments and arguments[param.name] is not None:
                out[param.name] = param.convert(self.name, arguments[param.name])
            elif param.required:
                raise ArgumentError(self.name, f"missing argument {param.name!r} ({param.annotation})")
        if self.name in _INDEX_BACKED:
            out["sync"] = False
        return out

    def call(self, service: TraceService, arguments: Mapping[str, Any]) -> Any:
        method: Callable[..., Any] = getattr(service, self.name)
        return method(**self.bind(arguments))


def _operation(name: str, write: bool) -> Operation:
    fn = getattr(TraceService, name)
    params = []
    for p in inspect.signature(fn).parameters.values():
        if p.name in _SKIP_PARAMS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        annotation = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "str")
        params.append(Param(p.name, annotation, p.default is inspect.Parameter.empty,
                            None if p.default is inspect.Parameter.empty else p.default))
    doc = inspect.getdoc(fn) or name.replace("_", " ")
    return Operation(name, write, tuple(params), doc)


OPERATIONS: dict[str, Operation] = {
    **{name: _operation(name, False) for name in _READS},
    **{name: _operation(name, True) for name in _WRITES},
}


def openapi_schema(version: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of every served operation."""
    paths: dict[str, Any] = {}
    error = {"$ref": "#/components/schemas/Error"}
    for op in OPERATIONS.values():
        summary = op.doc.splitlines()[0]
        responses = {
            "200": {"description": "the library's record, as JSON"},
            "400": {"description": "bad arguments", "content": {"application/json": {"schema": error}}},
            "401": {"description": "no or unknown token"},
            "404": {"description": "not on chain", "content": {"application/json": {"schema": error}}},
            "409": {"description": "the contract refused (decoded custom error)",
                    "content": {"application/json": {"schema": error}}},
            "503": {"description": "no usable node", "content": {"application/json": {"schema": error}}},
        }
        if op.write:
            body = {"type": "object", "additionalProperties": False,
                    "properties": {p.name: p.schema() for p in op.params},
                    "required": [p.name for p in op.params if p.required]}
            paths[f"/api/v1/{op.name}"] = {"post": {
                "operationId": op.name, "summary": summary, "description": op.doc,
                "security": [{"bearer": []}],
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 200}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {**responses, "403": {"description": "token may not write"}}}}
        else:
            paths[f"/api/v1/{op.name}"] = {"get": {
                "operationId": op.name, "summary": summary, "description": op.doc,
                "security": [] if op.name == "verify_code" else [{"bearer": []}],
                "parameters": [{"name": p.name, "in": "query", "required": p.required, "schema": p.schema()}
                               for p in op.params],
                "responses": responses}}
    paths["/api/v1/manifests"] = {"post": {
        "operationId": "upload_manifest", "summary": "Upload a batch's code manifest (checked against the chain)",
        "description": "The file `batch export-manifest` writes. Kept only if its chain, group, suite, unit count and "
                       "Merkle root match the chain; then every code of the batch verifies on this server.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "shipment_id", "in": "query", "required": False, "schema": {"type": "integer"}}],
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
        "responses": {"200": {"description": "the import"}, "400": {"description": "not a manifest"},
                      "413": {"description": "over 64 MiB"},
                      "422": {"description": "does not match the chain: nothing stored",
                              "content": {"application/json": {"schema": error}}}}}}
    paths["/api/v1/manifests/{batch}"] = {"get": {
        "operationId": "download_manifest", "summary": "The manifest of a batch held here",
        "security": [{"bearer": []}],
        "parameters": [{"name": "batch", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the manifest file"}, "404": {"description": "not held here"}}}}
    paths["/api/v1/product-details"] = {"post": {
        "operationId": "upload_product_details",
        "summary": "Upload a product's details document (its names; checked against the chain)",
        "description": "A JSON document (format fisco-drugtrace/product-details/1: approval_number, package_spec, "
                       "generic_name, optional trade_name, dosage_form, strength; names as a string or "
                       "{zh, en}). Kept only if its keccak256 is the product's on-chain detailsHash; then the "
                       "verification of the product's codes names it.",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "the import"}, "400": {"description": "not a details document"},
                      "404": {"description": "no such product in the audit index"},
                      "413": {"description": "over 64 KiB"},
                      "422": {"description": "not the document the chain's detailsHash commits to: nothing stored",
                              "content": {"application/json": {"schema": error}}}}}}
    paths["/api/v1/product-details/{product}"] = {"get": {
        "operationId": "download_product_details", "summary": "A product's details document held here, as uploaded",
        "security": [{"bearer": []}],
        "parameters": [{"name": "product", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the document"}, "404": {"description": "not held here"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "fisco-drugtrace HTTP API", "version": version,
                 "description": "Every TraceService operation and query. Writes are signed on the server by "
                                "the keystore account the bearer token is bound to."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string", "description": "the exception type"},
                "message": {"type": "string"},
                "contract_error": {"type": "string", "description": "decoded custom error name"},
                "args": {"type": "object"},
                "tx_hash": {"type": "string"}}}},
        },
    }
