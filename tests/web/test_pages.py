"""The pages as HTML (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.web import create_app
from fisco_drugtrace.web.store import SCAN_ALERT_THRESHOLD

DAY_MS = 86_400_000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pages(request, world, make_backend):
    """The pages over the home's SQLite stores, and over the same records in PostgreSQL."""
    database, prefix = request.getfixturevalue("pg_home") if request.param == "postgresql" else ("", "fdt")
    backend = make_backend(database=database, schema_prefix=prefix)
    backend.sync_once()
    secret, _ = backend.tokens.issue(f"inspector-{request.param}", "read")
    with TestClient(create_app(backend, start_sync=False)) as http:
        yield http, secret, backend


def _row(html: str, recall_id: int) -> str:
    match = re.search(rf'<tr class="[^"]*" data-recall="{recall_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for recall {recall_id}"
    return match.group(0)


def _verdict(html: str) -> str:
    marker = 'data-verdict="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_genuine_listed_box(pages, world) -> None:
    http, _, _ = pages
    page = http.get(f"/v/{world.listed_codes[3]}?lang=en")
    assert page.status_code == 200
    assert _verdict(page.text) == "genuine"
    assert "国药准字H20263001" in page.text and "L2026-0100" in page.text
    assert "Listed (normal)" in page.text and "Not sold yet" in page.text
    assert 'id="do-not-use"' not in page.text


def test_chinese_by_default_and_by_header(pages, world) -> None:
    http, _, _ = pages
    page = http.get(f"/verify?code={world.listed_codes[4]}", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert "正品" in page.text and "批准文号" in page.text and 'lang="zh-CN"' in page.text
    english = http.get(f"/verify?code={world.listed_codes[4]}", headers={"accept-language": "en-GB"})
    assert "Approval number" in english.text


def test_recalled_batch_says_so(pages, world) -> None:
    http, _, _ = pages
    page = http.get(f"/v/{world.recalled_codes[0]}?lang=en")
    assert _verdict(page.text) == "genuine"
    assert 'id="recall-notice"' in page.text and "level II recall" in page.text
    assert 'id="do-not-use"' in page.text
    chinese = http.get(f"/v/{world.recalled_codes[0]}?lang=zh").text
    assert "二级召回" in chinese and "正品，但该批次正在召回：请勿使用，请退回" in chinese
    assert "genuine, but its batch is recalled" in page.text and "recalled: do not use" not in chinese


def test_every_unit_state_has_chinese_advice_and_english_keeps_the_librarys() -> None:
    from fisco_drugtrace.drugtrace import UnitState
    from fisco_drugtrace.web.i18n import texts

    zh, en = texts("zh"), texts("en")
    for state in UnitState:
        assert zh[f"advice_{state.value}"].startswith(("正品", "该批次记录已作废")), state
        assert f"advice_{state.value}" not in en, state  # English pages show Verification.reason


def test_destroyed_and_dispensed(pages, world) -> None:
    http, _, _ = pages
    sold = world.story.dispensed_codes[1]
    page = http.get(f"/v/{sold}?lang=en")
    assert _verdict(page.text) == "genuine"
    assert "Already sold once" in page.text and "Destroyed" in page.text


def test_malformed_code_is_counterfeit_unknown_code_cannot_tell(pages) -> None:
    http, _, _ = pages
    assert _verdict(http.get("/v/12345?lang=en").text) == "counterfeit"
    unknown = http.get("/v/81699990000000010000?lang=en")  # no manifest of drug identifier 8169999 here
    assert _verdict(unknown.text) == "cannot_tell"  # never a false counterfeit
    assert "Cannot tell here" in unknown.text
    # every committed batch of 8160347 is held here and none lists this one: the chain proves it
    assert _verdict(http.get("/v/81603479999999990000?lang=en").text) == "counterfeit"


def _reason(html: str) -> str:
    match = re.search(r'<p class="reason" id="reason"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no reason line"
    return match.group(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_patients_read_why_in_plain_words_never_a_command(pages, lang) -> None:
    """Each way a code is not genuine is said in the page's language, without the library's
    technical reason (batch ids, commands to run): that stays in the API's ``reason``."""
    http, _, _ = pages
    cases = {"12345": "malformed", "81699990000000010000": "no_product_bound",
             "81603479999999990000": "proven_absent"}
    for code, cause in cases.items():
        line = _reason(http.get(f"/v/{code}?lang={lang}").text)
        assert f'data-cause="{cause}"' in line, (code, line)
        assert "fisco-drugtrace" not in line and "`" not in line and "0x" not in line and "manifest" not in line
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]{8}", line), line  # Chinese sentences
    api = http.get("/api/v1/verify_code", params={"code": "81699990000000010000"}).json()
    assert api["cause"] == "no_product_bound" and "product assign-code" in api["reason"]  # for operators


def test_script_in_a_code_is_escaped(pages) -> None:
    http, _, _ = pages
    page = http.get("/verify", params={"code": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_repeated_scans_of_a_dispensed_box_raise_one_alert(pages, world) -> None:
    http, secret, backend = pages
    sold = world.story.dispensed_codes[2]
    for _ in range(SCAN_ALERT_THRESHOLD + 3):
        http.get(f"/v/{sold}")
    raised = [a for a in backend.store.scan_alerts() if a.code == sold]
    assert len(raised) == 1 and raised[0].scans == SCAN_ALERT_THRESHOLD  # rate-limited: once per hour
    board = http.get("/board/alerts", headers={"cookie": f"dt_token={secret}"})
    assert sold in board.text and "DuplicateDispense" in board.text


def test_board_needs_a_token(pages) -> None:
    http, secret, _ = pages
    assert http.get("/board", follow_redirects=False).status_code == 303
    bad = http.post("/login", data={"token": "dtk_wrong", "next": "/board"})
    assert bad.status_code == 401 and 'id="login-error"' in bad.text
    good = http.post("/login", data={"token": secret, "next": "https://evil.example/"}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/board"
    assert "httponly" in good.headers["set-cookie"].lower()


def test_recall_board_marks_the_missed_notice(world, make_backend) -> None:
    """The level II case was opened and never notified; viewed four days later, it is overdue."""
    later = make_backend(clock=lambda: world.story.services["regulator"].now_ms() + 4 * DAY_MS)
    later.sync_once()
    secret, _ = later.tokens.issue("inspector-later", "read")
    with TestClient(create_app(later, start_sync=False)) as http:
        board = http.get("/board?lang=en", headers={"cookie": f"dt_token={secret}"}).text
    late = _row(board, world.recall_id)
    assert late.startswith('<tr class="overdue"') and "<strong>overdue</strong>" in late and "OPEN" in late
    closed = _row(board, world.story.recall_id)
    assert closed.startswith('<tr class=""') and "CLOSED" in closed and "overdue" not in closed
    with TestClient(create_app(make_backend(), start_sync=False)) as http:  # seen today: not yet late
        today = http.get("/board?lang=en", headers={"cookie": f"dt_token={secret}"}).text
    assert _row(today, world.recall_id).startswith('<tr class=""') and "pending" in _row(today, world.recall_id)


def test_recall_board_on_a_chain_whose_clock_was_moved(world, make_backend, tmp_path) -> None:
    """The clock-moving twin of the test above: nothing faked — the dev chain's clock moves four
    days (``dev_increaseTime``) and the board is read at the chain's time. The level II case (3 days)
    is overdue; the notice the manufacturer then sends is flagged late by the contract itself and the
    board says so. Everything is reverted after (``dev_revert``), and read from a home of its own, so
    no other test's index sees these blocks."""
    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.client.devtools import DevControls
    from fisco_drugtrace.devchain import dev_keypairs
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.drugtrace.suite import suite_abi

    abi = suite_abi("RecallManager")
    controls = DevControls(world.client)
    home = tmp_path / "inspector"
    manufacturer = TraceService(world.client, LocalSigner(dev_keypairs(2)[1]), AddressBook.in_home(home), home=home)
    manufacturer.attach(world.story.services["regulator"].deployment.address("OrgRegistry"))
    case = manufacturer.get_recall(world.recall_id)
    assert case.notice_at == 0 and controls.time() < case.notice_deadline  # not late yet
    snapshot = controls.snapshot()
    backend = make_backend(home=home, clock=controls.time)
    try:
        controls.increase_time(4 * DAY_MS)
        controls.mine()
        assert controls.time() > case.notice_deadline
        backend.sync_once()
        secret, _ = backend.tokens.issue("inspector-moved-clock", "read")
        with TestClient(create_app(backend, start_sync=False)) as http:
            board = http.get("/board?lang=en", headers={"cookie": f"dt_token={secret}"}).text
            missed = _row(board, world.recall_id)
            assert missed.startswith('<tr class="overdue"') and "<strong>overdue</strong>" in missed
            notified = manufacturer.issue_notice(world.recall_id)
            assert notified.notice_at > case.notice_deadline  # the block's time: the moved clock
            head = world.client.block_number()
            issued = [e for e in (abi.decode_log(log) for log in world.client.get_logs(
                head, head, [manufacturer.deployment.contracts["RecallManager"]], None))
                if e is not None and e.name == "RecallNoticeIssued"]
            assert [e.args["late"] for e in issued] == [True]  # the contract's own flag
            backend.sync_once()
            board = http.get("/board?lang=en", headers={"cookie": f"dt_token={secret}"}).text
        late = _row(board, world.recall_id)
        assert "<strong>late</strong>" in late and "<strong>overdue</strong>" not in late
    finally:
        manufacturer.close()
        assert controls.revert(snapshot)
    assert world.story.services["regulator"].get_recall(world.recall_id).notice_at == 0


def test_batch_where_and_unit_trace(pages, world) -> None:
    http, secret, _ = pages
    cookies = {"cookie": f"dt_token={secret}"}
    where = http.get(f"/board/batch/0x{world.story.batch_id.hex()}", headers=cookies)
    assert where.status_code == 200 and 'id="holdings"' in where.text
    trace = http.get(f"/board/unit/{world.story.dispensed_codes[0]}", headers=cookies)
    assert trace.status_code == 200 and "<svg" in trace.text and "dispensed here" in trace.text
    assert "Kangjian Pharmacy" in trace.text and "Huaxia Pharmaceutical Co." in trace.text
    assert http.get("/board/batch/0xnothex", headers=cookies).status_code == 400


def test_report_downloads(pages, world) -> None:
    http, secret, _ = pages
    cookies = {"cookie": f"dt_token={secret}"}
    http.cookies.clear()  # the login test left a session cookie in this client
    assert http.get("/board/report.json").status_code == 401
    report = http.get("/board/report.json", headers=cookies).json()
    assert any(case["recall_id"] == world.recall_id for case in report["recalls"])
    md = http.get("/board/report.md", headers=cookies)
    assert md.status_code == 200 and "#" in md.text
    csv = http.get("/board/report.csv?section=recalls", headers=cookies)
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("recall_id")
    assert http.get("/board/report.csv?section=nope", headers=cookies).status_code == 400


def _as_of(html: str) -> str:
    match = re.search(r'id="as-of" data-block="([^"]+)"', html)
    assert match, "the verdict does not say as of which block"
    return match.group(1)


def test_the_verdict_says_as_of_which_block_the_index_is(world, make_backend) -> None:
    """Served from the audit index: the page and the API name its block; while the chain moves on
    and the index has not followed, they keep naming the older block, then the new one."""
    from fisco_drugtrace.drugtrace import OrgKind

    backend = make_backend()
    backend.sync_once()
    indexed = backend.sync.indexed_block
    code = world.listed_codes[60]
    with TestClient(create_app(backend, start_sync=False)) as http:
        page = http.get(f"/v/{code}?lang=en").text
        assert _verdict(page) == "genuine" and _as_of(page) == str(indexed) and f"As of block {indexed}" in page
        body = http.get("/api/v1/verify_code", params={"code": code}).json()
        assert body["as_of_block"] == indexed and body["evidence"]["proof_checked"] is True
        assert body["evidence"]["committed_block"] <= indexed and body["evidence"]["committed_tx"].startswith("0x")
        assert "committed in block" in page and "commit transaction" in page
        world.story.services["regulator"].register_org(b"\x5a" * 32, OrgKind.PHARMACY, 110000)  # the chain moves on
        head = world.client.block_number()
        assert head > indexed
        assert _as_of(http.get(f"/v/{code}?lang=en").text) == str(indexed)
        backend.sync_once()
        assert _as_of(http.get(f"/v/{code}?lang=en").text) == str(head)
        assert http.get("/api/v1/verify_code", params={"code": code}).json()["as_of_block"] == head
        # a malformed code is counterfeit by its form alone: no block to name
        assert 'id="as-of"' not in http.get("/v/123?lang=en").text
        assert http.get("/api/v1/verify_code", params={"code": code, "extra": "1"}).status_code == 400


def test_the_camera_scanner_is_the_locked_npm_package_served_here_no_cdn(pages) -> None:
    """html5-qrcode comes from ``node_modules`` (``npm ci``, pinned with its integrity hash in
    package-lock.json) and is served by this server; the page loads scripts from itself only."""
    import json
    from pathlib import Path

    from fisco_drugtrace.web.app import find_scanner_js

    http, _, _ = pages
    root = Path(__file__).resolve().parents[2]
    locked = json.loads((root / "package-lock.json").read_text())["packages"]["node_modules/html5-qrcode"]
    assert locked["version"] == json.loads((root / "package.json").read_text())["dependencies"]["html5-qrcode"]
    assert locked["integrity"].startswith("sha512-")
    bundle = find_scanner_js()
    if bundle is None:
        pytest.skip("node_modules/html5-qrcode is not installed (npm ci)")
    served = http.get("/static/vendor/html5-qrcode.min.js")
    assert served.status_code == 200 and served.content == bundle.read_bytes()
    page = http.get("/verify?lang=en")
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page.text)
    assert "/static/vendor/html5-qrcode.min.js" in sources and all(s.startswith("/") for s in sources), sources
    assert 'id="scan-button"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "http" not in policy


def test_the_alerts_feed_lists_the_storys_excursion_failed_inspection_and_duplicate(pages) -> None:
    http, secret, _ = pages
    feed = http.get("/board/alerts?lang=en", headers={"cookie": f"dt_token={secret}"})
    assert feed.status_code == 200
    for kind, words in (("TemperatureExcursion", "temperature outside the product's range"),
                        ("ShipmentExcursionFlagged", "shipment flagged for a temperature excursion"),
                        ("ObservationRecorded", "inspection observation: FAIL"),
                        ("DuplicateDispense", "duplicate dispense")):
        assert kind in feed.text and words in feed.text.replace("&#39;", "'"), kind


def test_a_patients_scan_keeps_no_personal_data(pages, world) -> None:
    """Scans are counted by code hash: the scanner's address, browser and cookies are kept nowhere
    in the web store (scans, scan alerts, idempotency records, write log), on either backend."""
    http, _, backend = pages
    agent, address = "PatientPhone/9.9 (test-agent-7f3a)", "203.0.113.77"
    sold = world.story.dispensed_codes[1]
    for _ in range(SCAN_ALERT_THRESHOLD + 1):  # enough to raise the regulator's alert too
        page = http.get(f"/v/{sold}", headers={"user-agent": agent, "x-forwarded-for": address,
                                                "cookie": "tracking=patient-42"})
        assert page.status_code == 200
    assert any(a.code == sold for a in backend.store.scan_alerts())
    if backend.store.path.suffix == ".sqlite":
        dumped = b"".join(p.read_bytes() for p in backend.store.path.parent.glob(backend.store.path.name + "*"))
    else:
        db = backend.store._db
        dumped = "".join(str(row) for table in ("scans", "scan_alerts", "idempotency", "writes")
                         for row in db.execute(f"SELECT * FROM {table}").fetchall()).encode()
    assert dumped
    for personal in (agent, "test-agent-7f3a", address, "patient-42"):
        assert personal.encode() not in dumped, personal


def test_trace_graph_names_fit_their_boxes() -> None:
    """An organisation's name is drawn in at most two lines that fit its box (whole words; what
    does not fit is cut with …), and the full name is the box's tooltip."""
    from fisco_drugtrace.web.graph import _LINE, _lines

    assert _lines("Kangjian Pharmacy") == ["Kangjian Pharmacy"]
    assert _lines("Beifang Medicine Distribution") == ["Beifang Medicine", "Distribution"]
    long = _lines("National Medical Products Administration of the People's Republic of China")
    assert len(long) == 2 and long[1].endswith("…") and all(len(line) <= _LINE for line in long)
    assert _lines("0x1234567890abcdef1234567890abcdef") == ["0x1234567890abcdef123…"]
