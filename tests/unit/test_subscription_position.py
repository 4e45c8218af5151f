"""The rule that makes resume and reconnect exact (``client.subscribe._Position``): a hypothesis
state machine re-reads a chain's events from the block being received after arbitrary
disconnects and checkpoint restarts, and must hand out every event exactly once, in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.client.subscribe import Checkpoint, _Position
from fisco_drugtrace.types import Address, Log

_chains = st.lists(st.integers(0, 4), min_size=1, max_size=12)  # events per block, blocks 1..n


def _logs(counts: list[int]) -> list[Log]:
    out = []
    for block, count in enumerate(counts, start=1):
        out.extend(Log(Address("0x" + "00" * 20), (i.to_bytes(32, "big"),), b"", block_number=block) for i in range(count))
    return out


@given(_chains, st.lists(st.integers(0, 30), max_size=6))
def test_reconnects_at_any_point_deliver_each_event_once(counts: list[int], cuts: list[int]) -> None:
    events = _logs(counts)
    position = _Position(Checkpoint(1, 0))
    got: list[Log] = []
    start = 1
    for cut in [*cuts, None]:  # each connection drops after ``cut`` pushed events (None: never)
        pushed = [e for e in events if (e.block_number or 0) >= start]
        for index, event in enumerate(pushed):
            if cut is not None and index >= cut:
                break
            if position.admit(event):
                got.append(event)
        else:
            break
        start = position.restart()  # re-subscribe from the block being received
    assert got == events


@given(_chains, st.integers(0, 60))
def test_checkpoint_restart_hands_out_the_rest_exactly(counts: list[int], taken: int) -> None:
    events = _logs(counts)
    taken = min(taken, len(events))
    delivered = events[:taken]
    if delivered:
        last = delivered[-1].block_number or 0
        checkpoint = Checkpoint(last, sum(1 for e in delivered if e.block_number == last))
    else:
        checkpoint = Checkpoint(1, 0)
    position = _Position(checkpoint)
    rest = [e for e in events if (e.block_number or 0) >= checkpoint.block and position.admit(e)]
    assert delivered + rest == events
