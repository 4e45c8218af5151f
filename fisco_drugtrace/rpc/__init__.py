"""Moving JSON-RPC bytes: transports (HTTP, mutual TLS, failover, in-process) and the envelope."""

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
]
