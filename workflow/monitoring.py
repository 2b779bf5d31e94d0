"""The yearly monitoring report: each province reports, per fiscal year, on its relations.

A report is a case of the procedure whose definition says ``subject = "yearly_report"`` (no id
is named here), one per province and fiscal year, with the reference ``RP-<FY>-<province>``
(``RP-2568-TH-50``): its identity is the province and the year. It runs on the same engine and
audit trail as every case: opening it is the procedure's ``open`` action, and its steps are the
procedure's transitions (``case advance`` returns or accepts it).

Submitting it is the step with the ``yearly_report`` effect from the case's state: the report is
built at that moment from the province's data (its relationships, the year's activities with
their evidence, plans and budgets against what was spent, its mechanism, and the issues the
province writes), rendered as one self-contained Thai HTML file, stored in the document store
and recorded by SHA-256 in the step's audit record, so the report the ministry accepted is the
one it can get back, verified, years later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from states import LoadedDefinition, load_procedure, newest_definitions, nfc
from states.i18n import N_, Message, Text
from states.reference import PROVINCES
from workflow.authorization import access_for, authorize, recorded_refusals
from workflow.catalog import engine_for_case, engine_in_force
from workflow.errors import CaseNotFound, InvalidInput
from workflow.followup import check_fiscal_year, step_with_effect
from workflow.model import Actor, AuditRecord, Case, NewCase
from workflow.partial_dates import PartialDate
from workflow.ports import UnitOfWork
from workflow.services import create_case, fire_and_record, get_document
from workflow.thaidate import date_param, fiscal_year_be, fiscal_year_bounds, local_date

PREFIX = "RP"
EFFECT = "yearly_report"
_REFERENCE = re.compile(rf"^{PREFIX}-(\d{{4}})-(TH-[0-9A-Z]+)$")


def report_reference(fiscal_year: int, province: str) -> str:
    """The reference of a province's report for a fiscal year."""
    return f"{PREFIX}-{fiscal_year}-{province}"


def parse_report_reference(reference: str) -> tuple[int, str] | None:
    """(fiscal year, province) of a report's reference, or ``None`` for another case."""
    m = _REFERENCE.match(reference.strip().upper())
    return (int(m.group(1)), m.group(2)) if m else None


def report_procedures() -> list[str]:
    """The procedures whose cases are yearly reports."""
    return [
        x.definition.procedure
        for x in newest_definitions()
        if x.definition.subject == "yearly_report"
    ]


def report_procedure(name: str | None = None) -> LoadedDefinition:
    """The newest version of the procedure of yearly reports: *name*, or the only one there is
    (a procedures folder may add another; then it must be named)."""
    found = report_procedures()
    if name is not None:
        if name not in found:
            raise InvalidInput(
                N_("procedure '{procedure}' is not one of yearly reports ({procedures})"),
                procedure=name,
                procedures=", ".join(found) or Text(N_("none")),
            )
        return load_procedure(name)
    if len(found) != 1:
        raise InvalidInput(
            N_('no procedure declares subject = "yearly_report"')
            if not found
            else N_("several procedures are yearly reports ({procedures}): name one"),
            procedures=", ".join(found),
        )
    return load_procedure(found[0])


# ---------------------------------------------------------------------- what a report says
@dataclass(frozen=True)
class ReportRelationship:
    """One relationship of the province, as the report lists it."""

    reference: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    signed: PartialDate
    state_th: str
    state_en: str
    supersedes: str | None
    superseded_by: str | None
    planned_thb: Decimal | None = None
    spent_thb: Decimal = Decimal("0.00")
    activities: int = 0
    with_partner: bool = False


@dataclass(frozen=True)
class ReportActivity:
    """One activity of the fiscal year, with its evidence (file names and SHA-256)."""

    reference: str
    partner_name: str
    activity_date: dt.date
    kind: str
    title: str
    partner_participated: bool
    budget_thb: Decimal | None
    evidence: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReportStep:
    """A step of the report itself (submitted, returned with the reason, accepted)."""

    at: dt.datetime
    label_th: str
    label_en: str
    actor: str
    role: str
    note: str


@dataclass(frozen=True)
class YearlyReport:
    """Everything a province's yearly report shows, built from the province's data."""

    reference: str
    province: str
    province_th: str
    province_en: str
    fiscal_year: int
    as_of: dt.date
    state_th: str
    state_en: str
    relationships: tuple[ReportRelationship, ...]
    activities: tuple[ReportActivity, ...]
    mechanism: tuple[str, dt.date, str] | None
    issues: str
    signed_by: tuple[str, str] | None = None  # (officer name, role label)
    steps: tuple[ReportStep, ...] = field(default=())

    @property
    def in_force(self) -> int:
        """Relationships counted for the activity indicator (not replaced by another)."""
        return sum(1 for r in self.relationships if not r.superseded_by)

    @property
    def with_partner(self) -> int:
        return sum(1 for r in self.relationships if r.with_partner and not r.superseded_by)

    @property
    def planned_thb(self) -> Decimal:
        return sum((r.planned_thb or Decimal(0) for r in self.relationships), Decimal("0.00"))

    @property
    def spent_thb(self) -> Decimal:
        return sum((r.spent_thb for r in self.relationships), Decimal("0.00"))


