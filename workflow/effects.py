"""What a step does beyond moving a case, and the read models each audit record keeps current.

A transition names its *effects* in the definition (``effects = ["establish"]``), the way it
names guards; only the effects registered here exist, so a definition can never carry code. What a
*state* counts as (``counts_as``: established, follow-up, active, dormant, ended) is declared on
the state. This module reads those declarations and never a state, trigger or role id.

``project`` is pure: the case's facts before, and a new audit record, in; the new facts, the move
and (for an activity) the activity row out. The use case that appended the record calls it and the
unit of work saves the result in the same transaction (an explicit projection, not an ORM hook),
so the sweep and the indicators read small indexed tables that can never disagree with a committed
log. ``store.projections.rebuild`` replays the whole log through the same function.

Conventions, each documented because the indicators depend on them:

* dates are the event's local date in Bangkok; fiscal years are Buddhist Era;
* ``established_on`` is the first signing and is never overwritten (a renewal is not a new
  relationship); ``signed_on`` and ``expires_on`` follow the latest signing, so a renewal starts a
  new term;
* a register's date may be partial: ``established_on`` is then the first day of the month or year
  given and ``established_precision`` says which (``unknown``: signed, date unknown); a term's end
  (``expires_on``) is computed only from an exact day, otherwise the term is *uncertain*;
* ``entered_on`` is the day the case entered the system: before it there is no data;
* an instrument that replaces another (``supersedes``: an MOU after a letter of intent) belongs to
  the replaced one's ``relationship`` (the chain's first instrument); the replaced one is marked
  ``superseded_by`` when the replacing record is saved;
* ``follow_up_since`` is when the case last entered a ``follow_up`` state from outside one, or was
  imported into one: the dormancy clock starts no earlier than that;
* ``ended_on`` is when a relationship stopped being in force, on entering an ``ended`` state: the
  date the ``end`` effect reads (a termination notice), the end of term for ``expire``, otherwise
  the event's date; an imported ended relationship's end is unknown, so it is its signing date;
* a span is the time between the event that put a case in a state and the next event that moved
  it elsewhere; spans opened by an import start at an arbitrary moment and are marked so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from states import RETURN, ProcedureDefinition, TransitionSpec
from states.i18n import N_, Message
from workflow.chronology import recorded_dates
from workflow.model import AuditRecord
from workflow.thaidate import fiscal_year_be, local_date

#: Audit kinds that move a case (and so open a span in ``moves``).
MOVING_KINDS = frozenset({"open", "import", "transition", "migrate"})


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class CaseFacts:
    """Dates the sweep and the indicators need about one relationship."""

    reference: str
    province: str
    established_on: dt.date | None = None
    signed_on: dt.date | None = None
    signed_precision: str | None = None
    term_years: int | None = None
    expires_on: dt.date | None = None
    last_activity_on: dt.date | None = None
    follow_up_since: dt.date | None = None
    ended_on: dt.date | None = None
    imported_sha256: str | None = None
    #: How precisely the first signing is known: ``day``, ``month``, ``year``, ``unknown`` (an
    #: imported relationship known to be signed, date unknown); ``None``: not signed.
    established_precision: str | None = None
    #: The day the case entered the system (opened or imported): no data exists before it.
    entered_on: dt.date | None = None
    #: The instrument this one replaces, and the one that replaced this one.
    supersedes: str | None = None
    superseded_by: str | None = None
    #: The first instrument of the chain this one belongs to (itself when it replaces none).
    relationship: str | None = None
    #: Each date field officers' steps recorded, with its latest date and the step that recorded
    #: it: (field, ISO date, trigger), what later steps' dates may not precede
    #: (``workflow.chronology``).
    step_dates: tuple[tuple[str, str, str], ...] = ()

    @property
    def established(self) -> bool:
        """Whether the relationship has been signed (its date may still be unknown)."""
        return self.established_precision is not None

    @property
    def term_uncertain(self) -> bool:
        """A term was recorded but its end cannot be computed: the signing day is not known."""
        return self.term_years is not None and self.expires_on is None


@dataclass(frozen=True)
class Activity:
    """An activity with the partner, as recorded by a step with the ``activity`` effect."""

    audit_seq: int
    case_reference: str
    province: str
    activity_date: dt.date
    fiscal_year: int
    kind: str
    title: str
    partner_participated: bool
    budget_thb: Decimal | None
    evidence_count: int


@dataclass(frozen=True)
class Move:
    """One moving audit event, with whether it opens a span (it changed the state)."""

    seq: int
    case_reference: str
    province: str
    kind: str
    trigger: str | None
    source: str | None
    dest: str
    occurred_at: dt.datetime
    fiscal_year: int
    #: ``complete`` / ``missing`` / ``unknown`` (imports); ``None``: no officer step to judge.
    docs: str | None
    opens_span: bool


@dataclass(frozen=True)
class SpanEnd:
    """The close of the case's open span: when, in which fiscal year, after how many seconds."""

    ended_at: dt.datetime
    ended_fy: int
    seconds: int


