"""Importing the relationships that already exist, from the ministry's list as CSV.

Real registers are kept in Excel by provinces and news clippings, so the file is read as it comes:

* **Encoding**: UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), or Thai
  Windows-874/TIS-620 (Excel's "CSV" on a Thai Windows), told apart from one another; or the one
  named with ``encoding``. A file that is none of these is refused with one line saying how to
  save it ("CSV UTF-8").
* **Layout**: the delimiter is a comma, a semicolon or a tab (whichever the header uses); LF or
  CRLF line ends; columns in any order; columns other than those below are ignored.
* **Size**: at most ``MAX_FILE_BYTES``; a field longer than ``MAX_FIELD_CHARS`` is refused,
  naming its line and column (a file that is not a register at all is named at its first line).

Columns: province, partner_name, partner_country, partner_level, instrument, label, signed_on,
status, source; optionally ``supersedes`` and ``term_years``. A province may be its ISO
3166-2:TH code, its English or Thai name, or a common spelling (``states.aliases``). ``signed_on``
may be a day, a month or a year in any form of ``workflow.partial_dates`` (``30/11/2566``,
``2561``, ``พ.ย. 2566``, Thai digits, C.E. or B.E.), or empty when unknown, even for a signed
relationship: it is then counted as established in "year unknown" and listed by ``report
data-quality``. A relationship not yet signed has no date. The status is a state of the
procedure, by id or by its Thai or English label. ``partner_level`` may be empty (to complete).

``supersedes`` links an instrument to the one it replaces (an MOU after a letter of intent with
the same partner): a case reference (``SC-2567-0003``), ``line N`` of this file, or an instrument
with an optional date (``LOI`` or ``LOI 2024-03-31``) of the same province, partner and country,
in this file or already imported. The indicators count the two as one relationship.

All or nothing: every bad row is reported (line, column, reason) and nothing is written. Each
imported case is created directly in its state with one ``import`` audit event naming the file's
SHA-256 and the row's source. Identity, so that importing the same file again creates nothing:
province + partner name (NFC, casefolded, spaces collapsed) + country + instrument + signing
date (the first day of the period given; empty when unknown).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from states import DEFAULT_PROCEDURE, ProcedureDefinition, nfc
from states.aliases import resolve_province
from states.i18n import N_, Joined, Message, Text
from states.reference import COUNTRIES
from workflow.authorization import access_for, authorize, recorded_refusals
from workflow.catalog import engine_in_force
from workflow.errors import InvalidInput, InvalidValue, as_message
from workflow.followup import FollowupUnitOfWork
from workflow.model import Actor, NewCase
from workflow.partial_dates import PartialDate, normalise_digits, parse_partial
from workflow.ports import RegisterRow
from workflow.progress import Progress
from workflow.services import INSTRUMENTS, LABELS, create_case
from workflow.thaidate import local_date, to_buddhist_era

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
OPTIONAL_COLUMNS = ("supersedes", "term_years")
_WANTED = frozenset((*COLUMNS, *OPTIONAL_COLUMNS))
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FIELD_CHARS = 2000
SAVE_HINT = Text(
    N_(
        "in Excel choose Save As → 'CSV UTF-8 (Comma delimited) (*.csv)', or name the file's "
        "encoding with --encoding"
    )
)
_REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{3,}$")
_LINE = re.compile(r"^(?:line|บรรทัด(?:ที่)?)\s*(\d+)$", re.IGNORECASE)
#: Thai vowel and tone marks that are written over or under a preceding Thai letter.
_THAI_MARKS = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))


@dataclass(frozen=True)
class RowProblem:
    """One reason a row is refused."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return str(self.message())

    def message(self) -> Message:
        """The problem as a message (its reason rendered in the language of the whole)."""
        return Message(
            N_("line {line}, {column}: {reason}"),
            line=self.line,
            column=self.column,
            reason=self.reason,
        )


