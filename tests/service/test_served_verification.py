"""Served verification (``drugtrace.served``): answered from the code store, the proof files and
the audit index as of its last block — the same verdict and record as the chain gives when the
index is in step, "as of block N" when it is behind, and never a false counterfeit."""

from __future__ import annotations

import dataclasses

import pytest

from fisco_drugtrace.drugtrace import RecallLevel, UnitState, Verdict
from fisco_drugtrace.drugtrace.merkle import level_sizes
from fisco_drugtrace.drugtrace.served import IndexedVerifier, ProofFile
from fisco_drugtrace.errors import ConnectError
from multiparty_helpers import other_home, released_batch


@pytest.fixture
def served(market, tmp_path, store_backend):
    """A verifying server's home: the batch's manifest imported, the index synced, proof files laid
    out; its code store and audit index in SQLite files or in PostgreSQL (every test runs on both)."""
    batch, codes = released_batch(market, units=37)  # an odd count: levels carry nodes up
    home = other_home(market, tmp_path / "server", stores=store_backend)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    home.audit_sync()
    verifier = IndexedVerifier(lambda: home)
    assert verifier.refresh() == 1
    yield home, verifier, batch, codes
    verifier.close()
    home.close()


def _node_down(*_args, **_kwargs):
    raise ConnectError("connection refused (test: the node is down)")


def test_a_genuine_listed_code_is_what_the_chain_says_with_block_and_proof(served, market) -> None:
    home, verifier, batch, codes = served
    found = verifier.verify(codes[5])
    chain = home.verify_code(codes[5])
    assert (found.verdict, found.state, found.usable, found.index) == (Verdict.GENUINE, UnitState.LISTED, True, 5)
    assert (found.verdict, found.state, found.index, found.listed, found.dispensed, found.expired) == \
           (chain.verdict, chain.state, chain.index, chain.listed, chain.dispensed, chain.expired)
    assert found.product == chain.product and found.batch == chain.batch and found.history == chain.history
    assert found.as_of_block == market.client.block_number() and chain.as_of_block is None
    committed = home.suite.drugs.get_events(0, market.client.block_number(), "BatchCommitted", [batch.batch_id])
    assert found.evidence is not None and found.evidence.proof_checked
    assert found.evidence.committed_block == committed[0].log.block_number
    assert found.evidence.committed_tx == str(committed[0].log.transaction_hash).lower()
    assert found.evidence.proof_length == len(home.codes.proof(batch.batch_id, 5))
    assert found.evidence.dispensed_block is None


def test_the_proof_file_gives_the_code_stores_proofs(served) -> None:
    home, verifier, batch, codes = served
    path = verifier.proof_dir() / f"{batch.batch_id.hex()}.proof"
    file = ProofFile(path)
    try:
        assert file.unit_count == len(codes) and file.root == batch.unit_root
        assert file.sizes == level_sizes(len(codes))
        for i in range(len(codes)):
            assert file.proof(i) == home.codes.proof(batch.batch_id, i), i
        with pytest.raises(IndexError):
            file.proof(len(codes))
    finally:
        file.close()
    assert verifier.refresh() == 0  # in step: nothing rebuilt


def test_a_dispense_shows_once_the_index_has_it_and_until_then_says_as_of_which_block(served, market) -> None:
    home, verifier, batch, codes = served
    man, pharmacy = market.svc["manufacturer"], market.svc["pharmacy"]
    shipment = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 3)
    pharmacy.receive(shipment.shipment_id)
    behind = home.audit_sync().to_block
    sold = pharmacy.dispense(codes[0])
    head = market.client.block_number()
    assert behind < head
    stale = verifier.verify(codes[0])
    # the index is behind the chain: the answer says so, with the block it rests on
    assert stale.verdict is Verdict.GENUINE and stale.state is UnitState.LISTED and stale.as_of_block == behind
    assert any(f"shipment #{shipment.shipment_id}: 3 units" in h and "received" in h for h in stale.history)
    assert home.verify_code(codes[0]).state is UnitState.DISPENSED
    home.audit_sync()
    found = verifier.verify(codes[0])
    assert (found.verdict, found.state, found.dispensed, found.usable) == (Verdict.GENUINE, UnitState.DISPENSED, True,
                                                                          False)
    assert found.as_of_block == head
    assert found.evidence.dispensed_block == head and found.evidence.dispensed_tx == sold.tx.tx_hash.lower()
    assert verifier.verify(codes[1]).state is UnitState.LISTED