@dataclass(frozen=True)
class Projected:
    """What one audit record changes in the read models."""

    facts: CaseFacts
    is_new: bool
    move: Move
    span_end: SpanEnd | None
    activity: Activity | None


# ---------------------------------------------------------------------- the effect catalogue
@dataclass(frozen=True)
class EffectSpec:
    """An effect, the fields it reads (required ones must be required by the step) and its rule."""

    requires: tuple[str, ...]
    reads: tuple[str, ...]
    apply: Callable[[CaseFacts, AuditRecord, dt.date], tuple[CaseFacts, Activity | None]]


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day *years* later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _establish(facts: CaseFacts, record: AuditRecord, _day: dt.date) -> tuple[CaseFacts, None]:
    signed = dt.date.fromisoformat(str(record.fields["signed_on"]))
    term = record.fields.get("term_years")
    years = int(term) if term not in (None, "") else None
    first = not facts.established  # a renewal keeps the first signing, even an unknown one
    return (
        replace(
            facts,
            established_on=signed if first else facts.established_on,
            established_precision="day" if first else facts.established_precision,
            signed_on=signed,
            signed_precision="day",
            term_years=years,
            expires_on=add_years(signed, years) if years else None,
        ),
        None,
    )


def _satang_amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _evidence_count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 1 if value else 0


def _activity(facts: CaseFacts, record: AuditRecord, _day: dt.date) -> tuple[CaseFacts, Activity]:
    fields = record.fields
    day = dt.date.fromisoformat(str(fields["activity_date"]))
    activity = Activity(
        audit_seq=record.seq,
        case_reference=facts.reference,
        province=facts.province,
        activity_date=day,
        fiscal_year=fiscal_year_be(day),
        kind=str(fields["activity_kind"]),
        title=str(fields["activity_title"]),
        partner_participated=fields["partner_participated"] == "yes",
        budget_thb=_satang_amount(fields.get("budget_thb")),
        evidence_count=_evidence_count(fields.get("evidence")),
    )
    if facts.last_activity_on is None or facts.last_activity_on < day:
        facts = replace(facts, last_activity_on=day)
    return facts, activity


def _end(facts: CaseFacts, record: AuditRecord, _day: dt.date) -> tuple[CaseFacts, None]:
    notice = record.fields.get("termination_notice_date")
    if notice:
        facts = replace(facts, ended_on=dt.date.fromisoformat(str(notice)))
    return facts, None


def _expire(facts: CaseFacts, _record: AuditRecord, day: dt.date) -> tuple[CaseFacts, None]:
    if facts.expires_on is not None:
        facts = replace(facts, ended_on=min(facts.expires_on, day))
    return facts, None


def _no_facts(facts: CaseFacts, _record: AuditRecord, _day: dt.date) -> tuple[CaseFacts, None]:
    return facts, None


