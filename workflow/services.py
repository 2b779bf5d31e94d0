"""The use cases: each one is a single call the CLI makes, one transaction, one commit.

Every use case decides access with ``workflow.authorization.authorize`` and runs inside
``recorded_refusals``: a refusal for permission, scope or segregation of duties is itself one
``denied`` audit event (an auditor must see who tried what); every other refusal writes nothing.
Every record that moves a case is projected into the read models by ``append_event``, in the
same transaction (``workflow.effects``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from states import DEFAULT_PROCEDURE, ProcedureDefinition, nfc
from states.i18n import N_, Joined, Message, Text
from states.reference import COUNTRIES, PROVINCES
from workflow.authorization import (
    access_for as access_for,
)
from workflow.authorization import (
    authorize as authorize,
)
from workflow.authorization import (
    national_access,
    record_denial,
    recorded_refusals,
)
from workflow.catalog import engine_for_case, engine_in_force
from workflow.chronology import check_dates
from workflow.effects import project
from workflow.engine import Fired, ProcedureEngine
from workflow.errors import (
    BatchRefused,
    CaseMoved,
    CaseNotFound,
    DocumentCorrupted,
    DocumentNotFound,
    InvalidInput,
    PermissionDenied,
    WorkflowError,
)
from workflow.fields import MAX_NAME, MAX_NOTE, check_length
from workflow.model import (
    SYSTEM_ACTOR,
    Action,
    Actor,
    AuditDraft,
    AuditRecord,
    Case,
    NewCase,
)
from workflow.officers import add_officer as add_officer
from workflow.officers import officer_roles as officer_roles
from workflow.officers import resolve_actor as resolve_actor
from workflow.ports import UnitOfWork
from workflow.thaidate import local_date, to_buddhist_era

__all__ = ["record_denial"]

T = TypeVar("T")

INSTRUMENTS = ("MOU", "LOI", "ROD", "agreement", "partnership_mou")
#: How often a step whose case moved between reading and writing is run again.
STEP_ATTEMPTS = 5
LABELS = ("sister", "friendship", "twin", "cooperation")
_OFFICER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def find_case(uow: UnitOfWork, reference: str) -> Case:
    """The case with *reference* (case-insensitive), inside the caller's transaction."""
    case = uow.cases.get(reference.strip().upper())
    if case is None:
        raise CaseNotFound(N_("no case '{reference}'"), reference=reference)
    return case


def one_step(attempt: Callable[[], T]) -> T:
    """Run a late-locking step (``uow.lock(late=True)``) until its case held still.

    A step reads and checks its case before the store takes the writers' lock; when another
    step moved the case meanwhile (``CaseMoved``), nothing was written and the step runs again
    on the case as it is now: the outcome is the one the two steps would have had one after
    the other (the second may now be refused, naming the state the first left).
    """
    for _ in range(STEP_ATTEMPTS - 1):
        try:
            return attempt()
        except CaseMoved:
            continue
    return attempt()


def append_event(
    uow: UnitOfWork,
    draft: AuditDraft,
    definition: ProcedureDefinition,
    *,
    province: str,
    span_start: dt.datetime | None,
) -> AuditRecord:
    """Append a record of a case and project it into the read models, in the caller's
    transaction: the one path by which a case's record is written."""
    record = uow.audit.append(draft)
    reference = record.case_reference
    facts = uow.facts.get(reference) if span_start is not None and reference else None
    projected = project(definition, facts, record, province=province, span_start=span_start)
    if projected is not None:
        uow.facts.save(projected)
    return record


