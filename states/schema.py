"""The procedure definition as frozen dataclasses, validated by pydantic when a file is read.

The ministry changes its rules by Cabinet resolution and circular, so everything the sources leave
open (Cabinet before or after signing, MFA consulted or not, the dormancy threshold, expected days
per step) is data here, and a new rule is a new version of the file, never a code change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal, get_args, get_type_hints

from states.graph import check_graph
from states.text import STRICT_CONFIG, Constraint, Label, NFCStr

Phase = Literal["proposal", "ministry_review", "cabinet", "signing", "follow_up", "closed"]
PHASES: tuple[Phase, ...] = (
    "proposal",
    "ministry_review",
    "cabinet",
    "signing",
    "follow_up",
    "closed",
)
PHASE_LABELS: dict[str, Label] = {
    "proposal": Label(th="ข้อเสนอระดับจังหวัด", en="Provincial proposal"),
    "ministry_review": Label(
        th="กระทรวงมหาดไทยพิจารณาและหารือกระทรวงการต่างประเทศ",
        en="Ministry review and MFA consultation",
    ),
    "cabinet": Label(th="คณะรัฐมนตรี", en="Cabinet"),
    "signing": Label(th="การลงนาม", en="Signing"),
    "follow_up": Label(th="การดำเนินความสัมพันธ์และติดตามผล", en="Follow-up"),
    "closed": Label(th="สิ้นสุด", en="Closed"),
}
FieldType = Literal["text", "date", "reference", "file", "integer", "amount", "choice"]
TransitionKind = Literal["step", "revision", "branch", "amendment", "follow_up", "system"]

#: What being in a state counts as, for the sweep, the indicators and the importer. The code reads
#: these, never a state id:
#:
#: * ``established``: the relationship has been signed (an import in such a state needs its date);
#: * ``follow_up``: a relationship being followed up: activities are recorded, the dormancy and
#:   term clocks run, the sweep looks at it; entering it from outside starts the dormancy clock;
#: * ``active`` / ``dormant``: the two sides of the active share;
#: * ``ended``: the relationship has ended (expired, terminated): it is no longer in force;
#: * ``reported`` / ``accepted`` (yearly reports): the report is with the ministry or past it /
#:   the ministry accepted it.
Meaning = Literal["established", "follow_up", "active", "dormant", "ended", "reported", "accepted"]
MEANINGS: tuple[Meaning, ...] = (
    "established",
    "follow_up",
    "active",
    "dormant",
    "ended",
    "reported",
    "accepted",
)

#: What a case of a procedure is about: a relationship with a foreign partner (from proposal to
#: its end), or a province's yearly monitoring report (one case per province and fiscal year,
#: with no partner).
Subject = Literal["relationship", "yearly_report"]

#: Actions that are not transitions; the definition names the roles allowed for each:
#:
#: * ``open``: open a case in the initial state; ``import``: import existing relationships;
#: * ``plan``: set a relationship's yearly plan; ``mechanism``: record a province's mechanism;
#: * ``head_export``: export (and sign) the audit log's head; ``officers``: register officers;
#: * ``sweep``: the daily job (roles the system acts under); ``migrate``: move cases to another
#:   version of their procedure;
#: * ``ministry_mechanism``: record the ministry's own mechanism (with related agencies) that
#:   drives and monitors sister-city relations.
ActionName = Literal[
    "open",
    "import",
    "plan",
    "mechanism",
    "head_export",
    "officers",
    "sweep",
    "migrate",
    "ministry_mechanism",
]
ACTIONS: tuple[ActionName, ...] = get_args(ActionName)

#: A transition whose destination is this token returns the case to the state it left to enter
#: the source state (suspension and resumption).
RETURN = "@previous"

_ID = r"^[a-z][a-z0-9_]*$"

#: What pydantic checks beyond the type, declared without importing pydantic (``states.text``).
Id = Annotated[str, Constraint(pattern=_ID)]
Version = Annotated[int, Constraint(ge=1)]
Days = Annotated[int, Constraint(ge=1)]
FiscalYears = Annotated[int, Constraint(ge=1, le=5)]
Ids = Annotated[tuple[str, ...], Constraint(min_length=1)]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The points the public sources leave open; each is decided per version."""

    __pydantic_config__ = STRICT_CONFIG

    #: ``no_cabinet_step``: the procedure has no Cabinet step at all (e.g. local agreements).
    cabinet_mode: Literal[
        "approve_before_signing", "acknowledge_after_signing", "no_cabinet_step"
    ] = "approve_before_signing"
    mfa_consultation: bool = True
    dormancy_fiscal_years: FiscalYears = 1

    def describe(self) -> list[Label]:
        """Human-readable lines for title blocks and ``procedure show``."""
        cabinet = {
            "approve_before_signing": Label(
                th="ครม. อนุมัติก่อนลงนาม", en="Cabinet approves before signing"
            ),
            "acknowledge_after_signing": Label(
                th="ครม. รับทราบหลังลงนาม", en="Cabinet acknowledges after signing"
            ),
            "no_cabinet_step": Label(th="ไม่มีขั้นตอนคณะรัฐมนตรี", en="No Cabinet step"),
        }[self.cabinet_mode]
        mfa = (
            Label(th="หารือกระทรวงการต่างประเทศ", en="MFA is consulted")
            if self.mfa_consultation
            else Label(th="ไม่หารือกระทรวงการต่างประเทศ", en="MFA is not consulted")
        )
        years = self.dormancy_fiscal_years
        dormant = Label(
            th=f"ไม่มีกิจกรรม {years} ปีงบประมาณ ถือว่าซบเซา",
            en=f"Dormant after {years} fiscal year(s) without activity",
        )
        return [cabinet, mfa, dormant]


