"""Thai calendar helpers: Buddhist Era years and the 1 October fiscal year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from states.i18n import Bilingual

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


def to_buddhist_era(year_ce: int) -> int:
    """2024 → 2567."""
    return year_ce + BE_OFFSET


def to_common_era(year_be: int) -> int:
    """2567 → 2024."""
    return year_be - BE_OFFSET


def fiscal_year_be(day: dt.date) -> int:
    """Thai fiscal year (B.E.) of *day*: FY 2567 runs 1 Oct 2023 – 30 Sep 2024."""
    return to_buddhist_era(day.year + 1 if day.month >= 10 else day.year)


def fiscal_year_bounds(fy_be: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year *fy_be*."""
    end_ce = to_common_era(fy_be)
    return dt.date(end_ce - 1, 10, 1), dt.date(end_ce, 9, 30)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Bangkok of an aware timestamp."""
    return moment.astimezone(BANGKOK).date()


def format_date(day: dt.date, lang: str = "en") -> str:
    """``2024-03-31`` in English; ``31 มี.ค. 2567`` in Thai (Buddhist Era)."""
    if lang == "th":
        return f"{day.day} {THAI_MONTHS_SHORT[day.month - 1]} {to_buddhist_era(day.year)}"
    return day.isoformat()


def date_param(day: dt.date) -> Bilingual:
    """A date filling a message: ISO in English, B.E. in Thai (``format_date``)."""
    return Bilingual(day.isoformat(), format_date(day, "th"))


def format_long_date(day: dt.date) -> str:
    """The long Thai form official letters use: ``29 กรกฎาคม 2564`` (Buddhist Era)."""
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {to_buddhist_era(day.year)}"


def format_moment(moment: dt.datetime, lang: str = "en") -> str:
    """An aware timestamp shown in Bangkok time, B.E. for Thai."""
    local = moment.astimezone(BANGKOK)
    return f"{format_date(local.date(), lang)} {local:%H:%M}"