# ---------------------------------------------------------------------- cases
def validate_new_case(new: NewCase, definition: ProcedureDefinition) -> NewCase:
    """NFC-normalise and check the descriptive fields of a proposal, and its Thai party where
    the procedure has one (e.g. a municipality inside the province)."""
    problems: list[str] = []
    if new.province not in PROVINCES:
        problems.append(
            Message(
                N_("province '{province}' is not an ISO 3166-2:TH code"), province=new.province
            )
        )
    if new.partner_country.upper() not in COUNTRIES:
        problems.append(
            Message(
                N_("country '{country}' is not an ISO 3166-1 alpha-2 code"),
                country=new.partner_country,
            )
        )
    if new.instrument not in INSTRUMENTS:
        problems.append(
            Message(
                N_("instrument '{value}' is not one of {choices}"),
                value=new.instrument,
                choices=", ".join(INSTRUMENTS),
            )
        )
    if new.label not in LABELS:
        problems.append(
            Message(
                N_("label '{value}' is not one of {choices}"),
                value=new.label,
                choices=", ".join(LABELS),
            )
        )
    name = check_length(Text(N_("the partner's name")), nfc(new.partner_name).strip(), MAX_NAME)
    level = check_length(Text(N_("the partner's level")), nfc(new.partner_level).strip(), MAX_NAME)
    if not name:
        problems.append(Message(N_("partner name is empty")))
    if not level:
        problems.append(Message(N_("partner level is empty")))
    party_level = new.thai_party_level
    party_name = (
        check_length(
            Text(N_("the Thai party's name")), nfc(new.thai_party_name or "").strip(), MAX_NAME
        )
        or None
    )
    if definition.thai_party is None:
        if party_level or party_name:
            problems.append(
                Message(
                    N_("procedure {procedure} has no Thai party other than the province"),
                    procedure=definition.procedure,
                )
            )
    else:
        levels = ", ".join(lv.id for lv in definition.thai_party.levels)
        if not party_level:
            problems.append(
                Message(N_("the Thai party's level is missing (one of {levels})"), levels=levels)
            )
        elif definition.thai_party.level(party_level) is None:
            problems.append(
                Message(
                    N_("Thai party level '{level}' is not one of {levels}"),
                    level=party_level,
                    levels=levels,
                )
            )
        if not party_name:
            problems.append(Message(N_("the Thai party's name is missing")))
    if problems:
        raise InvalidInput("{problems}", problems=Joined(problems))
    return NewCase(
        new.province,
        name,
        new.partner_country.upper(),
        level,
        new.instrument,
        new.label,
        party_level or None,
        party_name,
    )


def open_case(
    uow: UnitOfWork,
    actor: Actor,
    new: NewCase,
    now: dt.datetime,
    note: str = "",
    procedure: str = DEFAULT_PROCEDURE,
    version: int | None = None,
) -> Case:
    """Open a proposal in the procedure's initial state, with its ``open`` audit event."""
    return open_case_recorded(uow, actor, new, now, note, procedure, version)[0]


def open_case_recorded(
    uow: UnitOfWork,
    actor: Actor,
    new: NewCase,
    now: dt.datetime,
    note: str = "",
    procedure: str = DEFAULT_PROCEDURE,
    version: int | None = None,
) -> tuple[Case, AuditRecord]:
    """``open_case``, with the ``open`` record it appended (for the officer's receipt)."""
    engine = engine_in_force(procedure, version, local_date(now))
    definition = engine.definition
    new = validate_new_case(new, definition)
    note = check_length(Text(N_("the note")), nfc(note), MAX_NOTE)
    access = access_for([definition], "open", new.province, verb=Message(N_("open a case")))
    with recorded_refusals(uow, actor, "open", new.province, now):
        role = authorize(actor, access)
        with uow:
            uow.lock()
            opened = created_case(
                uow, engine, new, definition.initial, actor, role, now, note=note
            )
            uow.commit()
    return opened


def create_case(
    uow: UnitOfWork,
    engine: ProcedureEngine,
    new: NewCase,
    state: str,
    actor: Actor,
    role: str,
    now: dt.datetime,
    kind: Literal["open", "import"] = "open",
    fields: Mapping[str, Any] | None = None,
    note: str = "",
    reference: str | None = None,
) -> Case:
    """Add a case in *state* with the audit event that creates it, inside the caller's
    transaction: the one place a case comes into being, whether opened or imported. A case
    whose identity is its subject (a province's yearly report) brings its own *reference*."""
    return created_case(uow, engine, new, state, actor, role, now, kind, fields, note, reference)[
        0
    ]


