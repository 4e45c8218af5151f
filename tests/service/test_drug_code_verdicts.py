"""Drug identifier codes bound to products on chain (issue 13 item 3, issue 14 item 2): an absent
code is counterfeit only when the chain binds its prefix to a product whose every committed batch
is held here; two products whose codes share a prefix never turn a genuine code counterfeit."""

from __future__ import annotations

import itertools

import pytest

from fisco_drugtrace.drugtrace import Verdict
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import ContractRevert, DrugCodeError, TraceCodeError
from multiparty_helpers import DAY, PROCESS, other_home, released_batch

_prefixes = (f"71{n:05d}" for n in itertools.count(1))


def _product(market, *, drug_code: str | None = None):
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    n = next(_prefixes)
    product = reg.register_product(f"国药准字D{n}", "1 box", market.orgs["manufacturer"], min_temp=20, max_temp=80,
                                   drug_code=drug_code)
    man.define_process(product.product_id, 1, PROCESS)
    reg.approve_process(product.product_id, PROCESS)
    return product


def _forged(code: str) -> str:
    return code[:7] + "999999999" + "0000"


def test_register_with_a_code_binds_it_both_ways(market) -> None:
    reg = market.svc["regulator"]
    prefix = next(_prefixes)
    product = _product(market, drug_code=prefix)
    assert reg.drug_code_of(product.product_id) == prefix
    assert reg.product_of_drug_code(prefix) == product.product_id
    assert reg.product_of_drug_code(int(prefix)) == product.product_id
    assert reg.product_of_drug_code(next(_prefixes)) is None


def test_a_taken_code_registers_nothing_and_a_second_assignment_is_refused(market) -> None:
    reg = market.svc["regulator"]
    prefix = next(_prefixes)
    first = _product(market, drug_code=prefix)
    with pytest.raises(DrugCodeError, match=f"{prefix} is already assigned"):
        reg.register_product("国药准字D-TAKEN", "1 box", market.orgs["manufacturer"], min_temp=20, max_temp=80,
                             drug_code=prefix)
    from fisco_drugtrace.drugtrace.ids import product_id
    from fisco_drugtrace.errors import NotFound
    with pytest.raises(NotFound):
        reg.get_product(product_id("国药准字D-TAKEN", "1 box"))
    other = _product(market)
    with pytest.raises(ContractRevert) as err:
        reg.assign_drug_code(other.product_id, prefix)
    assert err.value.error_name == "DrugRegistryDrugCodeTaken"
    assert bytes(err.value.args["productId"]) == first.product_id
    with pytest.raises(ContractRevert) as err:
        reg.assign_drug_code(first.product_id, next(_prefixes))
    assert err.value.error_name == "DrugRegistryDrugCodeAlreadySet"
    with pytest.raises(ContractRevert) as err:  # only the national regulator assigns codes
        market.svc["manufacturer"].assign_drug_code(other.product_id, next(_prefixes))
    assert err.value.error_name == "OrgRegistryUnauthorizedKind"
    for bad in ("123456", "12345678", "0000000", "12a4567"):
        with pytest.raises(DrugCodeError):
            reg.assign_drug_code(other.product_id, bad)


def test_the_second_products_genuine_code_is_not_counterfeit_when_no_product_is_bound(market, tmp_path) -> None:
    """The defect: two products' codes share a prefix, the home holds only the first's batches."""
    prefix = next(_prefixes)
    first, first_codes = released_batch(market, prefix=prefix, bind=False)
    second, second_codes = released_batch(market, prefix=prefix, bind=False)
    home = other_home(market, tmp_path)
    home.import_manifest(market.svc["manufacturer"].export_manifest(first.batch_id))
    assert home.verify_code(first_codes[0]).verdict is Verdict.GENUINE
    for code in (second_codes[0], _forged(first_codes[0])):
        found = home.verify_code(code)
        assert found.verdict is Verdict.CANNOT_TELL, found.reason
        assert f"binds no product to drug identifier code {prefix}" in found.reason


def test_bound_to_the_second_product_the_first_products_batches_prove_nothing(market, tmp_path) -> None:
    prefix = next(_prefixes)
    first, _ = released_batch(market, prefix=prefix, bind=False)  # committed before any binding
    second_product = _product(market, drug_code=prefix)
    second, second_codes = released_batch(market, prefix=prefix, product=second_product)
    home = other_home(market, tmp_path)
    home.import_manifest(market.svc["manufacturer"].export_manifest(first.batch_id))
    found = home.verify_code(second_codes[0])
    assert found.verdict is Verdict.CANNOT_TELL and found.missing_batches == (second.batch_id,)
    assert home.verify_code(_forged(second_codes[0])).verdict is Verdict.CANNOT_TELL
    home.import_manifest(market.svc["manufacturer"].export_manifest(second.batch_id))
    assert home.verify_code(second_codes[0]).verdict is Verdict.GENUINE
    forged = home.verify_code(_forged(second_codes[0]))
    assert forged.verdict is Verdict.COUNTERFEIT
    assert second_product.product_id.hex() in forged.reason and "1 batches" in forged.reason


