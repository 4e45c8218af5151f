"""``TraceService.watch``: the suite's events as they happen, as typed domain events for one
organisation — a batch it holds stopped / recalled / released, a shipment addressed to it, a
recall notice for a batch it holds, an alert about a batch it holds (all alerts when no
organisation is given: the regulator's desk).

Events come from :meth:`FiscoClient.subscribe_logs` over the suite's five contracts, so they are
pushed when the client has a WebSocket / channel transport and polled otherwise. What the
organisation holds is learnt from ``BatchCommitted`` (its own batches), ``HoldingCredited``
(stock credited to it on release) and ``ShipmentReceived`` (stock it received): first from the logs before the start block, then as events arrive.

Every :class:`WatchEvent` has a stable :attr:`~WatchEvent.event_id` — its block and its place
among the suite's logs of that block — the same whichever way it was read and after any resume,
so a back-end can drop a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Iterator

from fisco_drugtrace.drugtrace.ids import id_hex, org_ref
from fisco_drugtrace.drugtrace.models import LifecycleState

__all__ = ["WatchKind", "WatchEvent", "Watch", "ALERT_EVENTS", "parse_kinds"]


class WatchKind(str, Enum):
    BATCH_STOPPED = "batch-stopped"
    BATCH_RECALLED = "batch-recalled"
    BATCH_RELEASED = "batch-released"
    SHIPMENT_INCOMING = "shipment-incoming"
    RECALL_NOTICE = "recall-notice"
    ALERT = "alert"


def parse_kinds(text: str) -> list[WatchKind]:
    """``"batch-stopped,alert"`` -> kinds. :raises ConfigError: an unknown name (listing the known ones)."""
    from fisco_drugtrace.errors import ConfigError

    names = [k.strip() for k in text.split(",") if k.strip()]
    known = {k.value: k for k in WatchKind}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ConfigError(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[n] for n in names]


#: Events that are alerts about a batch (custody, observation log).
ALERT_EVENTS = frozenset({"DuplicateDispense", "TemperatureExcursion", "ShipmentExcursionFlagged",
                          "SeriousAdverseReactionReported", "AdverseReactionThresholdReached", "ReleaseBlocked"})

_STATE_KINDS = {int(LifecycleState.STOPPED): WatchKind.BATCH_STOPPED,
                int(LifecycleState.RECALLED): WatchKind.BATCH_RECALLED,
                int(LifecycleState.LISTED): WatchKind.BATCH_RELEASED}


@dataclass(frozen=True)
class WatchEvent:
    """One domain event for the watching organisation.

    :param event_id: ``"<block>-<n>"``: the n-th (1-based) suite log of its block.
    :param event: the contract event's name; ``args`` its arguments (JSON values, ids as 0x-hex).
    """

    kind: WatchKind
    event_id: str
    block_number: int
    transaction_hash: str
    event: str
    batch_id: str | None
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "kind": self.kind.value, "block": self.block_number,
                "tx": self.transaction_hash, "event": self.event, "batch": self.batch_id, "args": self.args}


class Watch:
    """An iterator of :class:`WatchEvent` (see the module docstring); close it when done.

    :param org: the organisation (social credit code or 0x id); ``None`` = every event of the kinds.
    :param kinds: which kinds to yield (default all).
    :param from_block: first block (default: the head); ``checkpoint`` (from :attr:`checkpoint`) resumes instead.
    """

    def __init__(self, service: Any, *, org: str | bytes | None = None, kinds: Iterable[WatchKind] | None = None,
                 from_block: int | None = None, to_block: int | None = None, checkpoint: Any = None,
                 push: bool | None = None, poll_interval: float = 0.5) -> None:
        suite = service.suite
        self._client = service.client
        self._decoder = suite.decoder
        self.org = id_hex(org_ref(org)) if org is not None else None
        self.kinds = frozenset(kinds) if kinds is not None else frozenset(WatchKind)
        addresses = self._decoder.addresses
        start = checkpoint.block if checkpoint is not None else (
            self._client.block_number() if from_block is None else from_block)
        self._held: set[str] = set()
        self._recalls: dict[int, str] = {}
        if start > 0:
            self._learn(self._client.get_logs(0, start - 1, addresses, None))
        if checkpoint is not None and checkpoint.delivered:
            # the events of the checkpoint's block that were already delivered are skipped below:
            # learn from them here, and from no later one
            same_block = self._client.get_logs(start, start, addresses, None)
            self._learn(sorted(same_block, key=lambda g: g.log_index or 0)[:checkpoint.delivered])
        self._sub = self._client.subscribe_logs(addresses, None, start, to_block=to_block, checkpoint=checkpoint,
                                                push=push, poll_interval=poll_interval)

    @property
    def checkpoint(self) -> Any:
        """Where to resume: pass it back as ``checkpoint`` (``Checkpoint.to_json`` to persist)."""
        return self._sub.checkpoint

    @property
    def mode(self) -> str:
        return str(self._sub.mode)

    def _learn(self, logs: Iterable[Any]) -> None:
        for log in logs:
            decoded = self._decoder.decode_args(log)
            if decoded is not None:
                self._update(decoded[1], decoded[2])

    def _update(self, name: str, args: dict[str, Any]) -> None:
        if name == "BatchCommitted" and (self.org is None or args.get("mahOrgId") == self.org):
            self._held.add(args["batchId"])
        elif name == "HoldingCredited" and (self.org is None or args.get("orgId") == self.org):
            self._held.add(args["batchId"])
        elif name == "ShipmentReceived" and (self.org is None or args.get("toOrgId") == self.org):
            self._held.add(args["batchId"])
        elif name == "RecallOpened":
            self._recalls[int(args["recallId"])] = args["batchId"]

    def _holds(self, batch: str | None) -> bool:
        return self.org is None or (batch is not None and batch in self._held)

    def _classify(self, name: str, args: dict[str, Any]) -> tuple[WatchKind, str | None] | None:
        batch = args.get("batchId")
        if name == "BatchStateChanged":
            kind = _STATE_KINDS.get(int(args.get("to", -1)))
            return (kind, batch) if kind is not None and self._holds(batch) else None
        if name == "ShipmentDispatched":
            return (WatchKind.SHIPMENT_INCOMING, batch) if self.org is None or args.get("toOrgId") == self.org else None
        if name == "RecallNoticeIssued":
            recalled = self._recalls.get(int(args["recallId"]))
            return (WatchKind.RECALL_NOTICE, recalled) if self._holds(recalled) else None
        if name in ALERT_EVENTS:
            mine = self._holds(batch) or (self.org is not None and self.org in (args.get("orgId"), args.get("reporterOrgId")))
            return (WatchKind.ALERT, batch) if mine else None
        return None

    def get(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event for this organisation, or ``None`` when ``timeout`` passes without one.

        :raises StopIteration: ``to_block`` passed, or closed.
        """
        while True:
            log = self._sub.get(timeout=timeout)
            if log is None:
                return None
            decoded = self._decoder.decode_args(log)
            if decoded is None:
                continue
            _contract, name, args = decoded
            self._update(name, args)
            found = self._classify(name, args)
            if found is None or found[0] not in self.kinds:
                continue
            position = self._sub.checkpoint
            return WatchEvent(found[0], f"{position.block}-{position.delivered}", int(log.block_number or 0),
                              str(log.transaction_hash), name, found[1], args)

    def __iter__(self) -> Iterator[WatchEvent]:
        return self

    def __next__(self) -> WatchEvent:
        event = self.get()
        assert event is not None
        return event

    def close(self) -> None:
        self._sub.close()

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
