"""Who acts next: every step a case's procedure allows from its state, and who may take it.

For each step: its label, the roles the definition gives it, the registered, unretired officers
who may take it here (in scope for a province-scoped role, not excluded by segregation of
duties: the one decision of ``workflow.authorization.authorize``), what it needs (fields with
their types and choices, documents, a note, rules that do not hold now) and whether the asking
officer may take it, or why not. A step no registered officer can take is named as a gap an
admin must close. Everything is read from the definition; nothing here names a state, a
trigger or a role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from states import RETURN, ProcedureDefinition, StateSpec, TransitionSpec
from states.i18n import Message
from workflow.authorization import Access, authorize
from workflow.catalog import engine_for_case
from workflow.engine import ProcedureEngine
from workflow.errors import PermissionDenied, SegregationOfDuties
from workflow.guards import GUARDS, GuardContext
from workflow.model import Actor, Case
from workflow.ports import UnitOfWork
from workflow.services import find_case

#: Why the asking officer may not take a step.
Refusal = Literal["role", "scope", "segregation"]
#: What "what it needs" says when a step needs nothing, in Thai and English.
NOTHING = ("ไม่ต้องใช้ข้อมูลหรือเอกสารเพิ่ม", "nothing more")
#: The gap line, in Thai and English.
GAP = (
    "ไม่มีเจ้าหน้าที่ที่ลงทะเบียนไว้ดำเนินการขั้นนี้ได้: ผู้ดูแลระบบต้องลงทะเบียนเจ้าหน้าที่",
    "no registered officer can take this step: an admin must register one",
)


@dataclass(frozen=True)
class RoleNeed:
    """A role that may take a step; a scoped one acts only in the case's province."""

    id: str
    label_th: str
    label_en: str
    scoped: bool


@dataclass(frozen=True)
class StepField:
    """A field or document a step records, with what a valid value looks like."""

    name: str
    type: str
    required: bool
    label_th: str
    label_en: str
    choices: tuple[str, ...] = ()

    @property
    def document(self) -> bool:
        return self.type == "file"


@dataclass(frozen=True)
class Taker:
    """A registered officer who may take the step here, and the role they would act under."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class NextStep:
    """One step from the case's state: who may take it and what it needs."""

    trigger: str
    kind: str
    label_th: str
    label_en: str
    #: Where it leads (for a return, the state the case would go back to; ``None`` if none).
    dest: str | None
    dest_label_th: str
    dest_label_en: str
    dest_counts_as: tuple[str, ...]
    roles: tuple[RoleNeed, ...]
    officers: tuple[Taker, ...]
    fields: tuple[StepField, ...]
    note_required: bool
    #: Rules of the step that do not hold now (for the asking officer, with nothing given yet).
    failing_guards: tuple[str, ...]
    #: Whether the asking officer may take it, under which role, and if not, why.
    may_take: bool
    role: str | None
    refusal: Refusal | None
    why_not: str | None

    @property
    def gap(self) -> bool:
        """No registered officer can take it: an admin must register one."""
        return not self.officers

    @property
    def documents(self) -> tuple[StepField, ...]:
        return tuple(f for f in self.fields if f.document and f.required)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "kind": self.kind,
            "label_th": self.label_th,
            "label_en": self.label_en,
            "dest": self.dest,
            "dest_label_th": self.dest_label_th,
            "dest_label_en": self.dest_label_en,
            "dest_counts_as": list(self.dest_counts_as),
            "roles": [
                {"id": r.id, "label_th": r.label_th, "label_en": r.label_en, "scoped": r.scoped}
                for r in self.roles
            ],
            "officers": [{"id": o.id, "name": o.name, "role": o.role} for o in self.officers],
            "gap": self.gap,
            "gap_th": GAP[0] if self.gap else None,
            "gap_en": GAP[1] if self.gap else None,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "required": f.required,
                    "choices": list(f.choices),
                    "label_th": f.label_th,
                    "label_en": f.label_en,
                }
                for f in self.fields
            ],
            "documents": [f.name for f in self.documents],
            "note_required": self.note_required,
            "failing_guards": list(self.failing_guards),
            "may_take": self.may_take,
            "role": self.role,
            "refusal": self.refusal,
            "why_not": self.why_not,
        }