@dataclass(frozen=True, kw_only=True)
class RoleSpec:
    """A role officers can hold; ``scoped`` roles act only within their own province."""

    __pydantic_config__ = STRICT_CONFIG

    id: Id
    label: Label
    scoped: bool = False
    #: A role no officer may be given: the product acts under it (the daily sweep).
    system: bool = False


@dataclass(frozen=True, kw_only=True)
class ActionSpec:
    """Who may take an action that is not a step of a case (see ``ACTIONS``)."""

    __pydantic_config__ = STRICT_CONFIG

    roles: Ids


@dataclass(frozen=True, kw_only=True)
class PartyLevel:
    """A kind of Thai party a case of this procedure may have (e.g. a town municipality)."""

    __pydantic_config__ = STRICT_CONFIG

    id: Id
    label: Label


@dataclass(frozen=True, kw_only=True)
class ThaiParty:
    """When present, a case names its Thai party (level and name) inside its province; when
    absent, the Thai party is the province itself."""

    __pydantic_config__ = STRICT_CONFIG

    levels: Annotated[tuple[PartyLevel, ...], Constraint(min_length=1)]

    def level(self, level_id: str) -> PartyLevel | None:
        """The level with this id, or ``None``."""
        return next((lv for lv in self.levels if lv.id == level_id), None)


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    """A piece of information or a document a transition records."""

    __pydantic_config__ = STRICT_CONFIG

    name: Id
    type: FieldType
    label: Label
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StateSpec:
    """A step of the procedure; ``expected_days`` is reported when exceeded, never enforced."""

    __pydantic_config__ = STRICT_CONFIG

    id: Id
    label: Label
    phase: Phase
    final: bool = False
    expected_days: Days | None = None
    #: Settings this state exists under (e.g. the MFA step only when MFA is consulted).
    when: dict[str, str | bool | int] = dataclasses.field(default_factory=dict)
    #: What being in this state counts as (``MEANINGS``).
    counts_as: tuple[Meaning, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TransitionSpec:
    """One move between steps, with who may make it and what it must record."""

    __pydantic_config__ = STRICT_CONFIG

    trigger: Id
    source: Ids
    dest: str
    label: Label
    kind: TransitionKind = "step"
    roles: Ids
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    #: Triggers (or ``open``) whose latest actor may not make this move: segregation of duties.
    separate_from: tuple[str, ...] = ()
    #: Settings this transition exists under, e.g. ``{cabinet_mode = "approve_before_signing"}``.
    when: dict[str, str | bool | int] = dataclasses.field(default_factory=dict)
    note_required: bool = False
    #: What the step does beyond moving the case, named from ``workflow.effects`` (like guards).
    effects: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProcedureDefinition:
    """A released version of a procedure; every case keeps the version it was opened under."""

    __pydantic_config__ = STRICT_CONFIG

    procedure: Id
    version: Version
    effective_from: dt.date
    title: Label
    changes: NFCStr = ""
    #: What its cases are about (``Subject``); a relationship unless the file says otherwise.
    subject: Subject = "relationship"
    initial: str
    #: Earlier texts of this same version whose rules this file repeats unchanged (it only adds
    #: declarations of meaning); cases opened under them run under this file.
    supersedes_sha256: tuple[str, ...] = ()
    settings: Settings = dataclasses.field(default_factory=lambda: Settings())
    actions: dict[ActionName, ActionSpec] = dataclasses.field(default_factory=dict)
    thai_party: ThaiParty | None = None
    #: Names of phases that differ from ``PHASE_LABELS`` in this procedure.
    phase_labels: dict[Phase, Label] = dataclasses.field(default_factory=dict)
    roles: tuple[RoleSpec, ...]
    fields: tuple[FieldSpec, ...] = ()
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]

    def action_roles(self, action: str) -> tuple[str, ...]:
        """The roles allowed to take *action* (none when the definition does not declare it)."""
        spec = self.actions.get(action)  # type: ignore[call-overload]
        return spec.roles if spec is not None else ()

    def phase_label(self, phase: Phase) -> Label:
        """What this procedure calls *phase* (its own name, else the common one)."""
        return self.phase_labels.get(phase) or PHASE_LABELS[phase]

    @cached_property
    def meanings(self) -> dict[str, frozenset[str]]:
        """Each meaning declared by a state, with the ids of the states that count as it
        (computed once: a definition never changes)."""
        found: dict[str, set[str]] = {}
        for state in self.states:
            for meaning in state.counts_as:
                found.setdefault(meaning, set()).add(state.id)
        return {meaning: frozenset(ids) for meaning, ids in found.items()}

    def states_counting_as(self, meaning: Meaning) -> frozenset[str]:
        """Ids of the states that count as *meaning*."""
        return self.meanings.get(meaning, frozenset())

    def counts_as(self, state_id: str | None, meaning: Meaning) -> bool:
        """Whether *state_id* counts as *meaning* (``False`` for an unknown or no state)."""
        return state_id is not None and state_id in self.states_counting_as(meaning)

    @cached_property
    def system_roles(self) -> frozenset[str]:
        """Roles the product acts under, which no officer may hold."""
        return frozenset(r.id for r in self.roles if r.system)

    def transitions_with_effect(self, effect: str) -> tuple[TransitionSpec, ...]:
        """The active transitions that have *effect*."""
        found = self._with_effect.get(effect)
        if found is None:
            found = self._with_effect[effect] = tuple(
                t for t in self.active_transitions if effect in t.effects
            )
        return found

    @cached_property
    def _with_effect(self) -> dict[str, tuple[TransitionSpec, ...]]:
        return {}

    def _applies(self, when: dict[str, str | bool | int]) -> bool:
        return all(getattr(self.settings, k, _ABSENT) == v for k, v in when.items())

    @cached_property
    def active_transitions(self) -> tuple[TransitionSpec, ...]:
        """The transitions that exist under this version's settings (computed once: a
        definition never changes).

        A state switched off by a setting takes every move touching it along: it drops out of
        the sources of shared moves (suspend, withdraw) and moves into it disappear.
        """
        active = {s.id for s in self.active_states} | {RETURN}
        found: list[TransitionSpec] = []
        for t in self.transitions:
            if not self._applies(t.when) or t.dest not in active:
                continue
            sources = tuple(s for s in t.source if s in active)
            if sources == t.source:
                found.append(t)
            elif sources:
                found.append(dataclasses.replace(t, source=sources))
        return tuple(found)

    @cached_property
    def active_states(self) -> tuple[StateSpec, ...]:
        """The states that exist under this version's settings (computed once)."""
        return tuple(s for s in self.states if self._applies(s.when))

    def state(self, state_id: str) -> StateSpec:
        """The state with this id (KeyError if absent)."""
        return self._by_id[0][state_id]

    def field(self, name: str) -> FieldSpec:
        """The field with this name (KeyError if absent)."""
        return self._by_id[1][name]

    def role(self, role_id: str) -> RoleSpec:
        """The role with this id (KeyError if absent)."""
        return self._by_id[2][role_id]

    @cached_property
    def _by_id(
        self,
    ) -> tuple[dict[str, StateSpec], dict[str, FieldSpec], dict[str, RoleSpec]]:
        """States, fields and roles by id (the first of each, as a search in order finds)."""
        states: dict[str, StateSpec] = {}
        fields: dict[str, FieldSpec] = {}
        roles: dict[str, RoleSpec] = {}
        for s in self.states:
            states.setdefault(s.id, s)
        for f in self.fields:
            fields.setdefault(f.name, f)
        for r in self.roles:
            roles.setdefault(r.id, r)
        return states, fields, roles

    def return_targets(self, state_id: str) -> tuple[str, ...]:
        """States a case may have left to enter *state_id*: where a ``@previous`` move can go."""
        found: list[str] = []
        for t in self.active_transitions:
            if t.dest == state_id:
                found.extend(s for s in t.source if s != state_id and s not in found)
        return tuple(found)


