"""The audit report as a PDF (fpdf2, with a CJK font from the system), for a regulator's file.

The same :class:`~.report.AuditReport` the JSON, CSV and Markdown downloads render: recall cases
with their deadlines, time to notify, completion from the chain's figures, where the recalled stock
is, and the alerts — headings in Chinese and English, times in China Standard Time (UTC+8).
fpdf2 (pure Python, on PyPI) embeds only the glyphs used, so a report is tens of kilobytes.

Needs the optional ``fpdf2`` package (``pip install 'fisco-drugtrace[pdf]'``) and a font with
Chinese glyphs: ``$FISCO_DRUGTRACE_PDF_FONT``, else WenQuanYi Micro Hei / Zen Hei or Noto Sans CJK
where Debian installs them (``apt-get install fonts-wqy-microhei``).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from fisco_drugtrace.drugtrace.audit.compliance import recall_schedule
from fisco_drugtrace.drugtrace.audit.report import AuditReport
from fisco_drugtrace.errors import ConfigError

__all__ = ["FONT_ENV", "PdfUnavailable", "find_cjk_font", "pdf_available", "report_to_pdf"]

FONT_ENV = "FISCO_DRUGTRACE_PDF_FONT"
_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_CST = timezone(timedelta(hours=8))
#: alerts listed in the PDF (the JSON and CSV downloads carry every one)
MAX_ALERT_ROWS = 500


class PdfUnavailable(ConfigError):
    """The PDF report cannot be made here: fpdf2 is not installed, or no font has Chinese glyphs."""


def find_cjk_font() -> Path | None:
    """A font file with Chinese glyphs: ``$FISCO_DRUGTRACE_PDF_FONT``, else a Debian CJK font."""
    env = os.environ.get(FONT_ENV)
    for candidate in ([env] if env else []) + list(_FONTS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def pdf_available() -> str | None:
    """``None`` when a PDF can be made here, else why not (in words for an operator)."""
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return "the PDF report needs the fpdf2 package: pip install 'fisco-drugtrace[pdf]'"
    if find_cjk_font() is None:
        return (f"the PDF report needs a font with Chinese glyphs: apt-get install fonts-wqy-microhei, or set "
                f"${FONT_ENV} to a .ttf/.ttc/.otf file")
    return None


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(int(ms) / 1000, tz=_CST).strftime("%Y-%m-%d %H:%M")


def _short(value: str | None, width: int = 12) -> str:
    return (value[:width] + "…") if value and len(value) > width else (value or "—")


def report_to_pdf(report: AuditReport, names: Mapping[str, str] | None = None) -> bytes:
    """The report as PDF bytes; ``names`` maps org ids (0x-hex) to display names.

    :raises PdfUnavailable: fpdf2 or a CJK font is missing (:func:`pdf_available` says which).
    """
    why = pdf_available()
    if why is not None:
        raise PdfUnavailable(why)
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    font = find_cjk_font()
    label = (lambda h: (names or {}).get(h or "", _short(h, 10)))
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(datetime.fromtimestamp(report.generated_ms / 1000, tz=timezone.utc))
    pdf.set_title("Drug-trace audit report")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", fname=str(font))
    pdf.add_font("cjk", style="B", fname=str(font))  # table headings (the font has one weight)
    pdf.add_page()

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("cjk", size=size)
        pdf.ln(2)
        pdf.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("cjk", size=8)

    def line(text: str) -> None:
        pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int] | None = None) -> None:
        if not rows:
            line("—")
            return
        with pdf.table(col_widths=tuple(widths) if widths else None, text_align="LEFT", line_height=5,
                       first_row_as_headings=True) as t:
            for r in [header, *rows]:
                row = t.row()
                for value in r:
                    row.cell("" if value is None else str(value))

    heading("药品追溯审计报告 · Drug-trace audit report", 16)
    line(f"生成时间 Generated: {_when(report.generated_ms)} (UTC+8) · 链 Chain {report.deployment.get('chain', '?')}"
         f" / group {report.deployment.get('group', '?')} · 截至区块 indexed to block {report.last_block} "
         f"({report.event_count} events)")
    if report.last_block_hash:
        line(f"区块哈希 Block hash {report.last_block_hash}")
    line("时限 Deadlines: 召回通知 notice 一级 I 1 d · 二级 II 3 d · 三级 III 7 d; 进展报告 progress reports at the "
         "same interval from the notice or the previous report. 时间均为北京时间 Times UTC+8.")

    heading("召回案件 Recall cases")
    compliance = {c.recall_id: c for c in report.compliance}
    rows = []
    for c in report.recalls:
        s = recall_schedule(c, report.generated_ms)
        n = compliance.get(c.recall_id)
        verdict = "—" if n is None else {True: "on time", False: "LATE", None: "pending"}[n.compliant]
        due = "—" if s.next_report_due is None else _when(s.next_report_due) + (" OVERDUE" if s.report_overdue else "")
        rows.append([c.recall_id, c.level, c.kind.lower(), _short(c.batch_id) if c.batch_id else "product-wide",
                     c.status, _when(c.decided_at), _when(c.notice_deadline), _when(c.notice_at), verdict,
                     f"{c.progress_reports} ({s.late_reports} late)", due])
    table(["#", "级别 level", "类型 kind", "批次 batch", "状态 status", "决定 decided", "通知期限 deadline",
           "通知 notice", "时限 verdict", "进展报告 reports", "下次报告 next report"], rows,
          (8, 18, 20, 30, 24, 28, 28, 28, 20, 24, 45))

    heading("召回完成情况 Completion (chain figures)")
    rows = []
    for d in report.completion:
        share = "nothing outside the MAH" if d.outstanding_at_decision == 0 else f"{d.percent:.1f} %"
        rows.append([d.recall_id, d.outstanding_at_decision, d.recovered, share, d.in_market_now, d.written_off,
                     d.destroyed_confirmed, d.declared])
    table(["#", "召回时在市 out at opening", "已收回 recovered", "完成率 share", "仍在市 still out",
           "核销 written off", "监督销毁 destroyed", "申报 declared"], rows)

    heading("召回批次库存去向 Where the recalled stock is")
    for w in report.recalled_batches:
        line(f"批次 Batch {w.batch_id} ({w.unit_count} units)")
        table(["持有人 holder", "库存 in stock", "隔离 quarantined", "已售 dispensed", "已销毁 destroyed"],
              [[label(h.org_id), h.quantity, h.quarantined, h.dispensed, h.destroyed] for h in w.holdings]
              + [[f"in transit #{t.shipment_id} → {label(t.to_org)}", t.quantity, "", "", ""] for t in w.in_transit])
    if not report.recalled_batches:
        line("—")

    heading("预警 Alerts")
    alerts = list(report.alerts)
    table(["区块 block", "时间 time", "类别 kind", "批次 batch", "说明 description"],
          [[a.block_number, _when(a.ts_ms), a.kind, _short(a.batch_id), a.description] for a in alerts[:MAX_ALERT_ROWS]],
          (18, 30, 55, 35, 139))
    if len(alerts) > MAX_ALERT_ROWS:
        line(f"… {len(alerts) - MAX_ALERT_ROWS} more alerts in the JSON and CSV downloads")
    pdf.ln(3)
    line(f"{len(report.evidence)} on-chain events back this report; `fisco-drugtrace audit verify --report <json>` "
         "re-checks them against the chain.")
    return bytes(pdf.output())
