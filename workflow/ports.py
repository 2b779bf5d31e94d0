"""What the use cases need from storage; ``store/`` implements these, never the reverse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from workflow.effects import Activity, CaseFacts, Projected
from workflow.model import Actor, AuditDraft, AuditRecord, Case

if TYPE_CHECKING:
    from workflow.followup import Mechanism, Plan
    from workflow.ministry import MinistryMechanism

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Connected:
    """Who the database server says is connected (PostgreSQL's ``session_user``)."""

    login: str
    #: The officer whose ``pg_login`` this is, if any.
    officer: Actor | None
    #: The login owns the schema (the owner, or a superuser): it could write any row anyway,
    #: and the server's identity checks do not apply to it.
    owner: bool


class CaseRepository(Protocol):
    """Cases by reference; updates are checked against the version that was read."""

    def get(self, reference: str) -> Case | None: ...

    def add(self, case: Case) -> None: ...

    def update(self, case: Case) -> None: ...

    def next_reference(self, year_be: int) -> str: ...

    def list(self, province: str | None = None, state: str | None = None) -> list[Case]: ...


class OfficerRepository(Protocol):
    """Registered officers."""

    def get(self, officer_id: str) -> Actor | None: ...

    def by_os_user(self, login: str) -> Actor | None: ...

    def by_pg_login(self, login: str) -> Actor | None: ...

    def connected(self) -> Connected | None:
        """PostgreSQL: the login the server authenticated and the officer linked to it;
        ``None`` on a database that has no logins of its own (SQLite)."""
        ...

    def add(self, actor: Actor, audit_seq: int) -> None: ...

    def update(self, actor: Actor, audit_seq: int) -> None: ...

    def audit_seq(self, officer_id: str) -> int | None:
        """The sequence number of the officer's latest event, as the row says."""
        ...

    def list(self) -> list[Actor]: ...


class AuditLog(Protocol):
    """Append-only: there is no update and no delete."""

    def append(self, draft: AuditDraft) -> AuditRecord: ...

    def for_case(self, reference: str) -> list[AuditRecord]: ...

    def iter_all(self) -> Iterator[AuditRecord]: ...

    def get(self, seq: int) -> AuditRecord | None: ...

    def latest_of_kind(self, kind: str) -> AuditRecord | None: ...

    def of_kind(self, kind: str, after: int | None = None) -> list[AuditRecord]:
        """Records of *kind* (after sequence number *after*), oldest first."""
        ...


class DocumentStore(Protocol):
    """Document contents by SHA-256, stored in the transaction of the record that cites them."""

    def put(self, record: Mapping[str, Any], content: bytes, now: dt.datetime) -> None: ...

    def get(self, sha256: str) -> bytes | None: ...


class FactsRepository(Protocol):
    """The read models of the log (facts, moves, activities), written by the use cases."""

    def get(self, reference: str) -> CaseFacts | None: ...

    def save(self, projected: Projected) -> None: ...


@dataclass(frozen=True)
class RegisterRow:
    """A case as the importer and the register reports see it: who it is with, and its facts."""

    reference: str
    province: str
    partner_name: str
    partner_country: str
    partner_level: str
    instrument: str
    state: str
    procedure: str
    version: int
    #: The first signing's first day (ISO) and how precisely it is known; ``None``: not signed.
    established_on: str | None
    established_precision: str | None
    supersedes: str | None
    superseded_by: str | None
    relationship: str | None
    entered_on: str | None
    term_years: int | None = None
    expires_on: str | None = None


class FollowupRepository(Protocol):
    """Follow-up reads and writes."""

    def cases_with_facts(self, states: Sequence[str]) -> list[tuple[Case, CaseFacts]]: ...

    def last_event_at(self, references: Sequence[str]) -> dict[str, dt.datetime]: ...

    def activities(
        self, reference: str | None, fiscal_year: int | None, province: str | None
    ) -> list[Activity]: ...

    def save_plan(self, plan: Plan) -> None: ...

    def plans(
        self, reference: str | None, fiscal_year: int | None, province: str | None
    ) -> list[Plan]: ...

    def save_mechanism(self, mechanism: Mechanism) -> None: ...

    def mechanisms(self, province: str | None) -> list[Mechanism]: ...

    def save_ministry_mechanism(self, mechanism: MinistryMechanism) -> None: ...

    def ministry_mechanism(self) -> MinistryMechanism | None: ...

    def identity_rows(self) -> list[tuple[str, str, str, str, str | None]]:
        """(province, partner name, country, instrument, first signing date) of every case."""
        ...

    def register_rows(self, province: str | None = None) -> list[RegisterRow]:
        """Every case with its facts, by reference (optionally of one province)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: rolled back unless ``commit`` is called."""

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def officers(self) -> OfficerRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def documents(self) -> DocumentStore: ...

    @property
    def facts(self) -> FactsRepository: ...

    @property
    def followup(self) -> FollowupRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def lock(self, late: bool = False) -> None:
        """Serialise writers: call first in every use case that writes.

        ``late=True`` is for a step on one case (``advance_case``, ``record_activity``): the
        store may then take its global lock only at the first write, checking what was read
        before it; a case that moved meanwhile raises ``CaseMoved`` and the step is retried.
        """
        ...

    def batched(self) -> AbstractContextManager[None]:
        """Inside the block, the rows a use case adds may be kept and sent together when it
        ends (a bulk import); a row the database refuses is refused there at the latest, still
        inside the transaction."""
        ...

    def setting(self, key: str) -> str | None: ...
