"""Semantic verification: replay the log through the definitions, record by record.

The hash chain proves that records were not changed after they were written; this proves that
each record could have been written by the product. For every record, in order:

* its actor was a registered, unretired officer at that time (from the ``officer`` events before
  it), holding the role the record names, a role the definition allows for that step or action,
  acting within their province where the role is scoped;
* a step respects segregation of duties (no officer who made a separated step of the case, or
  opened it, takes it) and carries every field the step requires (and a note where one is due);
* an ``officer`` event is made by an officer who manages officers (or, before any exists, by the
  bootstrap); a ``settings`` event by ``init``;
* a ``letter`` event is made by a role its letter's ``issue_roles`` name, and its number is the
  next of its unit's register for the year: no repeat, no gap.

What the replay leaves is compared with the rows the product relies on: each officer's
registration, the database's settings, and each case's identity, opener and step actors.

Two kinds of record written before these rules existed are accepted as written: sweeps by the
unregistered ``system`` actor (only for steps no officer may take), and head exports without a
role by a registered officer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from states import RETURN, load_procedure, newest_definitions
from states.i18n import N_, Message
from states.letters import letters_of
from workflow.model import SYSTEM_ACTOR, Actor, actors_of
from workflow.officers import INIT_ACTOR, officer_fields, officer_from_fields

#: Case details the ``cases`` row must repeat from its opening (or import) record.
IDENTITY = (
    "province",
    "partner_name",
    "partner_country",
    "partner_level",
    "instrument",
    "label",
    "thai_party_level",
    "thai_party_name",
)
_EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class Step:
    """Who may take a step of a procedure version, and what it needs."""

    roles: frozenset[str]
    scoped: frozenset[str]
    requires: tuple[str, ...]
    note_required: bool
    separate_from: tuple[str, ...]
    #: Only the product's own roles may take it (the sweep's steps).
    system_only: bool


@dataclass(frozen=True)
class _Rules:
    steps: Mapping[tuple[str, str, str], Step]
    actions: Mapping[str, tuple[frozenset[str], frozenset[str]]]


@cache
def _rules(procedure: str, version: int) -> _Rules:
    d = load_procedure(procedure, version).definition
    steps: dict[tuple[str, str, str], Step] = {}
    for t in d.active_transitions:
        step = Step(
            frozenset(t.roles),
            frozenset(r for r in t.roles if d.role(r).scoped),
            t.requires,
            t.note_required,
            t.separate_from,
            bool(t.roles) and set(t.roles) <= d.system_roles,
        )
        for source in t.source:
            targets = d.return_targets(source) if t.dest == RETURN else (t.dest,)
            for dest in targets:
                steps.setdefault((t.trigger, source, dest), step)
    actions: dict[str, tuple[frozenset[str], frozenset[str]]] = {
        name: (frozenset(spec.roles), frozenset(r for r in spec.roles if d.role(r).scoped))
        for name, spec in d.actions.items()
    }
    return _Rules(steps, actions)


def steps_of(procedure: str, version: int) -> Mapping[tuple[str, str, str], Step]:
    """The steps of a procedure version by (trigger, from, to); ``@previous`` becomes one step
    per state the source can have been entered from."""
    return _rules(procedure, version).steps


@cache
def _letter_roles(
    procedure: str, version: int
) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each letter's issuing roles and the scoped ones among them, as its version declares."""
    book = letters_of(procedure, version)
    if book is None:
        return {}
    d = load_procedure(procedure, version).definition
    return {
        x.spec.id: (
            frozenset(x.spec.issue_roles),
            frozenset(r for r in x.spec.issue_roles if d.role(r).scoped),
        )
        for x in book.letters
    }


def _national() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    found: dict[str, tuple[set[str], set[str]]] = {}
    for loaded in newest_definitions():
        d = loaded.definition
        for name, spec in d.actions.items():
            roles, scoped = found.setdefault(name, (set(), set()))
            roles.update(spec.roles)
            scoped.update(r for r in spec.roles if d.role(r).scoped)
    return {k: (frozenset(r), frozenset(s)) for k, (r, s) in found.items()}


@dataclass(slots=True)
class _CaseSeen:
    province: str | None = None
    opener: str | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    actors: dict[str, list[str]] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)


