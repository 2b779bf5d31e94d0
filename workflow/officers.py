"""Officers: who may act, as a projection of their audit events, and the database's settings.

Registering, updating and retiring an officer are ``officer`` audit events whose fields are the
officer's whole registration after the event; the ``officers`` row is their projection and keeps
the sequence number of its latest event. Before anyone acts, the row is compared with that event,
and no later event of the officer may exist: an ``UPDATE officers SET roles=…`` made outside the
product is refused at once (and named by ``audit verify``, which rebuilds every officer from the
log). The database's settings (its log id, whether it is a training database) are likewise a
``settings`` event, the first record of a new log; ``--as`` works only when the row and the event
agree that this is a training database.

A retired officer can take no step and is never deleted: history keeps their name.

On PostgreSQL an officer connects with a login of their own (``pg_login``) and the server says
who is connected (``session_user``): that officer is the one acting, whatever the client's OS
login or ``--as`` say, and the server itself refuses a record in another officer's name
(``store/pg_identity.py``). Only a login that owns the schema (the owner, a superuser) falls back
to the OS login and ``--as``, as on SQLite: it could write any row anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from states import load_all, nfc
from states.i18n import N_, Message, Text
from states.reference import PROVINCES
from workflow.authorization import authorize, national_access, recorded_refusals
from workflow.errors import (
    IdentityError,
    InvalidInput,
    PermissionDenied,
    UnknownOfficer,
    UsageProblem,
)
from workflow.fields import MAX_NAME, check_length
from workflow.model import Actor, AuditDraft
from workflow.ports import Connected, UnitOfWork

_OFFICER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: A PostgreSQL login the product links: an unquoted identifier, as ``CREATE ROLE`` would take it.
_PG_LOGIN = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")
#: Actor id of the ``settings`` event that ``init`` records (no officer exists yet).
INIT_ACTOR = "init"


def officer_fields(officer: Actor) -> dict[str, Any]:
    """The registration an ``officer`` event records: the officer's whole state after it.

    ``pg_login`` is recorded only when set, so that events of officers without one keep the
    form they had before logins existed."""
    fields: dict[str, Any] = {
        "officer": officer.id,
        "name": officer.name,
        "roles": sorted(officer.roles),
        "province": officer.province,
        "os_user": officer.os_user,
        "deputy": officer.deputy,
        "retired": officer.retired,
    }
    if officer.pg_login is not None:
        fields["pg_login"] = officer.pg_login
    return fields


def officer_from_fields(fields: Mapping[str, Any]) -> Actor:
    """The officer an ``officer`` event leaves (events before retirement existed lack it)."""
    return Actor(
        id=str(fields["officer"]),
        name=str(fields["name"]),
        roles=frozenset(fields["roles"]),
        province=fields.get("province"),
        os_user=fields.get("os_user"),
        deputy=bool(fields.get("deputy", False)),
        retired=bool(fields.get("retired", False)),
        pg_login=fields.get("pg_login"),
    )


def officer_roles() -> dict[str, bool]:
    """Every role an officer may hold, in any procedure, and whether it is province-scoped."""
    roles: dict[str, bool] = {}
    for loaded in load_all():
        for r in loaded.definition.roles:
            roles[r.id] = roles.get(r.id, False) or r.scoped
    return roles


# ---------------------------------------------------------------------- who is acting
def resolve_actor(uow: UnitOfWork, os_login: str, as_officer: str | None = None) -> Actor:
    """The officer acting: on PostgreSQL the one the server vouches for (the ``pg_login`` of
    the connection), elsewhere by OS login or ``--as`` in a training database only; the row is
    checked against its latest audit event first.

    The login recorded with what the officer does is the one that identified them: the
    database login on PostgreSQL, the OS login elsewhere."""
    with uow:
        connected = uow.officers.connected()
        if connected is not None and (connected.officer is not None or not connected.owner):
            actor = _vouched(connected, as_officer)
            os_login = connected.login
        elif as_officer:
            _check_training(uow)
            found = uow.officers.get(as_officer)
            if found is None:
                raise UnknownOfficer(N_("no officer '{officer}'"), officer=as_officer)
            actor = found
        else:
            found = uow.officers.by_os_user(os_login)
            if found is None:
                raise UnknownOfficer(
                    N_(
                        "no officer is registered for OS login '{login}'; an admin can run "
                        "'sistercity officer add ID --name … --role … --os-user {login}'"
                    ),
                    login=os_login,
                )
            actor = found
        check_officer_row(uow, actor)
        if actor.retired:
            raise IdentityError(
                N_("officer '{officer}' is retired and can take no step"), officer=actor.id
            )
    return replace(actor, os_user=os_login)


def _vouched(connected: Connected, as_officer: str | None) -> Actor:
    """The officer linked to the PostgreSQL login; ``--as`` may only name them."""
    actor = connected.officer
    if actor is None:
        raise IdentityError(
            N_(
                "PostgreSQL login '{login}' is not linked to an officer; an admin can "
                "run 'sistercity officer update ID --pg-login {login}'"
            ),
            login=connected.login,
        )
    if as_officer and as_officer != actor.id:
        raise IdentityError(
            N_(
                "--as {officer} is refused: you are connected to PostgreSQL as "
                "'{login}', officer '{actor}', and the server acts only as them"
            ),
            officer=as_officer,
            login=connected.login,
            actor=actor.id,
        )
    return actor


def _check_training(uow: UnitOfWork) -> None:
    if uow.setting("training") != "1":
        raise IdentityError(
            N_(
                "--as/SISTERCITY_OFFICER is refused: this database was not initialised with "
                "'sistercity init --training'"
            )
        )
    event = uow.audit.latest_of_kind("settings")
    if event is None:
        raise IdentityError(
            N_(
                "--as is refused: this database's settings are not in its audit log yet; run "
                "'sistercity init' once to record them"
            )
        )
    if event.fields.get("training") is not True:
        raise IdentityError(
            N_(
                "--as is refused: the settings row says training but its audit record "
                "#{seq} does not (the row was changed outside the product; run "
                "'sistercity audit verify')"
            ),
            seq=event.seq,
        )


def check_officer_row(uow: UnitOfWork, actor: Actor) -> None:
    """The officer's row must be what its latest ``officer`` event left."""
    seq = uow.officers.audit_seq(actor.id)
    event = uow.audit.get(seq) if seq is not None else None
    stored = {**officer_fields(actor), "os_user": actor.os_user}
    if (
        event is None
        or event.kind != "officer"
        or event.fields.get("officer") != actor.id
        or officer_fields(officer_from_fields(event.fields)) != stored
    ):
        raise IdentityError(
            N_(
                "officer '{officer}''s registration differs from its audit record #{seq} "
                "(changed outside the product); an auditor should run 'sistercity audit verify'"
            )
            if seq is not None
            else N_(
                "officer '{officer}''s registration differs from its audit record "
                "(changed outside the product); an auditor should run 'sistercity audit verify'"
            ),
            officer=actor.id,
            seq=seq,
        )
    newer = uow.audit.of_kind("officer", after=seq)
    later = [e.seq for e in newer if e.fields.get("officer") == actor.id]
    if later:
        raise IdentityError(
            N_(
                "officer '{officer}''s registration is older than their audit record #{seq}; "
                "an auditor should run 'sistercity audit verify'"
            ),
            officer=actor.id,
            seq=later[-1],
        )


