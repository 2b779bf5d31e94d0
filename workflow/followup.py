"""Follow-up after signing: activities, yearly plans and budgets, provincial mechanisms, the sweep.

Recording an activity is the step with the ``activity`` effect from the case's state (audited like
every other step; in the provincial procedure it moves a dormant relationship back to active).
Plans and mechanisms are facts
about a relationship or a province, not steps, so they are audited as ``plan`` and ``mechanism``
events without a destination. Documents are copied into the database's content-addressed store
(``documents``, keyed by SHA-256) in the same transaction as the record that cites them: one
backup holds the log and everything it proves, on SQLite and PostgreSQL alike, and a file given
twice is stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from states import ProcedureDefinition, load_all, nfc
from states.i18n import N_, Message, Text
from states.reference import PROVINCES
from workflow.authorization import access_for, authorize, national_access, recorded_refusals
from workflow.catalog import engine_for_case
from workflow.deadlines import Overdue, time_in_step
from workflow.effects import Activity, CaseFacts, add_years
from workflow.errors import InvalidInput, TransitionNotAllowed, as_message
from workflow.fields import MAX_NAME, MAX_NOTE, check_length
from workflow.fields import parse_amount as parse_field_amount
from workflow.model import Actor, AuditDraft, AuditRecord, Case
from workflow.partial_dates import PartialDate
from workflow.ports import UnitOfWork
from workflow.progress import Progress, reporting
from workflow.services import find_case, fire_and_record, one_step, system_actor
from workflow.thaidate import date_param, fiscal_year_be, fiscal_year_bounds, local_date

__all__ = ["Activity", "CaseFacts", "Overdue", "time_in_step"]

#: The unit of work the follow-up use cases take (one carries every repository).
FollowupUnitOfWork = UnitOfWork

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class Plan:
    """The action plan and budget of a relationship for one Thai fiscal year."""

    case_reference: str
    province: str
    fiscal_year: int
    budget_thb: Decimal
    document: Mapping[str, Any]
    set_at: dt.datetime
    set_by: str
    audit_seq: int


@dataclass(frozen=True)
class Mechanism:
    """A province's sister-city committee or working group, by its order."""

    province: str
    order_no: str
    order_date: dt.date
    chair: str
    document: Mapping[str, Any] | None
    set_at: dt.datetime
    set_by: str
    audit_seq: int


@dataclass(frozen=True)
class SweepAction:
    """A move the sweep made, with the rule that fired."""

    reference: str
    province: str
    trigger: str
    source: str
    dest: str
    rule: str
    audit_seq: int


@dataclass(frozen=True)
class UncertainTerm:
    """A relationship whose recorded term may have ended, but whose signing day is not known
    (a month, a year, or nothing): the sweep never expires it, it asks for the date instead."""

    reference: str
    province: str
    signed: str
    term_years: int
    #: The first and last day the term can end (``None``: the signing date is unknown).
    earliest_end: dt.date | None
    latest_end: dt.date | None


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did and found."""

    as_of: dt.date
    fired: tuple[SweepAction, ...]
    overdue: tuple[Overdue, ...]
    #: Terms that may have ended but cannot be computed: to complete, never expired.
    uncertain: tuple[UncertainTerm, ...] = ()


# ---------------------------------------------------------------------- documents
def read_document(path: str | Path) -> tuple[dict[str, Any], bytes]:
    """The audit record of a document (name, SHA-256, size) and its bytes."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(N_("no such file: {path}"), path=path)
    size = p.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            N_("{path}: {size} bytes, larger than {limit} allowed"),
            path=path,
            size=size,
            limit=MAX_DOCUMENT_BYTES,
        )
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            N_("cannot read {path}: {reason}"), path=path, reason=exc.strerror
        ) from None
    record = {"name": nfc(p.name), "sha256": hashlib.sha256(content).hexdigest(), "bytes": size}
    return record, content


def _documents(paths: Sequence[str | Path]) -> list[tuple[dict[str, Any], bytes]]:
    return [read_document(p) for p in paths]


# ---------------------------------------------------------------------- activities
@dataclass(frozen=True)
class ActivityInput:
    """What an officer gives to record an activity."""

    activity_date: dt.date
    kind: str
    title: str
    partner_participated: bool = True
    budget_thb: str | None = None