class ImportRejected(InvalidInput):
    """The file was refused; ``problems`` names every bad row. Nothing was written."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        shown = [p.message() for p in self.problems[:20]]
        if len(self.problems) > 20:
            shown.append(Message(N_("… {count} more"), count=len(self.problems) - 20))
        super().__init__(
            N_("import refused, {count} problem(s): {problems}"),
            count=len(self.problems),
            problems=Joined(shown),
        )


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
    #: ``day``, ``month`` or ``year``; ``None`` when the date is unknown.
    signed_precision: str | None
    status: str
    source: str
    supersedes: str = ""
    term_years: int | None = None

    @cached_property
    def identity(self) -> str:
        """The import identity key (see the module docstring); computed once per row."""
        return identity_key(
            self.province,
            self.partner_name,
            self.partner_country,
            self.instrument,
            self.signed_on.isoformat() if self.signed_on else None,
        )

    @property
    def party_key(self) -> tuple[str, str, str]:
        """Province, partner name key and country: what two instruments of one pair share."""
        return (self.province, _name_key(self.partner_name), self.partner_country)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, dry run, would do)."""

    file_sha256: str
    rows: int
    created: tuple[tuple[int, str], ...]
    skipped: tuple[int, ...]
    dry_run: bool
    references: tuple[str, ...] = field(default=())
    #: The encoding the file was read in.
    encoding: str = "utf-8"
    #: (line, what it replaces): an instrument linked to the one it supersedes.
    linked: tuple[tuple[int, str], ...] = field(default=())


def _name_key(name: str) -> str:
    return " ".join(nfc(name).casefold().split())


def identity_key(
    province: str, partner_name: str, country: str, instrument: str, signed_on: str | None
) -> str:
    """Province | NFC-casefolded name with spaces collapsed | country | instrument | date."""
    name = _name_key(partner_name)
    return "|".join((province, name, country.upper(), instrument.casefold(), signed_on or ""))


def parse_partial_date(text: str) -> tuple[dt.date, str]:
    """A known date in any accepted form → (first day of the period, precision)."""
    parsed = parse_partial(text)
    if parsed.first is None:
        raise InvalidValue(N_("no date given"))
    return parsed.first, parsed.precision


def format_partial_date(day: dt.date, precision: str, buddhist: bool = False) -> str:
    """The ISO-order text ``parse_partial_date`` reads back (YYYY-MM-DD, YYYY-MM or YYYY)."""
    year = to_buddhist_era(day.year) if buddhist else day.year
    if precision == "year":
        return f"{year:04d}"
    if precision == "month":
        return f"{year:04d}-{day.month:02d}"
    return f"{year:04d}-{day.month:02d}-{day.day:02d}"


# ---------------------------------------------------------------------- reading the file
def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _plausible_thai(text: str) -> bool:
    """Whether text decoded as Windows-874 reads as Thai: it has Thai letters, and every vowel or
    tone mark sits on a Thai letter (Latin-1 or Vietnamese bytes misread as Thai do not)."""
    if not any("\u0e01" <= c <= "\u0e2e" for c in text):
        return False
    return all(
        c not in _THAI_MARKS or (i > 0 and "\u0e01" <= text[i - 1] <= "\u0e4e")
        for i, c in enumerate(text)
    )


