"""Moving cases to another version of their procedure, audited.

A released version never changes; when the ministry's rules change, cases in flight may be moved
to the new version by the officers the new version allows (its ``migrate`` action). Each case's
state goes to the state of the same id in the new version, or where an explicit mapping
(``OLD=NEW``) says; a state with neither is refused, and so is a resume target (``previous_state``)
with neither, so that nothing is guessed. Each migrated case gets one ``migrate`` audit record
naming both versions, both files' SHA-256 and the mapping it used; ``audit verify`` checks every
later step against the version in force from that record on. All or nothing: one case that
cannot move refuses the whole batch, and a dry run writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from states import ProcedureDefinition
from states.i18n import N_, Joined, Message
from workflow.authorization import access_for, authorize, recorded_refusals
from workflow.catalog import engine_for, engine_for_case
from workflow.engine import ProcedureEngine
from workflow.errors import InvalidInput, as_message
from workflow.model import Actor, AuditDraft, Case
from workflow.ports import UnitOfWork
from workflow.services import append_event, find_case


@dataclass(frozen=True)
class MigrationPlan:
    """Where one case goes; ``audit_seq`` is set once the migration is recorded."""

    reference: str
    procedure: str
    from_version: int
    to_version: int
    source: str
    dest: str
    previous_from: str | None
    previous_to: str | None
    mapping: Mapping[str, str]
    audit_seq: int | None = None


def _target(state: str | None, mapping: Mapping[str, str], d: ProcedureDefinition) -> str | None:
    if state is None:
        return None
    dest = mapping.get(state, state)
    return dest if dest in {s.id for s in d.active_states} else None


def plan_migration(
    case: Case, source: ProcedureDefinition, target: ProcedureEngine, mapping: Mapping[str, str]
) -> MigrationPlan:
    """Where *case* would go under *target*, or a refusal naming what has no counterpart."""
    new = target.definition
    if new.procedure != case.procedure:
        raise InvalidInput(
            N_("case {reference} follows {procedure}, not {target}"),
            reference=case.reference,
            procedure=case.procedure,
            target=new.procedure,
        )
    if new.version == case.version:
        raise InvalidInput(
            N_("case {reference} already follows v{version}"),
            reference=case.reference,
            version=case.version,
        )
    dest = _target(case.state, mapping, new)
    previous = _target(case.previous_state, mapping, new)
    states = ", ".join(s.id for s in new.active_states)
    if dest is None:
        raise InvalidInput(
            N_(
                "case {reference}: state '{state}' has no counterpart in v{version}; "
                "name one with --map {state}=STATE (states: {states})"
            ),
            reference=case.reference,
            state=case.state,
            version=new.version,
            states=states,
        )
    if case.previous_state is not None and previous is None:
        raise InvalidInput(
            N_(
                "case {reference}: the state it would resume to, '{state}', has "
                "no counterpart in v{version}; name one with --map {state}=STATE"
            ),
            reference=case.reference,
            state=case.previous_state,
            version=new.version,
        )
    used = {
        s: mapping[s]
        for s in (case.state, case.previous_state)
        if s is not None and s in mapping and s in {x.id for x in source.states}
    }
    return MigrationPlan(
        case.reference,
        case.procedure,
        case.version,
        new.version,
        case.state,
        dest,
        case.previous_state,
        previous,
        used,
    )


def check_mapping(
    mapping: Mapping[str, str], source: ProcedureDefinition, target: ProcedureDefinition
) -> None:
    """Every ``OLD=NEW`` names a state of the old version and one of the new version."""
    old = {s.id for s in source.states}
    new = {s.id for s in target.active_states}
    no_state = N_("'{state}' is no state of v{version}")
    bad = [Message(no_state, state=k, version=source.version) for k in mapping if k not in old]
    bad += [
        Message(no_state, state=v, version=target.version)
        for v in mapping.values()
        if v not in new
    ]
    if bad:
        raise InvalidInput("--map: {problems}", problems=Joined(bad))


def migrate_cases(
    uow: UnitOfWork,
    actor: Actor,
    *,
    procedure: str,
    to_version: int,
    now: dt.datetime,
    references: Sequence[str] = (),
    from_version: int | None = None,
    state: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> list[MigrationPlan]:
    """Migrate the named cases, or every case of *procedure* *from_version* (in *state*)."""
    mapping = dict(mapping or {})
    target = engine_for(procedure, to_version)
    access = access_for(
        [target.definition],
        "migrate",
        verb=Message(
            N_("migrate cases to {procedure} v{version}"), procedure=procedure, version=to_version
        ),
    )
    subject = references[0] if len(references) == 1 else None
    plans: list[MigrationPlan] = []
    with recorded_refusals(uow, actor, "migrate", subject, now), uow:
        role = authorize(actor, access)
        uow.lock()
        if references:
            cases = [find_case(uow, r) for r in references]
        else:
            if from_version is None:
                raise InvalidInput(N_("name the cases, or --all with --from-version"))
            cases = [
                c
                for c in uow.cases.list(state=state)
                if c.procedure == procedure and c.version == from_version
            ]
            if not cases:
                raise InvalidInput(
                    N_("no case of {procedure} v{version} in '{state}' to migrate")
                    if state
                    else N_("no case of {procedure} v{version} to migrate"),
                    procedure=procedure,
                    version=from_version,
                    state=state,
                )
        problems: list[str] = []
        for case in cases:
            source = engine_for_case(case).definition
            try:
                check_mapping(mapping, source, target.definition)
                plans.append(plan_migration(case, source, target, mapping))
            except InvalidInput as exc:
                problems.append(as_message(exc))
        if problems:
            shown = Joined(dict.fromkeys(problems))
            raise InvalidInput(N_("nothing migrated: {problems}"), problems=shown)
        if dry_run:
            return plans
        done: list[MigrationPlan] = []
        for case, plan in zip(cases, plans, strict=True):
            moved = plan.dest != case.state
            uow.cases.update(
                replace(
                    case,
                    version=target.definition.version,
                    definition_sha256=target.loaded.sha256,
                    state=plan.dest,
                    previous_state=plan.previous_to,
                    state_since=now if moved else case.state_since,
                )
            )
            record = append_event(
                uow,
                AuditDraft(
                    kind="migrate",
                    case_reference=case.reference,
                    trigger="migrate",
                    source=case.state,
                    dest=plan.dest,
                    actor_id=actor.id,
                    actor_role=role,
                    os_user=actor.os_user,
                    occurred_at=now,
                    fields={
                        "procedure": procedure,
                        "from_version": case.version,
                        "to_version": target.definition.version,
                        "from_sha256": case.definition_sha256,
                        "to_sha256": target.loaded.sha256,
                        "map": dict(plan.mapping),
                    },
                ),
                target.definition,
                province=case.province,
                span_start=case.state_since,
            )
            done.append(replace(plan, audit_seq=record.seq))
        uow.commit()
    return done