def test_a_recalled_batch_with_its_open_case(served, market) -> None:
    home, verifier, batch, codes = served
    market.svc["regulator"].stop(batch.batch_id, reason_id=3)
    before = verifier.verify(codes[2])
    assert before.state is UnitState.LISTED and before.recalls == ()  # not yet synced: as of the earlier block
    case = market.svc["manufacturer"].open_recall(RecallLevel.I, batch=batch.batch_id)
    home.audit_sync()
    found = verifier.verify(codes[2])
    assert (found.verdict, found.state, found.usable, found.listed) == (Verdict.GENUINE, UnitState.RECALLED, False,
                                                                       False)
    assert [c.recall_id for c in found.recalls] == [case.recall_id] and found.recalls[0].level == "I"
    assert found.batch.state == home.get_batch(batch.batch_id).state
    assert found.state is home.verify_code(codes[2]).state


def test_counterfeit_only_as_the_chain_proves_it(served, market) -> None:
    home, verifier, batch, codes = served
    forged = codes[0][:7] + "999999999" + "0000"
    found = verifier.verify(forged)
    assert found.verdict is Verdict.COUNTERFEIT and found.as_of_block is None  # proven up to the chain's head
    assert verifier.verify(forged, chain=False) is None  # an event loop is told to ask from a thread
    assert verifier.verify("8160347000000001791X").verdict is Verdict.COUNTERFEIT
    unknown = verifier.verify("8299999" + "000000001" + "0000")
    assert unknown.verdict is Verdict.CANNOT_TELL and "batch import-manifest" in unknown.reason


def test_never_a_false_counterfeit_when_the_chain_is_down(served, monkeypatch) -> None:
    home, verifier, batch, codes = served
    monkeypatch.setattr(home, "verify_code", _node_down)
    forged = codes[0][:7] + "999999999" + "0000"
    found = verifier.verify(forged)
    assert found.verdict is Verdict.CANNOT_TELL and "cannot be asked" in found.reason
    assert found.as_of_block == verifier.as_of_block()
    # the genuine codes still verify: nothing of theirs is read from the chain
    assert verifier.verify(codes[3]).verdict is Verdict.GENUINE


def test_a_batch_the_index_has_not_seen_is_asked_of_the_chain_or_cannot_tell(market, tmp_path, monkeypatch,
                                                                             store_backend) -> None:
    batch, codes = released_batch(market, units=8)
    home = other_home(market, tmp_path / "fresh", stores=store_backend)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    verifier = IndexedVerifier(lambda: home)
    try:
        assert verifier.as_of_block() == 0  # never synced
        assert verifier.verify(codes[1], chain=False) is None
        assert verifier.verify(codes[1]).verdict is Verdict.GENUINE  # the chain vouches, read at its head
        monkeypatch.setattr(home, "verify_code", _node_down)
        found = verifier.verify(codes[1])
        assert found.verdict is Verdict.CANNOT_TELL and found.missing_batches == (batch.batch_id,)
        assert "as of block 0" in found.reason and "has not seen committed" in found.reason
    finally:
        verifier.close()
        home.close()


def test_a_damaged_proof_file_is_cannot_tell_never_counterfeit(served) -> None:
    home, verifier, batch, codes = served
    path = verifier.proof_dir() / f"{batch.batch_id.hex()}.proof"
    verifier.close()  # drop the mapped file, then damage one leaf's sibling on disk
    data = bytearray(path.read_bytes())
    data[ProofFile.HEADER + 32 * 1] ^= 0xFF  # leaf 1: the level-0 sibling of leaf 0
    path.write_bytes(bytes(data))
    damaged = IndexedVerifier(lambda: home)
    try:
        found = damaged.verify(codes[0])
        assert found.verdict is Verdict.CANNOT_TELL and "does not prove" in found.reason
        assert damaged.verify(codes[4]).verdict is Verdict.GENUINE  # another path through the tree
        assert damaged.refresh() == 0  # the header still matches: the server cannot see the damage ...
        path.unlink()
        damaged.close()
        rebuilt = IndexedVerifier(lambda: home)
        assert rebuilt.verify(codes[0]).verdict is Verdict.GENUINE  # ... without it, the code store's levels
        assert rebuilt.refresh() == 1 and rebuilt.verify(codes[0]).verdict is Verdict.GENUINE
        rebuilt.close()
    finally:
        damaged.close()