class Replay:
    """Feed records in log order with ``record``; read ``officers``, ``settings`` after."""

    def __init__(self) -> None:
        self.officers: dict[str, Actor] = {}
        self.officer_seq: dict[str, int] = {}
        self.settings: dict[str, Any] | None = None
        self.cases: dict[str, _CaseSeen] = {}
        #: The last number of each unit's letter register per year (B.E.).
        self.letter_numbers: dict[tuple[str, Any], int] = {}
        self._national = _national()

    # ------------------------------------------------------------------ one record
    def record(
        self,
        *,
        kind: str,
        reference: str | None,
        trigger: str | None,
        source: str | None,
        dest: str | None,
        actor: str,
        role: str | None,
        fields: Mapping[str, Any],
        note: str,
        definition: tuple[str, int] | None,
        seq: int,
    ) -> list[str]:
        """Problems with one record (``definition``: the case's procedure and version in force
        after the record, ``None`` when unknown); an empty list when it could have been made."""
        if kind == "denied":
            return []
        if kind == "settings":
            self.settings = dict(fields)
            return (
                []
                if actor == INIT_ACTOR
                else [Message(N_("settings recorded by '{actor}', not init"), actor=actor)]
            )
        if kind == "officer":
            return self._officer(actor, role, fields, seq)
        if kind in ("mechanism", "head_export"):
            roles, scoped = self._national.get(kind, (frozenset(), frozenset()))
            if kind == "head_export" and role is None and self._registered(actor):
                return []  # written before export roles were declared
            return self._may(actor, role, roles, scoped, fields.get("province"), kind)
        if reference is None or definition is None:
            return []
        rules = _rules(*definition)
        seen = self.cases.get(reference)
        if seen is None:
            seen = self.cases[reference] = _CaseSeen()
        if kind in ("open", "import"):
            seen.province = fields.get("province")
            seen.opener = actor
            seen.identity = {k: fields.get(k) for k in IDENTITY}
            roles, scoped = rules.actions.get(kind, (frozenset(), frozenset()))
            return self._may(actor, role, roles, scoped, seen.province, kind)
        if kind in ("plan", "migrate"):
            roles, scoped = rules.actions.get(kind, (frozenset(), frozenset()))
            return self._may(actor, role, roles, scoped, seen.province, kind)
        if kind == "letter":
            return self._letter(actor, role, fields, definition, seen.province)
        if kind != "transition" or trigger is None or source is None or dest is None:
            return []
        step = rules.steps.get((trigger, source, dest))
        if step is None:
            return []  # not a step of the procedure: the structural check names it
        return self._step(seen, step, trigger, actor, role, fields, note)

    def step(
        self,
        reference: str,
        step: Step,
        trigger: str,
        actor: str,
        role: str | None,
        fields: Mapping[str, Any],
        note: str,
    ) -> list[str]:
        """``record`` of a ``transition`` record of *reference* taking *step* (from its
        version's ``steps_of``): the same problems, by the shortest way, most records being
        steps."""
        seen = self.cases.get(reference)
        if seen is None:
            seen = self.cases[reference] = _CaseSeen()
        return self._step(seen, step, trigger, actor, role, fields, note)

    def _step(
        self,
        seen: _CaseSeen,
        step: Step,
        trigger: str,
        actor: str,
        role: str | None,
        fields: Mapping[str, Any],
        note: str,
    ) -> list[str]:
        """Problems with a step of a case: authority, segregation, required fields and note."""
        problems: list[str]
        if actor == SYSTEM_ACTOR and step.system_only and role in step.roles:
            problems = []  # a sweep by the built-in system actor of earlier releases
        else:
            problems = self._may(actor, role, step.roles, step.scoped, seen.province, trigger)
        for other in step.separate_from:
            earlier = [seen.opener] if other == "open" else seen.actors.get(other, [])
            if actor in earlier:
                problems.append(
                    Message(
                        N_("segregation of duties: '{actor}' also made '{step}'"),
                        actor=actor,
                        step=other,
                    )
                )
        # Every value truthy: none empty (the usual step, in one pass in C).
        missing = () if all(map(fields.get, step.requires)) else [
            n for n in step.requires if fields.get(n) in _EMPTY
        ]  # fmt: skip
        if missing:
            problems.append(
                Message(
                    N_("'{trigger}' lacks required field(s) {fields}"),
                    trigger=trigger,
                    fields=", ".join(missing),
                )
            )
        if step.note_required and not note.strip():
            problems.append(Message(N_("'{trigger}' lacks the note it requires"), trigger=trigger))
        done = seen.actors.setdefault(trigger, [])
        if actor not in done:
            done.append(actor)
        seen.last[trigger] = actor
        return problems

    def _letter(
        self,
        actor: str,
        role: str | None,
        fields: Mapping[str, Any],
        definition: tuple[str, int],
        province: Any,
    ) -> list[str]:
        """A letter's number: taken by a role its letter names, next in its unit's register."""
        letter = _letter_roles(*definition).get(str(fields.get("letter")))
        if letter is None:
            return [
                Message(
                    N_("no letter '{letter}' in {procedure} v{version}"),
                    letter=fields.get("letter"),
                    procedure=definition[0],
                    version=definition[1],
                )
            ]
        problems = self._may(actor, role, *letter, province, "issue_letter")
        key = (str(fields.get("unit")), fields.get("year"))
        number = fields.get("number")
        expected = self.letter_numbers.get(key, 0) + 1
        if number != expected:
            problems.append(
                Message(
                    N_(
                        "letter number {unit}/{number} of {year}: the register's next was "
                        "{expected}"
                    ),
                    unit=key[0],
                    number=number,
                    year=key[1],
                    expected=expected,
                )
            )
        if isinstance(number, int):
            self.letter_numbers[key] = max(number, expected - 1)
        return problems

    def _registered(self, actor: str) -> bool:
        officer = self.officers.get(actor)
        return officer is not None and not officer.retired

    def _may(
        self,
        actor: str,
        role: str | None,
        roles: frozenset[str],
        scoped: frozenset[str],
        province: Any,
        what: str,
    ) -> list[str]:
        officer = self.officers.get(actor)
        if officer is None:
            return [Message(N_("'{actor}' was not a registered officer"), actor=actor)]
        if officer.retired:
            return [Message(N_("'{actor}' was retired"), actor=actor)]
        if role is None or role not in officer.roles:
            return [
                Message(N_("'{actor}' did not hold the role '{role}'"), actor=actor, role=role)
            ]
        if role not in roles:
            return [Message(N_("role '{role}' may not '{action}'"), role=role, action=what)]
        if role in scoped and officer.province != province:
            return [
                Message(
                    N_("'{actor}' ({own}) acted outside their province ({province})"),
                    actor=actor,
                    own=officer.province,
                    province=province,
                )
            ]
        return []

    def _officer(
        self, actor: str, role: str | None, fields: Mapping[str, Any], seq: int
    ) -> list[str]:
        roles, scoped = self._national.get("officers", (frozenset(), frozenset()))
        managers = [o for o in self.officers.values() if not o.retired and o.roles & roles]
        if actor == "bootstrap":
            problems = [] if not managers else ["registered by the bootstrap after a manager"]
        else:
            problems = self._may(actor, role, roles, scoped, None, "officers")
        try:
            officer = officer_from_fields(fields)
        except (KeyError, TypeError):
            return [*problems, "an officer event without a registration"]
        self.officers[officer.id] = officer
        self.officer_seq[officer.id] = seq
        return problems

    # ------------------------------------------------------------------ what the rows must say
    def officer_problems(self, rows: Mapping[str, tuple[Actor, int | None]]) -> list[str]:
        """Each officer row against its projection (``rows``: id → (officer, audit_seq))."""
        problems: list[str] = []
        for officer_id in sorted(set(rows) | set(self.officers)):
            expected = self.officers.get(officer_id)
            if officer_id not in rows:
                problems.append(
                    Message(N_("officer '{officer}' has events but no row"), officer=officer_id)
                )
                continue
            stored, seq = rows[officer_id]
            if expected is None:
                problems.append(
                    Message(
                        N_("officer '{officer}' has a row but no registration event"),
                        officer=officer_id,
                    )
                )
                continue
            want, have = officer_fields(expected), officer_fields(stored)
            differ = [k for k in {**want, **have} if want.get(k) != have.get(k)]
            if differ:
                problems.append(
                    Message(
                        N_("officer '{officer}': {fields} differ from event #{seq}"),
                        officer=officer_id,
                        fields=", ".join(differ),
                        seq=self.officer_seq[officer_id],
                    )
                )
            elif seq is not None and seq != self.officer_seq[officer_id]:
                problems.append(
                    Message(
                        N_(
                            "officer '{officer}': the row names event #{seq}, the latest is "
                            "#{latest}"
                        ),
                        officer=officer_id,
                        seq=seq,
                        latest=self.officer_seq[officer_id],
                    )
                )
        return problems

    def settings_problems(self, log_id: str | None, training: str | None) -> list[str]:
        """The settings rows against the latest ``settings`` event (none: older databases)."""
        if self.settings is None:
            return []
        problems: list[str] = []
        if self.settings.get("log_id") != log_id:
            problems.append(
                Message(N_("log id {log} differs from its settings event"), log=log_id)
            )
        if self.settings.get("training") is not (training == "1"):
            problems.append(
                Message(
                    N_("training is '{training}' but the settings event says {recorded}"),
                    training=training,
                    recorded=self.settings.get("training"),
                )
            )
        return problems

    def case_problems(self, reference: str, details: Mapping[str, Any]) -> list[str]:
        """A ``cases`` row's identity, opener and step actors against its records."""
        seen = self.cases.get(reference)
        if seen is None or seen.opener is None:
            return []
        differ = [k for k in IDENTITY if details.get(k) != seen.identity.get(k)]
        if details.get("opened_by") != seen.opener:
            differ.append("opened_by")
        stored = details.get("trigger_actors") or {}
        # Rows written before every actor was kept hold the last one, as a string.
        expected = {
            k: [seen.last[k]] if isinstance(stored.get(k), str) else sorted(v)
            for k, v in seen.actors.items()
        }
        if {k: sorted(actors_of(v)) for k, v in stored.items()} != expected:
            differ.append("trigger_actors")
        if not differ:
            return []
        return [
            Message(
                N_("case {reference}: {fields} differ from its records"),
                reference=reference,
                fields=", ".join(differ),
            )
        ]