def created_case(
    uow: UnitOfWork,
    engine: ProcedureEngine,
    new: NewCase,
    state: str,
    actor: Actor,
    role: str,
    now: dt.datetime,
    kind: Literal["open", "import"] = "open",
    fields: Mapping[str, Any] | None = None,
    note: str = "",
    reference: str | None = None,
) -> tuple[Case, AuditRecord]:
    """``create_case``, with the record that created the case."""
    definition = engine.definition
    reference = reference or uow.cases.next_reference(to_buddhist_era(local_date(now).year))
    case = Case(
        reference=reference,
        procedure=definition.procedure,
        version=definition.version,
        definition_sha256=engine.loaded.sha256,
        state=state,
        province=new.province,
        partner_name=new.partner_name,
        partner_country=new.partner_country,
        partner_level=new.partner_level,
        instrument=new.instrument,
        label=new.label,
        opened_at=now,
        opened_by=actor.id,
        state_since=now,
        thai_party_level=new.thai_party_level,
        thai_party_name=new.thai_party_name,
    )
    party = (
        {"thai_party_level": new.thai_party_level, "thai_party_name": new.thai_party_name}
        if new.thai_party_level
        else {}
    )
    uow.cases.add(case)
    record = append_event(
        uow,
        AuditDraft(
            kind=kind,
            case_reference=reference,
            trigger=kind,
            source=None,
            dest=state,
            actor_id=actor.id,
            actor_role=role,
            os_user=actor.os_user,
            occurred_at=now,
            fields={
                "procedure": definition.procedure,
                "version": definition.version,
                "definition_sha256": engine.loaded.sha256,
                "province": new.province,
                "partner_name": new.partner_name,
                "partner_country": new.partner_country,
                "partner_level": new.partner_level,
                "instrument": new.instrument,
                "label": new.label,
                **party,
                **(fields or {}),
            },
            note=nfc(note),
        ),
        definition,
        province=new.province,
        span_start=None,
    )
    return case, record


def advance_case(
    uow: UnitOfWork,
    actor: Actor,
    reference: str,
    trigger: str,
    fields: Mapping[str, Any],
    note: str,
    now: dt.datetime,
    documents: Sequence[tuple[Mapping[str, Any], bytes]] = (),
) -> AuditRecord:
    """Fire *trigger*: the state change and its audit row commit together or not at all.

    *documents* are (record, content) pairs whose contents are stored in the same transaction,
    so a recorded hash never points at a document the database lacks.
    """
    note = nfc(note)

    def attempt() -> AuditRecord:
        with uow:
            uow.lock(late=True)
            case = find_case(uow, reference)
            record = fire_and_record(uow, case, trigger, actor, fields, note, now, documents)
            uow.commit()
            return record

    with recorded_refusals(uow, actor, trigger, reference, now):
        return one_step(attempt)


def fire_and_record(
    uow: UnitOfWork,
    case: Case,
    trigger: str,
    actor: Actor,
    fields: Mapping[str, Any],
    note: str,
    now: dt.datetime,
    documents: Sequence[tuple[Mapping[str, Any], bytes]] = (),
) -> AuditRecord:
    """Fire *trigger* on *case* and write everything it changes, in the caller's transaction."""
    engine = engine_for_case(case)
    fired = engine.fire(case, trigger, actor, fields, note, now)
    check_history_dates(uow, engine, case, fired, now)
    for document, content in documents:
        uow.documents.put(document, content, now)
    return record_fired(uow, engine, case, fired, actor, note, now)


def check_history_dates(
    uow: UnitOfWork, engine: ProcedureEngine, case: Case, fired: Fired, now: dt.datetime
) -> None:
    """A checked step's dates against those the case's earlier steps recorded
    (``workflow.chronology``); the case's facts come with the case, so this reads nothing more."""
    definition = engine.definition
    if not any(definition.field(n).type == "date" for n in fired.fields):
        return
    facts = uow.facts.get(case.reference)
    earlier = facts.step_dates if facts is not None else ()
    check_dates(definition, fired.spec, fired.role, fired.fields, earlier, now)


def record_fired(
    uow: UnitOfWork,
    engine: ProcedureEngine,
    case: Case,
    fired: Fired,
    actor: Actor,
    note: str,
    now: dt.datetime,
) -> AuditRecord:
    """Write a checked move: the case's new state and its audit record, projected."""
    uow.cases.update(fired.case)
    return append_event(
        uow,
        AuditDraft(
            kind="transition",
            case_reference=case.reference,
            trigger=fired.spec.trigger,
            source=fired.source,
            dest=fired.dest,
            actor_id=actor.id,
            actor_role=fired.role,
            os_user=actor.os_user,
            occurred_at=now,
            fields=fired.fields,
            note=note,
        ),
        engine.definition,
        province=case.province,
        span_start=case.state_since,
    )


