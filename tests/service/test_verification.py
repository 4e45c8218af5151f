"""``verify_code`` never lies: genuine (with state), counterfeit only when the chain proves it,
otherwise "cannot tell here" naming what to import."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace import TraceService, UnitState, Verdict
from fisco_drugtrace.errors import CodeNotGenuine
from multiparty_helpers import DAY, other_home, released_batch


def test_a_home_without_the_manifest_cannot_tell_never_counterfeit(market, tmp_path, store_backend) -> None:
    batch, codes = released_batch(market)
    stranger = other_home(market, tmp_path, stores=store_backend)
    for code in (codes[0], codes[0][:7] + "9" * 13):
        found = stranger.verify_code(code)
        assert found.verdict is Verdict.CANNOT_TELL and not found.genuine and not found.usable
        assert "batch import-manifest" in found.reason and codes[0][:7] in found.reason
    with pytest.raises(CodeNotGenuine) as err:
        stranger.trace_unit(codes[0])
    assert err.value.verdict == "cannot_tell_here"


def test_with_the_manifest_the_unit_is_genuine_and_listed(market, tmp_path, store_backend) -> None:
    batch, codes = released_batch(market)
    home = other_home(market, tmp_path, stores=store_backend)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    found = home.verify_code(codes[2])
    assert (found.verdict, found.state, found.usable, found.index) == (Verdict.GENUINE, UnitState.LISTED, True, 2)
    assert found.batch_id == batch.batch_id and found.listed and not found.dispensed


def test_counterfeit_only_when_every_batch_of_the_prefix_is_held(market, tmp_path, store_backend) -> None:
    batch, codes = released_batch(market)
    home = other_home(market, tmp_path, stores=store_backend)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    forged = codes[0][:7] + "999999999" + "0000"
    found = home.verify_code(forged)
    assert found.verdict is Verdict.COUNTERFEIT and "1 batches" in found.reason
    scanned = home.codes.committed_scanned_to()
    assert scanned == market.client.block_number()  # the committed batches are read once, then kept
    with pytest.raises(CodeNotGenuine) as err:
        home.trace_unit(forged)
    assert err.value.verdict == "counterfeit"
    # a second batch of the same product is committed: until its manifest is here, no verdict
    second, second_codes = released_batch(market, prefix=codes[0][:7], product=home.get_product(batch.product_id))
    found = home.verify_code(forged)
    assert found.verdict is Verdict.CANNOT_TELL and found.missing_batches == (second.batch_id,)
    assert home.verify_code(second_codes[0]).verdict is Verdict.CANNOT_TELL
    home.import_manifest(market.svc["manufacturer"].export_manifest(second.batch_id))
    assert home.verify_code(forged).verdict is Verdict.COUNTERFEIT
    assert home.verify_code(second_codes[0]).verdict is Verdict.GENUINE


@pytest.mark.parametrize("code", ["123", "8160347000000001791X", "816034700000000179190", "８１６０３４７０００００００１７９１９"])
def test_a_malformed_code_is_counterfeit(market, tmp_path, code: str) -> None:
    found = TraceService(market.client, None, market.svc["regulator"].address_book,
                         home=market.home).verify_code(code)
    assert found.verdict is Verdict.COUNTERFEIT and "not a traceability code" in found.reason


def test_genuine_units_carry_their_state(market) -> None:
    man, reg, pharm = market.svc["manufacturer"], market.svc["regulator"], market.svc["pharmacy"]
    batch, codes = released_batch(market)
    s = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 3)
    pharm.receive(s.shipment_id)
    pharm.dispense(codes[1])
    assert pharm.verify_code(codes[1]).state is UnitState.DISPENSED
    assert not pharm.verify_code(codes[1]).usable and pharm.verify_code(codes[1]).history
    reg.stop(batch.batch_id)
    stopped = pharm.verify_code(codes[2])
    assert (stopped.verdict, stopped.state, stopped.usable) == (Verdict.GENUINE, UnitState.STOPPED, False)
    later = TraceService(market.client, None, man.address_book, home=man.home, clock=lambda: man.now_ms() + 400 * DAY)
    fresh, fresh_codes = released_batch(market)
    assert later.verify_code(fresh_codes[0]).state is UnitState.EXPIRED
    unreleased_product = man.get_product(fresh.product_id)
    n_codes = [c[:7] + "77777" + c[12:] for c in fresh_codes[:3]]
    committed = man.register_batch(unreleased_product.product_id, "UNREL", n_codes, production_date=0,
                                   expiry_date=man.now_ms() + DAY).batch
    assert man.verify_code(n_codes[0]).state is UnitState.NOT_RELEASED and committed.unit_count == 3


def test_recalled_and_deregistered_units_say_so_from_the_chain(market) -> None:
    """Issue 13 item 3's states a chain-backed check gives after a recall opens and after the
    product's approval is cancelled: genuine, not to be used, and which."""
    from fisco_drugtrace.drugtrace.models import RecallLevel

    man, reg = market.svc["manufacturer"], market.svc["regulator"]
    batch, codes = released_batch(market)
    reg.stop(batch.batch_id)
    reg.open_recall(RecallLevel.I, batch=batch.batch_id)
    recalled = man.verify_code(codes[0])
    assert (recalled.verdict, recalled.state, recalled.usable) == (Verdict.GENUINE, UnitState.RECALLED, False)
    other, other_codes = released_batch(market)
    reg.stop(other.product_id, product=True)
    reg.deregister(other.product_id)
    gone = man.verify_code(other_codes[0])
    assert (gone.verdict, gone.state, gone.usable) == (Verdict.GENUINE, UnitState.DEREGISTERED, False)
    assert "approval was cancelled" in gone.reason


def test_a_local_list_that_does_not_prove_against_the_chain_cannot_tell(market, tmp_path) -> None:
    batch, codes = released_batch(market)
    home = other_home(market, tmp_path)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    home.codes._db.execute("UPDATE levels SET nodes = zeroblob(length(nodes)) WHERE batch_id = ? AND level = 0",
                           (batch.batch_id,))
    found = home.verify_code(codes[0])
    assert found.verdict is Verdict.CANNOT_TELL and "import the batch's manifest again" in found.reason


def test_no_counterfeit_verdict_from_a_list_that_is_not_the_chains(market, tmp_path) -> None:
    batch, codes = released_batch(market)
    home = other_home(market, tmp_path)
    home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    forged = codes[0][:7] + "999999999" + "0000"
    assert home.verify_code(forged).verdict is Verdict.COUNTERFEIT
    home.codes._db.execute("UPDATE batch_list SET root = zeroblob(32) WHERE batch_id = ?", (batch.batch_id,))
    found = home.verify_code(forged)
    assert found.verdict is Verdict.CANNOT_TELL and found.missing_batches == (batch.batch_id,)