_ABSENT = object()


def definition_problems(d: ProcedureDefinition) -> list[str]:
    """What is wrong with a definition whose every value has the right type (pydantic checked
    those): each message names the part it is about. Empty when the definition is sound."""
    problems = [
        f"fields.{i}: field {spec.name}: 'choices' goes with type 'choice' only"
        for i, spec in enumerate(d.fields)
        if (spec.type == "choice") != bool(spec.choices)
    ]
    if problems:
        return problems
    problems = _reference_problems(d)
    if not problems:
        problems = check_graph(
            states=[s.id for s in d.active_states],
            finals={s.id for s in d.active_states if s.final},
            initial=d.initial,
            edges=[
                (t.trigger, tuple(t.source), t.dest, bool(t.guards)) for t in d.active_transitions
            ],
            return_token=RETURN,
        )
        problems.extend(_variant_problems(d))
    return problems


def _reference_problems(d: ProcedureDefinition) -> list[str]:
    """Dangling ids: each message names the transition and the id it cannot resolve."""
    problems: list[str] = []
    state_ids = [s.id for s in d.states]
    role_ids = {r.id for r in d.roles}
    field_names = [f.name for f in d.fields]
    for seen_name, ids in (("state", state_ids), ("field", field_names)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"duplicate {seen_name} ids: {', '.join(dupes)}")
    for action, spec in d.actions.items():
        for r in spec.roles:
            if r not in role_ids:
                problems.append(f"action '{action}': unknown role '{r}'")
    if d.thai_party is not None:
        level_ids = [lv.id for lv in d.thai_party.levels]
        dupes = sorted({i for i in level_ids if level_ids.count(i) > 1})
        if dupes:
            problems.append(f"duplicate thai_party level ids: {', '.join(dupes)}")
    if d.initial not in state_ids:
        problems.append(f"initial state '{d.initial}' is not a declared state")
    triggers = {t.trigger for t in d.transitions} | {"open"}
    for state in d.states:
        problems.extend(_when_problems(f"state '{state.id}'", state.when))
    if d.initial in state_ids and d.initial not in {s.id for s in d.active_states}:
        problems.append(f"initial state '{d.initial}' does not exist under these settings")
    for t in d.transitions:
        for s in t.source:
            if s not in state_ids:
                problems.append(f"transition '{t.trigger}': unknown source state '{s}'")
        if t.dest != RETURN and t.dest not in state_ids:
            problems.append(f"transition '{t.trigger}': unknown destination state '{t.dest}'")
        for r in t.roles:
            if r not in role_ids:
                problems.append(f"transition '{t.trigger}': unknown role '{r}'")
        for f in (*t.requires, *t.optional):
            if f not in field_names:
                problems.append(f"transition '{t.trigger}': unknown field '{f}'")
        problems.extend(_when_problems(f"transition '{t.trigger}'", t.when))
        for other in t.separate_from:
            if other not in triggers:
                problems.append(
                    f"transition '{t.trigger}': separate_from names unknown trigger '{other}'"
                )
    return problems


