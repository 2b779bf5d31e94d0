"""Importing the relationships that already exist, from the ministry's list as CSV.

Columns: province, partner_name, partner_country, partner_level, instrument, label, signed_on,
status, source. UTF-8 with or without a BOM, LF or CRLF line ends. A province may be its ISO
3166-2:TH code, its English or Thai name, or a common spelling (``states.aliases``); a date may be
YYYY-MM-DD, YYYY-MM or YYYY, in C.E. or B.E. (a year of 2400 or more is B.E.), or empty for a
relationship not yet signed; the status is a state id of the procedure.

All or nothing: every bad row is reported (line, column, reason) and nothing is written. Each
imported case is created directly in its state with one ``import`` audit event naming the file's
SHA-256 and the row's source. Identity, so that importing the same file again creates nothing:
province + partner name (NFC, casefolded, spaces collapsed) + country + instrument + signing
date (the first day of the period given).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from states import DEFAULT_PROCEDURE, nfc
from states.aliases import resolve_province
from states.reference import COUNTRIES
from workflow.authorization import access_for, authorize, recorded_refusals
from workflow.catalog import engine_in_force
from workflow.errors import InvalidInput
from workflow.followup import FollowupUnitOfWork
from workflow.model import Actor, NewCase
from workflow.services import INSTRUMENTS, LABELS, create_case
from workflow.thaidate import local_date, to_buddhist_era, to_common_era

COLUMNS = (
    "province",
    "partner_name",
    "partner_country",
    "partner_level",
    "instrument",
    "label",
    "signed_on",
    "status",
    "source",
)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True)
class RowProblem:
    """One reason a row is refused."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class ImportRejected(InvalidInput):
    """The file was refused; ``problems`` names every bad row. Nothing was written."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f"; … {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"import refused, {len(self.problems)} problem(s): {shown}{more}")


@dataclass(frozen=True)
class ImportRow:
    """A valid row, normalised."""

    line: int
    province: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    label: str
    signed_text: str
    signed_on: dt.date | None
    signed_precision: str | None
    status: str
    source: str

    @property
    def identity(self) -> str:
        """The import identity key (see the module docstring)."""
        return identity_key(
            self.province,
            self.partner_name,
            self.partner_country,
            self.instrument,
            self.signed_on.isoformat() if self.signed_on else None,
        )


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, dry run, would do)."""

    file_sha256: str
    rows: int
    created: tuple[tuple[int, str], ...]
    skipped: tuple[int, ...]
    dry_run: bool
    references: tuple[str, ...] = field(default=())


def identity_key(
    province: str, partner_name: str, country: str, instrument: str, signed_on: str | None
) -> str:
    """Province | NFC-casefolded name with spaces collapsed | country | instrument | date."""
    name = " ".join(nfc(partner_name).casefold().split())
    return "|".join((province, name, country.upper(), instrument.casefold(), signed_on or ""))


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """YYYY-MM-DD, YYYY-MM or YYYY (B.E. when the year is 2400 or more) → first day, precision."""
    m = _PARTIAL_DATE.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(m.group(1))
    if year >= 2400:
        year = to_common_era(year)
    month = int(m.group(2)) if m.group(2) else 1
    day = int(m.group(3)) if m.group(3) else 1
    precision = "day" if m.group(3) else "month" if m.group(2) else "year"
    try:
        return dt.date(year, month, day), precision
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None


def format_partial_date(day: dt.date, precision: str, buddhist: bool = False) -> str:
    """The inverse of ``parse_partial_date`` for a first-of-period date."""
    year = to_buddhist_era(day.year) if buddhist else day.year
    if precision == "year":
        return f"{year:04d}"
    if precision == "month":
        return f"{year:04d}-{day.month:02d}"
    return f"{year:04d}-{day.month:02d}-{day.day:02d}"


