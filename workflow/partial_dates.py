"""Dates as registers really give them: a day, a month, a year, or nothing known.

A province's list of relationships says "2561" or "พ.ย. 2566" as often as "30/11/2569", and for a
third of the relationships nothing at all. A ``PartialDate`` keeps what is known and says how
precise it is; it is never silently rounded to a day.

Accepted (whitespace around the parts is ignored, Thai digits ๐–๙ read as 0–9):

* ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` (ISO order);
* ``D/M/YYYY`` and ``M/YYYY``, day first as written in Thailand (``/``, ``.`` or ``-``);
* ``[D] <month> YYYY`` with a Thai month name, full (พฤศจิกายน) or short (พ.ย.), or an
  English one (November, Nov);
* an era may be written before or after the year: ``พ.ศ.``/``B.E.``/``BE`` or
  ``ค.ศ.``/``C.E.``/``CE``/``AD``; without one, a year of 2400 or more is Buddhist Era;
* empty, ``-``, ``?``, ``ไม่ทราบ`` or ``unknown``: the date is unknown.

Shown (``format_partial``): a day ``31 มี.ค. 2567`` / ``2024-03-31``; a month ``พ.ย. 2566`` /
``2023-11``; a year ``พ.ศ. 2561`` / ``2018``; unknown ``ไม่ทราบวันที่`` / ``date unknown``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

from states.i18n import N_, Text
from workflow.errors import InvalidValue
from workflow.thaidate import THAI_MONTHS, THAI_MONTHS_SHORT, to_buddhist_era, to_common_era

Precision = Literal["day", "month", "year", "unknown"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)

#: Labels of each precision, for reports that say how approximate a figure is.
PRECISION_LABELS: dict[str, tuple[str, str]] = {
    "day": ("ทราบวันที่", "exact day"),
    "month": ("ทราบเพียงเดือน", "month only"),
    "year": ("ทราบเพียงปี", "year only"),
    "unknown": ("ไม่ทราบวันที่", "date unknown"),
}

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_UNKNOWN = frozenset({"", "-", "–", "?", "ไม่ทราบ", "ไม่ทราบวันที่", "unknown", "n/a", "na"})
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
#: A whole day in ISO form with ASCII digits, as a form or a step's record gives it.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DMY = re.compile(r"^(?:(\d{1,2})[/.\-])?(\d{1,2})[/.\-](\d{4})$")
_SHORT_YEAR = re.compile(r"^(?:\d{1,2}[/.\-])?\d{1,2}[/.\-]\d{2}$")
_NAMED = re.compile(r"^(?:(\d{1,2})\s+)?([^\d\s]+(?:\s[^\d\s]+)?)\s*(\d{4})$")
_END = r"\s*\.?(?=\s|\d|$)"
_BE = re.compile(rf"(พ\s*\.\s*ศ\s*\.?|\bb\s*\.?\s*e{_END})", re.IGNORECASE)
_CE = re.compile(rf"(ค\s*\.\s*ศ\s*\.?|\bc\s*\.?\s*e{_END}|\ba\s*\.?\s*d{_END})", re.IGNORECASE)


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for i, (full, short) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_SHORT, strict=True), 1):
        names[full] = i
        names[short] = i
        names[short.replace(".", "")] = i
    for i in range(1, 13):
        names[calendar.month_name[i].casefold()] = i
        names[calendar.month_abbr[i].casefold()] = i
    names["sept"] = 9
    return names


_MONTHS = _month_names()


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, the month, the year, or not at all.

    ``first`` is the first day of the period known (``None`` when unknown): 2018 → 1 January 2018.
    """

    first: dt.date | None
    precision: Precision

    def __post_init__(self) -> None:
        if (self.first is None) != (self.precision == "unknown"):
            raise ValueError("an unknown date has no day, and a known one has one")

    @classmethod
    def unknown(cls) -> PartialDate:
        """A date nothing is known about."""
        return cls(None, "unknown")

    @classmethod
    def of(cls, first: dt.date | None, precision: str | None) -> PartialDate:
        """From stored columns: a first day and a precision (``None`` precision: a day)."""
        if first is None:
            return cls.unknown()
        chosen: Precision = "day"
        for p in PRECISIONS:
            if p == precision and p != "unknown":
                chosen = p
        return cls(first, chosen)

    @property
    def known(self) -> bool:
        """Whether anything is known (at least the year)."""
        return self.first is not None

    @property
    def exact(self) -> bool:
        """Whether the day is known."""
        return self.precision == "day"

    @property
    def last(self) -> dt.date | None:
        """The last day the period may be (the day itself for an exact date)."""
        if self.first is None:
            return None
        if self.precision == "year":
            return self.first.replace(month=12, day=31)
        if self.precision == "month":
            days = calendar.monthrange(self.first.year, self.first.month)[1]
            return self.first.replace(day=days)
        return self.first

    def text(self, lang: str = "en") -> str:
        """As a reader of *lang* (``th``, ``en`` or ``both``) expects it (see the module)."""
        return format_partial(self.first, self.precision, lang)


