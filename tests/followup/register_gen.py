"""A generated register as provinces really keep it: Thai names, B.E. day-first dates, dates known
only to the month or year or not at all, letters of intent followed by MOUs, missing levels.

Every row's truth is kept beside its text, so a test can compute what the import, the indicators
and the data-quality report must say without asking the code under test.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from states.reference import PROVINCES

HEADER = (
    "province,partner_name,partner_country,partner_level,instrument,label,signed_on,status,"
    "source,supersedes,term_years"
)
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
SHORT_MONTHS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


@dataclass
class Row:
    """One line of the register and what it really says."""

    line: int
    province: str
    partner: str
    country: str
    level: str
    instrument: str
    status: str
    signed: dt.date | None  # the true first day of the period written
    precision: str  # day, month, year, unknown ("" for a relationship not signed)
    text: str
    supersedes_line: int | None = None
    supersedes_text: str = ""
    term: int | None = None
    ref: str = ""
    written: str = ""  # the province as the register writes it

    @property
    def established(self) -> bool:
        return self.status != "mfa_consultation"


def _date_text(rng: random.Random, day: dt.date) -> tuple[str, str, dt.date]:
    """A way of writing *day* (or part of it): (text, precision, first day of that period)."""
    be = day.year + 543
    form = rng.choices(
        ["iso", "iso_be", "dmy_be", "dmy_thai", "month_iso", "month_thai", "year_be", "year_ce"],
        [12, 8, 20, 8, 8, 8, 8, 4],
    )[0]
    if form == "iso":
        return day.isoformat(), "day", day
    if form == "iso_be":
        return f"{be}-{day.month:02d}-{day.day:02d}", "day", day
    if form == "dmy_be":
        return f"{day.day}/{day.month}/{be}", "day", day
    if form == "dmy_thai":
        return f"{day.day}/{day.month}/{be}".translate(THAI_DIGITS), "day", day
    if form == "month_iso":
        return f"{day.year}-{day.month:02d}", "month", day.replace(day=1)
    if form == "month_thai":
        return f"{SHORT_MONTHS[day.month - 1]} {be}", "month", day.replace(day=1)
    if form == "year_be":
        return f"พ.ศ. {be}", "year", day.replace(month=1, day=1)
    return str(day.year), "year", day.replace(month=1, day=1)


def generate(rows_wanted: int = 520, seed: int = 10) -> list[Row]:
    """At least *rows_wanted* rows over every province; about a third without an exact date."""
    rng = random.Random(seed)
    codes = sorted(PROVINCES)
    rows: list[Row] = []
    n = 0
    while len(rows) < rows_wanted:
        n += 1
        code = codes[n % len(codes)]
        thai, english = PROVINCES[code]
        written = rng.choice([code, thai, english])
        partner = f"Partner {n}"
        country = rng.choice(["CN", "VN", "JP", "KR", "LA"])
        level = "" if rng.random() < 0.06 else rng.choice(["city", "province", "state"])
        pair = rng.random() < 0.12
        status = rng.choices(["active", "terminated", "mfa_consultation"], [88, 6, 6])[0]
        if pair:
            status = "active"
        signed_day = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(5800))
        unknown = status != "mfa_consultation" and rng.random() < 0.2
        if status == "mfa_consultation":
            text, precision, first = "", "", None
        elif unknown:
            text, precision, first = "", "unknown", None
        else:
            text, precision, first = _date_text(rng, signed_day)
        term = rng.choice([None, None, 3, 5]) if status == "active" else None
        line = len(rows) + 2
        if pair:  # a letter of intent, then an MOU that replaces it
            loi_day = signed_day - dt.timedelta(days=400 + rng.randrange(400))
            loi_text, loi_precision, loi_first = _date_text(rng, loi_day)
            rows.append(
                Row(line, code, partner, country, level, "LOI", "active", loi_first,
                    loi_precision, loi_text, written=written)
            )  # fmt: skip
            ways = [f"line {line}", "LOI", f"LOI {loi_text}"]
            rows.append(
                Row(line + 1, code, partner, country, level, "MOU", status, first, precision,
                    text, supersedes_line=line, supersedes_text=rng.choice(ways), term=term,
                    written=written)
            )  # fmt: skip
            continue
        rows.append(
            Row(line, code, partner, country, level, "MOU", status, first, precision, text,
                term=term, written=written)
        )  # fmt: skip
    return rows


def to_csv(rows: list[Row], extra: tuple[str, ...] = ()) -> str:
    """The register's text (LF line ends)."""
    lines = [HEADER]
    for r in rows:
        lines.append(
            f"{r.written or r.province},{r.partner},{r.country},{r.level},{r.instrument},"
            f"sister,{r.text},{r.status},generated,{r.supersedes_text},{r.term or ''}"
        )
    lines.extend(extra)
    return "\n".join(lines) + "\n"
