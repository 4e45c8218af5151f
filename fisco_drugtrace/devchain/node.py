"""``DevChain``: a FISCO BCOS node in this process — the chain plus its dialect's JSON-RPC.

``handle(request_dict)`` and ``handle_raw(body_bytes)`` answer exactly what a node answers to the
same request, so the SDK's ``InProcessTransport(devchain.handle_raw)`` and the HTTP server
(:mod:`.server`) exercise the same code.
"""

from __future__ import annotations

from typing import Any, Callable

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.errors import DevChainError
from fisco_drugtrace.types import ChainIdentity, Dialect

from .chain import Chain
from .config import DevChainConfig
from .jsonrpc import Envelope, V2Envelope, V3Envelope

__all__ = ["DevChain"]


class DevChain:
    """One dev chain. Use as a context manager or call :meth:`close`.

    :raises DataDirError: the data dir belongs to another chain or is damaged.
    """

    def __init__(self, config: DevChainConfig | None = None, *, suite: CryptoSuite = ECDSA,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """:param progress: called during the replay of a data dir with (blocks replayed, head block)."""
        self.config = config or DevChainConfig()
        self.chain = Chain(self.config, suite, progress=progress)
        try:
            self.envelope = self._envelope()
        except BaseException:
            self.chain.close()
            raise

    def _envelope(self) -> Envelope:
        if self.config.dialect is Dialect.V3:
            from .rpc_v3 import V3Methods

            self.methods: Any = V3Methods(self.chain)
            self._add_dev_methods(self.methods.receipt_json)
            return V3Envelope(self.methods.table)
        from .rpc_v2 import V2Methods

        self.methods = V2Methods(self.chain)
        v2 = self.methods
        self._add_dev_methods(lambda receipt, tx: v2.receipt_json(receipt, self.chain.block(receipt.block_number), tx))
        return V2Envelope(self.methods.table)

    def _add_dev_methods(self, render: Any) -> None:
        """The test controls' ``dev_`` methods (:mod:`.devcontrols`), which no real node serves."""
        from .devcontrols import ChainControls, dev_methods

        self.controls = ChainControls(self.chain)
        self.methods.table.update(dev_methods(self.controls, render))

    def web3_port(self) -> Any:
        """The Web3-compatible JSON-RPC (:class:`~.web3rpc.Web3Port`) over this chain's state:
        serve it with ``serve(devchain.web3_port(), port=8545)``. 3.x only (FISCO 3.9+ has it)."""
        if self.config.dialect is not Dialect.V3:
            raise DevChainError("the Web3 port is a FISCO BCOS 3.x feature: start a 3.x dev chain")
        port = getattr(self, "_web3", None)
        if port is None:
            from .web3rpc import Web3Port

            port = self._web3 = Web3Port(self.chain, self.controls)
        return port

    @property
    def identity(self) -> ChainIdentity:
        """What transactions for this chain must carry."""
        return ChainIdentity(self.config.dialect, self.config.chain_id or "", self.config.group_id or "")

    @property
    def block_number(self) -> int:
        return self.chain.head.number

    def handle(self, request: Any) -> Any:
        """Answer one JSON-RPC request object (or, 2.x, a batch list)."""
        return self.envelope.handle(request)

    def handle_raw(self, body: bytes) -> bytes:
        """Answer raw request bytes with raw response bytes (what travels over HTTP)."""
        return self.envelope.handle_raw(body)

    def close(self) -> None:
        """Stop the sealer and close the database. Pending (unanswered) transactions are dropped."""
        controls = getattr(self, "controls", None)
        if controls is not None:
            controls.close()
        self.chain.close()

    def __enter__(self) -> "DevChain":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
