"""The register of relationships as an officer reads it, and what is left to complete in it.

``relationships`` lists every relationship (each instrument, with the one it replaces) and its
signing date as precisely as it is known (``พ.ศ. 2561``, ``พ.ย. 2566``, ``ไม่ทราบวันที่``).
``data_quality`` lists what an officer should complete, one line per case and gap:

* ``date_unknown``: signed, but the signing date is unknown;
* ``date_partial``: the signing date is known only to the month or the year;
* ``term_unknown``: a term was recorded but its end cannot be computed (same cause; the sweep
  never expires such a relationship);
* ``no_partner_level``: the partner's level (city, province, state …) is missing;
* ``no_plan``: a relationship being followed up (not ended, not replaced) has no action plan for
  the fiscal year.

Only cases of procedures about relationships are listed (not yearly reports); what a state
counts as comes from the case's procedure version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from states import ProcedureDefinition, load_procedure
from states.reference import PROVINCES
from workflow.partial_dates import PartialDate
from workflow.ports import RegisterRow, UnitOfWork
from workflow.thaidate import fiscal_year_be

#: Each gap: (Thai, English).
ISSUES: dict[str, tuple[str, str]] = {
    "date_unknown": ("ไม่ทราบวันที่ลงนาม", "signing date unknown"),
    "date_partial": ("ทราบวันที่ลงนามไม่ครบ (เดือนหรือปี)", "signing date known to month or year"),
    "term_unknown": ("คำนวณวันสิ้นสุดอายุบันทึกไม่ได้", "end of term cannot be computed"),
    "no_partner_level": ("ไม่ระบุระดับของคู่ภาคี", "partner's level missing"),
    "no_plan": ("ไม่มีแผนปฏิบัติการของปีงบประมาณ", "no action plan for the fiscal year"),
}


@cache
def _definition(procedure: str, version: int) -> ProcedureDefinition:
    return load_procedure(procedure, version).definition


@dataclass(frozen=True)
class RegisterEntry:
    """One relationship (one instrument) of the register."""

    reference: str
    province: str
    province_th: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    state: str
    state_th: str
    state_en: str
    signed: PartialDate
    supersedes: str | None
    superseded_by: str | None
    relationship: str


@dataclass(frozen=True)
class Gap:
    """Something an officer should complete about one case."""

    reference: str
    province: str
    province_th: str
    partner_name: str
    partner_country: str
    instrument: str
    issue: str
    detail: str

    @property
    def label_th(self) -> str:
        return ISSUES[self.issue][0]

    @property
    def label_en(self) -> str:
        return ISSUES[self.issue][1]


@dataclass(frozen=True)
class DataQuality:
    """Every gap found, in province and reference order, for a fiscal year's plans."""

    as_of: dt.date
    fiscal_year: int
    province: str | None
    gaps: tuple[Gap, ...]

    def references(self, issue: str | None = None) -> set[str]:
        """Cases with a gap (of one kind)."""
        return {g.reference for g in self.gaps if issue is None or g.issue == issue}


def _entry(row: RegisterRow, definition: ProcedureDefinition) -> RegisterEntry:
    spec = definition.state(row.state)
    first = dt.date.fromisoformat(row.established_on) if row.established_on else None
    signed = (
        PartialDate.of(first, row.established_precision)
        if row.established_precision not in (None, "unknown")
        else PartialDate.unknown()
    )
    return RegisterEntry(
        reference=row.reference,
        province=row.province,
        province_th=PROVINCES.get(row.province, (row.province, ""))[0],
        partner_name=row.partner_name,
        partner_country=row.partner_country,
        partner_level=row.partner_level,
        instrument=row.instrument,
        state=row.state,
        state_th=spec.label.th,
        state_en=spec.label.en,
        signed=signed,
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
        relationship=row.relationship or row.reference,
    )


def _relationship_rows(
    rows: Sequence[RegisterRow],
) -> list[tuple[RegisterRow, ProcedureDefinition]]:
    found = []
    for row in rows:
        definition = _definition(row.procedure, row.version)
        if definition.subject == "relationship":
            found.append((row, definition))
    return found


def relationships(uow: UnitOfWork, province: str | None = None) -> list[RegisterEntry]:
    """Every relationship of the register (optionally of one province), by province."""
    with uow:
        rows = uow.followup.register_rows(province)
    entries = [_entry(row, d) for row, d in _relationship_rows(rows)]
    return sorted(entries, key=lambda e: (e.province, e.reference))


def data_quality(
    uow: UnitOfWork,
    as_of: dt.date,
    province: str | None = None,
    fiscal_year: int | None = None,
) -> DataQuality:
    """What officers should complete, as of *as_of*; plans are looked for in *fiscal_year*
    (default: the fiscal year of *as_of*)."""
    fy = fiscal_year or fiscal_year_be(as_of)
    with uow:
        rows = uow.followup.register_rows(province)
        planned = {p.case_reference for p in uow.followup.plans(None, fy, province)}
    gaps: list[Gap] = []
    for row, definition in _relationship_rows(rows):
        entry = _entry(row, definition)

        def gap(issue: str, detail: str, entry: RegisterEntry = entry) -> None:
            gaps.append(
                Gap(
                    entry.reference,
                    entry.province,
                    entry.province_th,
                    entry.partner_name,
                    entry.partner_country,
                    entry.instrument,
                    issue,
                    detail,
                )
            )

        if row.established_precision == "unknown":
            gap("date_unknown", "signed_on")
        elif row.established_precision in ("month", "year"):
            gap("date_partial", entry.signed.text("both"))
        if row.term_years is not None and row.expires_on is None:
            gap("term_unknown", f"{row.term_years} year(s) from {entry.signed.text('en')}")
        if not row.partner_level.strip():
            gap("no_partner_level", "partner_level")
        followed = definition.counts_as(row.state, "follow_up") and not definition.counts_as(
            row.state, "ended"
        )
        if followed and not row.superseded_by and row.reference not in planned:
            gap("no_plan", f"FY {fy}")
    gaps.sort(key=lambda g: (g.province, g.reference, list(ISSUES).index(g.issue)))
    return DataQuality(as_of, fy, province, tuple(gaps))