EFFECTS: dict[str, EffectSpec] = {
    #: Signing: the date signed and, when given, the term in years (hence the expiry date).
    "establish": EffectSpec(("signed_on",), ("signed_on", "term_years"), _establish),
    #: An activity with the partner (the dormancy clock restarts from its date).
    "activity": EffectSpec(
        ("activity_date", "activity_kind", "activity_title", "partner_participated"),
        ("budget_thb", "evidence"),
        _activity,
    ),
    #: Ending the relationship by notice: it ended on the notice's date when one is recorded.
    "end": EffectSpec((), ("termination_notice_date",), _end),
    #: Fired by the sweep when the term recorded at signing has ended.
    "expire": EffectSpec((), (), _expire),
    #: Fired by the sweep after ``dormancy_fiscal_years`` closed fiscal years without activity.
    "go_dormant": EffectSpec((), (), _no_facts),
    #: Submitting a yearly report: the report, built from the province's data, is the document
    #: the step records (``workflow.monitoring`` builds it; the read models do not change).
    "yearly_report": EffectSpec(("report",), ("issues",), _no_facts),
}


def effect_problems(definition: ProcedureDefinition) -> list[str]:
    """Effects a definition names that do not exist, or whose fields its step does not record."""
    problems: list[str] = []
    for t in definition.transitions:
        for name in t.effects:
            effect = EFFECTS.get(name)
            if effect is None:
                problems.append(
                    Message(
                        N_("transition '{trigger}': unknown effect '{effect}'"),
                        trigger=t.trigger,
                        effect=name,
                    )
                )
                continue
            missing = [f for f in effect.requires if f not in t.requires]
            if missing:
                problems.append(
                    Message(
                        N_(
                            "transition '{trigger}': effect '{effect}' needs required "
                            "field(s) {fields}"
                        ),
                        trigger=t.trigger,
                        effect=name,
                        fields=", ".join(missing),
                    )
                )
    return problems


def code_problems(definition: ProcedureDefinition) -> list[str]:
    """What a definition names that this code lacks: guards, effects and their fields.

    The loader checks the data alone; this is checked before a definition is used, and by
    ``procedure check``, so a ministry's own file cannot pass the check and fail in use.
    """
    from workflow.guards import unknown_guards  # guards import the model; effects stay light

    missing = unknown_guards(definition)
    found = (
        [
            Message(
                N_("definition names guards this version lacks: {guards}"),
                guards=", ".join(missing),
            )
        ]
        if missing
        else []
    )
    return found + effect_problems(definition)


# ---------------------------------------------------------------------- the projection
_Move = tuple[str | None, str | None, str | None]
#: Per definition (kept alive beside its id), the transition each recorded move was.
_SPECS: dict[int, tuple[ProcedureDefinition, dict[_Move, TransitionSpec | None]]] = {}


def spec_of(
    definition: ProcedureDefinition, trigger: str | None, source: str | None, dest: str | None
) -> TransitionSpec | None:
    """The transition a recorded move was (``None`` when it is no step of *definition*)."""
    entry = _SPECS.get(id(definition))
    if entry is None or entry[0] is not definition:
        entry = _SPECS[id(definition)] = (definition, {})
    key = (trigger, source, dest)
    if key not in entry[1]:
        entry[1][key] = next(
            (
                spec
                for spec in definition.active_transitions
                if spec.trigger == trigger
                and source in spec.source
                and (spec.dest == dest or spec.dest == RETURN)
            ),
            None,
        )
    return entry[1][key]


def required_documents_present(spec: TransitionSpec | None, definition: ProcedureDefinition,
                               fields: Mapping[str, Any]) -> str:  # fmt: skip
    """``complete`` when every required ``file`` field of the step is in the record.

    Optional documents (evidence of an activity, a delegation order) do not count: the indicator
    asks whether the procedure's required documents were there.
    """
    if spec is None:
        return "unknown"
    needed = [n for n in spec.requires if definition.field(n).type == "file"]
    return "complete" if all(fields.get(n) for n in needed) else "missing"