def parse_csv(data: bytes, today: dt.date, procedure: str = DEFAULT_PROCEDURE) -> list[ImportRow]:
    """Every row checked; raises ``ImportRejected`` listing all problems at once."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowProblem(1, "file", f"not UTF-8 ({exc.reason})")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRejected([RowProblem(1, "header", f"missing column(s) {', '.join(missing)}")])
    reader.fieldnames = header
    definition = engine_in_force(procedure, None, today).definition
    states = {s.id for s in definition.states}
    #: States a relationship reaches only after signing: an import in one of them needs a date.
    signed_states = definition.states_counting_as("established")
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        values = {k: nfc((v or "").strip()) for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        if None in raw:
            problems.append(RowProblem(line, "row", "more values than columns"))
            continue
        row, row_problems = _check_row(line, values, states, signed_states, today)
        problems.extend(row_problems)
        if row is not None:
            first = seen.setdefault(row.identity, line)
            if first != line:
                problems.append(RowProblem(line, "row", f"same relationship as line {first}"))
            rows.append(row)
    if problems:
        raise ImportRejected(problems)
    return rows


def _check_row(
    line: int, v: dict[str, str], states: set[str], signed_states: frozenset[str], today: dt.date
) -> tuple[ImportRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(RowProblem(line, column, reason))

    province = resolve_province(v["province"])
    if province is None:
        bad("province", f"unknown province '{v['province']}'")
    if not v["partner_name"]:
        bad("partner_name", "empty")
    country = v["partner_country"].upper()
    if country not in COUNTRIES:
        bad("partner_country", f"unknown country '{v['partner_country']}' (ISO 3166-1 alpha-2)")
    if not v["partner_level"]:
        bad("partner_level", "empty")
    instrument = next((i for i in INSTRUMENTS if i.casefold() == v["instrument"].casefold()), None)
    if instrument is None:
        bad("instrument", f"'{v['instrument']}' is not one of {', '.join(INSTRUMENTS)}")
    label = next((lb for lb in LABELS if lb == v["label"].casefold()), None)
    if label is None:
        bad("label", f"'{v['label']}' is not one of {', '.join(LABELS)}")
    signed_on: dt.date | None = None
    precision: str | None = None
    if v["signed_on"]:
        try:
            signed_on, precision = parse_partial_date(v["signed_on"])
        except ValueError as exc:
            bad("signed_on", str(exc))
        else:
            if signed_on > today:
                bad("signed_on", f"{v['signed_on']} is in the future")
    status = v["status"]
    if status not in states:
        bad("status", f"unknown status '{status}' (a state id of the procedure)")
    elif status in signed_states and not v["signed_on"]:
        bad("signed_on", f"required for status '{status}'")
    if problems or province is None or instrument is None or label is None:
        return None, problems
    return (
        ImportRow(
            line=line,
            province=province,
            partner_name=" ".join(v["partner_name"].split()),
            partner_country=country,
            partner_level=v["partner_level"],
            instrument=instrument,
            label=label,
            signed_text=v["signed_on"],
            signed_on=signed_on,
            signed_precision=precision,
            status=status,
            source=v["source"],
        ),
        [],
    )


def import_relationships(
    uow: FollowupUnitOfWork,
    actor: Actor,
    data: bytes,
    file_name: str,
    now: dt.datetime,
    dry_run: bool = False,
    procedure: str = DEFAULT_PROCEDURE,
) -> ImportResult:
    """Check the whole file, then create the new relationships in one transaction."""
    engine = engine_in_force(procedure, None, local_date(now))
    access = access_for([engine.definition], "import", verb="import relationships")
    with recorded_refusals(uow, actor, "import", None, now):
        role = authorize(actor, access)
    digest = hashlib.sha256(data).hexdigest()
    rows = parse_csv(data, local_date(now), procedure)
    created: list[tuple[int, str]] = []
    skipped: list[int] = []
    with uow:
        uow.lock()
        existing = {identity_key(*r) for r in uow.followup.identity_rows()}
        fresh = [r for r in rows if r.identity not in existing]
        skipped = [r.line for r in rows if r.identity in existing]
        if dry_run:
            return ImportResult(
                digest, len(rows), tuple((r.line, "") for r in fresh), tuple(skipped), True
            )
        for row in fresh:
            new = NewCase(
                row.province,
                row.partner_name,
                row.partner_country,
                row.partner_level,
                row.instrument,
                row.label,
            )
            case = create_case(
                uow,
                engine,
                new,
                row.status,
                actor,
                role,
                now,
                kind="import",
                fields={
                    "signed_on": row.signed_text,
                    "signed_on_date": row.signed_on.isoformat() if row.signed_on else None,
                    "signed_on_precision": row.signed_precision,
                    "status": row.status,
                    "source": row.source,
                    "file_name": nfc(file_name),
                    "file_sha256": digest,
                    "line": row.line,
                },
            )
            created.append((row.line, case.reference))
        uow.commit()
    return ImportResult(
        digest,
        len(rows),
        tuple(created),
        tuple(skipped),
        False,
        tuple(ref for _, ref in created),
    )
