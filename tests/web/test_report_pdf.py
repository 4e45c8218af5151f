"""The audit report as a PDF download (fpdf2 with the system's CJK font): Chinese and English
headings, the recall cases with their deadlines, read back with pypdf."""

from __future__ import annotations

import io
import time

import pytest
from starlette.testclient import TestClient

from fisco_drugtrace.drugtrace.audit import report_pdf
from fisco_drugtrace.web import create_app

fpdf = pytest.importorskip("fpdf", reason="the PDF report needs fpdf2 (in the dev extra; pip install -e '.[dev]')")
pypdf = pytest.importorskip("pypdf", reason="reading the PDF back needs pypdf (in the dev extra)")
pytestmark = pytest.mark.skipif(report_pdf.find_cjk_font() is None,
                                reason="no font with Chinese glyphs (apt-get install fonts-wqy-microhei; .ci/run does)")
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def board(world, make_backend):
    backend = make_backend(clock=lambda: int(time.time() * 1000) + 4 * DAY_MS)
    backend.sync_once()
    secret, _ = backend.tokens.issue("pdf-inspector", "read")
    with TestClient(create_app(backend, start_sync=False)) as http:
        yield http, secret


def test_the_report_downloads_as_a_pdf_with_chinese_text(board, world) -> None:
    """Viewed four days on: the level I case's next progress report is overdue, the level II
    case's notice too; the recalled batches never left the MAH."""
    http, secret = board
    assert http.get("/board/report.pdf").status_code == 401
    answer = http.get("/board/report.pdf", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-") and len(answer.content) < 500_000
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages)
    for words in ("药品追溯审计报告", "召回案件 Recall cases", "召回完成情况", "预警 Alerts", "UTC+8",
                  "nothing outside the MAH", "OVERDUE", "CLOSED", "DuplicateDispense"):
        assert words in text, words
    board_page = http.get("/board?lang=en", headers={"Authorization": f"Bearer {secret}"}).text
    assert 'href="/board/report.pdf"' in board_page


def test_without_a_cjk_font_the_download_says_why(board, monkeypatch) -> None:
    http, secret = board
    monkeypatch.setattr(report_pdf, "find_cjk_font", lambda: None)
    answer = http.get("/board/report.pdf", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 501 and "fonts-wqy-microhei" in answer.text
