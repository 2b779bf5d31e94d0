"""Who may do what: one decision for steps and for every other action, read from the definitions.

``authorize(actor, access)`` is the one decision every use case makes: it returns the role the
officer acts under, or raises ``PermissionDenied`` (role or province scope) or
``SegregationOfDuties``. Use cases run inside ``recorded_refusals``, which turns each such refusal
into exactly one ``denied`` audit event, in a transaction of its own, after the refused one has
rolled back. Roles, their scope and the actions each may take are data of the procedure
definitions (``roles``, ``[actions]``, each transition's ``roles`` and ``separate_from``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from states import ActionName, ProcedureDefinition, newest_definitions
from states.i18n import N_, Text
from workflow.errors import PermissionDenied, SegregationOfDuties
from workflow.model import Actor, AuditDraft
from workflow.ports import UnitOfWork


@dataclass(frozen=True)
class Access:
    """What acting on one subject needs."""

    #: The step's trigger or the action's name: it names the refusal and the ``denied`` record.
    action: str
    roles: tuple[str, ...]
    #: Those of *roles* whose holders act only within their own province.
    scoped: frozenset[str]
    #: The subject's province (``None`` for a national subject, e.g. the audit log).
    province: str | None
    #: Officers who may not take this action here, and why (segregation of duties).
    excluded: Mapping[str, str] = field(default_factory=dict)
    #: How the refusal names the action ("set a plan"); the action's name by default.
    verb: str = ""


def access_for(
    definitions: Iterable[ProcedureDefinition],
    action: ActionName,
    province: str | None = None,
    verb: str = "",
) -> Access:
    """The access an action needs, as the given definitions declare it (their union)."""
    roles: list[str] = []
    scoped: set[str] = set()
    for d in definitions:
        for r in d.action_roles(action):
            if r not in roles:
                roles.append(r)
            if d.role(r).scoped:
                scoped.add(r)
    return Access(action, tuple(roles), frozenset(scoped), province, verb=verb)


def national_access(action: ActionName, province: str | None = None, verb: str = "") -> Access:
    """An action on no case: governed by the newest version of every procedure."""
    return access_for((x.definition for x in newest_definitions()), action, province, verb)


def authorize(actor: Actor, access: Access) -> str:
    """The role *actor* takes the action under, or a refusal naming what is missing."""
    try:
        return _decide(actor, access)
    except PermissionDenied as refusal:
        refusal.action = access.action
        raise


def _decide(actor: Actor, access: Access) -> str:
    verb = access.verb or f"'{access.action}'"
    held = [r for r in access.roles if r in actor.roles]
    if not held:
        needs = " or ".join(access.roles) or Text(N_("a role no definition grants"))
        raise PermissionDenied(
            N_("officer '{officer}' may not {verb}: needs role {roles}"),
            officer=actor.id,
            verb=verb,
            roles=needs,
        )
    in_scope = [r for r in held if r not in access.scoped or actor.province == access.province]
    if not in_scope:
        raise PermissionDenied(
            N_("officer '{officer}' ({province}) may not {verb} for {target}"),
            officer=actor.id,
            province=actor.province or Text(N_("no province")),
            verb=verb,
            target=access.province,
        )
    reason = access.excluded.get(actor.id)
    if reason is not None:
        raise SegregationOfDuties(
            N_("officer '{officer}' {reason} and so may not also {verb}"),
            officer=actor.id,
            reason=reason,
            verb=verb,
        )
    return in_scope[0]


@contextmanager
def recorded_refusals(
    uow: UnitOfWork,
    actor: Actor | None,
    action: str,
    target: str | None,
    now: dt.datetime,
) -> Iterator[None]:
    """Run a use case; a ``PermissionDenied`` from it leaves one ``denied`` record, then goes on.

    *target* is a case reference, or another subject (a province, an officer id) named in the
    record's fields. Enter it outside the use case's own ``with uow``, so the refused transaction
    has rolled back before the denial is written.
    """
    try:
        yield
    except PermissionDenied as refusal:
        record_denial(uow, actor, target, refusal.action or action, str(refusal), now)
        raise


def record_denial(
    uow: UnitOfWork,
    actor: Actor | None,
    target: str | None,
    action: str,
    reason: str,
    now: dt.datetime,
) -> None:
    """One ``denied`` audit event: an auditor must see who tried what, and why it was refused."""
    with uow:
        uow.lock()
        case = uow.cases.get(target.strip().upper()) if target else None
        uow.audit.append(
            AuditDraft(
                kind="denied",
                case_reference=case.reference if case else None,
                trigger=action,
                source=case.state if case else None,
                dest=None,
                actor_id=actor.id if actor else "unknown",
                actor_role=None,
                os_user=actor.os_user if actor else None,
                occurred_at=now,
                fields={} if case else {"target": target},
                note=reason,
            )
        )
        uow.commit()
