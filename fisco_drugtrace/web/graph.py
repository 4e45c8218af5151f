"""A unit's trace as an SVG graph: one node per organisation in the order custody reached it
(MAH → distributor → … → dispenser), one arrow per shipment with its quantity, and the unit's
own dispense marked on the last holder. Drawn from the index's trace entries only."""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

__all__ = ["trace_graph"]

_W, _H, _GAP = 170, 54, 70


def _label(org: str, labels: Mapping[str, str]) -> str:
    return labels.get(org, org[:10] + "…")


#: characters of a box's line at font-size 12 (the box is 170 px wide)
_LINE = 22


def _lines(text: str) -> list[str]:
    """``text`` in at most two lines that fit a box (words kept whole; the rest cut with …)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= _LINE:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [line if len(line) <= _LINE else line[:_LINE - 1] + "…" for line in lines] or [""]


def trace_graph(trace: Any, labels: Mapping[str, str]) -> str:
    """SVG text for ``trace`` (a ``UnitTrace``); empty when the trace has no custody events."""
    order: list[str] = []
    edges: list[tuple[str, str, str, str]] = []
    dispensed_by: str | None = None

    def visit(org: str | None) -> None:
        if org and org not in order:
            order.append(org)

    for entry in trace.entries:
        args = entry.args
        if entry.event == "BatchCommitted":
            visit(args.get("mahOrgId"))
        elif entry.event == "ShipmentDispatched":
            src, dst = args.get("fromOrgId"), args.get("toOrgId")
            visit(src)
            visit(dst)
            edges.append((str(src), str(dst), f"#{args.get('shipmentId')} ×{args.get('quantity')}",
                          "return" if args.get("isReturn") else "ship"))
        elif entry.event == "UnitDispensed":
            dispensed_by = args.get("orgId")
            visit(dispensed_by)
    if not order:
        return ""
    width = len(order) * (_W + _GAP) + 20
    height = _H + 110
    pos = {org: 10 + i * (_W + _GAP) for i, org in enumerate(order)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trace-graph" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="custody graph">',
             '<defs><marker id="arrow" markerWidth="10" markerHeight="10" refX="9" refY="3" orient="auto">'
             '<path d="M0,0 L9,3 L0,6 z" fill="#1f4e79"/></marker></defs>']
    for i, (src, dst, text, kind) in enumerate(edges):
        if src not in pos or dst not in pos:
            continue
        x1, x2 = pos[src] + _W, pos[dst]
        y = 30 + _H // 2 + (i % 3) * 6
        if x2 < x1:  # a return goes backwards: draw it under the boxes
            x1, x2, y = pos[src] + _W // 2, pos[dst] + _W // 2, 30 + _H + 22 + (i % 3) * 12
        colour = "#b03a2e" if kind == "return" else "#1f4e79"
        parts.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="2" '
                     f'marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{(x1 + x2) // 2}" y="{y - 6}" font-size="11" text-anchor="middle" '
                     f'fill="{colour}">{escape(text)}</text>')
    for org, x in pos.items():
        fill = "#e8f1e4" if org == dispensed_by else "#eef3f8"
        parts.append(f'<rect x="{x}" y="30" width="{_W}" height="{_H}" rx="8" fill="{fill}" stroke="#1f4e79"/>')
        name = _label(org, labels)
        lines = _lines(name)
        top = 30 + _H // 2 + 4 - 7 * (len(lines) - 1)
        spans = "".join(f'<tspan x="{x + _W // 2}" y="{top + 14 * i}">{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        parts.append(f'<text font-size="12" text-anchor="middle"><title>{escape(name)}</title>{spans}</text>')
        if org == dispensed_by:
            parts.append(f'<text x="{x + _W // 2}" y="22" font-size="12" text-anchor="middle" fill="#2e7d32">'
                         f'dispensed here</text>')
    parts.append("</svg>")
    return "".join(parts)
