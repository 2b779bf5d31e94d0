"""Plain frozen values passed between the engine, the store and the CLI.

Nothing here is an ORM or pydantic object: the engine can be tested without storage and the
store maps rows to these explicitly, which is simpler to audit than mapped domain classes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SYSTEM_ACTOR = "system"

#: ``plan`` and ``mechanism`` record follow-up facts (a fiscal year's action plan and budget, a
#: provincial committee order); like ``denied`` they carry no ``dest`` and never move a case.
#: ``letter`` gives an official letter of a case its number from its unit's register; it never
#: moves the case either.
#: ``migrate`` moves a case to another version of its procedure (naming both files' hashes).
EventKind = Literal[
    "open",
    "transition",
    "denied",
    "import",
    "head_export",
    "officer",
    "plan",
    "mechanism",
    "migrate",
    "settings",
    "letter",
]


@dataclass(frozen=True)
class Actor:
    """An officer acting now, with the login the command runs under (the OS login; on
    PostgreSQL the database login the server vouches for, ``pg_login``)."""

    id: str
    name: str
    roles: frozenset[str]
    province: str | None = None
    os_user: str | None = None
    deputy: bool = False
    retired: bool = False
    #: The PostgreSQL login this officer connects as; on PostgreSQL it is who they are.
    pg_login: str | None = None


@dataclass(frozen=True)
class Case:
    """A sister-city relationship, from proposal to its end."""

    reference: str
    procedure: str
    version: int
    definition_sha256: str
    state: str
    province: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    label: str
    opened_at: dt.datetime
    opened_by: str
    state_since: dt.datetime
    previous_state: str | None = None
    #: Every officer who fired each trigger, in order; kept on the case so that segregation of
    #: duties needs no history scan (a bare string, as older rows hold, is one officer).
    trigger_actors: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)
    row_version: int = 1
    #: The Thai party when it is not the province itself (a municipality, a PAO, Pattaya …).
    thai_party_level: str | None = None
    thai_party_name: str | None = None


def actors_of(value: Sequence[str] | str | None) -> tuple[str, ...]:
    """The officers recorded for one trigger, whichever form the case holds them in."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class NewCase:
    """What an officer gives to open a case."""

    province: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    label: str
    thai_party_level: str | None = None
    thai_party_name: str | None = None


@dataclass(frozen=True)
class AuditDraft:
    """An audit event before the log gives it its sequence number and hash."""

    kind: EventKind
    case_reference: str | None
    trigger: str | None
    source: str | None
    dest: str | None
    actor_id: str
    actor_role: str | None
    os_user: str | None
    occurred_at: dt.datetime
    fields: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class AuditRecord:
    """An audit event as stored: append-only, chained to the one before it."""

    seq: int
    log_id: str
    record_version: int
    kind: EventKind
    case_reference: str | None
    case_seq: int | None
    trigger: str | None
    source: str | None
    dest: str | None
    actor_id: str
    actor_role: str | None
    os_user: str | None
    occurred_at: dt.datetime
    fields: Mapping[str, Any]
    note: str
    payload_sha256: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class FieldNeed:
    """A field a trigger needs, for "what can I do now"."""

    name: str
    type: str
    required: bool
    label_th: str
    label_en: str


@dataclass(frozen=True)
class Action:
    """A trigger the acting officer may fire now, and what it needs."""

    trigger: str
    dest: str
    label_th: str
    label_en: str
    role: str
    fields: tuple[FieldNeed, ...]
    note_required: bool