def record_activity(
    uow: FollowupUnitOfWork,
    actor: Actor,
    reference: str,
    activity: ActivityInput,
    evidence: Sequence[str | Path],
    note: str,
    now: dt.datetime,
) -> AuditRecord:
    """Fire the case's step with the ``activity`` effect, evidence stored, in one transaction."""
    fields: dict[str, Any] = {
        "activity_date": activity.activity_date.isoformat(),
        "activity_kind": activity.kind,
        "activity_title": activity.title,
        "partner_participated": "yes" if activity.partner_participated else "no",
    }
    if activity.budget_thb not in (None, ""):
        fields["budget_thb"] = activity.budget_thb
    documents = _documents(evidence)
    if documents:
        fields["evidence"] = [record for record, _ in documents]

    def attempt() -> AuditRecord:
        with uow:
            uow.lock(late=True)
            case = find_case(uow, reference)
            trigger = step_with_effect(engine_for_case(case).definition, case, "activity")
            record = fire_and_record(uow, case, trigger, actor, fields, nfc(note), now, documents)
            uow.commit()
            return record

    with recorded_refusals(uow, actor, "activity", reference, now):
        return one_step(attempt)


def step_with_effect(definition: ProcedureDefinition, case: Case, effect: str) -> str:
    """The trigger of the step with *effect* from the case's state, or a refusal saying where
    such a step exists."""
    for spec in definition.transitions_with_effect(effect):
        if case.state in spec.source:
            return spec.trigger
    states = sorted({s for t in definition.transitions_with_effect(effect) for s in t.source})
    if not states:
        raise TransitionNotAllowed(
            N_("case {reference} is in '{state}'; this is possible in no state of its procedure"),
            reference=case.reference,
            state=case.state,
        )
    raise TransitionNotAllowed(
        N_("case {reference} is in '{state}'; this is possible only in {states}"),
        reference=case.reference,
        state=case.state,
        states=", ".join(states),
    )


def list_activities(
    uow: FollowupUnitOfWork,
    reference: str | None = None,
    fiscal_year: int | None = None,
    province: str | None = None,
) -> list[Activity]:
    """Activities, newest first, of one case, a fiscal year and/or a province."""
    with uow:
        return uow.followup.activities(
            reference.strip().upper() if reference else None, fiscal_year, province
        )


# ---------------------------------------------------------------------- plans and mechanisms
def parse_amount(text: str) -> Decimal:
    """``workflow.fields.parse_amount``, refusing with a one-line ``InvalidInput``."""
    try:
        return parse_field_amount(text)
    except ValueError as exc:
        raise InvalidInput("'{text}': {reason}", text=text, reason=as_message(exc)) from None


def check_fiscal_year(fy: int) -> int:
    """A Buddhist Era fiscal year in a sane range (C.E. years are a common slip)."""
    if not 2500 <= fy <= 2700:
        raise InvalidInput(N_("fiscal year {fy}: give the Buddhist Era year, e.g. 2568"), fy=fy)
    return fy


def set_plan(
    uow: FollowupUnitOfWork,
    actor: Actor,
    reference: str,
    fiscal_year: int,
    budget_thb: str,
    plan_file: str | Path,
    now: dt.datetime,
    note: str = "",
) -> Plan:
    """Attach (or replace) a relationship's action plan and budget for a fiscal year."""
    check_fiscal_year(fiscal_year)
    budget = parse_amount(budget_thb)
    note = check_length(Text(N_("the note")), nfc(note), MAX_NOTE)
    record, content = read_document(plan_file)
    with recorded_refusals(uow, actor, "plan", reference, now), uow:
        uow.lock()
        case = find_case(uow, reference)
        definition = engine_for_case(case).definition
        role = authorize(actor, access_for([definition], "plan", case.province, "set a plan"))
        if definition.state(case.state).final:
            raise InvalidInput(
                N_("case {reference} is closed ('{state}')"),
                reference=case.reference,
                state=case.state,
            )
        uow.documents.put(record, content, now)
        audit = uow.audit.append(
            AuditDraft(
                kind="plan",
                case_reference=case.reference,
                trigger="set_plan",
                source=case.state,
                dest=None,
                actor_id=actor.id,
                actor_role=role,
                os_user=actor.os_user,
                occurred_at=now,
                fields={"fiscal_year": fiscal_year, "budget_thb": f"{budget:.2f}", "plan": record},
                note=nfc(note),
            )
        )
        plan = Plan(
            case.reference, case.province, fiscal_year, budget, record, now, actor.id, audit.seq
        )
        uow.followup.save_plan(plan)
        uow.commit()
    return plan


def list_plans(
    uow: FollowupUnitOfWork,
    reference: str | None = None,
    fiscal_year: int | None = None,
    province: str | None = None,
) -> list[Plan]:
    """Plans, of one relationship, fiscal year and/or province."""
    with uow:
        return uow.followup.plans(
            reference.strip().upper() if reference else None, fiscal_year, province
        )