def project(
    definition: ProcedureDefinition,
    facts: CaseFacts | None,
    record: AuditRecord,
    *,
    province: str,
    span_start: dt.datetime | None,
) -> Projected | None:
    """The read-model changes of *record*, a record of a case of *definition* (the version in
    force after the record, for a migration); ``None`` for a record that moves nothing.

    *span_start* is when the case entered the state it leaves (``None`` for a new case).
    """
    reference, kind, dest, source = (
        record.case_reference,
        record.kind,
        record.dest,
        record.source,
    )
    if reference is None or dest is None or kind not in MOVING_KINDS:
        return None
    is_new = facts is None
    at = record.occurred_at
    day = local_date(at)
    fy = fiscal_year_be(day)
    spec = spec_of(definition, record.trigger, source, dest) if kind == "transition" else None

    docs: str | None = None
    if kind == "import":
        docs = "unknown"
    elif kind == "transition" and record.actor_role not in definition.system_roles:
        docs = required_documents_present(spec, definition, record.fields)
    changes_state = kind in {"open", "import"} or dest != source
    span_end = None
    if changes_state and span_start is not None:
        seconds = max(int((at - span_start).total_seconds()), 0)
        span_end = SpanEnd(at, fy, seconds)
    move = Move(
        record.seq, reference, province, kind, record.trigger, source, dest, at, fy, docs,
        changes_state,
    )  # fmt: skip

    activity: Activity | None = None
    if kind == "import":
        # Built at once (an import projects thousands of these; each copy of the facts costs).
        changes = _imported(facts.signed_precision if facts else None, record, definition, day)
        if facts is None:
            new = {"entered_on": day, "relationship": reference, **changes}
            after = CaseFacts(reference, province, **new)
        else:
            after = replace(facts, **changes)
    else:
        after = facts or CaseFacts(reference, province)
        if is_new:
            after = replace(after, entered_on=day, relationship=reference)
        if definition.counts_as(dest, "follow_up") and not definition.counts_as(
            source, "follow_up"
        ):
            after = replace(after, follow_up_since=day)
        if definition.counts_as(dest, "ended") and not definition.counts_as(source, "ended"):
            after = replace(after, ended_on=day)
        for name in spec.effects if spec is not None else ():
            after, made = EFFECTS[name].apply(after, record, day)
            activity = activity or made
        if kind == "transition":
            dates = recorded_dates(
                definition, spec, record.actor_role, record.fields, after.step_dates
            )
            if dates != after.step_dates:
                after = replace(after, step_dates=dates)
    return Projected(after, is_new, move, span_end, activity)


def _imported(
    precision: str | None, record: AuditRecord, definition: ProcedureDefinition, day: dt.date
) -> dict[str, Any]:
    """What an imported relationship changes in its facts (*precision*: its signing's so far):
    its signing as precisely as the register knew it (a partial date is kept as its first day
    and its precision; the term's end is computed only from an exact day) and the chain of
    instruments it belongs to."""
    fields = record.fields
    signed_text = fields.get("signed_on_date")
    signed = dt.date.fromisoformat(str(signed_text)) if signed_text else None
    changes: dict[str, Any] = {"imported_sha256": fields.get("file_sha256")}
    if signed is not None:
        precision = str(fields.get("signed_on_precision") or "day")
        changes.update(
            established_on=signed,
            established_precision=precision,
            signed_on=signed,
            signed_precision=precision,
        )
    elif definition.counts_as(record.dest, "established"):
        changes["established_precision"] = "unknown"
    term = fields.get("term_years")
    if term not in (None, ""):
        years = int(term)
        exact = signed is not None and precision == "day"
        expires = add_years(signed, years) if signed is not None and exact else None
        changes.update(term_years=years, expires_on=expires)
    supersedes = fields.get("supersedes")
    if supersedes:
        changes.update(
            supersedes=str(supersedes),
            relationship=str(fields.get("relationship") or supersedes),
        )
    if definition.counts_as(record.dest, "follow_up"):
        changes["follow_up_since"] = day
    if definition.counts_as(record.dest, "ended"):
        changes["ended_on"] = signed or day
    return changes
