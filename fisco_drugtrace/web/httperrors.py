"""Library exceptions -> HTTP status and a JSON error body, in one place."""

from __future__ import annotations

from typing import Any

from fisco_drugtrace.errors import (
    AuditError,
    ConfigError,
    ContractError,
    ContractRevert,
    CryptoError,
    DomainError,
    DrugTraceError,
    EncodingError,
    NotFound,
    RpcError,
    TraceCodeError,
    TransactionError,
    TransportError,
)
from fisco_drugtrace.drugtrace.manifest import ManifestMismatch
from fisco_drugtrace.drugtrace.product_details import ProductDetailsMismatch
from fisco_drugtrace.web.jsonview import to_json

__all__ = ["status_for", "error_body"]

# Reverts that mean "you may not do this" rather than "not in this state".
_FORBIDDEN_ERRORS = ("Unauthorized", "NotAuthorised", "NotAuthorized", "UnknownAccount", "Forbidden",
                     "NotHolder", "OutOfRemit", "Suspended", "NotRegulator")


def status_for(exc: BaseException) -> int:
    """The HTTP status for a library exception."""
    if isinstance(exc, ContractRevert):
        name = exc.error_name or ""
        return 403 if any(part in name for part in _FORBIDDEN_ERRORS) else 409
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (ManifestMismatch, ProductDetailsMismatch)):
        return 422
    if isinstance(exc, (TraceCodeError, EncodingError)):
        return 400
    if isinstance(exc, TransactionError):
        return 502
    if isinstance(exc, RpcError):
        return 502
    if isinstance(exc, TransportError):
        return 503
    if isinstance(exc, AuditError):
        return 409
    if isinstance(exc, (ConfigError, CryptoError, ContractError)):
        return 500 if isinstance(exc, ContractError) else 503
    if isinstance(exc, (DomainError, DrugTraceError)):
        return 409
    return 500


def error_body(exc: BaseException) -> dict[str, Any]:
    """A JSON body naming the error; a revert keeps its decoded custom error and arguments."""
    if isinstance(exc, DrugTraceError):
        message = exc.user_message or exc.message
    else:
        message = "internal error"
    body: dict[str, Any] = {"error": type(exc).__name__, "message": message}
    if isinstance(exc, ContractRevert):
        body["contract_error"] = exc.error_name
        body["args"] = to_json(exc.error_args)
    tx_hash = getattr(exc, "tx_hash", None)
    if tx_hash:
        body["tx_hash"] = tx_hash
    return body