def _evidence(record: AuditRecord | None) -> tuple[tuple[str, str], ...]:
    if record is None:
        return ()
    value = record.fields.get("evidence")
    items = value if isinstance(value, list) else [value] if value else []
    return tuple((str(e.get("name", "")), str(e.get("sha256", ""))) for e in items)


def build_report(
    uow: UnitOfWork,
    case: Case,
    as_of: dt.date,
    issues: str = "",
    signed_by: tuple[str, str] | None = None,
) -> YearlyReport:
    """The report of *case* (a yearly report) from the province's data, in the caller's
    transaction."""
    parsed = parse_report_reference(case.reference)
    if parsed is None:
        raise InvalidInput(N_("{reference} is not a yearly report"), reference=case.reference)
    fy, province = parsed
    definition = engine_for_case(case).definition
    rows = [
        r
        for r in uow.followup.register_rows(province)
        if load_procedure(r.procedure, r.version).definition.subject == "relationship"
    ]
    activities = uow.followup.activities(None, fy, province)
    plans = {p.case_reference: p.budget_thb for p in uow.followup.plans(None, fy, province)}
    records: dict[int, AuditRecord] = {}
    for ref in {a.case_reference for a in activities}:
        for record in uow.audit.for_case(ref):
            records[record.seq] = record
    names = {r.reference: r.partner_name for r in rows}
    by_case: dict[str, list[Any]] = {}
    for a in activities:
        by_case.setdefault(a.case_reference, []).append(a)
    # activities with the partner count for the whole chain of instruments
    partnered = {
        r.relationship or r.reference
        for r in rows
        if any(a.partner_participated for a in by_case.get(r.reference, []))
    }
    relationships = []
    for r in rows:
        spec = load_procedure(r.procedure, r.version).definition.state(r.state)
        first = dt.date.fromisoformat(r.established_on) if r.established_on else None
        signed = (
            PartialDate.of(first, r.established_precision)
            if r.established_precision not in (None, "unknown")
            else PartialDate.unknown()
        )
        mine = by_case.get(r.reference, [])
        relationships.append(
            ReportRelationship(
                r.reference, r.partner_name, r.partner_country, r.partner_level, r.instrument,
                signed, spec.label.th, spec.label.en, r.supersedes, r.superseded_by,
                plans.get(r.reference),
                sum((a.budget_thb or Decimal(0) for a in mine), Decimal("0.00")),
                len(mine),
                (r.relationship or r.reference) in partnered,
            )
        )  # fmt: skip
    mechanisms = uow.followup.mechanisms(province)
    state = definition.state(case.state)
    th, en = PROVINCES.get(province, (province, province))
    return YearlyReport(
        reference=case.reference,
        province=province,
        province_th=th,
        province_en=en,
        fiscal_year=fy,
        as_of=as_of,
        state_th=state.label.th,
        state_en=state.label.en,
        relationships=tuple(relationships),
        activities=tuple(
            ReportActivity(
                a.case_reference,
                names.get(a.case_reference, ""),
                a.activity_date,
                a.kind,
                a.title,
                a.partner_participated,
                a.budget_thb,
                _evidence(records.get(a.audit_seq)),
            )
            for a in sorted(activities, key=lambda a: (a.activity_date, a.audit_seq))
        ),
        mechanism=(
            (mechanisms[0].order_no, mechanisms[0].order_date, mechanisms[0].chair)
            if mechanisms
            else None
        ),
        issues=issues,
        signed_by=signed_by,
        steps=_steps(uow, case, definition),
    )


def _steps(uow: UnitOfWork, case: Case, definition: Any) -> tuple[ReportStep, ...]:
    steps = []
    for record in uow.audit.for_case(case.reference):
        if record.kind != "transition":
            continue
        spec = next((t for t in definition.transitions if t.trigger == record.trigger), None)
        label = spec.label if spec is not None else None
        role = definition.role(record.actor_role).label.th if record.actor_role else ""
        officer = uow.officers.get(record.actor_id)
        steps.append(
            ReportStep(
                record.occurred_at,
                label.th if label else str(record.trigger),
                label.en if label else str(record.trigger),
                officer.name if officer else record.actor_id,
                role,
                record.note,
            )
        )
    return tuple(steps)


