"""An embedded FISCO BCOS–compatible development chain (3.x and 2.x JSON-RPC) on pyrevm.

``DevChain(DevChainConfig(...))`` runs in-process (``handle``/``handle_raw``); :func:`serve`
puts it behind HTTP(S). The dev chain depends only on ``crypto``, ``encoding``, ``types``,
``errors`` and ``config`` — never on the SDK client it is used to test.
"""

from __future__ import annotations

from .config import DevChainConfig
from .node import DevChain

__all__ = ["DevChain", "DevChainConfig"]
