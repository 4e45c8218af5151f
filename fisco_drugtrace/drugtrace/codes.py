"""The 20-digit NMPA drug traceability code (药品追溯码, NMPAB/T 1002-2019).

Structure checked here: exactly 20 ASCII digits, the first 7 being the drug identifier code
(药品标识码) that names the product and package level. A batch's code list must not repeat a code;
problems are reported with 1-based line numbers in :class:`~fisco_drugtrace.errors.TraceCodeError`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from fisco_drugtrace.errors import DrugCodeError, TraceCodeError

__all__ = [
    "CODE_LENGTH",
    "PREFIX_LENGTH",
    "code_problem",
    "drug_identifier",
    "parse_drug_code",
    "validate_codes",
    "read_code_lines",
    "load_codes",
    "codes_from_sequence",
]

CODE_LENGTH = 20
PREFIX_LENGTH = 7
_MAX_PROBLEMS = 100


def code_problem(code: str, expected_prefix: str | None = None) -> str | None:
    """Why ``code`` is not a valid 20-digit code (with the expected 7-digit prefix), or ``None``."""
    if len(code) != CODE_LENGTH:
        return f"expected {CODE_LENGTH} digits, got {len(code)} characters"
    if not (code.isascii() and code.isdigit()):
        return "a traceability code has digits only"
    if expected_prefix is not None and code[:PREFIX_LENGTH] != expected_prefix:
        return f"drug identifier code {code[:PREFIX_LENGTH]} is not the product's {expected_prefix}"
    return None


def drug_identifier(code: str) -> str:
    """The first 7 digits: the drug identifier code."""
    return code[:PREFIX_LENGTH]


def parse_drug_code(value: str | int) -> int:
    """A drug identifier code (the text ``"0812345"``, exactly 7 digits, or the int ``812345``) as
    the chain stores it (``0 < code < 10^7``).

    :raises DrugCodeError: not 7 digits, or zero.
    """
    text = str(value).strip()
    width_ok = len(text) == PREFIX_LENGTH if isinstance(value, str) else len(text) <= PREFIX_LENGTH
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not width_ok or int(text) == 0:
        raise DrugCodeError(f"a drug identifier code has {PREFIX_LENGTH} digits and is not 0000000, got {value!r}")
    return int(text)


def validate_codes(
    numbered: Iterable[tuple[int, str]],
    *,
    expected_prefix: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Check ``(line_number, code)`` pairs; return the codes in order or raise ``TraceCodeError``.

    Every malformed code and every repeat (naming the line of the first occurrence) is collected,
    up to 100 problems, so a user fixes a file in one pass.
    """
    if expected_prefix is not None and code_problem(expected_prefix + "0" * 13) is not None:
        raise TraceCodeError([(0, str(expected_prefix),
                               f"the expected drug identifier code {expected_prefix!r} is not {PREFIX_LENGTH} digits")])
    seen: dict[str, int] = {}
    codes: list[str] = []
    problems: list[tuple[int, str, str]] = []
    total = 0
    for count, (line, code) in enumerate(numbered, 1):
        reason = code_problem(code, expected_prefix)
        if isinstance(code, _Unreadable):
            reason = code.reason
        if reason is None and code in seen:
            reason = f"duplicate of line {seen[code]}"
        if reason is not None:
            total += 1
            if len(problems) < _MAX_PROBLEMS:
                problems.append((line, str(code), reason))
        else:
            seen[code] = line
            codes.append(code)
        if on_progress is not None and count % 10_000 == 0:
            on_progress(10_000)
    if problems:
        raise TraceCodeError(problems, total=total)
    if not codes:
        raise TraceCodeError([(0, "", "the file holds no codes (blank lines, # comments and a header only)")])
    return codes


class _Unreadable(str):
    """A line that could not be read as a code at all (its text, with the reason)."""

    reason: str

    def __new__(cls, text: str, reason: str) -> "_Unreadable":
        obj = super().__new__(cls, text)
        obj.reason = reason
        return obj


def read_code_lines(text: str) -> list[tuple[int, str]]:
    """``(line_number, code)`` from a text file (one code a line) or a CSV file.

    In CSV the code is the first column, or the column headed ``code``/``trace_code``/``追溯码``.
    Blank lines and ``#`` comments are skipped; a header line of letters is skipped.
    """
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    if "," not in first and ";" not in first and "\t" not in first:
        return [(n, ln.strip()) for n, ln in enumerate(lines, 1)
                if ln.strip() and not ln.lstrip().startswith("#") and not _is_header(ln.strip())]
    return _read_csv(text)


def _is_header(cell: str) -> bool:
    return cell.lower() in _HEADERS


_HEADERS = {"code", "codes", "trace_code", "tracecode", "traceability_code", "追溯码", "药品追溯码"}


def _read_csv(text: str) -> list[tuple[int, str]]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _cells(_whole_file_rows(text, dialect))
    except _SpansLines:
        # a quote spans lines: read line by line, since a code never spans lines, so an
        # unterminated quote costs one line, not the rest of the file
        return _cells(_rows_line_by_line(text, dialect))


class _SpansLines(Exception):
    """A CSV row of the file spans several lines (an unterminated quote)."""


def _cells(rows: Iterable[tuple[int, Any]]) -> list[tuple[int, str]]:
    """The code column of ``(line, row)`` pairs: the first column, or the one a header names."""
    column = 0
    out: list[tuple[int, str]] = []
    header_done = False
    for line, row in rows:
        if isinstance(row, _Unreadable):
            out.append((line, row))
            continue
        if not row or row[0].lstrip().startswith("#") or not any(c.strip() for c in row):
            continue
        if not header_done:
            header_done = True
            named = [i for i, c in enumerate(row) if c.strip().lower() in _HEADERS]
            if named:
                column = named[0]
                continue
        out.append((line, row[column].strip() if column < len(row) else ""))
    return out


def _whole_file_rows(text: str, dialect: Any) -> Iterator[tuple[int, Any]]:
    """``(line, row)`` in one pass of the csv module; raises ``_SpansLines`` when a row spans lines."""
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    previous = 0
    try:
        for row in reader:
            line = reader.line_num
            if line != previous + 1:
                raise _SpansLines
            previous = line
            yield line, row
    except csv.Error:
        raise _SpansLines from None


def _rows_line_by_line(text: str, dialect: Any) -> Iterator[tuple[int, Any]]:
    for line, raw in enumerate(text.splitlines(), 1):
        try:
            yield line, next(csv.reader([raw], dialect, strict=True), [])
        except csv.Error as exc:
            yield line, _Unreadable(raw.strip(), f"not a CSV row ({exc})")


def load_codes(
    path: str | Path,
    *,
    expected_prefix: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Read and validate a code file (text or CSV, UTF-8, optional BOM).

    :raises TraceCodeError: every problem by line (a file that is not UTF-8 text names the line
        of the first undecodable byte).
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TraceCodeError([(line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}):"
                                         " a code file is text or CSV")]) from None
    return validate_codes(read_code_lines(text), expected_prefix=expected_prefix, on_progress=on_progress)


def codes_from_sequence(codes: Sequence[str], *, expected_prefix: str | None = None) -> list[str]:
    """Validate an in-memory list (line numbers are 1-based positions)."""
    return validate_codes(enumerate(codes, 1), expected_prefix=expected_prefix)
