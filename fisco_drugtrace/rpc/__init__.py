"""Moving JSON-RPC bytes: transports (HTTP, mutual TLS, failover, in-process) and the envelope."""

from fisco_drugtrace.rpc.answers import MAX_JSON_DEPTH, load_json
from fisco_drugtrace.rpc.deadline import Deadline
from fisco_drugtrace.rpc.http import DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT
from fisco_drugtrace.rpc.jsonrpc import ErrorMapper, JsonRpc, RetryPolicy
from fisco_drugtrace.rpc.transport import (
    FailoverTransport,
    HttpTransport,
    InProcessTransport,
    TlsFiles,
    Transport,
)

__all__ = [
    "Transport",
    "TlsFiles",
    "HttpTransport",
    "FailoverTransport",
    "InProcessTransport",
    "JsonRpc",
    "RetryPolicy",
    "ErrorMapper",
    "Deadline",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_ANSWER_BYTES",
    "MAX_JSON_DEPTH",
    "load_json",
]
