"""fisco_drugtrace: drug traceability and supervision on FISCO BCOS.

The public API is what ``__all__`` lists; everything else is internal. Names are resolved on
first use (PEP 562), so ``import fisco_drugtrace`` stays light and a back-end that only signs
transactions never imports the EVM or the CLI.

Typical use::

    from fisco_drugtrace import TraceService, connect, load_settings, AccountStore, LocalSigner

    settings = load_settings("chain-config/four-node-v3/fisco-drugtrace.toml")
    signer = LocalSigner(AccountStore(settings.account_dir).load("pharmacy", password))
    service = TraceService.from_settings(settings, client=connect(settings), signer=signer)
    service.dispense("81603470000000014554")
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version as _version
from typing import TYPE_CHECKING

from fisco_drugtrace import errors
from fisco_drugtrace.errors import DrugTraceError
from fisco_drugtrace.types import CallResult, ChainIdentity, Dialect, Log, Receipt

try:
    __version__ = _version("fisco-drugtrace")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    # configuration and connection
    "Settings": "fisco_drugtrace.config",
    "load_settings": "fisco_drugtrace.config",
    "connect": "fisco_drugtrace.client",
    "FiscoClient": "fisco_drugtrace.client",
    "ClientV3": "fisco_drugtrace.client",
    "ClientV2": "fisco_drugtrace.client",
    # keys and signing
    "KeyPair": "fisco_drugtrace.crypto.keys",
    "AccountStore": "fisco_drugtrace.crypto.keystore",
    "ECDSA": "fisco_drugtrace.crypto.ecdsa",
    "Signer": "fisco_drugtrace.accounts",
    "LocalSigner": "fisco_drugtrace.accounts",
    # contracts
    "Contract": "fisco_drugtrace.contracts",
    "load_artifact": "fisco_drugtrace.contracts.artifacts",
    # the drug-trace domain
    "TraceService": "fisco_drugtrace.drugtrace",
    "AddressBook": "fisco_drugtrace.drugtrace",
    "OrgKind": "fisco_drugtrace.drugtrace",
    "LifecycleState": "fisco_drugtrace.drugtrace",
    "ObservationPoint": "fisco_drugtrace.drugtrace",
    "ObservationResult": "fisco_drugtrace.drugtrace",
    "RecallLevel": "fisco_drugtrace.drugtrace",
    "RecallKind": "fisco_drugtrace.drugtrace",
    # the embedded development chain
    "DevChain": "fisco_drugtrace.devchain",
    "DevChainConfig": "fisco_drugtrace.devchain",
}

__all__ = [
    "__version__",
    "errors",
    "DrugTraceError",
    "CallResult",
    "ChainIdentity",
    "Dialect",
    "Log",
    "Receipt",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from fisco_drugtrace.accounts import LocalSigner, Signer
    from fisco_drugtrace.client import ClientV2, ClientV3, FiscoClient, connect
    from fisco_drugtrace.config import Settings, load_settings
    from fisco_drugtrace.contracts import Contract
    from fisco_drugtrace.contracts.artifacts import load_artifact
    from fisco_drugtrace.crypto.ecdsa import ECDSA
    from fisco_drugtrace.crypto.keys import KeyPair
    from fisco_drugtrace.crypto.keystore import AccountStore
    from fisco_drugtrace.devchain import DevChain, DevChainConfig
    from fisco_drugtrace.drugtrace import (
        AddressBook,
        LifecycleState,
        ObservationPoint,
        ObservationResult,
        OrgKind,
        RecallKind,
        RecallLevel,
        TraceService,
    )


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fisco_drugtrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