# ---------------------------------------------------------------------- the use cases
def open_report(
    uow: UnitOfWork,
    actor: Actor,
    province: str,
    fiscal_year: int,
    now: dt.datetime,
    procedure: str | None = None,
) -> Case:
    """Open a province's yearly report for a fiscal year, in the procedure's first step."""
    check_fiscal_year(fiscal_year)
    province = province.strip().upper()
    if province not in PROVINCES:
        raise InvalidInput(N_("unknown province code '{province}' (use TH-xx)"), province=province)
    today = local_date(now)
    if fiscal_year > fiscal_year_be(today):
        raise InvalidInput(
            N_("fiscal year {fy} has not begun (it starts {start})"),
            fy=fiscal_year,
            start=date_param(fiscal_year_bounds(fiscal_year)[0]),
        )
    loaded = report_procedure(procedure)
    engine = engine_in_force(loaded.definition.procedure, None, today)
    definition = engine.definition
    access = access_for([definition], "open", province, verb=Message(N_("open a yearly report")))
    reference = report_reference(fiscal_year, province)
    with recorded_refusals(uow, actor, "open", province, now):
        role = authorize(actor, access)
        with uow:
            uow.lock()
            if uow.cases.get(reference) is not None:
                raise InvalidInput(
                    N_("{reference} already exists: the province's report for FY {fy}"),
                    reference=reference,
                    fy=fiscal_year,
                )
            new = NewCase(province, "", "", "", "", "")
            case = create_case(
                uow, engine, new, definition.initial, actor, role, now,
                fields={"fiscal_year": fiscal_year}, reference=reference,
            )  # fmt: skip
            uow.commit()
    return case


def _find_report(uow: UnitOfWork, reference: str) -> Case:
    case = uow.cases.get(reference.strip().upper())
    if case is None or parse_report_reference(case.reference) is None:
        raise CaseNotFound(N_("no yearly report '{reference}'"), reference=reference)
    return case


def submit_report(
    uow: UnitOfWork, actor: Actor, reference: str, issues: str, now: dt.datetime, note: str = ""
) -> AuditRecord:
    """Build the report from the province's data, store it, and take the step that submits it
    (the step with the ``yearly_report`` effect), in one transaction."""
    issues = nfc(issues).strip()
    with recorded_refusals(uow, actor, "submit", reference, now), uow:
        uow.lock()
        case = _find_report(uow, reference)
        engine = engine_for_case(case)
        trigger = step_with_effect(engine.definition, case, EFFECT)
        spec = engine.spec_for(case, trigger)
        role = engine.role_for(case, spec, actor)  # refuse before building anything
        from workflow.monitoring_html import render_report

        signer = (actor.name, engine.definition.role(role).label.th)
        report = build_report(uow, case, local_date(now), issues, signer)
        submitted = engine.definition.state(spec.dest)  # the report shows where it goes
        report = replace(report, state_th=submitted.label.th, state_en=submitted.label.en)
        content = render_report(report, submitted_at=now).encode("utf-8")
        record = {
            "name": f"{case.reference}.html",
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
        }
        fields: dict[str, Any] = {"report": record}
        if issues:
            fields["issues"] = issues
        audit = fire_and_record(
            uow, case, trigger, actor, fields, nfc(note), now, [(record, content)]
        )
        uow.commit()
        return audit


def submitted_report(uow: UnitOfWork, reference: str) -> tuple[Mapping[str, Any], bytes] | None:
    """The report as last submitted (its document record and bytes, checked against its
    SHA-256), or ``None`` when it was never submitted."""
    with uow:
        case = _find_report(uow, reference)
        definition = engine_for_case(case).definition
        steps = {t.trigger for t in definition.transitions_with_effect(EFFECT)}
        records = [r for r in uow.audit.for_case(case.reference) if r.trigger in steps]
    if not records:
        return None
    document = records[-1].fields["report"]
    return document, get_document(uow, str(document["sha256"]))


def current_report(uow: UnitOfWork, reference: str, as_of: dt.date) -> YearlyReport:
    """The report as the province's data stand now (a draft's preview)."""
    with uow:
        case = _find_report(uow, reference)
        return build_report(uow, case, as_of)


@dataclass(frozen=True)
class ProvinceReport:
    """One province in the national summary of a fiscal year's reports."""

    province: str
    name_th: str
    name_en: str
    relationships: int
    reference: str | None
    state_th: str
    state_en: str
    reported: bool
    accepted: bool


def national_summary(uow: UnitOfWork, fiscal_year: int) -> list[ProvinceReport]:
    """Every province with a relationship in force, or with a report for *fiscal_year*, and
    where its report stands."""
    with uow:
        rows = uow.followup.register_rows()
    counts: dict[str, int] = {}
    reports: dict[str, tuple[str, str, str, bool, bool]] = {}
    for r in rows:
        definition = load_procedure(r.procedure, r.version).definition
        if definition.subject == "relationship":
            in_force = definition.counts_as(r.state, "established") and not definition.counts_as(
                r.state, "ended"
            )
            if in_force and not r.superseded_by:
                counts[r.province] = counts.get(r.province, 0) + 1
            continue
        parsed = parse_report_reference(r.reference)
        if parsed is None or parsed[0] != fiscal_year:
            continue
        spec = definition.state(r.state)
        reports[parsed[1]] = (
            r.reference,
            spec.label.th,
            spec.label.en,
            definition.counts_as(r.state, "reported"),
            definition.counts_as(r.state, "accepted"),
        )
    found = []
    for code in sorted(set(counts) | set(reports)):
        th, en = PROVINCES.get(code, (code, code))
        ref, state_th, state_en, reported, accepted = reports.get(
            code, (None, "ยังไม่เริ่ม", "not started", False, False)
        )
        found.append(
            ProvinceReport(
                code, th, en, counts.get(code, 0), ref, state_th, state_en, reported, accepted
            )
        )
    return found
