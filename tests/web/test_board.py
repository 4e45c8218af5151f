"""The recall board: each case's notice and progress-report deadlines, overdue in red,
completion that reads sensibly when nothing had left the MAH, in Chinese and English, with the
times' zone named."""

from __future__ import annotations

import itertools
import re

from starlette.testclient import TestClient

from fisco_drugtrace.drugtrace.audit.compliance import DAY_MS, RecallSummary, recall_schedule
from fisco_drugtrace.web import create_app
from fisco_drugtrace.web.views import fmt_ms


def _case(status: str, level: str = "II", notice_at: int | None = None, reports: tuple[int, ...] = ()) -> RecallSummary:
    return RecallSummary(recall_id=9, product_id="0x" + "11" * 32, batch_id=None, level=level, kind="VOLUNTARY",
                         initiator_org="0x" + "22" * 32, decided_at=0, notice_deadline=3 * DAY_MS if level == "II"
                         else DAY_MS, notice_at=notice_at, notice_late=None, progress_reports=len(reports),
                         overdue_reports=0, progress_times=reports, recovered=0, recovered_by_org={},
                         destroyed_recorded=0, destroyed_confirmed=0, completed_at=None, accepted=None, status=status)


def test_schedule_rule() -> None:
    """Notice within the level's limit; then a report every interval from the notice or the last report."""
    opened = recall_schedule(_case("OPEN"), now_ms=2 * DAY_MS)
    assert opened.next_report_due is None and not opened.notice_overdue  # level II: 3 days
    assert recall_schedule(_case("OPEN"), now_ms=3 * DAY_MS + 1).notice_overdue
    notified = _case("NOTIFIED", notice_at=DAY_MS, reports=(2 * DAY_MS, 6 * DAY_MS))  # 1 d, then 4 d: one late
    s = recall_schedule(notified, now_ms=8 * DAY_MS)
    assert s.next_report_due == 9 * DAY_MS and not s.report_overdue and s.late_reports == 1
    assert recall_schedule(notified, now_ms=9 * DAY_MS + 1).report_overdue
    first = recall_schedule(_case("NOTIFIED", level="I", notice_at=DAY_MS // 2), now_ms=DAY_MS)
    assert first.next_report_due == DAY_MS // 2 + DAY_MS  # the first report a day after the notice
    assert not recall_schedule(_case("NOTIFIED", notice_at=4 * DAY_MS), now_ms=5 * DAY_MS).notice_overdue
    assert recall_schedule(_case("NOTIFIED", notice_at=4 * DAY_MS), now_ms=5 * DAY_MS).notice_late
    done = recall_schedule(_case("COMPLETED", notice_at=DAY_MS, reports=(DAY_MS,)), now_ms=40 * DAY_MS)
    assert done.next_report_due is None and not done.report_overdue


def _row(html: str, recall_id: int) -> str:
    match = re.search(rf'<tr class="[^"]*" data-recall="{recall_id}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for recall {recall_id}"
    return match.group(0)


def _cell(row: str, cls: str) -> str:
    match = re.search(rf'<td class="{cls}[^"]*"[^>]*>(.*?)</td>', row, re.S)
    assert match, cls
    return match.group(1)


_names = itertools.count()


def _board(make_backend, offset_ms: int, lang: str) -> str:
    import time

    backend = make_backend(clock=lambda: int(time.time() * 1000) + offset_ms)
    backend.sync_once()
    secret, _ = backend.tokens.issue(f"board-{next(_names)}", "read")
    with TestClient(create_app(backend, start_sync=False)) as http:
        return http.get(f"/board?lang={lang}", headers={"cookie": f"dt_token={secret}"}).text


def test_next_progress_report_due_then_overdue(world, make_backend) -> None:
    regulator = world.story.services["regulator"]
    case = next(c for c in regulator.audit_recalls() if c.recall_id == world.notified_recall_id)
    due = fmt_ms(case.progress_times[-1] + DAY_MS)  # level I: a day after the last report

    today = _row(_board(make_backend, 0, "en"), world.notified_recall_id)
    assert today.startswith('<tr class=""')
    assert _cell(today, "next-report") == f"due {due}" and _cell(today, "reports") == "1 filed"
    assert "late" not in _cell(today, "notice-at")

    later = _row(_board(make_backend, 4 * DAY_MS, "en"), world.notified_recall_id)
    assert later.startswith('<tr class="overdue"')  # red: the report is three days late
    assert _cell(later, "next-report") == f"<strong>overdue since {due}</strong>"
    closed = _row(_board(make_backend, 4 * DAY_MS, "en"), world.story.recall_id)
    assert _cell(closed, "next-report") == "none due" and closed.startswith('<tr class=""')
    unnotified = _row(_board(make_backend, 0, "en"), world.recall_id)
    assert _cell(unnotified, "next-report") == "from the notice on"


def test_completion_when_nothing_left_the_mah(world, make_backend) -> None:
    """The world's recalled batches never left the MAH: no "0 / 0 (0.0 %)"."""
    board = _board(make_backend, 0, "en")
    for recall in (world.recall_id, world.notified_recall_id):
        assert _cell(_row(board, recall), "completion") == "nothing outside the MAH when the case opened"
    story = _cell(_row(board, world.story.recall_id), "completion")  # the story's stock did leave it
    assert re.fullmatch(r"\d+ / \d+ \([\d.]+ %\)", story) and not story.startswith("0 / 0")


def test_board_in_chinese_with_the_zone_named(world, make_backend) -> None:
    board = _board(make_backend, 4 * DAY_MS, "zh")
    assert "召回决定 (UTC+8)" in board and "下次进展报告期限 (UTC+8)" in board
    assert "时间均为北京时间（UTC+8）" in board and "按同一间隔报告进展" in board
    row = _row(board, world.notified_recall_id)
    assert "一级" in row and "主动召回" in row and "已通知，执行中" in row and "已报告 1 次" in row
    assert "已逾期（应于" in _cell(row, "next-report")
    assert "召回时持有人以外无在市产品" in _cell(_row(board, world.recall_id), "completion")
    assert "已决定，未通知" in _row(board, world.recall_id) and "<strong>已逾期</strong>" in _row(board, world.recall_id)
    assert "已结案" in _row(board, world.story.recall_id)
    for english in ("notice deadline", "progress reports", "product-wide", ">OPEN<", ">CLOSED<"):
        assert english not in board


def test_the_board_names_its_sign_out_link_in_the_pages_language(world, make_backend) -> None:
    assert '<a href="/logout" id="logout">Sign out</a>' in _board(make_backend, 0, "en")
    assert '<a href="/logout" id="logout">退出登录</a>' in _board(make_backend, 0, "zh")
