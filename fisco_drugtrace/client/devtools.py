"""SDK helpers for the dev chain's test controls (the ``dev_`` JSON-RPC namespace).

>>> controls = DevControls(client)            # any FiscoClient connected to a dev chain
>>> snap = controls.snapshot()
>>> controls.increase_time(3 * 86_400_000)    # milliseconds, as FISCO timestamps
>>> controls.mine()
>>> controls.revert(snap)                     # state, height and clock as they were

Against a real node every call raises :class:`~fisco_drugtrace.errors.NotADevChain` (the node
answers -32601 MethodNotFound). See ``fisco_drugtrace/devchain/README.md`` for what each control does.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from fisco_drugtrace.client.base import FiscoClient
from fisco_drugtrace.client.wire_v2 import receipt_v2
from fisco_drugtrace.client.wire_v3 import receipt_v3
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import MethodNotFound, NotADevChain
from fisco_drugtrace.types import Dialect, Receipt

__all__ = ["DevControls", "MiningState", "DAY_MS"]

DAY_MS = 86_400_000


@dataclass(frozen=True)
class MiningState:
    """``mode`` is ``"auto"``, ``"manual"`` or ``"interval"``; ``pending`` transactions wait in the pool."""

    mode: str
    interval_ms: int
    pending: int


class DevControls:
    """Typed wrappers over the dev chain's ``dev_`` methods for one client (either dialect)."""

    def __init__(self, client: FiscoClient) -> None:
        self.client = client

    def _call(self, method: str, params: list[Any]) -> Any:
        try:
            return self.client.rpc.request(method, params, idempotent=False)
        except MethodNotFound as exc:
            raise NotADevChain(exc.code, f"{method}: not served here (only the dev chain has test controls)",
                               method=method) from exc

    # -- clock ------------------------------------------------------------------------------
    def increase_time(self, ms: int) -> int:
        """Move the block clock forward by ``ms``; returns the total offset from the wall clock."""
        return int(self._call("dev_increaseTime", [ms]))

    def set_next_block_timestamp(self, ms: int) -> None:
        """The next block gets exactly this timestamp (ms, not before the head block's)."""
        self._call("dev_setNextBlockTimestamp", [ms])

    def time(self) -> int:
        """The chain's current time in ms (the wall clock plus the offset)."""
        return int(self._call("dev_time", []))

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> str:
        """A snapshot id of state, height, clock and state edits."""
        return str(self._call("dev_snapshot", []))

    def revert(self, snapshot_id: str) -> bool:
        """Back to the snapshot (``False`` if unknown); it and every later snapshot are used up."""
        return bool(self._call("dev_revert", [snapshot_id]))

    @contextmanager
    def reverting(self) -> Iterator[str]:
        """Run a block of code and revert everything it did to the chain afterwards."""
        snap = self.snapshot()
        try:
            yield snap
        finally:
            self.revert(snap)

    # -- mining -----------------------------------------------------------------------------
    def mine(self, blocks: int = 1) -> int:
        """Seal ``blocks`` blocks now (the first with the pending transactions); the new height."""
        return int(self._call("dev_mine", [blocks]))

    def set_mining(self, mode: str, interval_ms: int = 0) -> None:
        """``"auto"`` (a block as transactions arrive), ``"manual"`` (only :meth:`mine`) or
        ``"interval"`` (a block every ``interval_ms``)."""
        self._call("dev_setMining", [mode, interval_ms])

    def mining(self) -> MiningState:
        got = self._call("dev_getMining", [])
        return MiningState(got["mode"], int(got["intervalMs"]), int(got["pending"]))

    # -- impersonation ----------------------------------------------------------------------
    def impersonate(self, address: str) -> None:
        """Allow :meth:`send_as` from ``address`` without its key."""
        self._call("dev_impersonateAccount", [normalize_address(address)])

    def stop_impersonating(self, address: str) -> None:
        self._call("dev_stopImpersonatingAccount", [normalize_address(address)])

    def send_as(self, address: str, to: str | None, data: bytes, *, abi: str = "") -> Receipt:
        """Send a transaction as ``address`` (impersonated first) and return its receipt."""
        tx = {"from": normalize_address(address), "to": normalize_address(to) if to else "",
              "data": "0x" + bytes(data).hex(), "abi": abi}
        raw = self._call("dev_sendTransaction", [tx])
        return receipt_v3(raw) if self.client.dialect is Dialect.V3 else receipt_v2(raw)

    # -- state edits ------------------------------------------------------------------------
    def set_code(self, address: str, code: bytes) -> None:
        self._call("dev_setCode", [normalize_address(address), "0x" + bytes(code).hex()])

    def set_storage(self, address: str, slot: int, value: int) -> None:
        self._call("dev_setStorageAt", [normalize_address(address), hex(slot), hex(value)])

    def dump(self) -> dict[str, Any]:
        """The chain's history (blocks, raw transactions, state edits) as JSON-ready data."""
        return dict(self._call("dev_dumpState", []))

    def load(self, dump: dict[str, Any]) -> int:
        """Execute a :meth:`dump` on top of the head; returns the new height."""
        return int(self._call("dev_loadState", [dump]))
