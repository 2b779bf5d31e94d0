"""Dates as registers give them: a day, a month, a year or nothing, in either era, Thai digits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.partial_dates import PartialDate, format_partial, parse_partial
from workflow.thaidate import THAI_MONTHS, THAI_MONTHS_SHORT


@pytest.mark.parametrize(
    ("text", "first", "precision"),
    [
        ("2024-03-31", dt.date(2024, 3, 31), "day"),
        ("2567-03-31", dt.date(2024, 3, 31), "day"),
        ("2015-3", dt.date(2015, 3, 1), "month"),
        ("2558", dt.date(2015, 1, 1), "year"),
        ("30/11/2569", dt.date(2026, 11, 30), "day"),
        ("1/2/2015", dt.date(2015, 2, 1), "day"),  # day first, as written in Thailand
        ("30.11.2566", dt.date(2023, 11, 30), "day"),
        ("11/2566", dt.date(2023, 11, 1), "month"),
        ("๓๐/๑๑/๒๕๖๙", dt.date(2026, 11, 30), "day"),
        ("๒๕๖๑", dt.date(2018, 1, 1), "year"),
        ("พ.ศ. 2561", dt.date(2018, 1, 1), "year"),
        ("พ.ศ.2561", dt.date(2018, 1, 1), "year"),
        ("2561 BE", dt.date(2018, 1, 1), "year"),
        ("ค.ศ. 2018", dt.date(2018, 1, 1), "year"),
        ("พ.ย. 2566", dt.date(2023, 11, 1), "month"),
        ("พย 2566", dt.date(2023, 11, 1), "month"),
        ("30 พ.ย. 2566", dt.date(2023, 11, 30), "day"),
        ("30 พฤศจิกายน พ.ศ. 2566", dt.date(2023, 11, 30), "day"),
        ("มีนาคม 2567", dt.date(2024, 3, 1), "month"),
        ("31 March 2024", dt.date(2024, 3, 31), "day"),
        ("Sept 2019", dt.date(2019, 9, 1), "month"),
        ("Nov, 2023", dt.date(2023, 11, 1), "month"),
    ],
)
def test_every_form_a_register_uses(text: str, first: dt.date, precision: str) -> None:
    assert parse_partial(text) == PartialDate(first, precision)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "  ", "-", "?", "ไม่ทราบ", "unknown", "N/A"])
def test_empty_and_unknown_are_unknown(text: str) -> None:
    parsed = parse_partial(text)
    assert parsed == PartialDate.unknown() and not parsed.known and parsed.last is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/2/2567", "not a real date"),
        ("2015-13", "not a real date"),
        ("30/11/69", "four digits"),
        ("Brumaire 2019", "not a month name"),
        ("soon", "not a date"),
        ("2015/03/30/1", "not a date"),
    ],
)
def test_what_cannot_be_read_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_partial(text)


def test_periods_and_how_they_are_shown() -> None:
    year = parse_partial("พ.ศ. 2561")
    month = parse_partial("2023-11")
    day = parse_partial("2024-03-31")
    assert (year.last, month.last, day.last) == (
        dt.date(2018, 12, 31),
        dt.date(2023, 11, 30),
        dt.date(2024, 3, 31),
    )
    assert parse_partial("2024-02").last == dt.date(2024, 2, 29)
    assert [d.text("th") for d in (year, month, day)] == ["พ.ศ. 2561", "พ.ย. 2566", "31 มี.ค. 2567"]
    assert [d.text("en") for d in (year, month, day)] == ["2018", "2023-11", "2024-03-31"]
    assert PartialDate.unknown().text("both") == "ไม่ทราบวันที่ / date unknown"
    assert year.text("both") == "พ.ศ. 2561 / 2018"
    assert format_partial(None, None, "th") == "ไม่ทราบวันที่"
    assert PartialDate.of(dt.date(2020, 5, 1), None).precision == "day"
    with pytest.raises(ValueError):
        PartialDate(None, "day")


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2399, 12, 31)),
    st.sampled_from(["day", "month", "year"]),
    st.booleans(),
    st.booleans(),
)
def test_thai_text_reads_back(
    day: dt.date, precision: str, short: bool, thai_digits: bool
) -> None:
    """What the Thai rendering shows (with full or short month names) reads back the same."""
    first = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[
        precision
    ]
    text = format_partial(first, precision, "th")
    if not short:
        text = text.replace(THAI_MONTHS_SHORT[first.month - 1], THAI_MONTHS[first.month - 1])
    if thai_digits:
        text = text.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    assert parse_partial(text) == PartialDate(first, precision)  # type: ignore[arg-type]
