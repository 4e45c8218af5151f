"""The node goes down under a running server, or is down when the server starts: what needs the
chain answers 503 with the reason, what the index holds is still served (a patient's verification,
the board, a batch's table, a unit's trace), the sync line and ``/healthz`` say why, and writes are
refused without a transaction claimed."""

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
    assert unknown["cause"] == "chain_unreachable"
    plain = http.get(f"/v/{code[:7]}9999999990000", params={"lang": "en"}).text
    assert 'data-cause="chain_unreachable"' in plain and "try again later" in plain and "refused" not in plain
    board = http.get("/board", headers=_auth(reader), params={"lang": "en"})
    assert board.status_code == 200 and "refused" in board.text
    batch = http.get(f"/board/batch/0x{world.listed_batch.hex()}", headers=_auth(reader), params={"lang": "en"})
    assert batch.status_code == 200 and world.listed_batch.hex()[:8] in batch.text
    report = http.get("/board/report.json", headers=_auth(reader))
    assert report.status_code == 200 and report.json()["recalls"]
    assert str(report.json()["last_block_hash"]).startswith("0x")  # the index's anchor of its last block
    alerts = http.get("/board/alerts", headers=_auth(reader), params={"lang": "en"})
    assert alerts.status_code == 200
    # a unit's trace: the code checked from the index as a scan is, the trace read from the index
    unit = http.get(f"/board/unit/{world.story.dispensed_codes[0]}", headers=_auth(reader), params={"lang": "en"})
    assert unit.status_code == 200 and "<svg" in unit.text and "refused" in unit.text  # the red sync line
    # a code the index cannot vouch for needs the chain: a page saying why, not a traceback
    unknown_unit = http.get(f"/board/unit/{code[:7]}9999999990000", headers=_auth(reader), params={"lang": "en"})
    assert unknown_unit.status_code in (404, 409, 503) and "<html" in unknown_unit.text.lower()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def started_down(world, make_backend):
    """A server started while its node is already down: a loopback port with nothing listening.
    It ran once before with the node up, so its home keeps the chain's identity."""
    before = make_backend()
    assert before.connect_chain() is True and before.sync_once().healthy
    assert before.chain_file.is_file()
    nowhere = connect(Settings(urls=(f"http://127.0.0.1:{_free_port()}",), timeout=2.0, retries=0))
    backend = make_backend(client=nowhere)
    assert backend.connect_chain() is False  # the kept identity, not the node's
    status = backend.sync_once()
    reader, _ = backend.tokens.issue("inspector-started-down", "read")
    with TestClient(create_app(backend, start_sync=False)) as http:
        yield http, reader, status


def test_a_server_started_while_the_node_is_down_answers_from_the_index(started_down, world) -> None:
    http, reader, status = started_down
    assert not status.healthy and status.error
    health = http.get("/healthz")
    assert health.status_code == 503 and health.json()["error"]
    code = world.listed_codes[11]
    api = http.get("/api/v1/verify_code", params={"code": code})
    assert api.status_code == 200 and api.json()["genuine"] is True and api.json()["as_of_block"] > 0, api.text
    page = http.get(f"/v/{code}", params={"lang": "en"})
    assert page.status_code == 200 and 'data-verdict="genuine"' in page.text and "Amoxicillin Tablets" in page.text
    board = http.get("/board", headers=_auth(reader), params={"lang": "en"})
    assert board.status_code == 200 and f'data-recall="{world.recall_id}"' in board.text
    assert 'class="sync bad"' in board.text
    unit = http.get(f"/board/unit/{world.story.dispensed_codes[0]}", headers=_auth(reader), params={"lang": "en"})
    assert unit.status_code == 200 and "<svg" in unit.text
    batch = http.get(f"/board/batch/0x{world.listed_batch.hex()}", headers=_auth(reader), params={"lang": "en"})
    assert batch.status_code == 200
    assert http.get("/board/alerts", headers=_auth(reader)).status_code == 200
    # what needs the node: 503 with the reason
    read = http.get("/api/v1/get_batch", params={"batch": "0x" + world.listed_batch.hex()}, headers=_auth(reader))
    assert read.status_code == 503 and read.json()["error"] == "ConnectError" and read.json()["message"]


def test_a_home_that_never_saw_its_node_refuses_to_start_without_it(world, tmp_path) -> None:
    from fisco_drugtrace.errors import ConfigError
    from fisco_drugtrace.web import Backend

    nowhere = connect(Settings(urls=(f"http://127.0.0.1:{_free_port()}",), timeout=2.0, retries=0))
    backend = Backend(nowhere, tmp_path, sync_interval=0)
    try:
        with pytest.raises(ConfigError, match="keeps no identity of its chain"):
            backend.connect_chain()
    finally:
        backend.close()



def test_a_proxy_answering_html_for_a_dead_node_is_the_node_down(world, make_backend) -> None:
    """A reverse proxy in front of a dead node answers its own HTML error page: the server started
    behind it serves from the index as above, and what needs the node is 503 naming the answer."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    before = make_backend()
    assert before.connect_chain() is True  # its home keeps the chain's identity
    proxy = HTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        backend = make_backend(client=connect(Settings(urls=(f"http://127.0.0.1:{proxy.server_port}",),
                                                       timeout=2.0, retries=0)))
        assert backend.connect_chain() is False
        assert not backend.sync_once().healthy and "502" in (backend.sync.error or "")
        reader, _ = backend.tokens.issue("inspector-behind-proxy", "read")
        with TestClient(create_app(backend, start_sync=False)) as http:
            page = http.get(f"/v/{world.listed_codes[12]}", params={"lang": "en"})
            assert page.status_code == 200 and 'data-verdict="genuine"' in page.text
            read = http.get("/api/v1/get_batch", params={"batch": "0x" + world.listed_batch.hex()},
                            headers=_auth(reader))
            assert read.status_code == 503 and "502" in read.json()["message"], read.text
    finally:
        proxy.shutdown()
        proxy.server_close()