# ---------------------------------------------------------------------- the lifecycle
def _check_registration(officer: Actor) -> Actor:
    if not _OFFICER_ID.match(officer.id):
        raise InvalidInput(
            N_("officer id '{officer}': use 2-64 of a-z 0-9 . _ -"), officer=officer.id
        )
    name = nfc(officer.name).strip()
    if not name:
        raise InvalidInput(N_("the officer's --name is empty"))
    check_length(Text(N_("the officer's name")), name, MAX_NAME)
    roles = officer_roles()
    bad = sorted(officer.roles - set(roles))
    if bad or not officer.roles:
        raise InvalidInput(
            N_("unknown role {bad}; roles: {roles}"),
            bad=", ".join(bad) or Text(N_("(none given)")),
            roles=", ".join(sorted(roles)),
        )
    scoped = [r for r in officer.roles if roles[r]]
    if officer.province is not None and officer.province not in PROVINCES:
        raise InvalidInput(
            N_("unknown province code '{province}' (use TH-xx)"), province=officer.province
        )
    if scoped and officer.province is None:
        raise UsageProblem(
            N_("role {roles} needs --province TH-xx"), roles=", ".join(sorted(scoped))
        )
    if officer.pg_login is not None and not _PG_LOGIN.match(officer.pg_login):
        raise InvalidInput(
            N_(
                "PostgreSQL login '{login}': use 1-63 of a-z 0-9 _ $, not starting "
                "with a digit (the name as CREATE ROLE stores it)"
            ),
            login=officer.pg_login,
        )
    return replace(officer, name=name)


def _login_free(uow: UnitOfWork, officer: Actor, current: Actor | None) -> None:
    """The OS and PostgreSQL logins given to *officer* belong to no other officer."""
    if officer.os_user and officer.os_user != (current.os_user if current else None):
        holder = uow.officers.by_os_user(officer.os_user)
        if holder is not None:
            raise InvalidInput(
                N_("OS login '{login}' is already registered (to {officer})"),
                login=officer.os_user,
                officer=holder.id,
            )
    if officer.pg_login and officer.pg_login != (current.pg_login if current else None):
        holder = uow.officers.by_pg_login(officer.pg_login)
        if holder is not None:
            raise InvalidInput(
                N_("PostgreSQL login '{login}' is already linked (to {officer})"),
                login=officer.pg_login,
                officer=holder.id,
            )


