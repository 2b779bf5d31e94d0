"""The use cases: each one is a single call the CLI makes, one transaction, one commit.

Refusals for permission or segregation of duties are themselves audit events (an auditor must see
who tried what); every other refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from states import DEFAULT_PROCEDURE, nfc
from states.reference import COUNTRIES, PROVINCES
from workflow.catalog import engine_for, engine_for_case
from workflow.engine import ProcedureEngine
from workflow.errors import (
    CaseNotFound,
    DocumentCorrupted,
    DocumentNotFound,
    IdentityError,
    InvalidInput,
    PermissionDenied,
    UnknownOfficer,
)
from workflow.model import (
    SYSTEM_ACTOR,
    Action,
    Actor,
    AuditDraft,
    AuditRecord,
    Case,
    NewCase,
)
from workflow.ports import UnitOfWork
from workflow.thaidate import local_date, to_buddhist_era

INSTRUMENTS = ("MOU", "LOI", "ROD", "agreement", "partnership_mou")
LABELS = ("sister", "friendship", "twin", "cooperation")
_OFFICER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def find_case(uow: UnitOfWork, reference: str) -> Case:
    """The case with *reference* (case-insensitive), inside the caller's transaction."""
    case = uow.cases.get(reference.strip().upper())
    if case is None:
        raise CaseNotFound(f"no case '{reference}'")
    return case


# ---------------------------------------------------------------------- identity
def resolve_actor(uow: UnitOfWork, os_login: str, as_officer: str | None = None) -> Actor:
    """The officer acting: by OS login, or ``--as`` in a training database only."""
    with uow:
        if as_officer:
            if uow.setting("training") != "1":
                raise IdentityError(
                    "--as/SISTERCITY_OFFICER is refused: this database was not initialised "
                    "with 'sistercity init --training'"
                )
            actor = uow.officers.get(as_officer)
            if actor is None:
                raise UnknownOfficer(f"no officer '{as_officer}'")
        else:
            actor = uow.officers.by_os_user(os_login)
            if actor is None:
                raise UnknownOfficer(
                    f"no officer is registered for OS login '{os_login}'; an admin can run "
                    f"'sistercity officer add ID --name … --role … --os-user {os_login}'"
                )
    return Actor(actor.id, actor.name, actor.roles, actor.province, os_login, actor.deputy)


def add_officer(
    uow: UnitOfWork,
    officer: Actor,
    by: Actor | None,
    now: dt.datetime,
) -> Actor:
    """Register an officer. Once an admin exists, only an admin may add officers."""
    if not _OFFICER_ID.match(officer.id):
        raise InvalidInput(f"officer id '{officer.id}': use 2-64 of a-z 0-9 . _ -")
    definition = engine_for(DEFAULT_PROCEDURE).definition
    known_roles = {r.id for r in definition.roles} - {"system"}
    bad = sorted(officer.roles - known_roles)
    if bad or not officer.roles:
        raise InvalidInput(
            f"unknown role {', '.join(bad) or '(none given)'}; "
            f"roles: {', '.join(sorted(known_roles))}"
        )
    scoped = [r for r in officer.roles if definition.role(r).scoped]
    if officer.province is not None and officer.province not in PROVINCES:
        raise InvalidInput(f"unknown province code '{officer.province}' (use TH-xx)")
    if scoped and officer.province is None:
        raise InvalidInput(f"role {', '.join(sorted(scoped))} needs --province TH-xx")
    with uow:
        if uow.officers.get(officer.id) is not None:
            raise InvalidInput(f"officer '{officer.id}' already exists")
        if officer.os_user and uow.officers.by_os_user(officer.os_user) is not None:
            raise InvalidInput(f"OS login '{officer.os_user}' is already registered")
        admins = [a for a in uow.officers.list() if "admin" in a.roles]
        if admins and (by is None or "admin" not in by.roles):
            raise PermissionDenied("only an admin may register officers")
        uow.officers.add(officer)
        uow.audit.append(
            AuditDraft(
                kind="officer",
                case_reference=None,
                trigger="add_officer",
                source=None,
                dest=None,
                actor_id=by.id if by else "bootstrap",
                actor_role="admin" if by else None,
                os_user=by.os_user if by else None,
                occurred_at=now,
                fields={
                    "officer": officer.id,
                    "name": officer.name,
                    "roles": sorted(officer.roles),
                    "province": officer.province,
                    "os_user": officer.os_user,
                    "deputy": officer.deputy,
                },
            )
        )
        uow.commit()
    return officer


