"""The node goes down under a running server: what needs the chain answers 503 with the reason,
what the index holds is still served (a patient's verification, the board, a batch's table), the
sync line and ``/healthz`` say why, and writes are refused without a transaction claimed."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.errors import ConnectError
from fisco_drugtrace.web import create_app


class _Node:
    """The world's dev chain behind a switch."""

    def __init__(self, chain) -> None:  # type: ignore[no-untyped-def]
        self.chain = chain
        self.up = True

    def handle(self, request: bytes) -> bytes:
        if not self.up:
            raise ConnectError("connection refused (test: the node is down)")
        return self.chain.handle_raw(request)


@pytest.fixture(scope="module")
def down(world, make_backend):
    node = _Node(world.chain)
    backend = make_backend(client=connect(Settings(), handler=node.handle))
    assert backend.sync_once().healthy  # the server ran with its node up ...
    reader, _ = backend.tokens.issue("inspector-node-down", "read")
    writer, _ = backend.tokens.issue("pharmacy-node-down", "write", "pharmacy")
    with TestClient(create_app(backend, start_sync=False)) as http:
        assert http.get("/api/v1/verify_code", params={"code": world.listed_codes[1]}).json()["genuine"] is True
        node.up = False  # ... and then the node went down
        status = backend.sync_once()
        yield http, reader, writer, status


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_sync_records_the_reason_and_health_says_503(down) -> None:
    http, _, _, status = down
    assert not status.healthy and "refused" in (status.error or "")
    health = http.get("/healthz")
    assert health.status_code == 503 and health.json()["ok"] is False and "refused" in health.json()["error"]
    assert health.json()["indexed_block"] == status.indexed_block  # the index is still there


def test_a_chain_read_is_503_with_the_reason(down, world) -> None:
    http, reader, _, _ = down
    answer = http.get("/api/v1/get_batch", params={"batch": "0x" + world.listed_batch.hex()}, headers=_auth(reader))
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "ConnectError" and "refused" in answer.json()["message"]


def test_a_write_is_503_and_its_idempotency_key_is_not_spent(down, world) -> None:
    http, _, writer, _ = down
    headers = {**_auth(writer), "Idempotency-Key": "node-down-1"}
    for _ in range(2):  # the same key again: the failure was not stored as the answer
        answer = http.post("/api/v1/dispense", json={"code": world.listed_codes[9]}, headers=headers)
        assert answer.status_code == 503, answer.text
        assert "refused" in answer.json()["message"]


def test_verification_and_pages_still_render_from_the_index(down, world) -> None:
    http, reader, _, _ = down
    code = world.listed_codes[7]
    api = http.get("/api/v1/verify_code", params={"code": code})
    assert api.status_code == 200 and api.json()["genuine"] is True and api.json()["index"] == 7
    page = http.get(f"/v/{code}", params={"lang": "en"})
    assert page.status_code == 200 and 'data-verdict="genuine"' in page.text
    # a code no manifest here lists needs the chain: "cannot tell here", never counterfeit
    unknown = http.get("/api/v1/verify_code", params={"code": code[:7] + "999999999" + "0000"}).json()
    assert unknown["verdict"] == "cannot_tell_here" and "cannot be asked" in unknown["reason"], unknown
    board = http.get("/board", headers=_auth(reader), params={"lang": "en"})
    assert board.status_code == 200 and "refused" in board.text
    batch = http.get(f"/board/batch/0x{world.listed_batch.hex()}", headers=_auth(reader), params={"lang": "en"})
    assert batch.status_code == 200 and world.listed_batch.hex()[:8] in batch.text
    report = http.get("/board/report.json", headers=_auth(reader))
    assert report.status_code == 200 and report.json()["recalls"]
    assert str(report.json()["last_block_hash"]).startswith("0x")  # the index's anchor of its last block
    alerts = http.get("/board/alerts", headers=_auth(reader), params={"lang": "en"})
    assert alerts.status_code == 200
    # a unit's trace checks the code against the chain first: a page saying why, not a traceback
    unit = http.get(f"/board/unit/{code}", headers=_auth(reader), params={"lang": "en"})
    assert unit.status_code == 503 and "refused" in unit.text and "<html" in unit.text.lower()

