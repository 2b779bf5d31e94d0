"""One shared ``transitions`` machine per procedure version, driving any number of cases.

Cases are never registered on the machine (registration is O(n) per case in transitions and
leaks per-model state); each command wraps the case's state in a throwaway subject and fires the
event on it directly. ``auto_transitions=False`` closes the ``to_<state>()`` back doors, and a
``False`` return from the machine is always turned into a named refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from states import RETURN, LoadedDefinition, ProcedureDefinition, TransitionSpec
from states.i18n import N_, Joined, Message
from workflow.authorization import Access, authorize
from workflow.effects import code_problems
from workflow.errors import (
    GuardRejected,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
)
from workflow.fields import validate_fields
from workflow.guards import GUARDS, GuardContext
from workflow.model import Action, Actor, Case, FieldNeed, actors_of


class _Subject:
    """The only object the machine ever touches: a state holder, never an ORM or pydantic model."""

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass(frozen=True)
class Fired:
    """The outcome of a transition, before it is stored."""

    case: Case
    source: str
    dest: str
    role: str
    fields: dict[str, Any]
    #: The transition that moved the case (of several variants, the one whose guards held).
    spec: TransitionSpec


class ProcedureEngine:
    """The rules of one procedure version."""

    def __init__(self, loaded: LoadedDefinition) -> None:
        self.loaded = loaded
        self.definition: ProcedureDefinition = loaded.definition
        problems = code_problems(self.definition)
        if problems:
            raise InvalidInput("{path}: {problems}", path=loaded.path, problems=Joined(problems))
        self._specs: dict[tuple[str, str], list[TransitionSpec]] = {}
        self._scoped_roles: dict[tuple[str, ...], frozenset[str]] = {}
        self._config: list[dict[str, Any]] = []
        for spec in self.definition.active_transitions:
            for source in spec.source:
                self._specs.setdefault((source, spec.trigger), []).append(spec)
                self._config.extend(self._machine_config(spec, source))
        self.triggers = {t.trigger for t in self.definition.active_transitions}
        #: Each state's triggers, as the machine has them (a return with nowhere to go has none).
        self._triggers_from: dict[str, set[str]] = {}
        for move in self._config:
            self._triggers_from.setdefault(move["source"], set()).add(move["trigger"])

    @cached_property
    def _machine(self) -> Any:
        """The shared machine, built when a step is first taken: commands that only read cases
        and list what may be done next never need it."""
        from transitions import Machine

        return Machine(
            model=None,
            states=[s.id for s in self.definition.states],
            transitions=self._config,
            initial=self.definition.initial,
            auto_transitions=False,
            send_event=True,
        )

    def _machine_config(self, spec: TransitionSpec, source: str) -> list[dict[str, Any]]:
        conditions = [_guard_condition(name) for name in spec.guards]
        if spec.dest != RETURN:
            return [
                {
                    "trigger": spec.trigger,
                    "source": source,
                    "dest": spec.dest,
                    "conditions": conditions,
                }
            ]
        return [
            {
                "trigger": spec.trigger,
                "source": source,
                "dest": target,
                "conditions": [*conditions, _returns_to(target)],
            }
            for target in self.definition.return_targets(source)
        ]

    # ------------------------------------------------------------------ queries
    def allowed_triggers(self, state: str) -> list[str]:
        """Triggers that exist from *state*, whoever may fire them (as the machine has them)."""
        return sorted(self._triggers_from.get(state, ()))

    def specs_from(self, state: str) -> list[TransitionSpec]:
        """One transition per trigger that exists from *state* (the first of its variants)."""
        return [self._specs[(state, t)][0] for t in self.allowed_triggers(state)]

    def spec_for(self, case: Case, trigger: str) -> TransitionSpec:
        """The transition *trigger* means from the case's state, or a refusal saying why not."""
        if trigger not in self.triggers:
            raise UnknownTrigger(
                N_("'{trigger}' is not a step of {procedure} v{version}"),
                trigger=trigger,
                procedure=self.definition.procedure,
                version=self.definition.version,
            )
        specs = self._specs.get((case.state, trigger))
        if not specs:
            allowed = ", ".join(self.allowed_triggers(case.state))
            if not allowed:
                raise TransitionNotAllowed(
                    N_(
                        "'{trigger}' is not allowed from '{state}' in case {reference}; "
                        "allowed: none (final state)"
                    ),
                    trigger=trigger,
                    state=case.state,
                    reference=case.reference,
                )
            raise TransitionNotAllowed(
                N_(
                    "'{trigger}' is not allowed from '{state}' in case {reference}; "
                    "allowed: {allowed}"
                ),
                trigger=trigger,
                state=case.state,
                reference=case.reference,
                allowed=allowed,
            )
        return specs[0]

    def access(self, case: Case, spec: TransitionSpec) -> Access:
        """What firing *spec* on *case* needs: its roles, their scope, segregation of duties."""
        excluded: dict[str, str] = {}
        for other in reversed(spec.separate_from):
            earlier = (
                (case.opened_by,) if other == "open" else actors_of(case.trigger_actors.get(other))
            )
            for previous in earlier:
                excluded[previous] = (
                    Message(N_("opened this case"))
                    if other == "open"
                    else Message(N_("made '{step}' on this case"), step=other)
                )
        return Access(
            action=spec.trigger,
            roles=spec.roles,
            scoped=self._scoped(spec.roles),
            province=case.province,
            excluded=excluded,
        )

    def _scoped(self, roles: tuple[str, ...]) -> frozenset[str]:
        """Which of *roles* are scoped to a province (kept per set of roles: a definition never
        changes)."""
        found = self._scoped_roles.get(roles)
        if found is None:
            found = self._scoped_roles[roles] = frozenset(
                r for r in roles if self.definition.role(r).scoped
            )
        return found

    def role_for(self, case: Case, spec: TransitionSpec, actor: Actor) -> str:
        """The role the actor fires *spec* under; refuses on role, scope and segregation."""
        return authorize(actor, self.access(case, spec))

    def available_actions(self, case: Case, actor: Actor) -> list[Action]:
        """What this officer may do now, with the fields each step needs."""
        actions: list[Action] = []
        for trigger in self.allowed_triggers(case.state):
            spec = self._specs[(case.state, trigger)][0]
            try:
                role = self.role_for(case, spec, actor)
            except PermissionDenied:
                continue
            dest = case.previous_state or "" if spec.dest == RETURN else spec.dest
            needs = tuple(
                FieldNeed(
                    name=n,
                    type=self.definition.field(n).type,
                    required=n in spec.requires,
                    label_th=self.definition.field(n).label.th,
                    label_en=self.definition.field(n).label.en,
                )
                for n in (*spec.requires, *spec.optional)
            )
            actions.append(
                Action(
                    trigger, dest, spec.label.th, spec.label.en, role, needs, spec.note_required
                )
            )
        return actions

    # ------------------------------------------------------------------ the move
    def fire(
        self,
        case: Case,
        trigger: str,
        actor: Actor,
        fields: Mapping[str, Any],
        note: str,
        now: dt.datetime,
    ) -> Fired:
        """Check everything in the documented order, then move the case; no I/O."""
        spec = self.spec_for(case, trigger)
        role = self.role_for(case, spec, actor)
        values = validate_fields(self.definition, spec, fields, note)
        ctx = GuardContext(self.definition, case, actor, values, now)
        subject = _Subject(case.state)
        moved = self._machine.events[trigger].trigger(
            subject, ctx=ctx, previous=case.previous_state
        )
        variants = self._specs[(case.state, trigger)]
        if not moved:
            failed: list[str] = [
                Message("{guard}: {reason}", guard=name, reason=reason)
                for variant in variants
                for name in variant.guards
                if (reason := GUARDS[name](ctx)) is not None
            ]
            if spec.dest == RETURN and not failed:
                failed = [Message(N_("no recorded state to return to"))]
            raise GuardRejected(
                trigger, failed or [Message(N_("a rule of the procedure does not hold"))]
            )
        dest = subject.state
        # One variant moved the case: it is the one fired, its guards already held.
        fired_spec = (
            variants[0]
            if len(variants) == 1
            else next(
                (
                    v
                    for v in variants
                    if v.dest in (dest, RETURN) and all(GUARDS[g](ctx) is None for g in v.guards)
                ),
                spec,
            )
        )
        changed = dest != case.state
        new_case = replace(
            case,
            state=dest,
            previous_state=case.state if changed else case.previous_state,
            state_since=now if changed else case.state_since,
            trigger_actors={
                **case.trigger_actors,
                trigger: _with(actors_of(case.trigger_actors.get(trigger)), actor.id),
            },
        )
        return Fired(new_case, case.state, dest, role, values, fired_spec)


def _with(actors: tuple[str, ...], actor: str) -> tuple[str, ...]:
    return actors if actor in actors else (*actors, actor)


def _guard_condition(name: str) -> Any:
    def condition(event: Any) -> bool:
        return GUARDS[name](event.kwargs["ctx"]) is None

    condition.__name__ = f"guard_{name}"
    return condition


def _returns_to(target: str) -> Any:
    def condition(event: Any) -> bool:
        return bool(event.kwargs.get("previous") == target)

    condition.__name__ = f"returns_to_{target}"
    return condition
