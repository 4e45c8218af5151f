"""The national regulator binds a product to its 7-digit drug identifier code (药品标识码) on chain:
once per product, unique across products, 0 < code < 10^7, only the national regulator, with an
event; the two views read the binding both ways. Verification relies on it to call an absent code
counterfeit (issue 13 item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Contract, Reverted
from world import Scene

Z32 = bytes(32)


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def test_assignment_binds_both_ways_and_emits_the_event(scene: Scene) -> None:
    w, p = scene.w, scene.product
    assert w.drugs.call("drugCodeOf", p) == 0
    assert w.drugs.call("productOfDrugCode", 8160347) == Z32
    r = w.drugs.transact("assignDrugCode", p, 8160347, sender=w.acct("nat"))
    ev = r.one("DrugCodeAssigned")
    assert (ev["productId"], ev["drugCode"], ev["byOrgId"]) == (p, 8160347, w.org("nat"))
    assert w.drugs.call("drugCodeOf", p) == 8160347
    assert w.drugs.call("productOfDrugCode", 8160347) == p
    # nothing else about the product changed
    assert w.drugs.call("getProduct", p)[0] == w.org("man")


def test_a_code_is_assigned_once_per_product(scene: Scene) -> None:
    w, p = scene.w, scene.product
    w.drugs.transact("assignDrugCode", p, 1234567, sender=w.acct("nat"))
    assert reverts(w.drugs, "assignDrugCode", p, 7654321, sender=w.acct("nat")) == \
        ("DrugRegistryDrugCodeAlreadySet", (p, 1234567))
    assert reverts(w.drugs, "assignDrugCode", p, 1234567, sender=w.acct("nat")) == \
        ("DrugRegistryDrugCodeAlreadySet", (p, 1234567))
    assert w.drugs.call("productOfDrugCode", 7654321) == Z32


def test_a_code_belongs_to_one_product(scene: Scene) -> None:
    w, p = scene.w, scene.product
    other = w.register_product("国药准字H20269999", "20片/盒", mah="man_b")
    w.drugs.transact("assignDrugCode", p, 1234567, sender=w.acct("nat"))
    # another MAH's product cannot take it (that would make one prefix name two products)
    assert reverts(w.drugs, "assignDrugCode", other, 1234567, sender=w.acct("nat")) == \
        ("DrugRegistryDrugCodeTaken", (1234567, p))
    assert w.drugs.call("drugCodeOf", other) == 0
    w.drugs.transact("assignDrugCode", other, 1234568, sender=w.acct("nat"))
    assert w.drugs.call("productOfDrugCode", 1234568) == other


@pytest.mark.parametrize("code", [0, 10_000_000, 2**32 - 1])
def test_the_code_has_seven_digits(scene: Scene, code: int) -> None:
    w = scene.w
    assert reverts(w.drugs, "assignDrugCode", scene.product, code, sender=w.acct("nat")) == \
        ("DrugRegistryInvalidDrugCode", (code,))


def test_the_smallest_and_largest_codes_are_accepted(scene: Scene) -> None:
    w = scene.w
    other = w.register_product("国药准字H20269998", "1瓶")
    w.drugs.transact("assignDrugCode", scene.product, 1, sender=w.acct("nat"))
    w.drugs.transact("assignDrugCode", other, 9_999_999, sender=w.acct("nat"))
    assert w.drugs.call("productOfDrugCode", 1) == scene.product
    assert w.drugs.call("productOfDrugCode", 9_999_999) == other


def test_an_unknown_product_is_refused(scene: Scene) -> None:
    w = scene.w
    ghost = b"\x99" * 32
    assert reverts(w.drugs, "assignDrugCode", ghost, 1234567, sender=w.acct("nat")) == \
        ("DrugRegistryUnknownProduct", (ghost,))
    assert w.drugs.call("productOfDrugCode", 1234567) == Z32


@pytest.mark.parametrize("who", ["prov", "man", "man_b"])
def test_only_the_national_regulator_assigns(scene: Scene, who: str) -> None:
    # a provincial regulator or a MAH could squat another product's code: refused by kind
    w = scene.w
    name, _ = reverts(w.drugs, "assignDrugCode", scene.product, 1234567, sender=w.acct(who))
    assert name == "OrgRegistryUnauthorizedKind"
    assert w.drugs.call("drugCodeOf", scene.product) == 0
