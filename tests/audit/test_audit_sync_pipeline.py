"""The pipelined sync (pages fetched ahead by threads, headers with them) builds exactly the index
an unpipelined, one-range-at-a-time read builds: same events (same order, same seq), same block
anchors, same projections, same meta — over HTTP to a served dev chain and in-process, on a 3.9
node (getLogs) and a 3.7 node (blocks and receipts), in one sync or several."""

from __future__ import annotations

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.audit import sync as sync_module
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.sync import sync_index
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.errors import TransportError

TABLES = ("events", "blocks", "holdings", "shipments", "batch_owners", "case_figures", "destructions", "meta")


@pytest.fixture(scope="module", params=["3.9", "3.7"], ids=["node-3.9", "node-3.7"])
def played(request, tmp_path_factory):
    """The story (recall, recoveries, destruction, dispenses) on a dev chain, served over HTTP."""
    home = tmp_path_factory.mktemp("pipeline")
    chain = DevChain(DevChainConfig(compat=request.param))
    local = connect(Settings(), handler=chain.handle_raw)
    result = play_story(local, [LocalSigner(k) for k in dev_keypairs(len(ACTORS))], home, units=60)
    handle = serve(chain, port=0)
    yield chain, handle.url, result.services["regulator"]
    handle.stop()
    local.close()
    chain.close()


def _serial_sync(index: AuditIndex, client, decoder, first: int, head: int, step: int) -> int:
    """The reference: each range read whole, then its blocks' headers one by one, then stored."""
    events_total = 0
    for a in range(max(index.last_block + 1, first), head + 1, step):
        b = min(a + step - 1, head)
        logs = client.get_logs(a, b, decoder.addresses, None)
        blocks: dict[int, tuple[str, int | None]] = {}
        positions: dict[str, int] = {}
        events = []
        for log in logs:
            if log.block_number not in blocks:
                header = client.get_block_by_number(log.block_number, only_header=True)
                blocks[log.block_number] = (header.hash, header.timestamp)
            tx = log.transaction_hash.lower()
            positions[tx] = positions.get(tx, -1) + 1
            event = decoder.decode(log, position=positions[tx], ts_ms=blocks[log.block_number][1])
            if event is not None:
                events.append(event)
        if b not in blocks:
            header = client.get_block_by_number(b, only_header=True)
            blocks[b] = (header.hash, header.timestamp)
        index.append(events, blocks, b)
        events_total += len(events)
    return events_total


def _dump(index: AuditIndex) -> dict[str, list[tuple]]:
    """Every table of the index, each row in full, in the order of all its columns (events: seq)."""
    tables = [name for (name,) in index.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert set(TABLES) <= set(tables)
    out = {}
    for table in tables:
        width = len(index.db.execute(f"SELECT * FROM {table} LIMIT 0").description)
        order = ", ".join(str(i) for i in range(1, width + 1))
        out[table] = [tuple(r) for r in index.db.execute(f"SELECT * FROM {table} ORDER BY {order}")]
    return out


def _client(chain: DevChain, url: str, over_http: bool):
    return connect(Settings(urls=(url,))) if over_http else connect(Settings(), handler=chain.handle_raw)


@pytest.mark.parametrize("over_http", [True, False], ids=["http", "in-process"])
@pytest.mark.parametrize("step, cuts", [(1000, ()), (7, ()), (1, ()), (500, (0.3, 0.6))],
                         ids=["one-range", "step-7", "step-1", "three-syncs"])
def test_the_pipelined_sync_gives_the_serial_index(played, tmp_path, over_http, step, cuts) -> None:
    chain, url, regulator = played
    client = _client(chain, url, over_http)
    decoder = regulator.suite.full_decoder()
    first = regulator.deployment.block_number
    head = client.block_number()
    with AuditIndex(tmp_path / "serial.sqlite") as serial, AuditIndex(tmp_path / "piped.sqlite") as piped:
        expected = _serial_sync(serial, client, decoder, first, head, step)
        got = 0
        for stop in [first + int((head - first) * c) for c in cuts] + [head]:
            got += sync_index(piped, client, decoder, start_block=first, to_block=stop, step=step).events
        assert got == expected > 50
        want, have = _dump(serial), _dump(piped)
        assert {t: len(rows) for t, rows in have.items()} == {t: len(rows) for t, rows in want.items()}
        assert have == want
        assert {"UnitDispensed", "RecallOpened", "DestructionConfirmed"} <= {r[7] for r in have["events"]}
        assert piped.last_block == head and piped.event_count == expected
    client.close()


def test_pages_ahead_are_bounded_and_consumed_in_block_order(played, tmp_path, monkeypatch) -> None:
    chain, url, regulator = played
    client = _client(chain, url, True)
    asked: list[tuple[int, int]] = []
    inner = client.get_logs

    def recording(a, b, addresses, topics=None):
        asked.append((a, b))
        return inner(a, b, addresses, topics)

    monkeypatch.setattr(client, "get_logs", recording)
    decoder = regulator.suite.full_decoder()
    first = regulator.deployment.block_number
    progress: list[tuple[int, int]] = []
    with AuditIndex(tmp_path / "piped.sqlite") as index:
        sync_index(index, client, decoder, start_block=first, step=25, on_progress=lambda d, t: progress.append((d, t)))
        head = client.block_number()
    # every block asked for once, in pages of the client's log_page_blocks that never straddle a range
    pages = sorted(asked)
    assert len(set(pages)) == len(pages) and pages[0][0] == first and pages[-1][1] == head
    assert all(b2 + 1 == a1 for (_, b2), (a1, _) in zip(pages, pages[1:]))
    assert all(b - a < client.log_page_blocks and (a - first) // 25 == (b - first) // 25 for a, b in pages)
    assert progress[-1] == (head - first + 1, head - first + 1)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    client.close()


def test_a_failed_page_stops_the_sync_after_the_ranges_before_it(played, tmp_path, monkeypatch) -> None:
    chain, url, regulator = played
    client = _client(chain, url, True)
    decoder = regulator.suite.full_decoder()
    first = regulator.deployment.block_number
    head = client.block_number()
    broken = first + 45  # in the third page of the second range of 25 blocks: two pages were stored
    assert head > broken and client.log_page_blocks == 10
    inner = client.get_logs

    def failing(a, b, addresses, topics=None):
        if a <= broken <= b:
            raise TransportError("node went away")
        return inner(a, b, addresses, topics)

    monkeypatch.setattr(client, "get_logs", failing)
    monkeypatch.setattr(sync_module, "LOOKAHEAD", 12)  # the failing page is fetched while range 1 is stored
    with AuditIndex(tmp_path / "piped.sqlite") as index:
        with pytest.raises(TransportError, match="node went away"):
            sync_index(index, client, decoder, start_block=first, step=25)
        # the second range's transaction is rolled back whole: its first two pages are not kept
        assert index.last_block == first + 24
        stored = index.db.execute("SELECT MAX(block_number) FROM events").fetchone()[0]
        anchored = index.db.execute("SELECT MAX(number) FROM blocks").fetchone()[0]
        assert stored is not None and stored <= first + 24 and anchored == first + 24
        assert index.event_count == index.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    client.close()
