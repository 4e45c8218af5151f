"""Suite logs -> :class:`IndexedEvent` records, with JSON-able arguments."""

from __future__ import annotations

from typing import Any, Mapping

from fisco_drugtrace.drugtrace.audit.records import IndexedEvent
from fisco_drugtrace.types import Log

__all__ = ["EventDecoder", "jsonable"]


def jsonable(value: Any) -> Any:
    """Decoded ABI values -> JSON values (bytes as 0x-hex, addresses lower-case, enums as ints)."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") and len(value) == 42 else value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


class EventDecoder:
    """Decodes logs of the suite's contracts by address.

    :param contracts: address -> (contract name, ``ContractAbi``) for every suite contract.
    """

    def __init__(self, contracts: Mapping[str, tuple[str, Any]]) -> None:
        self._by_address = {addr.lower(): (name, abi) for addr, (name, abi) in contracts.items()}

    @property
    def addresses(self) -> list[str]:
        return sorted(self._by_address)

    def contract_name(self, address: str) -> str | None:
        found = self._by_address.get(address.lower())
        return found[0] if found else None

    def decode_args(self, log: Log) -> tuple[str, str, dict[str, Any]] | None:
        """``(contract, event name, JSON-able args)`` or ``None`` for a foreign/unknown log."""
        found = self._by_address.get(str(log.address).lower())
        if found is None:
            return None
        name, abi = found
        decoded = abi.decode_log(log)
        if decoded is None:
            return None
        return name, decoded.name, {k: jsonable(v) for k, v in decoded.args.items()}

    def decode(self, log: Log, *, position: int = 0, ts_ms: int | None = None) -> IndexedEvent | None:
        """One log as an index record (``None`` for a log this suite did not emit)."""
        out = self.decode_args(log)
        if out is None:
            return None
        contract, name, args = out
        return IndexedEvent(
            block_number=int(log.block_number or 0),
            tx_hash=str(log.transaction_hash or "").lower(),
            log_index=int(log.log_index if log.log_index is not None else position),
            contract=contract,
            address=str(log.address).lower(),
            name=name,
            args=args,
            ts_ms=ts_ms,
            position=position,
            block_hash=log.block_hash,
        )
