"""Rules across calls that a regulator, an auditor or a court relies on (issue 12, defects 2-9):
each test here fails on the suite as it was before the issue."""

from __future__ import annotations

from typing import Any

import pytest

from harness import DAY_MS, Contract, Reverted, address_of
from model import Kind, RecallKind, State
from world import REGION_A, REGION_B, Scene

Z32 = bytes(32)
EVIDENCE = b"\x61" * 32


def refused(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


# --------------------------------------------------------------------------- defect 8


def test_mah_stops_its_own_product_for_a_voluntary_product_wide_recall(scene: Scene) -> None:
    w, p = scene.w, scene.product
    r = w.drugs.transact("transitionProduct", p, int(State.STOPPED), 0, EVIDENCE, sender=w.acct("man"))
    assert r.one("ProductStateChanged")["byOrgId"] == w.org("man")  # recorded as the MAH's decision
    assert w.drugs.call("stopAuthority", p) == w.org("man")
    rid = w.open_recall(p, Z32, 2, by="man")
    assert w.recalls.call("getRecall", rid)[5] == int(RecallKind.VOLUNTARY)
    assert w.product_state(p) == State.RECALLED
    # another MAH cannot stop a product that is not its own; the MAH cannot lift its stop (T2 is regulators')
    other = w.register_product("国药准字Z20260002", "1支", mah="man_b")
    assert refused(w.drugs, "transitionProduct", other, int(State.STOPPED), 0, Z32, sender=w.acct("man")) == \
        ("DrugRegistryNotProductHolder", (other, w.org("man")))
