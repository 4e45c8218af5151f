"""The pages in a real headless Chromium (Debian's, driven by Playwright; no browser download):
a patient types codes, an inspector signs in and reads the board. Screenshots are saved under
``$FISCO_DRUGTRACE_ARTIFACTS`` (default ``.artifacts/screenshots``) for people to look at."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

DAY_MS = 86_400_000
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")
ARTIFACTS = Path(os.environ.get("FISCO_DRUGTRACE_ARTIFACTS", Path(__file__).resolve().parents[2] / ".artifacts")) / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(world, make_backend):
    import uvicorn

    from fisco_drugtrace.web import create_app

    # The board is read as a regulator would four days after the level II case was opened.
    backend = make_backend(clock=lambda: int(time.time() * 1000) + 4 * DAY_MS)
    backend.sync_once()
    secret, _ = backend.tokens.issue("browser-inspector", "read")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(backend, start_sync=False), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", secret
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _check(page, base: str, code: str) -> str:
    page.goto(f"{base}/verify?lang=en")
    page.fill("#code", code)
    page.click("#check")
    page.wait_for_selector("#verdict")
    return page.get_attribute("#verdict", "data-verdict") or ""


def test_patient_checks_a_genuine_box(site, page, world) -> None:
    base, _ = site
    assert _check(page, base, world.listed_codes[10]) == "genuine"
    assert page.inner_text("#state") == "Listed (normal)"
    assert page.inner_text("#dispensed") == "Not sold yet"
    # the name from the product's details document, checked against its on-chain detailsHash
    assert page.inner_text("#product-name").startswith("Amoxicillin Tablets")
    assert "checked against the chain" in page.inner_text("#details-checked")
    page.click("#evidence summary")
    assert "checked against the on-chain root" in page.inner_text("#evidence")
    _shot(page, "verify-genuine")


def test_patient_checks_a_counterfeit_and_an_unknown_code(site, page) -> None:
    base, _ = site
    assert _check(page, base, "8160347000000") == "counterfeit"
    _shot(page, "verify-counterfeit")
    assert _check(page, base, "81699990000000010000") == "cannot_tell"  # no manifest of 8169999 here
    _shot(page, "verify-unknown")


def test_qr_url_opens_the_result_in_chinese(site, browser, world) -> None:
    base, _ = site
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/v/{world.recalled_codes[1]}")
    assert page.get_attribute("#verdict", "data-verdict") == "genuine"
    assert "二级召回" in page.inner_text("#recall-notice")
    assert page.inner_text("#product-name").startswith("阿莫西林片")
    _shot(page, "verify-recalled-zh")
    context.close()


def test_a_wrong_token_is_refused(site, page) -> None:
    base, _ = site
    page.goto(f"{base}/board")
    assert "/login" in page.url
    page.fill("#token", "dtk_not-a-token")
    page.click("#login")
    assert page.is_visible("#login-error")


def test_recall_board_shows_the_missed_deadline_in_red(site, page, world) -> None:
    base, secret = site
    page.goto(f"{base}/login?lang=en")
    page.fill("#token", secret)
    page.click("#login")
    page.wait_for_selector("#recall-board")
    row = page.locator(f'tr[data-recall="{world.recall_id}"]')
    assert "overdue" in (row.get_attribute("class") or "")
    colour = row.locator("td").first.evaluate("cell => getComputedStyle(cell).color")
    assert colour == "rgb(176, 58, 46)"  # --bad
    # the level I case's next progress report (a day after the last one) is three days late: red too
    urgent = page.locator(f'tr[data-recall="{world.notified_recall_id}"]')
    assert "overdue" in (urgent.get_attribute("class") or "")
    late_report = urgent.locator("td.next-report")
    assert late_report.inner_text().startswith("overdue since")
    assert late_report.evaluate("cell => getComputedStyle(cell).color") == "rgb(176, 58, 46)"
    _shot(page, "board-recalls")
    page.goto(f"{base}/board?lang=zh")
    assert "下次进展报告期限" in page.inner_text("#recall-board thead")
    assert "已逾期（应于" in page.locator(f'tr[data-recall="{world.notified_recall_id}"] td.next-report').inner_text()
    _shot(page, "board-recalls-zh")
    page.goto(f"{base}/board?lang=en")
    page.goto(f"{base}/board/alerts")
    assert "DuplicateDispense" in page.inner_text("#alerts")
    _shot(page, "board-alerts")


def test_unit_trace_graph_is_drawn(site, page, world) -> None:
    base, secret = site
    page.goto(f"{base}/login")
    page.fill("#token", secret)
    page.click("#login")
    page.goto(f"{base}/board/unit/{world.story.dispensed_codes[0]}")
    boxes = page.locator("#trace-graph svg rect")
    assert boxes.count() >= 3  # manufacturer -> distributor -> pharmacy
    box = page.locator("#trace-graph svg").bounding_box()
    assert box is not None and box["width"] > 300
    _shot(page, "board-unit-trace")