def _record(
    uow: UnitOfWork, trigger: str, officer: Actor, by: Actor | None, role: str | None,
    now: dt.datetime,
) -> int:  # fmt: skip
    record = uow.audit.append(
        AuditDraft(
            kind="officer",
            case_reference=None,
            trigger=trigger,
            source=None,
            dest=None,
            actor_id=by.id if by else "bootstrap",
            actor_role=role,
            os_user=by.os_user if by else None,
            occurred_at=now,
            fields=officer_fields(officer),
        )
    )
    return record.seq


def add_officer(uow: UnitOfWork, officer: Actor, by: Actor | None, now: dt.datetime) -> Actor:
    """Register an officer. Once an officer who manages officers exists, only they may."""
    officer = _check_registration(replace(officer, retired=False))
    access = national_access("officers", verb=Message(N_("register officers")))
    role: str | None = None
    with recorded_refusals(uow, by, "add_officer", officer.id, now), uow:
        uow.lock()
        if uow.officers.get(officer.id) is not None:
            raise InvalidInput(N_("officer '{officer}' already exists"), officer=officer.id)
        _login_free(uow, officer, None)
        managers = [a for a in uow.officers.list() if a.roles & set(access.roles)]
        if managers:  # the very first manager registers without one
            if by is None:
                raise PermissionDenied(
                    N_(
                        "only an officer with role {roles} may register officers, and none is "
                        "registered for you"
                    ),
                    roles=" or ".join(access.roles),
                )
            role = authorize(by, access)
        # Before any manager exists, registration is the bootstrap's, whoever runs it.
        seq = _record(uow, "add_officer", officer, by if managers else None, role, now)
        uow.officers.add(officer, seq)
        uow.commit()
    return officer


def update_officer(
    uow: UnitOfWork,
    officer_id: str,
    by: Actor,
    now: dt.datetime,
    *,
    name: str | None = None,
    roles: frozenset[str] | None = None,
    province: str | None = None,
    clear_province: bool = False,
    os_user: str | None = None,
    clear_os_user: bool = False,
    deputy: bool | None = None,
    pg_login: str | None = None,
    clear_pg_login: bool = False,
) -> Actor:
    """Change an officer's name, roles, province, OS or PostgreSQL login or deputy flag: one
    audit event."""
    access = national_access("officers", verb=Message(N_("update officers")))
    with recorded_refusals(uow, by, "update_officer", officer_id, now), uow:
        role = authorize(by, access)
        uow.lock()
        current = uow.officers.get(officer_id)
        if current is None:
            raise UnknownOfficer(N_("no officer '{officer}'"), officer=officer_id)
        if current.retired:
            raise InvalidInput(
                N_("officer '{officer}' is retired; register a new officer"), officer=officer_id
            )
        check_officer_row(uow, current)
        changed = replace(
            current,
            name=current.name if name is None else name,
            roles=current.roles if roles is None else roles,
            province=None if clear_province else province or current.province,
            os_user=None if clear_os_user else os_user or current.os_user,
            deputy=current.deputy if deputy is None else deputy,
            pg_login=None if clear_pg_login else pg_login or current.pg_login,
        )
        changed = _check_registration(changed)
        if changed == current:
            raise InvalidInput(N_("officer '{officer}': nothing to change"), officer=officer_id)
        _login_free(uow, changed, current)
        seq = _record(uow, "update_officer", changed, by, role, now)
        uow.officers.update(changed, seq)
        uow.commit()
    return changed


def retire_officer(uow: UnitOfWork, officer_id: str, by: Actor, now: dt.datetime) -> Actor:
    """Retire an officer: they can take no step from now on; history keeps their name."""
    access = national_access("officers", verb=Message(N_("retire officers")))
    with recorded_refusals(uow, by, "retire_officer", officer_id, now), uow:
        role = authorize(by, access)
        uow.lock()
        current = uow.officers.get(officer_id)
        if current is None:
            raise UnknownOfficer(N_("no officer '{officer}'"), officer=officer_id)
        if current.retired:
            raise InvalidInput(N_("officer '{officer}' is already retired"), officer=officer_id)
        if current.id == by.id:
            raise InvalidInput(N_("an officer cannot retire themselves"))
        check_officer_row(uow, current)
        # The logins are released: a retired officer's login identifies nobody, and the OS
        # login can be given to a successor.
        retired = replace(current, retired=True, os_user=None, pg_login=None)
        seq = _record(uow, "retire_officer", retired, by, role, now)
        uow.officers.update(retired, seq)
        uow.commit()
    return retired