def test_a_served_answer_serialises_like_the_chains(served) -> None:
    home, verifier, batch, codes = served
    found = dataclasses.asdict(verifier.verify(codes[6]))
    chain = dataclasses.asdict(home.verify_code(codes[6]))
    assert set(found) == set(chain)
    assert found["evidence"]["proof_checked"] is True and chain["evidence"] is None


def test_decommissioned_units_read_as_the_chain_says(served, market) -> None:
    """A unit recorded destroyed, stolen, lost or sampled (issue 12): the index-backed answer is
    the chain-backed one — never "listed", never "dispensed"."""
    home, verifier, batch, codes = served
    man, reg = market.svc["manufacturer"], market.svc["regulator"]
    man.decommission([codes[20]], "destroyed")
    man.decommission([codes[21], codes[22]], "stolen")
    man.decommission([codes[23]], "lost")
    reg.decommission([codes[24]], "sampled", holder=market.orgs["manufacturer"])
    home.audit_sync()
    expected = {20: UnitState.UNIT_DESTROYED, 21: UnitState.STOLEN, 22: UnitState.STOLEN, 23: UnitState.LOST,
                24: UnitState.SAMPLED, 25: UnitState.LISTED}
    for i, state in expected.items():
        found, chain = verifier.verify(codes[i]), home.verify_code(codes[i])
        assert (found.verdict, found.state, found.dispensed, found.usable) == \
               (chain.verdict, chain.state, chain.dispensed, chain.usable) == \
               (Verdict.GENUINE, state, False, state is UnitState.LISTED), i
        assert found.reason == chain.reason and found.evidence.dispensed_block is None


def test_one_statement_gives_the_answers_of_the_store_by_store_questions(served, market) -> None:
    """The served path's one statement (``served_lookup``: code store and index together) against
    the three questions asked store by store, on both backends: same block, slot and leaving
    event for listed, dispensed, decommissioned and unknown codes, and the same verifications."""
    home, verifier, batch, codes = served
    man, pharmacy = market.svc["manufacturer"], market.svc["pharmacy"]
    shipment = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 4)
    pharmacy.receive(shipment.shipment_id)
    pharmacy.dispense(codes[0])
    man.decommission([codes[30]], "destroyed")
    behind = home.audit_sync().to_block
    pharmacy.dispense(codes[1])  # after the index's block: neither path may see it yet
    reference = IndexedVerifier(lambda: home)
    reference.one_statement = False
    try:
        assert verifier._lookup() is not None and reference._lookup() is None
        unknown = "8299999" + "000000001" + "0000"
        for code in [*codes, unknown]:
            unit_hash = home.chain_hash(code.encode("ascii"))
            fast, slow = verifier.unit_facts(unit_hash), reference.unit_facts(unit_hash)
            assert fast == slow, code
            assert fast.block == behind
            if code == unknown:
                assert fast.slot is None and fast.gone is None
            else:
                assert fast.slot == (batch.batch_id, codes.index(code))
            assert (fast.gone is not None) == (code in (codes[0], codes[30])), code
            found, expected = verifier.verify(code), reference.verify(code)
            assert dataclasses.asdict(found) == dataclasses.asdict(expected), code
        assert verifier.verify(codes[0]).state is UnitState.DISPENSED
        assert verifier.verify(codes[1]).state is UnitState.LISTED  # sold after block `behind`
        assert verifier.verify(codes[30]).state is UnitState.UNIT_DESTROYED
        home.audit_sync()
        assert verifier.verify(codes[1]).state is reference.verify(codes[1]).state is UnitState.DISPENSED
    finally:
        reference.close()


def test_a_dropped_database_connection_is_opened_again(served, store_backend) -> None:
    """The lookup's connection is kept open per thread; when the server drops it (a restart, an
    idle timeout) the next scan opens another and is answered, not failed."""
    if store_backend.name != "postgresql":
        pytest.skip("SQLite files have no connection to lose")
    import psycopg

    home, verifier, batch, codes = served
    assert verifier.verify(codes[2]).verdict is Verdict.GENUINE
    first = verifier._lookup()
    with psycopg.connect(store_backend.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first._raw.pgconn.backend_pid,))
    found = verifier.verify(codes[3])
    assert found.verdict is Verdict.GENUINE and found.index == 3
    assert first.broken and verifier._lookup() is not first