def check_order(
    order_no: str, order_date: dt.date, chair: str, now: dt.datetime
) -> tuple[str, str]:
    """A committee order's number and chair, normalised and checked: a number in the order, a
    chair named, no date in the future (a province's mechanism and the ministry's alike)."""
    order_no = check_length("--order-no", nfc(order_no).strip(), MAX_NAME)
    chair = check_length("--chair", nfc(chair).strip(), MAX_NAME)
    if not order_no or not any(c.isdigit() for c in order_no):
        raise InvalidInput(N_("--order-no must contain a number"))
    if not chair:
        raise InvalidInput(N_("--chair is empty"))
    if order_date > local_date(now):
        raise InvalidInput(N_("order date {date} is in the future"), date=date_param(order_date))
    return order_no, chair


def record_order(
    uow: UnitOfWork,
    actor: Actor,
    role: str,
    trigger: str,
    fields: dict[str, Any],
    document: tuple[dict[str, Any], bytes] | None,
    now: dt.datetime,
) -> AuditRecord:
    """The ``mechanism`` record of an order, its document stored, in the caller's transaction."""
    if document:
        uow.documents.put(document[0], document[1], now)
        fields = {**fields, "order": document[0]}
    return uow.audit.append(
        AuditDraft(
            kind="mechanism",
            case_reference=None,
            trigger=trigger,
            source=None,
            dest=None,
            actor_id=actor.id,
            actor_role=role,
            os_user=actor.os_user,
            occurred_at=now,
            fields=fields,
        )
    )


def set_mechanism(
    uow: FollowupUnitOfWork,
    actor: Actor,
    province: str,
    order_no: str,
    order_date: dt.date,
    chair: str,
    order_file: str | Path | None,
    now: dt.datetime,
) -> Mechanism:
    """Record the province's committee/working-group order; a new order replaces the old one."""
    province = province.strip().upper()
    if province not in PROVINCES:
        raise InvalidInput(N_("unknown province code '{province}' (use TH-xx)"), province=province)
    order_no, chair = check_order(order_no, order_date, chair, now)
    document = read_document(order_file) if order_file else None
    access = national_access("mechanism", province, Message(N_("record a mechanism")))
    with recorded_refusals(uow, actor, "mechanism", province, now), uow:
        role = authorize(actor, access)
        uow.lock()
        fields: dict[str, Any] = {
            "province": province,
            "order_no": order_no,
            "order_date": order_date.isoformat(),
            "chair": chair,
        }
        audit = record_order(uow, actor, role, "set_mechanism", fields, document, now)
        mechanism = Mechanism(
            province,
            order_no,
            order_date,
            chair,
            document[0] if document else None,
            now,
            actor.id,
            audit.seq,
        )
        uow.followup.save_mechanism(mechanism)
        uow.commit()
    return mechanism


def list_mechanisms(uow: FollowupUnitOfWork, province: str | None = None) -> list[Mechanism]:
    """Recorded mechanisms, by province."""
    with uow:
        return uow.followup.mechanisms(province.strip().upper() if province else None)


# ---------------------------------------------------------------------- the sweep
def dormancy_rule(facts: CaseFacts, years: int, as_of: dt.date) -> str | None:
    """The rule text when an active relationship is due to become dormant on *as_of*, else None.

    The clock starts on the latest of: the (latest) signing date, the last activity's date, and
    the day the case last entered follow-up (report of signing, resumption, an import attesting
    the status). The fiscal year in which the clock starts is partial and never counts. The case
    is dormant once *years* (``settings.dormancy_fiscal_years``) whole fiscal years after that
    one have closed with no activity: with 1, an activity (or signing) in FY 2567 and none in
    FY 2568 makes the case dormant from 1 October 2568 (C.E. 2025), the first day of FY 2569.
    """
    starts = [d for d in (facts.signed_on, facts.last_activity_on, facts.follow_up_since) if d]
    if not starts:
        return None
    start = max(starts)
    start_fy = fiscal_year_be(start)
    last_quiet_fy = start_fy + years
    dormant_from = fiscal_year_bounds(last_quiet_fy)[1] + dt.timedelta(days=1)
    if as_of < dormant_from:
        return None
    quiet = f"FY {start_fy + 1}" if years == 1 else f"FY {start_fy + 1}–{last_quiet_fy}"
    return (
        f"dormancy: no activity in {quiet} (clock from {start.isoformat()}, "
        f"dormancy_fiscal_years={years}); dormant from {dormant_from.isoformat()}; "
        f"as of {as_of.isoformat()}"
    )


def expiry_rule(facts: CaseFacts, as_of: dt.date) -> str | None:
    """The rule text when the term recorded at signing has ended on *as_of*, else None.

    A term of N years from signing ends on the Nth anniversary of the signing date (29 February
    → 28 February): the relationship is in force up to the day before and expired from it.
    """
    if facts.expires_on is None or as_of < facts.expires_on:
        return None
    return (
        f"term: signed {facts.signed_on.isoformat() if facts.signed_on else '?'} for "
        f"{facts.term_years} year(s), ended {facts.expires_on.isoformat()}; "
        f"as of {as_of.isoformat()}"
    )