def advance_cases(
    uow: UnitOfWork,
    actor: Actor,
    references: Sequence[str],
    trigger: str,
    fields: Mapping[str, Any],
    note: str,
    now: dt.datetime,
    documents: Sequence[tuple[Mapping[str, Any], bytes]] = (),
) -> list[AuditRecord]:
    """One decision (e.g. one Cabinet resolution) applied to several cases: all or nothing.

    Every case is checked first, in one transaction under the writers' lock; when any is
    refused (wrong state, role, scope, segregation, fields, guard), nothing is written and the
    refusal names each failing case, and each refusal for permission still leaves its one
    ``denied`` record. Otherwise each case gets its own record with the same field values and
    documents, and each document is stored once. One reference is ``advance_case``.
    """
    wanted = [r.strip().upper() for r in references]
    if len(wanted) == 1:
        return [advance_case(uow, actor, wanted[0], trigger, fields, note, now, documents)]
    twice = sorted({r for r in wanted if wanted.count(r) > 1})
    if not wanted or twice:
        raise InvalidInput(
            N_("a batch names each case once: {cases} given twice")
            if twice
            else N_("a batch names at least one case"),
            cases=", ".join(twice),
        )
    note = nfc(note)
    failures: list[tuple[str, WorkflowError]] = []
    with uow:
        uow.lock()
        checked: list[tuple[Case, ProcedureEngine, Fired]] = []
        for reference in wanted:
            try:
                case = find_case(uow, reference)
                engine = engine_for_case(case)
                fired = engine.fire(case, trigger, actor, fields, note, now)
                check_history_dates(uow, engine, case, fired, now)
            except WorkflowError as exc:
                failures.append((reference, exc))
                continue
            checked.append((case, engine, fired))
        if not failures:
            for document, content in documents:
                uow.documents.put(document, content, now)
            records = [
                record_fired(uow, engine, case, fired, actor, note, now)
                for case, engine, fired in checked
            ]
            uow.commit()
            return records
    for reference, refusal in failures:
        if isinstance(refusal, PermissionDenied):
            record_denial(uow, actor, reference, refusal.action or trigger, str(refusal), now)
    raise BatchRefused(failures, len(wanted))


def get_document(uow: UnitOfWork, sha256: str) -> bytes:
    """A stored document by its SHA-256, checked against that hash before it is handed out."""
    digest = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InvalidInput(
            N_("'{value}' is not a SHA-256 (64 hexadecimal characters)"), value=sha256
        )
    with uow:
        content = uow.documents.get(digest)
    if content is None:
        raise DocumentNotFound(
            N_(
                "no document with SHA-256 {sha}… is stored here (evidence, plans, orders and "
                "yearly reports are; other documents only when kept with --keep-documents)"
            ),
            sha=digest[:12],
        )
    if hashlib.sha256(content).hexdigest() != digest:
        raise DocumentCorrupted(
            N_("the stored document {sha}… does not match its hash"), sha=digest[:12]
        )
    return content


def get_case(uow: UnitOfWork, reference: str) -> Case:
    """One case by reference."""
    with uow:
        return find_case(uow, reference)


def list_cases(
    uow: UnitOfWork, province: str | None = None, state: str | None = None
) -> list[Case]:
    """Cases, optionally of one province or in one state."""
    with uow:
        return uow.cases.list(province, state)


def available_actions(uow: UnitOfWork, actor: Actor, reference: str) -> list[Action]:
    """What the acting officer may do now on a case, with what each step needs."""
    with uow:
        case = find_case(uow, reference)
        return engine_for_case(case).available_actions(case, actor)


def case_history(uow: UnitOfWork, reference: str) -> tuple[Case, list[AuditRecord]]:
    """The case and every audit event on it, in order."""
    with uow:
        case = find_case(uow, reference)
        return case, uow.audit.for_case(case.reference)


def system_actor() -> Actor:
    """The actor scheduled jobs run as, with the roles the definitions give the sweep."""
    return Actor(SYSTEM_ACTOR, "sistercity system", frozenset(national_access("sweep").roles))


# ---------------------------------------------------------------------- read scope (web view)
def read_scope(actor: Actor) -> str | None:
    """The one province *actor* may read, or ``None`` for every province.

    An officer holding any role that no procedure scopes to a province (ministry roles, auditors,
    admins) reads everything; one holding only scoped roles reads their own province.
    """
    roles = officer_roles()
    if any(role in roles and not roles[role] for role in actor.roles):
        return None
    if actor.province is None:
        raise PermissionDenied(
            N_("officer '{officer}' has a provincial role but no province"), officer=actor.id
        )
    return actor.province