def test_with_the_binding_held_by_the_first_product_its_absent_code_is_counterfeit(market, tmp_path) -> None:
    prefix = next(_prefixes)
    first, first_codes = released_batch(market, prefix=prefix)  # bound at registration
    home = other_home(market, tmp_path)
    home.import_manifest(market.svc["manufacturer"].export_manifest(first.batch_id))
    found = home.verify_code(_forged(first_codes[0]))
    assert found.verdict is Verdict.COUNTERFEIT and prefix in found.reason
    # a second product cannot commit codes of that prefix any more (the chain binds it to the first)
    man = market.svc["manufacturer"]
    other = _product(market)
    codes = story_codes(5, prefix)
    before = man.codes.batches()
    with pytest.raises(TraceCodeError, match="bound on chain to another product"):
        man.register_batch(other.product_id, "SQUAT", codes, production_date=man.now_ms(),
                           expiry_date=man.now_ms() + DAY)
    assert man.codes.batches() == before
    assert home.verify_code(_forged(first_codes[0])).verdict is Verdict.COUNTERFEIT


def test_a_bound_products_batch_must_carry_its_code(market) -> None:
    man = market.svc["manufacturer"]
    prefix, wrong = next(_prefixes), next(_prefixes)
    product = _product(market, drug_code=prefix)
    codes = story_codes(4, prefix)[:3] + story_codes(5, wrong)[4:]
    before, height = man.codes.batches(), market.client.block_number()
    with pytest.raises(TraceCodeError) as err:
        man.register_batch(product.product_id, "WRONG", codes, production_date=man.now_ms(),
                           expiry_date=man.now_ms() + DAY)
    assert f"code #4 ({codes[3]})" in str(err.value)
    assert f"not product 0x{product.product_id.hex()}'s {prefix}" in str(err.value)
    assert man.codes.batches() == before and market.client.block_number() == height  # nothing stored or sent


def test_a_manifest_whose_codes_are_not_the_bound_products_is_refused(market, tmp_path) -> None:
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    prefix = next(_prefixes)
    product = _product(market)
    codes = story_codes(6, prefix)
    now = man.now_ms()
    batch = man.register_batch(product.product_id, "PRE-BIND", codes, production_date=now,
                               expiry_date=now + 30 * DAY).batch
    manifest = man.export_manifest(batch.batch_id)
    reg.assign_drug_code(product.product_id, next(_prefixes))  # a different code, after the commit
    home = other_home(market, tmp_path)
    with pytest.raises(TraceCodeError, match="bound on chain"):
        home.import_manifest(manifest)
    with pytest.raises(TraceCodeError, match="bound on chain"):
        home.import_codes(batch.batch_id, codes)
    assert home.codes.batch(batch.batch_id) is None


def test_served_verification_gives_the_same_verdicts(market, tmp_path) -> None:
    """The index-backed verifier defers unlisted codes to the chain: the same verdicts as above."""
    from fisco_drugtrace.drugtrace.served import IndexedVerifier

    prefix = next(_prefixes)
    first, first_codes = released_batch(market, prefix=prefix, bind=False)
    second, second_codes = released_batch(market, prefix=prefix, bind=False)
    bound, bound_codes = released_batch(market)
    home = other_home(market, tmp_path)
    for batch in (first, bound):
        home.import_manifest(market.svc["manufacturer"].export_manifest(batch.batch_id))
    home.audit_sync()
    verifier = IndexedVerifier(lambda: home)
    try:
        verifier.refresh()
        for code, verdict in ((first_codes[0], Verdict.GENUINE), (second_codes[0], Verdict.CANNOT_TELL),
                              (_forged(first_codes[0]), Verdict.CANNOT_TELL), (bound_codes[0], Verdict.GENUINE),
                              (_forged(bound_codes[0]), Verdict.COUNTERFEIT)):
            served = verifier.verify(code)
            assert served.verdict is verdict is home.verify_code(code).verdict, (code, served.reason)
    finally:
        verifier.close()
        home.close()
