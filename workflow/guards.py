"""Named rules a transition may require. Pure: no I/O, no side effects.

The definition names guards; only code registered here can run, so a definition file can never
carry code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from states import ProcedureDefinition
from states.i18n import N_, Message
from workflow.model import Actor, Case
from workflow.thaidate import local_date


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at."""

    definition: ProcedureDefinition
    case: Case
    actor: Actor
    fields: Mapping[str, Any]
    now: dt.datetime


Guard = Callable[[GuardContext], str | None]
"""Returns ``None`` when the rule holds, else a short reason (a ``states.i18n.Message``)."""

GUARDS: dict[str, Guard] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register a guard under the name definitions use."""

    def register(fn: Guard) -> Guard:
        GUARDS[name] = fn
        return fn

    return register


@guard("dates_not_in_future")
def _dates_not_in_future(ctx: GuardContext) -> str | None:
    today = local_date(ctx.now)
    late = [
        name
        for name, value in ctx.fields.items()
        if ctx.definition.field(name).type == "date" and dt.date.fromisoformat(value) > today
    ]
    return Message(N_("dates in the future: {fields}"), fields=", ".join(late)) if late else None


@guard("deputy_has_delegation")
def _deputy_has_delegation(ctx: GuardContext) -> str | None:
    if ctx.actor.deputy and "delegation_order" not in ctx.fields:
        return Message(N_("a deputy governor signs only with the delegation order recorded"))
    return None


def unknown_guards(definition: ProcedureDefinition) -> list[str]:
    """Guards a definition names that this code does not have."""
    return sorted({g for t in definition.transitions for g in t.guards if g not in GUARDS})