def decode_register(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read in; a refusal says how to save it."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInput(
                N_("unknown encoding '{encoding}' (e.g. utf-8, cp874)"), encoding=encoding
            ) from None
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            raise ImportRejected(
                [
                    RowProblem(
                        _line_of(data, exc.start),
                        "file",
                        Message(
                            N_("not {encoding} (byte 0x{byte}); {hint}"),
                            encoding=encoding,
                            byte=f"{data[exc.start]:02x}",
                            hint=SAVE_HINT,
                        ),
                    )
                ]
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            raise ImportRejected(
                [
                    RowProblem(
                        line,
                        "file",
                        Message(N_("marked UTF-8 but is not; {hint}"), hint=SAVE_HINT),
                    )
                ]
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportRejected(
                [
                    RowProblem(
                        1, "file", Message(N_("marked UTF-16 but is not; {hint}"), hint=SAVE_HINT)
                    )
                ]
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        text = ""
    if text and _plausible_thai(text):
        return text, "cp874"
    line = _line_of(data, first_bad)
    raise ImportRejected(
        [
            RowProblem(
                line,
                "file",
                Message(
                    N_("neither UTF-8 nor Thai Windows-874/TIS-620 (byte 0x{byte}); {hint}"),
                    byte=f"{data[first_bad]:02x}",
                    hint=SAVE_HINT,
                ),
            )
        ]
    )


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class _Record:
    line: int
    values: dict[str, str]
    extra: bool


def _records(text: str, problems: list[RowProblem]) -> Iterator[_Record | list[str]]:
    """The header (a list), then each record; a CSV error ends the file with one problem."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: list[str] | None = None
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = Message(
                    N_(
                        "a field longer than {length} characters (at most {limit} are "
                        "accepted): is this the register?"
                    ),
                    length=f"{csv.field_size_limit():,}",
                    limit=f"{MAX_FIELD_CHARS:,}",
                )
            problems.append(
                RowProblem(
                    max(line, 1), "file", Message(N_("unreadable CSV: {reason}"), reason=reason)
                )
            )
            return
        if header is None:
            header = [unicodedata.normalize("NFC", h).strip().casefold() for h in raw]
            yield header
            continue
        values = {name: raw[i] if i < len(raw) else "" for i, name in enumerate(header)}
        yield _Record(reader.line_num, values, len(raw) > len(header) and any(raw[len(header) :]))


def _state_names(definition: ProcedureDefinition) -> dict[str, str]:
    """A status as written (id, Thai or English label, casefolded) → state id."""
    names: dict[str, str] = {}
    ambiguous: set[str] = set()
    for spec in definition.states:
        for name in (spec.id, spec.label.th, spec.label.en):
            key = nfc(name).casefold().strip()
            if names.get(key, spec.id) != spec.id:
                ambiguous.add(key)
            names[key] = spec.id
    for state in definition.states:  # an id always means its state
        names[state.id.casefold()] = state.id
    return {k: v for k, v in names.items() if k not in ambiguous or k == v.casefold()}


def parse_csv(
    data: bytes,
    today: dt.date,
    procedure: str = DEFAULT_PROCEDURE,
    encoding: str | None = None,
) -> list[ImportRow]:
    """Every row checked; raises ``ImportRejected`` listing all problems at once."""
    return _parse(data, today, procedure, encoding)[0]


def _parse(
    data: bytes, today: dt.date, procedure: str, encoding: str | None
) -> tuple[list[ImportRow], str]:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            [
                RowProblem(
                    1,
                    "file",
                    Message(
                        N_("{size} bytes, larger than the {limit} accepted"),
                        size=f"{len(data):,}",
                        limit=f"{MAX_FILE_BYTES:,}",
                    ),
                )
            ]
        )
    text, used = decode_register(data, encoding)
    problems: list[RowProblem] = []
    records = _records(text, problems)
    header = next(records, None)
    if not isinstance(header, list):
        raise ImportRejected(
            problems or [RowProblem(1, "header", Message(N_("the file is empty")))]
        )
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRejected(
            [
                RowProblem(
                    1,
                    "header",
                    Message(N_("missing column(s) {columns}"), columns=", ".join(missing)),
                )
            ]
        )
    definition = engine_in_force(procedure, None, today).definition
    states = _state_names(definition)
    #: States a relationship reaches only after signing.
    signed_states = definition.states_counting_as("established")
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for record in records:
        assert isinstance(record, _Record)
        line = record.line
        values = {k: nfc(v.strip()) for k, v in record.values.items() if k in _WANTED}
        if not any(values.values()):
            continue
        if record.extra:
            problems.append(RowProblem(line, "row", Message(N_("more values than columns"))))
            continue
        long = [c for c, v in values.items() if len(v) > MAX_FIELD_CHARS]
        if long:
            problems.extend(
                RowProblem(
                    line,
                    c,
                    Message(N_("longer than {limit} characters"), limit=f"{MAX_FIELD_CHARS:,}"),
                )
                for c in long
            )
            continue
        nul = [c for c, v in values.items() if "\x00" in v]
        if nul:
            problems.extend(
                RowProblem(line, c, Message(N_("contains a NUL character (0x00)"))) for c in nul
            )
            continue
        row, row_problems = _check_row(line, values, states, signed_states, today)
        problems.extend(row_problems)
        if row is not None:
            first = seen.setdefault(row.identity, line)
            if first != line:
                problems.append(
                    RowProblem(
                        line, "row", Message(N_("same relationship as line {line}"), line=first)
                    )
                )
            rows.append(row)
    if problems:
        raise ImportRejected(problems)
    return rows, used


def _check_row(
    line: int,
    v: dict[str, str],
    states: dict[str, str],
    signed_states: frozenset[str],
    today: dt.date,
) -> tuple[ImportRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(RowProblem(line, column, reason))

    province = resolve_province(v["province"])
    if province is None:
        bad("province", Message(N_("unknown province '{province}'"), province=v["province"]))
    if not v["partner_name"]:
        bad("partner_name", Message(N_("empty")))
    country = v["partner_country"].upper()
    if country not in COUNTRIES:
        bad(
            "partner_country",
            Message(
                N_("unknown country '{country}' (ISO 3166-1 alpha-2)"),
                country=v["partner_country"],
            ),
        )

    def one_of(column: str, choices: tuple[str, ...]) -> str | None:
        """The choice *column* names, in any letter case (a problem if none)."""
        written = v[column].casefold()
        found = next((c for c in choices if c.casefold() == written), None)
        if found is None:
            bad(
                column,
                Message(
                    N_("'{value}' is not one of {choices}"),
                    value=v[column],
                    choices=", ".join(choices),
                ),
            )
        return found

    instrument = one_of("instrument", INSTRUMENTS)
    label = one_of("label", LABELS)
    signed = PartialDate.unknown()
    try:
        signed = parse_partial(v["signed_on"])
    except ValueError as exc:
        bad("signed_on", as_message(exc))
    else:
        if signed.first is not None and signed.first > today:
            bad("signed_on", Message(N_("{date} is in the future"), date=v["signed_on"]))
    status = states.get(v["status"].casefold())
    if status is None:
        bad(
            "status",
            Message(
                N_("unknown status '{status}' (a state of the procedure, id or name)"),
                status=v["status"],
            ),
        )
    elif signed.known and status not in signed_states:
        bad(
            "signed_on",
            Message(
                N_("status '{status}' is not signed yet: leave signed_on empty"), status=status
            ),
        )
    term: int | None = None
    term_text = normalise_digits(v.get("term_years", ""))
    if term_text:
        if not term_text.isdigit() or not 1 <= int(term_text) <= 99:
            bad(
                "term_years",
                Message(N_("'{value}' is not a number of years (1–99)"), value=v["term_years"]),
            )
        else:
            term = int(term_text)
            if status is not None and status not in signed_states:
                bad(
                    "term_years", Message(N_("status '{status}' is not signed yet"), status=status)
                )
    if problems or province is None or instrument is None or label is None or status is None:
        return None, problems
    return (
        ImportRow(
            line=line,
            province=province,
            partner_name=" ".join(v["partner_name"].split()),
            partner_country=country,
            partner_level=" ".join(v["partner_level"].split()),
            instrument=instrument,
            label=label,
            signed_text=v["signed_on"],
            signed_on=signed.first,
            signed_precision=None if signed.first is None else signed.precision,
            status=status,
            source=v["source"],
            supersedes=" ".join(v.get("supersedes", "").split()),
            term_years=term,
        ),
        [],
    )


# ---------------------------------------------------------------------- linking instruments
@dataclass(frozen=True)
class _Target:
    """What a ``supersedes`` names: a row of this file or a case already imported."""

    line: int | None = None
    reference: str | None = None


def _existing_key(r: RegisterRow) -> tuple[str, str, str]:
    return (r.province, _name_key(r.partner_name), r.partner_country)


def _existing_identity(r: RegisterRow) -> str:
    return identity_key(
        r.province, r.partner_name, r.partner_country, r.instrument, r.established_on
    )


def link_instruments(
    rows: Sequence[ImportRow],
    existing: Sequence[RegisterRow],
    signed_states: frozenset[str],
) -> dict[int, _Target]:
    """Resolve every ``supersedes`` (line → what it replaces), refusing any that is not one
    signed earlier instrument of the same province, partner and country, replaced once."""
    by_line = {r.line: r for r in rows}
    by_ref = {r.reference: r for r in existing}
    present = {_existing_identity(r): r.reference for r in existing}
    problems: list[RowProblem] = []
    links: dict[int, _Target] = {}
    for row in rows:
        if not row.supersedes or row.identity in present:
            continue  # an instrument imported before was linked then
        target, reason = _resolve(row, rows, existing, by_line, by_ref, present)
        if target is None:
            problems.append(RowProblem(row.line, "supersedes", reason))
            continue
        if target.line is not None:
            other = by_line[target.line]
            if other.status not in signed_states:
                reason = Message(
                    N_("line {line} is not signed ('{status}')"),
                    line=other.line,
                    status=other.status,
                )
        else:
            case = by_ref[str(target.reference)]
            if _existing_key(case) != row.party_key:
                reason = Message(
                    N_("{reference} is another province's or partner's relationship"),
                    reference=case.reference,
                )
            elif case.established_precision is None:
                reason = Message(N_("{reference} is not signed"), reference=case.reference)
            elif case.superseded_by:
                reason = Message(
                    N_("{reference} is already replaced by {other}"),
                    reference=case.reference,
                    other=case.superseded_by,
                )
        if reason:
            problems.append(RowProblem(row.line, "supersedes", reason))
            continue
        links[row.line] = target
    replaced_by: dict[object, int] = {}
    for line, target in sorted(links.items()):
        key = target.line if target.line is not None else target.reference
        first = replaced_by.setdefault(key, line)
        if first != line:
            problems.append(
                RowProblem(
                    line,
                    "supersedes",
                    Message(N_("line {line} already replaces the same one"), line=first),
                )
            )
    for line in sorted(links):  # a chain that comes back to itself is no chain
        seen = {line}
        target = links.get(line)
        while target is not None and target.line is not None:
            if target.line in seen:
                problems.append(
                    RowProblem(line, "supersedes", Message(N_("the links form a circle")))
                )
                break
            seen.add(target.line)
            target = links.get(target.line)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))
    return links


def _resolve(
    row: ImportRow,
    rows: Sequence[ImportRow],
    existing: Sequence[RegisterRow],
    by_line: dict[int, ImportRow],
    by_ref: dict[str, RegisterRow],
    present: dict[str, str],
) -> tuple[_Target | None, str]:
    text = row.supersedes
    if _REFERENCE.match(text.upper()):
        reference = text.upper()
        if reference not in by_ref:
            return None, Message(N_("no case {reference}"), reference=reference)
        return _Target(reference=reference), ""
    if m := _LINE.match(text):
        target_line = int(m.group(1))
        if target_line == row.line:
            return None, Message(N_("an instrument cannot replace itself"))
        other = by_line.get(target_line)
        if other is None:
            return None, Message(
                N_("line {line} is not a relationship of this file"), line=target_line
            )
        if other.party_key != row.party_key:
            return None, Message(
                N_("line {line} is another province's or partner's relationship"), line=target_line
            )
        return _in_file(other, present), ""
    instrument_text, _, date_text = text.partition(" ")
    instrument = next((i for i in INSTRUMENTS if i.casefold() == instrument_text.casefold()), None)
    if instrument is None:
        return None, Message(
            N_(
                "'{text}' is not a case reference, 'line N', or an instrument ({instruments}) "
                "with an optional date"
            ),
            text=text,
            instruments=", ".join(INSTRUMENTS),
        )
    day: dt.date | None = None
    if date_text.strip():
        try:
            day = parse_partial(date_text).first
        except ValueError as exc:
            return None, as_message(exc)
    in_file = [
        r
        for r in rows
        if r.line != row.line
        and r.party_key == row.party_key
        and r.instrument == instrument
        and (day is None or r.signed_on == day)
    ]
    file_refs = {present.get(r.identity) for r in in_file}
    in_db = [
        r
        for r in existing
        if _existing_key(r) == row.party_key
        and r.instrument == instrument
        and (day is None or r.established_on == day.isoformat())
        and r.reference not in file_refs
    ]
    found = len(in_file) + len(in_db)
    what = f"{instrument}{' ' + date_text.strip() if day else ''}"
    if found == 0:
        return None, Message(
            N_("no {instrument} of {partner} ({country}) in {province}, here or imported"),
            instrument=what,
            partner=row.partner_name,
            country=row.partner_country,
            province=row.province,
        )
    if found > 1:
        return None, Message(
            N_(
                "several {instrument} of {partner}: add its date, or give the case reference "
                "or 'line N'"
            ),
            instrument=what,
            partner=row.partner_name,
        )
    if in_file:
        return _in_file(in_file[0], present), ""
    return _Target(reference=in_db[0].reference), ""


def _in_file(row: ImportRow, present: dict[str, str]) -> _Target:
    """A row of this file, or the case it already is (imported before)."""
    reference = present.get(row.identity)
    return _Target(reference=reference) if reference else _Target(line=row.line)


# ---------------------------------------------------------------------- the use case
def import_relationships(
    uow: FollowupUnitOfWork,
    actor: Actor,
    data: bytes,
    file_name: str,
    now: dt.datetime,
    dry_run: bool = False,
    procedure: str = DEFAULT_PROCEDURE,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the whole file, then create the new relationships in one transaction; *progress*
    is told how many were created."""
    engine = engine_in_force(procedure, None, local_date(now))
    access = access_for([engine.definition], "import", verb=Message(N_("import relationships")))
    with recorded_refusals(uow, actor, "import", None, now):
        role = authorize(actor, access)
    digest = hashlib.sha256(data).hexdigest()
    rows, used = _parse(data, local_date(now), procedure, encoding)
    signed_states = engine.definition.states_counting_as("established")
    created: dict[int, str] = {}
    with uow:
        uow.lock()
        existing = uow.followup.register_rows()
        present = {_existing_identity(r): r for r in existing}
        links = link_instruments(rows, existing, signed_states)
        fresh = [r for r in rows if r.identity not in present]
        skipped = [r.line for r in rows if r.identity in present]
        linked = tuple(
            (line, t.reference or f"line {t.line}")
            for line, t in sorted(links.items())
            if line not in skipped
        )
        if dry_run:
            return ImportResult(
                digest, len(rows), tuple((r.line, "") for r in fresh), tuple(skipped), True,
                encoding=used, linked=linked,
            )  # fmt: skip
        roots = {r.reference: r.relationship or r.reference for r in existing}
        pending = list(fresh)
        with uow.batched():  # the rows go out together, a few statements in all
            while pending:  # an instrument is created after the one it replaces
                ready = [r for r in pending if _ready(links.get(r.line), created)]
                for row in ready:
                    target = links.get(row.line)
                    fields = _import_fields(row, digest, file_name, target, created, roots)
                    new = NewCase(
                        row.province,
                        row.partner_name,
                        row.partner_country,
                        row.partner_level,
                        row.instrument,
                        row.label,
                    )
                    case = create_case(
                        uow, engine, new, row.status, actor, role, now, kind="import",
                        fields=fields,
                    )  # fmt: skip
                    created[row.line] = case.reference
                    roots[case.reference] = str(fields.get("relationship") or case.reference)
                    if progress is not None:
                        progress(len(created), len(fresh))
                pending = [r for r in pending if r.line not in created]
        uow.commit()
    order = sorted(created.items())
    return ImportResult(
        digest,
        len(rows),
        tuple(order),
        tuple(skipped),
        False,
        tuple(ref for _, ref in order),
        used,
        linked,
    )


def _ready(target: _Target | None, created: dict[int, str]) -> bool:
    return target is None or target.line is None or target.line in created


def _import_fields(
    row: ImportRow,
    digest: str,
    file_name: str,
    target: _Target | None,
    created: dict[int, str],
    roots: dict[str, str],
) -> dict[str, object]:
    fields: dict[str, object] = {
        "signed_on": row.signed_text,
        "signed_on_date": row.signed_on.isoformat() if row.signed_on else None,
        "signed_on_precision": row.signed_precision,
        "status": row.status,
        "source": row.source,
        "file_name": nfc(file_name),
        "file_sha256": digest,
        "line": row.line,
    }
    if row.term_years is not None:
        fields["term_years"] = row.term_years
    if target is not None:
        replaced = target.reference or created[int(target.line or 0)]
        fields["supersedes"] = replaced
        fields["relationship"] = roots.get(replaced, replaced)
    return fields