def sweep(
    uow: FollowupUnitOfWork,
    as_of: dt.date,
    now: dt.datetime,
    operator: Actor | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """The daily job: expire ended terms, mark quiet relationships dormant, report overdue steps.

    It acts as *operator*, a registered officer holding a role of the definitions' ``sweep``
    action (the service account's officer; the CLI always names one), with the rule that fired
    in the audit record's ``rule`` field; library callers that name none act as the built-in
    system actor of earlier releases.
    Timestamps are the real moment the rule was applied (*now*), never the as-of date: the log
    says when the system acted, the rule text says as of which day. *as_of* may be in the past
    (catching up after an outage) but not in the future. A case's event is never stamped
    earlier than its previous event (the clock is nudged one microsecond past it if needed).
    Idempotent: a case the sweep moved is no longer in the state the rule looks at, so a second
    run the same day fires nothing. One transaction: all the day's moves or none.

    An instrument replaced by another (``superseded_by``: a letter of intent followed by an MOU)
    is no longer followed on its own and is left alone. A term whose end cannot be computed (the
    signing is known only to the month or year, or not at all) is never expired: the case is
    listed in ``uncertain`` once the term may have ended.
    """
    today = local_date(now)
    if as_of > today:
        raise InvalidInput(
            N_("--as-of {date} is in the future (today is {today})"),
            date=date_param(as_of),
            today=date_param(today),
        )
    system = operator or system_actor()
    if operator is not None:
        with recorded_refusals(uow, operator, "sweep", None, now):
            authorize(operator, national_access("sweep", verb=Message(N_("run the sweep"))))
    following = sorted(
        {s for x in load_all() for s in x.definition.states_counting_as("follow_up")}
    )
    fired: list[SweepAction] = []
    uncertain: list[UncertainTerm] = []
    with uow:
        uow.lock()
        due: list[tuple[Case, str, str]] = []
        for case, facts in uow.followup.cases_with_facts(following):
            definition = engine_for_case(case).definition
            if not definition.counts_as(case.state, "follow_up") or facts.superseded_by:
                continue
            if facts.term_uncertain:
                found = uncertain_term(facts, as_of)
                if found is not None:
                    uncertain.append(found)
            expire = _sweep_step(definition, case, "expire")
            rule = expiry_rule(facts, as_of) if expire else None
            if expire and rule is not None:
                due.append((case, expire, rule))
                continue
            dormant = _sweep_step(definition, case, "go_dormant")
            years = definition.settings.dormancy_fiscal_years
            rule = dormancy_rule(facts, years, as_of) if dormant else None
            if dormant and rule is not None:
                due.append((case, dormant, rule))
        last = uow.followup.last_event_at([c.reference for c, _, _ in due])
        for case, trigger, rule in reporting(due, len(due), progress):
            at = now
            previous = last.get(case.reference)
            if previous is not None and at <= previous:
                at = previous + dt.timedelta(microseconds=1)
            record = fire_and_record(uow, case, trigger, system, {"rule": rule}, "", at)
            fired.append(
                SweepAction(
                    case.reference,
                    case.province,
                    trigger,
                    record.source or "",
                    record.dest or "",
                    rule,
                    record.seq,
                )
            )
        overdue = _overdue(uow.cases.list(), as_of)
        uow.commit()
    return SweepReport(as_of, tuple(fired), tuple(overdue), tuple(uncertain))


def uncertain_term(facts: CaseFacts, as_of: dt.date) -> UncertainTerm | None:
    """The case's term, when it may have ended by *as_of* but cannot be computed."""
    if not facts.term_uncertain or facts.term_years is None:
        return None
    signed = PartialDate.of(facts.signed_on, facts.signed_precision)
    years = facts.term_years
    earliest = add_years(signed.first, years) if signed.first else None
    last = signed.last
    latest = add_years(last, years) if last else None
    if earliest is not None and earliest > as_of:
        return None
    return UncertainTerm(
        facts.reference, facts.province, signed.text("en"), years, earliest, latest
    )


def _sweep_step(definition: ProcedureDefinition, case: Case, effect: str) -> str | None:
    """The trigger of the system step with *effect* from the case's state, if there is one."""
    return next(
        (t.trigger for t in definition.transitions_with_effect(effect) if case.state in t.source),
        None,
    )


def _overdue(cases: Sequence[Case], as_of: dt.date) -> list[Overdue]:
    found = [o for case in cases if (o := time_in_step(case, as_of)) and o.days > o.expected_days]
    return sorted(found, key=lambda o: (-(o.days - o.expected_days), o.reference))


def overdue_cases(uow: UnitOfWork, as_of: dt.date) -> list[Overdue]:
    """Open cases past their state's expected days on *as_of*, most overdue first."""
    with uow:
        return _overdue(uow.cases.list(), as_of)
