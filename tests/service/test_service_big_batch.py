"""A 100,000-unit batch: validated, hashed, stored and committed; the last unit dispenses.

How long it takes is a benchmark figure (bench/bench_manifest.py, bench/gas_report.py), not a test bound."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import TraceCodeError


@pytest.mark.slow
def test_100k_codes_register_and_dispense_the_last(market) -> None:
    man, pharm = market.svc["manufacturer"], market.svc["pharmacy"]
    product = market.svc["regulator"].register_product("BIG-1", "box", market.orgs["manufacturer"],
                                                       min_temp=20, max_temp=80)
    codes = story_codes(100_000, "8160999")
    stages: dict[str, int] = {}
    reg = man.register_batch(product.product_id, "BIG", codes, production_date=1, expiry_date=2 * 10**12,
                             expected_prefix="8160999",
                             on_progress=lambda stage, done, total: stages.__setitem__(stage, done))
    assert reg.batch.unit_count == 100_000
    assert stages == {"validate": 100_000, "hash": 100_000, "store": 100_000, "commit": 1}
    man.define_process(product.product_id, 1, b"\x9f" * 32)
    market.svc["regulator"].approve_process(product.product_id, b"\x9f" * 32)
    man.pass_release_gate(reg.batch.batch_id)
    man.release_batch(reg.batch.batch_id)
    # the whole batch to the pharmacy: only the holder of the last code dispenses it (D9)
    s = man.dispatch(reg.batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 100_000)
    pharm.receive(s.shipment_id)
    assert pharm.held_ranges(reg.batch.batch_id, market.orgs["pharmacy"]) == [(0, 100_000)]
    last = pharm.dispense(codes[-1])
    assert last.dispensed and last.index == 99_999
    with pytest.raises(TraceCodeError) as info:  # the same codes cannot go into a second batch
        man.register_batch(product.product_id, "BIG-AGAIN", codes[:10], production_date=1, expiry_date=2)
    assert "already in batch" in info.value.problems[0][2]
