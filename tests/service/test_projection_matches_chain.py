"""Property: after any sequence of custody operations, the auditor's projected holdings equal the
CustodyLedger's own ``holdingOf`` for every holder (the chain is the oracle)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, event, given, settings, strategies as st

from fisco_drugtrace.drugtrace import ObservationPoint, ObservationResult
from fisco_drugtrace.drugtrace.audit import where_is
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import ContractRevert

_lot = itertools.count(1)
UNITS = 40


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_projection_equals_chain_holdings(market, data) -> None:
    svc, orgs = market.svc, market.orgs
    reg, man = svc["regulator"], svc["manufacturer"]
    n = next(_lot)
    product = reg.register_product(f"PROP-{n}", "box", orgs["manufacturer"], min_temp=20, max_temp=80)
    codes = story_codes(UNITS, f"{7000000 + n:07d}")
    now = man.now_ms()
    batch = man.register_batch(product.product_id, "P", codes, production_date=now,
                               expiry_date=now + 10**11).batch.batch_id
    man.define_process(product.product_id, 1, b"\x9f" * 32)
    reg.approve_process(product.product_id, b"\x9f" * 32)
    man.pass_release_gate(batch)
    man.release_batch(batch)  # T0b: the units reach the MAH's holding (HoldingCredited) only now
    holders = ["manufacturer", "distributor", "pharmacy", "hospital"]
    pending: list[int] = []
    next_unit = 0
    for _ in range(data.draw(st.integers(3, 14), label="steps")):
        op = data.draw(st.sampled_from(["ship", "return", "receive", "reject", "void", "dispense", "storage",
                                        "transport"]))
        try:
            if op == "ship":
                src = data.draw(st.sampled_from(["manufacturer", "distributor"]))
                dst = data.draw(st.sampled_from([h for h in holders[1:] if h != src]))
                qty = data.draw(st.integers(1, 15))
                pending.append(svc[src].dispatch(batch, orgs[dst], orgs["logistics"], qty).shipment_id)
            elif op == "return":
                src = data.draw(st.sampled_from(holders[1:]))
                qty = data.draw(st.integers(1, 10))
                pending.append(svc[src].dispatch_return(batch, orgs["manufacturer"], orgs["logistics"],
                                                        qty).shipment_id)
            elif op == "void" and pending:  # a regulator's void of a stuck shipment (issue 12)
                reg.void_shipment(pending.pop(data.draw(st.integers(0, len(pending) - 1))))
            elif op in ("receive", "reject") and pending:
                sid = pending.pop(data.draw(st.integers(0, len(pending) - 1)))
                s = reg.get_shipment(sid)
                to = next(h for h in holders if orgs[h] == s.to_org_id)
                if op == "reject":
                    svc[to].reject(sid)
                else:
                    svc[to].receive(sid, data.draw(st.integers(1, s.quantity)))
            elif op == "dispense" and next_unit < UNITS:
                who = data.draw(st.sampled_from(["pharmacy", "hospital"]))
                svc[who].dispense(codes[next_unit])
                next_unit += 1
            elif op == "storage":
                who = data.draw(st.sampled_from(holders))
                svc[who].observe(ObservationPoint.STORAGE, batch, ObservationResult.DEVIATION, min_value=0,
                                 max_value=120)
            elif op == "transport" and pending:
                sid = data.draw(st.sampled_from(pending))
                svc["logistics"].observe(ObservationPoint.TRANSPORT, batch, ObservationResult.DEVIATION,
                                         shipment_id=sid, min_value=0, max_value=120)
            event(op)
        except ContractRevert:
            event(f"{op} refused")  # not enough stock, nothing quarantined to return, ...: the chain said no, nothing changed
    with reg.open_audit_index() as index:
        reg.audit_sync(index)
        projected = {h.org_id: (h.quantity, h.quarantined) for h in where_is(index, batch).holdings}
    for role in holders:
        chain = reg.holding(batch, orgs[role])
        assert projected.get("0x" + orgs[role].hex(), (0, 0)) == (chain.quantity, chain.quarantined), role