def normalise_digits(text: str) -> str:
    """Thai digits as ASCII digits."""
    return text.translate(_THAI_DIGITS)


def _year(text: str, era: str | None) -> int:
    year = int(text)
    if era == "be" or (era is None and year >= 2400):
        return to_common_era(year)
    return year


def _take_era(text: str) -> tuple[str, str | None]:
    """The text without an era marker, and which era it named (``be``, ``ce`` or ``None``)."""
    for era, pattern in (("be", _BE), ("ce", _CE)):
        stripped, found = pattern.subn(" ", text)
        if found:
            return " ".join(stripped.split()), era
    return text, None


#: Why ``datetime.date`` refuses a day, in words the catalogue translates.
_REASONS = {
    "month must be in 1..12": Text(N_("month must be in 1..12")),
    "day is out of range for month": Text(N_("day is out of range for month")),
    "year 0 is out of range": Text(N_("year 0 is out of range")),
}


def _build(year: int, month: int | None, day: int | None, original: str) -> PartialDate:
    try:
        first = dt.date(year, month or 1, day or 1)
    except ValueError as exc:
        reason = _REASONS.get(str(exc), str(exc))
        raise InvalidValue(
            N_("'{text}' is not a real date ({reason})"), text=original, reason=reason
        ) from None
    precision: Precision = "day" if day else "month" if month else "year"
    return PartialDate(first, precision)


def parse_partial(text: str) -> PartialDate:
    """Read a date in any of the module's forms; ``ValueError`` says why one cannot be read."""
    original = text.strip()
    cleaned = " ".join(normalise_digits(original).replace(",", " ").split())
    if cleaned.casefold() in _UNKNOWN:
        return PartialDate.unknown()
    body, era = _take_era(cleaned)
    if m := _ISO.match(body):
        year, month, day = m.groups()
        return _build(_year(year, era), _int(month), _int(day), original)
    if m := _DMY.match(body):
        day, month, year = m.groups()
        return _build(_year(year, era), int(month), _int(day), original)
    if m := _NAMED.match(body):
        day, name, year = m.groups()
        month = _MONTHS.get(name.casefold().replace(" ", ""))
        if month is None:
            month = _MONTHS.get(name.casefold())
        if month is None:
            raise InvalidValue(
                N_("'{text}': '{name}' is not a month name"), text=original, name=name
            )
        return _build(_year(year, era), month, _int(day), original)
    if _SHORT_YEAR.match(body):
        raise InvalidValue(
            N_("'{text}': write the year in four digits (e.g. 30/11/2566)"), text=original
        )
    raise InvalidValue(
        N_(
            "'{text}' is not a date (YYYY-MM-DD, YYYY-MM, YYYY, D/M/YYYY or D เดือน YYYY, "
            "C.E. or B.E.)"
        ),
        text=original,
    )


def parse_day(text: str) -> dt.date:
    """One day, in any of the module's forms that name a day (``2569-11-01``, ``2024-03-31``,
    ``1/11/2569``, ``30 พ.ย. 2566``): the one parser of every date an officer types (options,
    date fields). ``ValueError`` says why *text* is not a day."""
    if _ISO_DAY.match(text) and text < "2400":  # the usual form, C.E.: read directly
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # not a real day: ``parse_partial`` says why
    found = parse_partial(text)
    if found.precision != "day" or found.first is None:
        raise InvalidValue(
            N_("'{text}' is not a day: give YYYY-MM-DD or D/M/YYYY (C.E., or B.E. from 2400)"),
            text=text.strip(),
        )
    return found.first


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def format_partial(first: dt.date | None, precision: str | None, lang: str = "en") -> str:
    """A stored date and precision as text in *lang* (``th``, ``en`` or ``both``)."""
    if lang == "both":
        th, en = format_partial(first, precision, "th"), format_partial(first, precision, "en")
        return th if th == en else f"{th} / {en}"
    if first is None or precision == "unknown":
        return "ไม่ทราบวันที่" if lang == "th" else "date unknown"
    if lang == "th":
        year = to_buddhist_era(first.year)
        if precision == "year":
            return f"พ.ศ. {year}"
        if precision == "month":
            return f"{THAI_MONTHS_SHORT[first.month - 1]} {year}"
        return f"{first.day} {THAI_MONTHS_SHORT[first.month - 1]} {year}"
    if precision == "year":
        return f"{first.year:04d}"
    if precision == "month":
        return f"{first.year:04d}-{first.month:02d}"
    return first.isoformat()
