"""Thai text and the Thai calendar: NFC at the edge of the data, B.E. years, fiscal years."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import SqlAlchemyUnitOfWork
from workflow import services
from workflow.fields import parse_date
from workflow.model import Actor, NewCase
from workflow.thaidate import (
    fiscal_year_be,
    fiscal_year_bounds,
    format_date,
    format_moment,
    local_date,
    to_buddhist_era,
    to_common_era,
)

CONSONANTS = [chr(c) for c in range(0x0E01, 0x0E2F)]
LOWER_VOWELS = ["\u0e38", "\u0e39"]  # sara u, sara uu: combining class 103
UPPER_VOWELS = ["\u0e34", "\u0e35", "\u0e36", "\u0e37"]  # class 0
TONES = ["\u0e48", "\u0e49", "\u0e4a", "\u0e4b"]  # mai ek … mai chattawa: class 107


@st.composite
def syllable(draw: st.DrawFn) -> tuple[str, str]:
    """(canonical, as typed): a tone typed before a lower vowel is the same word."""
    consonant = draw(st.sampled_from(CONSONANTS))
    tone = draw(st.sampled_from(["", *TONES]))
    kind = draw(st.sampled_from(["none", "upper", "lower"]))
    if kind == "lower":
        vowel = draw(st.sampled_from(LOWER_VOWELS))
        return consonant + vowel + tone, consonant + tone + vowel
    vowel = draw(st.sampled_from(UPPER_VOWELS)) if kind == "upper" else ""
    return consonant + vowel + tone, consonant + vowel + tone


@st.composite
def thai_text(draw: st.DrawFn) -> tuple[str, str]:
    parts = draw(st.lists(syllable(), min_size=1, max_size=8))
    canonical = "".join(c for c, _ in parts)
    typed = "".join(t for _, t in parts)
    if draw(st.booleans()):  # a foreign partner name with an accent, typed decomposed
        word = draw(st.sampled_from(["Düsseldorf", "Québec", "Łódź", "Nha Trang Việt"]))
        canonical += " " + unicodedata.normalize("NFC", word)
        typed += " " + unicodedata.normalize("NFD", word)
    return canonical, typed


def test_tone_typed_before_a_lower_vowel_is_the_same_word() -> None:
    canonical, typed = "\u0e14\u0e39\u0e48", "\u0e14\u0e48\u0e39"  # ดู่: vowel, tone
    assert canonical != typed
    assert unicodedata.normalize("NFC", typed) == canonical


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=thai_text(), note=thai_text())
def test_thai_input_is_stored_in_nfc(
    uow: SqlAlchemyUnitOfWork,
    officers: dict[str, Actor],
    clock: Callable[[], dt.datetime],
    name: tuple[str, str],
    note: tuple[str, str],
) -> None:
    (name_nfc, name_typed), (note_nfc, note_typed) = name, note
    assert unicodedata.normalize("NFC", name_typed) == name_nfc
    opened = services.open_case(
        uow,
        officers["somchai"],
        NewCase("TH-50", name_typed, "DE", name_typed, "MOU", "sister"),
        clock(),
        note=note_typed,
    )
    services.advance_case(
        uow,
        officers["governor-cm"],
        opened.reference,
        "withdraw",
        {"withdrawal_letter_no": f"{note_typed} 12/2567"},
        note_typed,
        clock(),
    )
    case, history = services.case_history(uow, opened.reference)
    assert case.partner_name == name_nfc
    assert case.partner_level == name_nfc
    opening, withdrawal = history
    assert opening.fields["partner_name"] == name_nfc
    assert opening.note == note_nfc
    assert withdrawal.note == note_nfc
    assert withdrawal.fields["withdrawal_letter_no"] == f"{note_nfc} 12/2567"
    for text in (case.partner_name, opening.note, withdrawal.note):
        assert unicodedata.is_normalized("NFC", text)
    # Typed either way, the name finds the same case.
    listed = [c for c in services.list_cases(uow) if c.partner_name == name_nfc]
    assert opened.reference in {c.reference for c in listed}


# ---------------------------------------------------------------------- calendar
@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (dt.date(2024, 9, 30), 2567),
        (dt.date(2024, 10, 1), 2568),
        (dt.date(2023, 10, 1), 2567),
        (dt.date(2024, 1, 1), 2567),
        (dt.date(2024, 12, 31), 2568),
    ],
)
def test_fiscal_year_starts_on_1_october(day: dt.date, fiscal_year: int) -> None:
    assert fiscal_year_be(day) == fiscal_year


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_bounds(2567) == (dt.date(2023, 10, 1), dt.date(2024, 9, 30))
    first, last = fiscal_year_bounds(2568)
    assert fiscal_year_be(first) == fiscal_year_be(last) == 2568
    assert fiscal_year_be(first - dt.timedelta(days=1)) == 2567
    assert fiscal_year_be(last + dt.timedelta(days=1)) == 2569


def test_buddhist_era() -> None:
    assert to_buddhist_era(2024) == 2567
    assert to_common_era(2567) == 2024
    assert format_date(dt.date(2024, 3, 31), "th") == "31 มี.ค. 2567"
    assert format_date(dt.date(2024, 3, 31), "en") == "2024-03-31"
    assert parse_date("2567-03-31") == dt.date(2024, 3, 31)
    assert parse_date("2024-03-31") == dt.date(2024, 3, 31)


def test_bangkok_midnight_decides_the_day_and_fiscal_year() -> None:
    # 30 Sep 2024 17:30 UTC is 1 Oct 2024 00:30 in Bangkok: a new fiscal year.
    moment = dt.datetime(2024, 9, 30, 17, 30, tzinfo=dt.UTC)
    assert local_date(moment) == dt.date(2024, 10, 1)
    assert fiscal_year_be(local_date(moment)) == 2568
    assert fiscal_year_be(local_date(moment - dt.timedelta(hours=1))) == 2567
    assert format_moment(moment, "th") == "1 ต.ค. 2567 00:30"


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_fiscal_year_properties(day: dt.date) -> None:
    fy = fiscal_year_be(day)
    first, last = fiscal_year_bounds(fy)
    assert first <= day <= last
    assert first.month == 10 and first.day == 1
    assert fy in (to_buddhist_era(day.year), to_buddhist_era(day.year) + 1)
