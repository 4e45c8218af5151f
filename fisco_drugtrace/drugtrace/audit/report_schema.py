"""The JSON audit report's schema: what makes a file a report at all.

``audit report --format json`` writes an object tagged ``"format": REPORT_FORMAT`` and
``"version"``, with exactly the sections of :class:`~.report.AuditReport`. ``audit verify
--report`` first checks that shape (anything else is not a report: exit 2, never "checked 0"),
then recomputes every figure from the chain (:mod:`.verify`).
"""

from __future__ import annotations

from typing import Any, Mapping

from fisco_drugtrace.errors import EncodingError
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["REPORT_FORMAT", "REPORT_VERSION", "READABLE_VERSIONS", "ReportFormatError", "parse_report"]

REPORT_FORMAT = "fisco-drugtrace/audit-report"
#: 2 adds ``last_block_hash`` (the report anchored to the chain's block, not only its number);
#: version 1 reports are still read and verified, without that anchor
REPORT_VERSION = 2
READABLE_VERSIONS = (1, 2)

#: top-level key -> the JSON type it must have
_SHAPE: Mapping[str, type | tuple[type, ...]] = {
    "format": str, "version": int, "generated_ms": int, "deployment": dict, "last_block": int,
    "event_count": int, "recalls": list, "completion": list, "compliance": list, "recalled_batches": list,
    "alerts": list, "evidence": list, "procurement": (dict, type(None)),
}
_DEPLOYMENT_SHAPE: Mapping[str, type] = {"chain": str, "group": str, "contracts": dict}


class ReportFormatError(EncodingError):
    """The file is not an audit report (not JSON, wrong format tag or version, missing sections)."""


def parse_report(text: str | bytes) -> dict[str, Any]:
    """The report object, its shape checked; :class:`ReportFormatError` when it is not a report."""
    try:
        data = load_json(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportFormatError(f"not an audit report: not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        raise ReportFormatError(f"not an audit report: no \"format\": \"{REPORT_FORMAT}\" "
                                "(write one with `audit report --format json`)")
    version = data.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ReportFormatError(f"audit report version {version!r} is not supported (this reads "
                                f"{', '.join(map(str, READABLE_VERSIONS))})")
    shape = dict(_SHAPE) if version == 1 else {**_SHAPE, "last_block_hash": str}
    missing = [k for k in shape if k not in data]
    extra = [k for k in data if k not in shape]
    if missing or extra:
        raise ReportFormatError("not an audit report: " + "; ".join(
            part for part in (f"missing {missing}" if missing else "", f"unknown {extra}" if extra else "") if part))
    for key, kind in shape.items():
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ReportFormatError(f"audit report: {key!r} must be {getattr(kind, '__name__', kind)}")
    for key, kind in _DEPLOYMENT_SHAPE.items():
        if not isinstance(data["deployment"].get(key), kind):
            raise ReportFormatError(f"audit report: deployment.{key} must be {kind.__name__}")
    for i, item in enumerate(data["evidence"]):
        if not isinstance(item, dict) or not {"block_number", "tx_hash", "position", "event", "args"} <= set(item):
            raise ReportFormatError(f"audit report: evidence[{i}] is not an evidence record")
    return data
