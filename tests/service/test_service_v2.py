"""The service and the auditor's sync on the FISCO BCOS 2.x dialect (logs come from block scans)."""

from __future__ import annotations

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, OrgKind, TraceService
from fisco_drugtrace.drugtrace.audit import unit_trace, where_is
from fisco_drugtrace.drugtrace.ids import code_hash
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes
from fisco_drugtrace.errors import ContractRevert
from fisco_drugtrace.types import Dialect


def test_v2_custody_dispense_and_audit_sync(tmp_path) -> None:
    chain = DevChain(DevChainConfig(dialect=Dialect.V2))
    client = connect(Settings(dialect=Dialect.V2, group=1), handler=chain.handle_raw)
    try:
        signers = [LocalSigner(k) for k in dev_keypairs(3)]
        reg = TraceService(client, signers[0], AddressBook.in_home(tmp_path), home=tmp_path)
        reg.deploy(ACTORS[0].credit_code, region=ACTORS[0].region)
        assert reg.chain_key == ("1", "1")
        man_actor, pharm_actor, carrier = ACTORS[1], ACTORS[5], ACTORS[3]
        for actor in (man_actor, pharm_actor, carrier):
            reg.register_org(actor.credit_code, actor.kind, actor.region)
        reg.bind_account(signers[1].address, man_actor.credit_code)
        reg.bind_account(signers[2].address, pharm_actor.credit_code)
        man, pharm = reg.with_signer(signers[1]), reg.with_signer(signers[2])
        product = reg.register_product("V2-1", "box", man_actor.org_id, min_temp=20, max_temp=80)
        codes = story_codes(16)
        with pytest.raises(ContractRevert) as info:  # decoded on 2.x as on 3.x
            reg.register_batch(product.product_id, "L", codes, production_date=1, expiry_date=2)
        assert info.value.error_name == "OrgRegistryUnauthorizedKind"
        now = man.now_ms()
        batch = man.register_batch(product.product_id, "L", codes, production_date=now,
                                   expiry_date=now + 10**10).batch.batch_id
        man.define_process(product.product_id, 1, b"\x9f" * 32)
        reg.approve_process(product.product_id, b"\x9f" * 32)
        man.pass_release_gate(batch)
        man.release_batch(batch)
        s = man.dispatch(batch, pharm_actor.org_id, carrier.org_id, 6)
        pharm.receive(s.shipment_id, 5)
        assert pharm.dispense(codes[3]).dispensed and not pharm.dispense(codes[3]).dispensed
        with reg.open_audit_index() as index:
            synced = reg.audit_sync(index)
            assert synced.events > 10
            w = where_is(index, batch)
            assert (w.unit_count, w.dispensed, w.missing, w.accounted) == (16, 1, 1, 16)
            entries = unit_trace(index, batch, code_hash(codes[3])).entries
            names = [e.event for e in entries]
            assert "ShipmentDiscrepancy" in names and "DuplicateDispense" in names
            assert all(e.ts_ms and e.ts_ms > 1_600_000_000_000 for e in entries)  # block time, in ms
            assert reg.audit_verify().checked == index.event_count
        assert OrgKind(reg.get_org(pharm_actor.org_id).kind) is OrgKind.PHARMACY
    finally:
        client.close()
        chain.close()