def next_steps(
    uow: UnitOfWork, actor: Actor | None, reference: str, now: dt.datetime
) -> tuple[Case, list[NextStep]]:
    """The case and every step from its state, with who may take each (one read transaction)."""
    with uow:
        case = find_case(uow, reference)
        officers = [o for o in uow.officers.list() if not o.retired]
    return case, steps_for(engine_for_case(case), case, officers, actor, now)


def steps_for(
    engine: ProcedureEngine,
    case: Case,
    officers: list[Actor],
    actor: Actor | None,
    now: dt.datetime,
) -> list[NextStep]:
    """Every step *engine* allows from the case's state, given the registered *officers*."""
    definition = engine.definition
    found: list[NextStep] = []
    for spec in engine.specs_from(case.state):
        access = engine.access(case, spec)
        takers = tuple(
            Taker(o.id, o.name, role)
            for o in officers
            if (role := _role_of(o, access)) is not None
        )
        mine: str | None = None
        refusal: Refusal | None = None
        why_not: str | None = None
        if actor is not None:
            try:
                mine = authorize(actor, access)
            except SegregationOfDuties as exc:
                refusal, why_not = "segregation", str(exc)
            except PermissionDenied as exc:
                held = any(r in actor.roles for r in spec.roles)
                refusal, why_not = ("scope" if held else "role"), str(exc)
        dest = case.previous_state if spec.dest == RETURN else spec.dest
        dest_spec = _state(definition, dest)
        found.append(
            NextStep(
                trigger=spec.trigger,
                kind=spec.kind,
                label_th=spec.label.th,
                label_en=spec.label.en,
                dest=dest,
                dest_label_th=dest_spec.label.th if dest_spec else "",
                dest_label_en=dest_spec.label.en if dest_spec else "",
                dest_counts_as=tuple(dest_spec.counts_as) if dest_spec else (),
                roles=tuple(_role_need(definition, r) for r in spec.roles),
                officers=takers,
                fields=_fields(definition, spec),
                note_required=spec.note_required,
                failing_guards=_failing(definition, spec, case, actor, takers, officers, now),
                may_take=mine is not None,
                role=mine,
                refusal=refusal,
                why_not=why_not,
            )
        )
    return found


def _state(definition: ProcedureDefinition, state: str | None) -> StateSpec | None:
    """The state's spec; ``None`` for none, or one of an earlier version (after a migration)."""
    try:
        return definition.state(state) if state else None
    except KeyError:
        return None


def _role_need(definition: ProcedureDefinition, role: str) -> RoleNeed:
    spec = definition.role(role)
    return RoleNeed(role, spec.label.th, spec.label.en, spec.scoped)


def _role_of(officer: Actor, access: Access) -> str | None:
    try:
        return authorize(officer, access)
    except PermissionDenied:
        return None


def _fields(definition: ProcedureDefinition, spec: TransitionSpec) -> tuple[StepField, ...]:
    return tuple(
        StepField(
            name=name,
            type=definition.field(name).type,
            required=name in spec.requires,
            label_th=definition.field(name).label.th,
            label_en=definition.field(name).label.en,
            choices=definition.field(name).choices,
        )
        for name in (*spec.requires, *spec.optional)
    )


def _failing(
    definition: ProcedureDefinition,
    spec: TransitionSpec,
    case: Case,
    actor: Actor | None,
    takers: tuple[Taker, ...],
    officers: list[Actor],
    now: dt.datetime,
) -> tuple[str, ...]:
    """The step's guards that do not hold now, with nothing given yet, for the asking officer
    (or, when none asks, for the first officer who may take it)."""
    who = actor
    if who is None and takers:
        who = next(o for o in officers if o.id == takers[0].id)
    if who is None:
        return ()
    ctx = GuardContext(definition, case, who, {}, now)
    return tuple(
        Message("{guard}: {reason}", guard=name, reason=reason)
        for name in spec.guards
        if (reason := GUARDS[name](ctx)) is not None
    )