# ---------------------------------------------------------------------- cases
def validate_new_case(new: NewCase) -> NewCase:
    """NFC-normalise and check the descriptive fields of a proposal."""
    problems = []
    if new.province not in PROVINCES:
        problems.append(f"province '{new.province}' is not an ISO 3166-2:TH code")
    if new.partner_country.upper() not in COUNTRIES:
        problems.append(f"country '{new.partner_country}' is not an ISO 3166-1 alpha-2 code")
    if new.instrument not in INSTRUMENTS:
        problems.append(f"instrument '{new.instrument}' is not one of {', '.join(INSTRUMENTS)}")
    if new.label not in LABELS:
        problems.append(f"label '{new.label}' is not one of {', '.join(LABELS)}")
    name = nfc(new.partner_name).strip()
    level = nfc(new.partner_level).strip()
    if not name:
        problems.append("partner name is empty")
    if not level:
        problems.append("partner level is empty")
    if problems:
        raise InvalidInput("; ".join(problems))
    return NewCase(
        new.province, name, new.partner_country.upper(), level, new.instrument, new.label
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
    new = validate_new_case(new)
    engine = engine_for(procedure, version)
    definition = engine.definition
    roles = [r for r in definition.open_roles if r in actor.roles]
    if not roles:
        raise PermissionDenied(
            f"officer '{actor.id}' may not open a case: needs role "
            f"{' or '.join(definition.open_roles)}"
        )
    role = roles[0]
    if definition.role(role).scoped and actor.province != new.province:
        raise PermissionDenied(
            f"officer '{actor.id}' ({actor.province}) may not open a case for {new.province}"
        )
    with uow:
        uow.lock()
        case = create_case(uow, engine, new, definition.initial, actor, role, now, note=note)
        uow.commit()
    return case


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
) -> Case:
    """Add a case in *state* with the audit event that creates it, inside the caller's
    transaction: the one place a case comes into being, whether opened or imported."""
    definition = engine.definition
    reference = uow.cases.next_reference(to_buddhist_era(local_date(now).year))
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
    )
    uow.cases.add(case)
    uow.audit.append(
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
                **(fields or {}),
            },
            note=nfc(note),
        )
    )
    return case


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
    try:
        with uow:
            uow.lock()
            case = find_case(uow, reference)
            fired = engine_for_case(case).fire(case, trigger, actor, fields, note, now)
            for document, content in documents:
                uow.documents.put(document, content, now)
            uow.cases.update(fired.case)
            record = uow.audit.append(
                AuditDraft(
                    kind="transition",
                    case_reference=case.reference,
                    trigger=trigger,
                    source=fired.source,
                    dest=fired.dest,
                    actor_id=actor.id,
                    actor_role=fired.role,
                    os_user=actor.os_user,
                    occurred_at=now,
                    fields=fired.fields,
                    note=note,
                )
            )
            uow.commit()
            return record
    except PermissionDenied as refusal:
        record_denial(uow, actor, reference, trigger, str(refusal), now)
        raise


def record_denial(
    uow: UnitOfWork, actor: Actor, target: str, trigger: str, reason: str, now: dt.datetime
) -> None:
    """Refusals on permission are audit events too: an auditor must see who tried what.

    *target* is a case reference, or another subject (a province) named in the record's fields.
    """
    with uow:
        uow.lock()
        case = uow.cases.get(target.strip().upper())
        uow.audit.append(
            AuditDraft(
                kind="denied",
                case_reference=case.reference if case else None,
                trigger=trigger,
                source=case.state if case else None,
                dest=None,
                actor_id=actor.id,
                actor_role=None,
                os_user=actor.os_user,
                occurred_at=now,
                fields={} if case else {"target": target},
                note=reason,
            )
        )
        uow.commit()


def get_document(uow: UnitOfWork, sha256: str) -> bytes:
    """A stored document by its SHA-256, checked against that hash before it is handed out."""
    digest = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InvalidInput(f"'{sha256}' is not a SHA-256 (64 hexadecimal characters)")
    with uow:
        content = uow.documents.get(digest)
    if content is None:
        raise DocumentNotFound(
            f"no document with SHA-256 {digest[:12]}… is stored here (only evidence and plans "
            "are; other documents are recorded by hash only)"
        )
    if hashlib.sha256(content).hexdigest() != digest:
        raise DocumentCorrupted(f"the stored document {digest[:12]}… does not match its hash")
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
    """The actor scheduled jobs run as."""
    return Actor(SYSTEM_ACTOR, "sistercity system", frozenset({"system"}))


# ---------------------------------------------------------------------- read scope (web view)
# Who may read what, for screens that show many cases at once. Kept apart from the use cases
# above so that the coming ``authorize`` can absorb it in one place.
def read_scope(actor: Actor, procedure: str = DEFAULT_PROCEDURE) -> str | None:
    """The one province *actor* may read, or ``None`` for every province.

    An officer holding any role that the procedure does not scope to a province (ministry roles,
    auditors, admins) reads everything; one holding only scoped roles reads their own province.
    """
    definition = engine_for(procedure).definition
    known = {r.id: r for r in definition.roles}
    if any(role in known and not known[role].scoped for role in actor.roles):
        return None
    if actor.province is None:
        raise PermissionDenied(f"officer '{actor.id}' has a provincial role but no province")
    return actor.province