def _when_problems(owner: str, when: dict[str, str | bool | int]) -> list[str]:
    """A ``when`` names known settings with values of the setting's type: a value that can never
    equal the setting (``mfa_consultation = "yes"``) would silently switch the step off."""
    from pydantic import TypeAdapter, ValidationError

    problems: list[str] = []
    types = get_type_hints(Settings)
    for key, value in when.items():
        annotation = types.get(key)
        if annotation is None:
            problems.append(f"{owner}: unknown setting '{key}' in 'when'")
            continue
        try:
            TypeAdapter[Any](annotation).validate_python(value, strict=True)
        except ValidationError:
            problems.append(
                f"{owner}: 'when' value {value!r} is not a valid {key} ({_describe(annotation)})"
            )
    return problems


def _describe(annotation: Any) -> str:
    choices = get_args(annotation)
    if choices and all(isinstance(c, str) for c in choices):
        return "one of " + ", ".join(choices)
    return getattr(annotation, "__name__", str(annotation))


def _variant_problems(d: ProcedureDefinition) -> list[str]:
    """A (source, trigger) pair declared more than once must be told apart by guards, and its
    variants must allow the same roles and need the same fields: otherwise which variant moves
    the case depends on whose guard fails, not on who acts."""
    variants: dict[tuple[str, str], list[TransitionSpec]] = {}
    for t in d.active_transitions:
        for s in t.source:
            variants.setdefault((s, t.trigger), []).append(t)
    problems: list[str] = []
    for (source, trigger), specs in sorted(variants.items()):
        if len(specs) < 2:
            continue
        where = f"'{trigger}' from '{source}'"
        if any(not t.guards for t in specs):
            problems.append(f"{where} is declared {len(specs)} times; every variant needs guards")
        if len({frozenset(t.roles) for t in specs}) > 1:
            roles = " / ".join(",".join(t.roles) for t in specs)
            problems.append(f"{where}: variants allow different roles ({roles})")
        if len({(t.requires, t.optional, t.note_required) for t in specs}) > 1:
            problems.append(f"{where}: variants need different fields")
    return problems
