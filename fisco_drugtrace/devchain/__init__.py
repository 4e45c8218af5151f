"""An embedded FISCO BCOS–compatible development chain (3.x and 2.x JSON-RPC) on pyrevm.

``DevChain(DevChainConfig(...))`` runs in-process (``handle``/``handle_raw``); :func:`serve`
puts it behind HTTP(S). The dev chain depends only on ``crypto``, ``encoding``, ``types``,
``errors`` and ``config`` — never on the SDK client it is used to test.
"""

from __future__ import annotations

from .accounts import DEV_ACCOUNT_COUNT, DEV_PASSWORD, DevAccount, dev_keypairs, write_dev_keystores
from .config import DevChainConfig
from .node import DevChain
from .server import MAX_BODY, ServerHandle, ServerTls, serve
from .tls import TlsMaterial, ensure_certificates

__all__ = [
    "DevChain",
    "DevChainConfig",
    "serve",
    "ServerHandle",
    "ServerTls",
    "MAX_BODY",
    "TlsMaterial",
    "ensure_certificates",
    "DevAccount",
    "DEV_PASSWORD",
    "DEV_ACCOUNT_COUNT",
    "dev_keypairs",
    "write_dev_keystores",
]
