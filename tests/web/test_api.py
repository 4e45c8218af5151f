"""The HTTP API over the story's deployment: every endpoint served, typed errors, tokens."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.web import OPERATIONS, create_app
from fisco_drugtrace.web.jsonview import to_json
from fisco_drugtrace.web.api import MAX_BODY


@pytest.fixture(scope="module")
def served(world, make_backend):
    backend = make_backend()
    backend.sync_once()
    app = create_app(backend, start_sync=False)
    tokens = {}
    tokens["auditor"] = backend.tokens.issue("auditor", "read")[0]
    for role in ("regulator", "manufacturer", "distributor", "hospital", "pharmacy", "logistics"):
        tokens[role] = backend.tokens.issue(role, "write", role)[0]
    with TestClient(app) as http:
        yield http, tokens, backend


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_openapi_lists_every_operation(served) -> None:
    http, _, _ = served
    spec = http.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for name, op in OPERATIONS.items():
        entry = spec["paths"][f"/api/v1/{name}"]
        assert ("post" if op.write else "get") in entry, name


def test_verify_needs_no_token_and_says_genuine(served, world) -> None:
    http, _, _ = served
    answer = http.get("/api/v1/verify_code", params={"code": world.listed_codes[0]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["genuine"] is True and body["listed"] is True and body["dispensed"] is False
    assert body["batch"]["state"] == "LISTED" and body["batch"]["state_value"] == 1


def test_the_drug_code_binding_is_served(served, world) -> None:
    http, tokens, _ = served
    auth = _auth(tokens["auditor"])
    product = "0x" + world.story.product_id.hex()
    assert http.get("/api/v1/drug_code_of", params={"product": product}, headers=auth).json() == "8160347"
    assert http.get("/api/v1/product_of_drug_code", params={"drug_code": "8160347"}, headers=auth).json() == product
    assert http.get("/api/v1/product_of_drug_code", params={"drug_code": "8160348"}, headers=auth).json() is None
    assert http.get("/api/v1/product_of_drug_code", params={"drug_code": "816"}, headers=auth).status_code == 400


def test_reads_need_a_token(served, world) -> None:
    http, tokens, _ = served
    assert http.get("/api/v1/audit_recalls").status_code == 401
    assert http.get("/api/v1/audit_recalls", headers=_auth("dtk_nonsense")).status_code == 401
    answer = http.get("/api/v1/audit_recalls", headers=_auth(tokens["auditor"]))
    assert answer.status_code == 200
    assert {case["recall_id"] for case in answer.json()} >= {world.story.recall_id, world.recall_id}


def test_not_found_and_bad_arguments_are_typed(served) -> None:
    http, tokens, _ = served
    auth = _auth(tokens["auditor"])
    missing = http.get("/api/v1/get_batch", params={"batch": "0x" + "ab" * 32}, headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound"
    garbage = http.get("/api/v1/get_batch", params={"batch": "0xZZ"}, headers=auth)
    assert garbage.status_code == 400 and "batch" in garbage.json()["message"]
    absent = http.get("/api/v1/get_batch", headers=auth)
    assert absent.status_code == 400 and "missing argument 'batch'" in absent.json()["message"]
    extra = http.get("/api/v1/status", params={"bogus": "1"}, headers=auth)
    assert extra.status_code == 400 and "bogus" in extra.json()["message"]
    assert http.get("/api/v1/no_such_thing", headers=auth).status_code == 404
    assert http.post("/api/v1/status", headers=auth, json={}).status_code == 405


def test_read_token_cannot_write(served, world) -> None:
    http, tokens, _ = served
    answer = http.post("/api/v1/dispense", json={"code": world.listed_codes[5]}, headers=_auth(tokens["auditor"]))
    assert answer.status_code == 403


def test_bad_bodies_are_refused_without_harm(served) -> None:
    http, tokens, _ = served
    auth = {**_auth(tokens["pharmacy"]), "content-type": "application/json"}
    assert http.post("/api/v1/dispense", content=b"{not json", headers=auth).status_code == 400
    assert http.post("/api/v1/dispense", content=b"[" * 100_000 + b"]" * 100_000, headers=auth).status_code == 400
    assert http.post("/api/v1/dispense", content=b"[1, 2]", headers=auth).status_code == 400
    big = http.post("/api/v1/dispense", content=b" " * (MAX_BODY + 1), headers=auth)
    assert big.status_code == 413
    assert http.get("/api/openapi.json").status_code == 200  # still serving


def test_a_foreign_token_cannot_act_for_another_organisation(served, world) -> None:
    """Every write endpoint, called with the pharmacy's token where the operation belongs to
    another organisation: the chain refuses it as the pharmacy, nothing changes."""
    http, tokens, _ = served
    story = world.story
    regulator = story.services["regulator"]
    before = regulator.status()
    product = "0x" + story.product_id.hex()
    batch = "0x" + world.listed_batch.hex()
    man_org = "91110000MA01HXPH1K"
    calls = {
        "register_org": {"org": "91440000MA09ZZZZ9X", "kind": "PHARMACY", "region": 440000},
        "bind_account": {"address": "0x" + "11" * 20, "org": man_org},
        "unbind_account": {"address": regulator.signer.address},
        "suspend_org": {"org": man_org},
        "restore_org": {"org": man_org},
        "register_product": {"approval_number": "国药准字H20269999", "package_spec": "x", "mah": man_org,
                             "min_temp": 20, "max_temp": 80},
        "assign_drug_code": {"product": product, "drug_code": "8160999"},
        "register_batch": {"product": product, "lot": "FAKE", "codes": [f"8160347{i:09d}0000" for i in (900, 901)],
                           "production_date": 1, "expiry_date": 4_102_444_800_000},
        "import_codes": {"batch": batch, "codes": world.listed_codes[:2]},
        "define_process": {"product": product, "step_count": 3, "process_hash": "0x" + "22" * 32},
        "approve_process": {"product": product, "process_hash": "0x" + "22" * 32},
        "reject_process": {"product": product, "process_hash": "0x" + "22" * 32},
        "record_process_step": {"batch": batch, "step": 0},
        "record_release_test": {"batch": batch},
        "pass_release_gate": {"batch": batch},
        "release_batch": {"batch": batch},
        "record_official_inspection": {"batch": batch, "passed": False},
        "transition_batch": {"batch": batch, "to": "STOPPED"},
        "transition_product": {"product": product, "to": "STOPPED"},
        "stop": {"target": batch},
        "resume": {"target": batch},
        "deregister": {"product": product},
        "set_adr_policy": {"product": product, "threshold": 1, "auto_stop": True},
        "dispatch": {"batch": batch, "to_org": "92110000MA0KJPH4P", "carrier_org": "91310000MA1CLLG3M", "quantity": 1},
        "dispatch_return": {"batch": batch, "to_org": man_org, "carrier_org": "91310000MA1CLLG3M", "quantity": 1},
        "receive": {"shipment_id": story.shipments["to_distributor"]},
        "reject": {"shipment_id": story.shipments["to_distributor"]},
        "release_quarantine": {"batch": batch, "holder": man_org, "quantity": 1},
        "dispense": {"code": world.listed_codes[7]},
        "observe": {"point": "INSPECTION", "subject": batch, "result": "FAIL"},
        "open_recall": {"level": "I", "batch": batch},
        "issue_notice": {"recall_id": world.recall_id},
        "report_progress": {"recall_id": world.recall_id},
        "record_recovery": {"recall_id": world.recall_id, "quantity": 1},
        "record_destruction": {"recall_id": world.recall_id, "quantity": 1},
        "countersign_destruction": {"destruction_id": story.destruction_id},
        "complete_recall": {"recall_id": world.recall_id},
        "evaluate_recall": {"recall_id": world.recall_id, "accepted": True},
        "void_shipment": {"shipment_id": story.shipments["to_distributor"]},
        "record_destruction_for": {"recall_id": world.recall_id, "holder": "0x" + story.product_id.hex(),
                                   "quantity": 1},
        "rework": {"batch": batch, "evidence_hash": "0x" + "55" * 32},
        "void_observation": {"observation_id": story.inspection_id, "reason_hash": "0x" + "66" * 32},
        "void_destruction": {"destruction_id": story.destruction_id, "reason_hash": "0x" + "66" * 32},
        "void_batch": {"batch": batch, "reason_hash": "0x" + "66" * 32},
        "open_follow_up": {"batch": "0x" + story.batch_id.hex(), "level": "I"},
        # procurement (issue 17 B): the platform's, the hospital's and the distributor's steps
        "publish_bid": {"product": product, "unit_price": 100, "valid_from": 1, "valid_until": 4_102_444_800_000,
                        "distributors": ["91120000MA05BFMD2L"], "volumes": {"12110000400001234N": 10}},
        "set_agreed_volumes": {"bid_id": 1, "volumes": {"12110000400001234N": 10}},
        "withdraw_bid": {"bid_id": 1},
        "set_settlement_period": {"period_ms": 15 * 86_400_000},
        "place_order": {"bid_id": 1, "distributor": "91120000MA05BFMD2L", "quantity": 1},
        "accept_order": {"order_id": 1},
        "decline_order": {"order_id": 1},
        "cancel_order": {"order_id": 1},
        "close_order": {"order_id": 1},
        "record_delivery": {"order_id": 1, "shipment_id": story.shipments["to_distributor"]},
        "confirm_receipt": {"shipment_id": story.shipments["to_distributor"]},
        "invoice": {"shipment_id": story.shipments["to_distributor"], "amount": 100},
        "record_payment": {"shipment_id": story.shipments["to_distributor"], "amount": 100},
        "flag_overdue": {"shipment_id": story.shipments["to_distributor"]},
    }
    write_ops = {name for name, op in OPERATIONS.items() if op.write}
    assert write_ops == set(calls), "every write endpoint is exercised"
    accepted = {}
    for name, args in calls.items():
        answer = http.post(f"/api/v1/{name}", json=args, headers=_auth(tokens["pharmacy"]))
        accepted[name] = answer.status_code
    # What the pharmacy may lawfully do with these arguments: sell a box (custody is still by
    # batch quantity, issue 17), file an observation, and keep codes locally. Recovery and
    # destruction on a case whose batch it never held are bounded by its holding (zero). Asking the
    # release gate of a released batch finds nothing missing and sends nothing.
    allowed = {"dispense", "observe", "import_codes", "pass_release_gate"}
    passed = {name for name, status in accepted.items() if status == 200}
    assert passed <= allowed, f"a foreign token acted: {sorted(passed - allowed)}"
    refused = {name: status for name, status in accepted.items() if name not in allowed}
    assert all(status in (403, 409, 404, 400) for status in refused.values()), refused
    after = regulator.status()
    assert (after.org_count, after.recall_count) == (before.org_count, before.recall_count)
    assert regulator.get_batch(world.listed_batch).state.name == "LISTED"


def test_contract_refusal_carries_the_decoded_error(served, world) -> None:
    http, tokens, _ = served
    answer = http.post("/api/v1/release_batch", json={"batch": "0x" + world.listed_batch.hex()},
                       headers=_auth(tokens["pharmacy"]))
    body = answer.json()
    assert answer.status_code in (403, 409)
    assert body["error"] == "ContractRevert" and body["contract_error"]
    assert body["tx_hash"].startswith("0x")


def test_idempotent_write_is_sent_once(served, world) -> None:
    http, tokens, backend = served
    regulator = world.story.services["regulator"]
    args = {"point": "INSPECTION", "subject": "0x" + world.listed_batch.hex(), "result": "OK",
            "evidence_hash": "0x" + "33" * 32}
    headers = {**_auth(tokens["regulator"]), "Idempotency-Key": "inspection-2026-0100"}
    before = regulator.status().observation_count
    first = http.post("/api/v1/observe", json=args, headers=headers)
    again = http.post("/api/v1/observe", json=args, headers=headers)
    assert first.status_code == 200, first.json()
    assert again.status_code == 200 and again.headers.get("idempotent-replay") == "true"
    assert again.json() == first.json() and first.json()["point"] == "INSPECTION"
    assert regulator.status().observation_count == before + 1
    other = http.post("/api/v1/observe", json={**args, "evidence_hash": "0x" + "44" * 32}, headers=headers)
    assert other.status_code == 422
    logged = backend.store.writes()
    assert any(w["operation"] == "observe" and w["token"] == "regulator" and w["account"] == "regulator"
               and w["status"] == 200 for w in logged)


def test_recall_figures_come_from_the_chain(served, world) -> None:
    http, tokens, _ = served
    figures = http.get("/api/v1/recall_figures", params={"recall_id": world.story.recall_id},
                       headers=_auth(tokens["auditor"]))
    assert figures.status_code == 200
    assert figures.json() == to_json(world.story.services["regulator"].recall_figures(world.story.recall_id))


def test_revoked_token_is_refused(served) -> None:
    http, _, backend = served
    secret, _ = backend.tokens.issue("temporary", "read")
    assert http.get("/api/v1/status", headers=_auth(secret)).status_code == 200
    assert backend.tokens.revoke("temporary")
    assert http.get("/api/v1/status", headers=_auth(secret)).status_code == 401


def test_tokens_are_stored_hashed(served) -> None:
    _, tokens, backend = served
    raw = backend.tokens.path.read_bytes()
    assert all(secret.encode() not in raw for secret in tokens.values())
    assert (backend.tokens.path.stat().st_mode & 0o777) == 0o600


def test_manifest_repository_makes_codes_verifiable_for_everyone(world, make_backend, tmp_path,
                                                                 store_backend) -> None:
    """A server on a home that holds no code list says "cannot tell here"; once the MAH uploads
    the batch's manifest (checked against the chain, a tampered one refused with nothing kept),
    the same code is genuine for every caller."""
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.web import Backend

    regulator = world.story.services["regulator"]
    TraceService(world.client, None, AddressBook.in_home(tmp_path), home=tmp_path).attach(
        regulator.deployment.address("OrgRegistry"))
    fresh = Backend(world.client, tmp_path, sync_interval=0, database=store_backend.database,
                    schema_prefix=store_backend.schema_prefix)
    mah_token, _ = fresh.tokens.issue("mah", "write", "manufacturer")
    reader, _ = fresh.tokens.issue("reader", "read")
    manifest = regulator.export_manifest(world.listed_batch)
    code = world.listed_codes[42]
    try:
        with TestClient(create_app(fresh, start_sync=False)) as http:
            before = http.get("/api/v1/verify_code", params={"code": code}).json()
            assert before["verdict"] == "CANNOT_TELL" or before["verdict"].lower().startswith("cannot"), before
            assert http.post("/api/v1/manifests", content=manifest, headers=_auth(reader)).status_code == 403
            assert http.post("/api/v1/manifests", content=manifest).status_code == 401
            lines = manifest.decode().splitlines()
            lines[5] = world.recalled_codes[0]  # a code of another batch: the root no longer matches
            tampered = http.post("/api/v1/manifests", content=("\n".join(lines) + "\n").encode(),
                                 headers=_auth(mah_token))
            assert tampered.status_code == 422, tampered.json()
            garbage = http.post("/api/v1/manifests", content=b"not a manifest\n", headers=_auth(mah_token))
            assert garbage.status_code == 400, garbage.json()
            still = http.get("/api/v1/verify_code", params={"code": code}).json()
            assert still["verdict"] == before["verdict"]  # nothing was stored
            stored = http.post("/api/v1/manifests", content=manifest, headers=_auth(mah_token))
            assert stored.status_code == 200 and stored.json()["unit_count"] == len(world.listed_codes)
            after = http.get("/api/v1/verify_code", params={"code": code}).json()
            assert after["genuine"] is True and after["index"] == 42
            back = http.get(f"/api/v1/manifests/0x{world.listed_batch.hex()}", headers=_auth(reader))
            assert back.status_code == 200 and back.content == manifest
    finally:
        fresh.close()


def test_every_read_endpoint_answers_with_a_token(served, world) -> None:
    """Every read operation of the schema, called with the story's ids: 200 and JSON, or a typed
    404 for a record the story never made (no procurement act in this world) — never a 500."""
    http, tokens, backend = served
    story = world.story
    product, batch = "0x" + story.product_id.hex(), "0x" + story.batch_id.hex()
    man_org, pharmacy_org = "91110000MA01HXPH1K", "92110000MA0KJPH4P"
    from fisco_drugtrace.drugtrace.story import ACTORS

    pharmacy_id = "0x" + next(a for a in ACTORS if a.role == "pharmacy").org_id.hex()
    calls = {
        "status": {}, "now_ms": {}, "list_orgs": {}, "get_org": {"org": man_org},
        "org_of": {"address": story.services["manufacturer"].signer.address},
        "get_product": {"product": product}, "get_batch": {"batch": batch},
        "get_shipment": {"shipment_id": story.shipments["to_distributor"]},
        "get_recall": {"recall_id": story.recall_id}, "get_destruction": {"destruction_id": story.destruction_id},
        "get_observation": {"observation_id": story.inspection_id}, "get_adr_policy": {"product": product},
        "holding": {"batch": "0x" + world.listed_batch.hex(), "org": man_org},
        "is_dispensed": {"batch": batch, "index": 0}, "effective_state": {"batch": batch},
        "release_status": {"batch": batch}, "recovered": {"recall_id": story.recall_id, "org": pharmacy_id},
        "shipments_of": {"batch": batch}, "verify_code": {"code": world.listed_codes[0]},
        "trace_unit": {"code": story.dispensed_codes[0]}, "trace_batch": {"batch": batch},
        "trace_shipment": {"shipment_id": story.shipments["to_distributor"]}, "where_is": {"batch": batch},
        "audit_alerts": {}, "audit_recalls": {}, "audit_compliance": {}, "audit_report": {},
        "recall_figures": {"recall_id": story.recall_id}, "batch_stock": {"batch": batch},
        "stop_authority": {"target": batch}, "suspended_by": {"org": pharmacy_org},
        "recall_links": {"recall_id": story.recall_id}, "latest_case": {"scope": batch},
        "observation_voided_by": {"observation_id": story.inspection_id},
        "get_bid": {"bid_id": 1}, "bids": {}, "is_allowed_distributor": {"bid_id": 1, "distributor": pharmacy_org},
        "agreed_volume": {"bid_id": 1, "hospital": "12110000400001234N"}, "get_order": {"order_id": 1},
        "orders": {}, "get_delivery": {"shipment_id": story.shipments["to_distributor"]},
        "settlement_period": {"platform": man_org},
        "product_of_drug_code": {"drug_code": world.listed_codes[0][:7]}, "drug_code_of": {"product": product},
        "product_details": {"product": product},
    }
    read_ops = {name for name, op in OPERATIONS.items() if not op.write}
    assert read_ops == set(calls), "every read endpoint is exercised"
    spec = http.get("/api/openapi.json").json()
    answers = {}
    for name, args in calls.items():
        answer = http.get(f"/api/v1/{name}", params=args, headers=_auth(tokens["auditor"]))
        answers[name] = answer.status_code
        assert "get" in spec["paths"][f"/api/v1/{name}"], name
        body = answer.json()
        if answer.status_code != 200:
            assert answer.status_code == 404 and body["error"] == "NotFound" and body["message"], (name, body)
    missing = {name for name, status in answers.items() if status == 404}
    assert missing <= {"get_bid", "get_order", "get_delivery", "is_allowed_distributor", "agreed_volume"}, answers
    assert http.get("/api/v1/where_is", params={"batch": batch}).status_code == 401  # no token
    bound = http.get("/api/v1/product_of_drug_code", params={"drug_code": world.listed_codes[0][:7]},
                     headers=_auth(tokens["auditor"])).json()
    assert bound == product  # the story's product bears the drug identifier code of its boxes
    assert http.get("/api/v1/drug_code_of", params={"product": product},
                    headers=_auth(tokens["auditor"])).json() == world.listed_codes[0][:7]


def test_keys_never_leave_the_keystore(served, world) -> None:
    """After signed writes through the API, no private key of the story's accounts is in any
    answer, in the token store or in the web store (write log, idempotency records): the server
    signs with keys it unlocks from the keystore and keeps them in memory only."""
    from fisco_drugtrace.devchain import dev_keypairs
    from fisco_drugtrace.drugtrace.story import ACTORS

    http, tokens, backend = served
    answer = http.post("/api/v1/observe", json={"point": "STORAGE", "subject": "0x" + world.listed_batch.hex(),
                                                "result": "OK"},
                       headers={**_auth(tokens["distributor"]), "Idempotency-Key": "keys-test-1"})
    assert answer.status_code in (200, 403, 409), answer.text
    secrets = [k.private_key for k in dev_keypairs(len(ACTORS))]
    texts = [answer.content, http.get("/api/v1/status", headers=_auth(tokens["auditor"])).content,
             http.get("/api/openapi.json").content, backend.tokens.path.read_bytes()]
    web_files = [p for p in (backend.home / "web").glob("*.sqlite*")]
    assert any(p.name == "web.sqlite" for p in web_files)
    texts += [p.read_bytes() for p in web_files]
    assert backend.store.writes()  # the write log is there, and says who
    for key in secrets:
        for form in (key, key.hex().encode(), key.hex().upper().encode()):
            assert all(form not in blob for blob in texts)
