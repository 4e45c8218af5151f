"""The dialect-neutral client surface used by bindings, the service layer and auditors.

:class:`FiscoClient` holds the shared behaviour — building, signing and (re)sending
transactions, waiting for receipts, filtering logs — and leaves each wire detail to a dialect
subclass (:class:`~fisco_drugtrace.client.v3.ClientV3`, :class:`~fisco_drugtrace.client.v2.ClientV2`).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client.records import NodeOverview, SignedTx
from fisco_drugtrace.errors import (
    AlreadyInChain,
    AlreadyInTxPool,
    NonceCheckFailed,
    ReceiptTimeout,
    RpcError,
    SuiteMismatch,
    TransportError,
)
from fisco_drugtrace.rpc.jsonrpc import JsonRpc, is_retryable
from fisco_drugtrace.types import CallResult, ChainIdentity, Dialect, Log, Receipt, TxHash

__all__ = ["FiscoClient", "DEFAULT_TX_TIMEOUT", "BLOCK_LIMIT_OFFSET"]

#: Seconds ``send_transaction`` waits for the receipt by default.
DEFAULT_TX_TIMEOUT = 60.0
#: blockLimit = current block + this (node window is (current, current + 1000]).
BLOCK_LIMIT_OFFSET = 500
#: The first pause while polling for a receipt (doubles up to ``poll``).
FIRST_POLL = 0.01
#: The least time one receipt poll may take, even at the end of the wait (a healthy node's
#: "not yet" must not turn into a timeout of its own).
POLL_FLOOR = 0.5
#: How many times a signed transaction is re-sent after a transport failure.
SEND_ATTEMPTS = 3


class FiscoClient(ABC):
    """One node (or a failover set) of one group, in one dialect.

    :param rpc: the JSON-RPC connection (with the dialect's error mapper).
    :param group: ``"group0"`` (3.x) or ``1`` (2.x).
    :param chain_id: the chain id; ``None`` = ask the node once, on first use.
    """

    dialect: Dialect

    def __init__(self, rpc: JsonRpc, *, group: str | int, chain_id: str | int | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.rpc = rpc
        self.group = group
        self._chain_id = chain_id
        self._identity: ChainIdentity | None = None
        self._identity_lock = threading.Lock()
        self._sleep = sleep
        self._clock = clock

    # -- identity -------------------------------------------------------------------------
    def identity(self) -> ChainIdentity:
        """Chain and group ids every transaction must carry (the chain id is read from the node
        when it was not configured; the answer is cached)."""
        with self._identity_lock:
            if self._identity is None:
                chain_id = self._chain_id if self._chain_id is not None else self._read_chain_id()
                self._identity = ChainIdentity(dialect=self.dialect, chain_id=chain_id, group_id=self.group)
            return self._identity

    def assume_identity(self, chain_id: str | int, crypto_suite: str | None, sm_crypto: bool | None = None) -> None:
        """Take the chain id and crypto suite as known — learnt from this node earlier and kept,
        e.g. by a server that must start while its node is down — as if configured: neither is
        asked of the node. (Whoever keeps them must check the node's chain when it answers: the
        audit index does, by the block hashes it anchors.)"""
        with self._identity_lock:
            self._chain_id = chain_id
            self._identity = None
        self._chain_suite = crypto_suite
        if sm_crypto is not None:  # what a 3.x client's ``uses_sm_crypto`` caches from getGroupNodeInfo
            self._sm_crypto = bool(sm_crypto)

    @abstractmethod
    def _read_chain_id(self) -> str | int:
        """Ask the node for its chain id."""

    # -- crypto suite ---------------------------------------------------------------------
    def chain_crypto_suite(self) -> str | None:
        """The suite the chain signs and hashes with: ``"ecdsa_secp256k1"``, ``"sm2_sm3"``, or
        ``None`` when the node does not say (asked once, cached)."""
        if not hasattr(self, "_chain_suite"):
            try:
                self._chain_suite: str | None = self._read_crypto_suite()
            except RpcError:
                self._chain_suite = None
        return self._chain_suite

    def _read_crypto_suite(self) -> str | None:
        """Ask the node which crypto suite it uses (dialects override; ``None`` = unknown)."""
        return None

    def check_signer_suite(self, signer: Signer) -> None:
        """Refuse, before anything is signed or sent, a signer of another crypto suite than the chain's.

        An SM2 key on an ECDSA chain (or the reverse) would sign a transaction the node recovers
        to some other address, so the write would fail as an unknown account of that address.

        :raises SuiteMismatch: the suites differ.
        """
        chain = self.chain_crypto_suite()
        mine = getattr(getattr(signer, "suite", None), "name", None)
        if chain is not None and mine is not None and mine != chain:
            raise SuiteMismatch(signer_suite=mine, chain_suite=chain, address=str(getattr(signer, "address", "")))

    # -- reads ----------------------------------------------------------------------------
    @abstractmethod
    def block_number(self) -> int:
        """The latest block number."""

    @abstractmethod
    def call(self, to: str, data: bytes, *, sender: str | None = None) -> CallResult:
        """Execute a read-only call against the latest state."""

    @abstractmethod
    def get_receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt, or ``None`` while the transaction is not committed."""

    @abstractmethod
    def get_code(self, address: str) -> bytes:
        """The runtime code at ``address`` (empty when there is none)."""

    @abstractmethod
    def get_block_hash(self, number: int) -> str:
        """The hash of block ``number``."""

    @abstractmethod
    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str] | None = None,
                 topics: Sequence[Any] | None = None) -> list[Log]:
        """Logs in the inclusive block range that match ``addresses`` and ``topics``.

        ``topics[i]`` is ``None`` (any), one topic (bytes or hex) or a list of alternatives.
        """

    @abstractmethod
    def node_overview(self) -> NodeOverview:
        """A summary of the node: height, ids, sealers, sync state, version."""

    # -- transactions ---------------------------------------------------------------------
    @abstractmethod
    def sign_transaction(self, signer: Signer, to: str | None, data: bytes, abi: str = "") -> SignedTx:
        """Build (blockLimit = current + 500, random nonce, chain/group from :meth:`identity`)
        and sign a transaction. ``to=None`` or ``""`` deploys ``data`` as init code."""

    @abstractmethod
    def _submit(self, raw: bytes, tx_hash: str, timeout: float | None) -> Receipt | None:
        """Hand the signed bytes to the node; 3.x answers with the receipt, 2.x with ``None``."""

    @abstractmethod
    def send_raw(self, raw: bytes) -> TxHash:
        """Send signed transaction bytes once (no retry); return the transaction hash.

        3.x answers after commit, 2.x after txpool admission (use :meth:`wait_for_receipt`)."""

    def send_transaction(self, signer: Signer, to: str | None, data: bytes, *, abi: str = "",
                         timeout: float = DEFAULT_TX_TIMEOUT) -> Receipt:
        """Build, sign, send and return the receipt (whatever its status).

        Safe to retry: after a transport failure the **same signed bytes** are sent again (same
        hash); a "known/already in chain" refusal on such a retry means the first attempt got
        through, and the receipt is fetched instead. Each attempt is one node call, bounded by
        the client's call deadline (``[network] timeout``, the CLI's ``--timeout``); all of them
        and the wait for the receipt share ``timeout``.

        :raises ReceiptTimeout: no receipt within ``timeout`` seconds.
        :raises TransportError: no node took the transaction; its ``tx_hash`` (also in the
            message) names the transaction, which may still commit.
        """
        within = getattr(self.rpc, "within", None)
        if within is None:  # a stand-in rpc object without per-operation deadlines
            return self._send_transaction(signer, to, data, abi, timeout)
        with within(timeout):  # every node call below ends by the transaction's deadline
            return self._send_transaction(signer, to, data, abi, timeout)

    def _send_transaction(self, signer: Signer, to: str | None, data: bytes, abi: str, timeout: float) -> Receipt:
        self.check_signer_suite(signer)  # before anything is signed or sent
        signed = self.sign_transaction(signer, to, data, abi)
        try:
            return self._deliver(signed, timeout)
        except RpcError as exc:  # the node refused it: still say which transaction it was
            exc.tx_hash = signed.tx_hash
            raise

    def _deliver(self, signed: SignedTx, timeout: float) -> Receipt:
        deadline = self._clock() + timeout
        for attempt in range(SEND_ATTEMPTS):
            try:
                # each attempt is one node call: bounded by the call deadline and by what is left
                budget = min(deadline - self._clock(), getattr(self.rpc, "timeout", timeout))
                receipt = self._submit(signed.raw, signed.tx_hash, max(budget, 0.001))
            except TransportError as exc:
                if attempt + 1 >= SEND_ATTEMPTS or not is_retryable(exc) or self._clock() >= deadline:
                    # the node may have admitted it: the caller needs the hash to look it up
                    raise exc.for_transaction(signed.tx_hash) from exc
                self._sleep(min(0.2 * 2**attempt, 2.0, max(deadline - self._clock(), 0.0)))
                continue
            except (AlreadyInTxPool, AlreadyInChain):
                if attempt == 0:
                    raise
                break
            except NonceCheckFailed:
                # our own earlier attempt may already be committed (its nonce is then "used")
                if attempt == 0 or self.get_receipt(signed.tx_hash) is None:
                    raise
                break
            if receipt is not None:
                return receipt
            break
        return self.wait_for_receipt(signed.tx_hash, timeout=max(deadline - self._clock(), 0.0))

    def wait_for_receipt(self, tx_hash: str, timeout: float = DEFAULT_TX_TIMEOUT, poll: float = 0.2) -> Receipt:
        """Poll :meth:`get_receipt` until it answers or ``timeout`` seconds pass.

        The pause between polls starts at 10 ms and doubles up to ``poll`` (a fresh transaction
        is often sealed within milliseconds). Transport failures while polling are tolerated
        until the deadline.

        :raises ReceiptTimeout: no receipt in time (the transaction may still commit later).
        """
        deadline = self._clock() + timeout
        interval = min(FIRST_POLL, poll)
        within = getattr(self.rpc, "within", None)
        while True:
            try:
                if within is None:
                    receipt = self.get_receipt(tx_hash)
                else:
                    # a stalled poll ends with the wait (give or take POLL_FLOOR)
                    with within(max(deadline - self._clock(), POLL_FLOOR)):
                        receipt = self.get_receipt(tx_hash)
            except TransportError:
                receipt = None
                if self._clock() >= deadline:
                    raise
            if receipt is not None:
                return receipt
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise ReceiptTimeout(tx_hash, timeout)
            self._sleep(min(interval, remaining))
            interval = min(interval * 2, poll)

    # -- events ---------------------------------------------------------------------------
    def subscribe_logs(self, address: str | Sequence[str] | None = None, topics: Sequence[Any] | None = None,
                       from_block: int | None = None, *, to_block: int | None = None, checkpoint: Any = None,
                       callback: Callable[[Log], None] | None = None, decode: Callable[[Log], Any] | None = None,
                       push: bool | None = None, poll_interval: float = 0.5) -> Any:
        """Matching logs from ``from_block`` on, pushed by the node over a WebSocket / channel
        transport, else polled with :meth:`get_logs` (same events, same order). Returns a
        :class:`~fisco_drugtrace.client.subscribe.LogSubscription`: iterate it, read its
        ``checkpoint`` to resume later; with ``callback`` each event is handed to it in a thread.
        """
        from fisco_drugtrace.client.subscribe import LogSubscription

        addresses = [address] if isinstance(address, str) else list(address or ())
        sub = LogSubscription(self, addresses=addresses, topics=list(topics or ()), from_block=from_block,
                              to_block=to_block, checkpoint=checkpoint, decode=decode, push=push,
                              poll_interval=poll_interval)
        if callback is not None:
            sub.run(callback)
        return sub

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Release the connection."""
        self.rpc.close()

    def __enter__(self) -> "FiscoClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
