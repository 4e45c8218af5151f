"""20-digit NMPA code validation and code-file reading."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from fisco_drugtrace.drugtrace.codes import (
    code_problem,
    codes_from_sequence,
    drug_identifier,
    load_codes,
    read_code_lines,
    validate_codes,
)
from fisco_drugtrace.errors import TraceCodeError

GOOD = "81234560000000000001"


def test_code_problem_accepts_twenty_digits() -> None:
    assert code_problem(GOOD) is None
    assert drug_identifier(GOOD) == "8123456"


@pytest.mark.parametrize("bad", ["", "8123456000000000000", "812345600000000000012", "8123456000000000000A",
                                 "８１２３４５６０００００００００００１"])
def test_code_problem_rejects_wrong_shape(bad: str) -> None:
    assert code_problem(bad) is not None


def test_code_problem_checks_expected_prefix() -> None:
    assert code_problem(GOOD, "8123456") is None
    assert "8123456" in (code_problem(GOOD, "7654321") or "")


def test_duplicates_name_the_offending_line_and_the_first() -> None:
    with pytest.raises(TraceCodeError) as info:
        validate_codes([(1, GOOD), (2, "81234560000000000002"), (5, GOOD)])
    assert info.value.problems == [(5, GOOD, "duplicate of line 1")]


def test_all_problems_are_reported_with_line_numbers() -> None:
    with pytest.raises(TraceCodeError) as info:
        codes_from_sequence([GOOD, "123", GOOD, "81234560000000000002"])
    lines = [p[0] for p in info.value.problems]
    assert lines == [2, 3]


def test_empty_list_is_an_error() -> None:
    with pytest.raises(TraceCodeError):
        validate_codes([])


def test_text_file_skips_blanks_comments_and_header(tmp_path) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("code\n# batch L1\n" + GOOD + "\n\n81234560000000000002\n", encoding="utf-8")
    assert load_codes(path) == [GOOD, "81234560000000000002"]


def test_csv_reads_the_named_column_and_keeps_file_line_numbers(tmp_path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("serial,trace_code\n1," + GOOD + "\n2,81234560000000000002\n3," + GOOD + "\n",
                    encoding="utf-8-sig")
    pairs = read_code_lines(path.read_text(encoding="utf-8-sig"))
    assert pairs == [(2, GOOD), (3, "81234560000000000002"), (4, GOOD)]
    with pytest.raises(TraceCodeError) as info:
        load_codes(path)
    assert info.value.problems[0][0] == 4


@given(st.lists(st.text(alphabet="0123456789", min_size=20, max_size=20), min_size=1, max_size=30, unique=True))
def test_unique_valid_codes_round_trip_in_order(codes: list[str]) -> None:
    assert codes_from_sequence(codes) == codes


@given(st.lists(st.text(alphabet="0123456789", min_size=20, max_size=20), min_size=1, max_size=20),
       st.data())
def test_a_repeated_code_is_always_caught(codes: list[str], data: st.DataObject) -> None:
    extra = data.draw(st.sampled_from(codes))
    position = data.draw(st.integers(0, len(codes)))
    listing = codes[:position] + [extra] + codes[position:]
    with pytest.raises(TraceCodeError):
        codes_from_sequence(listing)


def _story_code(serial: int, prefix: str) -> str:
    """The story's code as first written: the check digits summed digit by digit."""
    body = f"{prefix}{serial:09d}"
    return body + f"{(sum(int(d) * (i % 7 + 1) for i, d in enumerate(body)) * 7919) % 10_000:04d}"


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2345, 120_000])
def test_story_codes_are_the_digit_by_digit_codes_from_serial_one(count: int) -> None:
    from fisco_drugtrace.drugtrace.story import DRUG_PREFIX, story_codes

    for prefix in (DRUG_PREFIX, "8160399"):
        codes = story_codes(count, prefix)
        assert codes == [_story_code(s, prefix) for s in range(1, count + 1)]
        assert all(code_problem(c) is None for c in codes[:50])
