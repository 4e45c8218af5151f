"""fisco_drugtrace: drug traceability and supervision on FISCO BCOS.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from fisco_drugtrace import errors
from fisco_drugtrace.errors import DrugTraceError
from fisco_drugtrace.types import CallResult, ChainIdentity, Dialect, Log, Receipt

try:
    __version__ = _version("fisco-drugtrace")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "errors",
    "DrugTraceError",
    "CallResult",
    "ChainIdentity",
    "Dialect",
    "Log",
    "Receipt",
    "TraceService",
]


def __getattr__(name: str) -> object:
    """``TraceService`` on first use, so ``import fisco_drugtrace`` stays light (PEP 562)."""
    if name == "TraceService":
        from fisco_drugtrace.drugtrace.service import TraceService

        return TraceService
    raise AttributeError(f"module 'fisco_drugtrace' has no attribute {name!r}")
