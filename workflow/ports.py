"""What the use cases need from storage; ``store/`` implements these, never the reverse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Protocol, Self

from workflow.model import Actor, AuditDraft, AuditRecord, Case

Clock = Callable[[], dt.datetime]


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

    def add(self, actor: Actor) -> None: ...

    def list(self) -> list[Actor]: ...


class AuditLog(Protocol):
    """Append-only: there is no update and no delete."""

    def append(self, draft: AuditDraft) -> AuditRecord: ...

    def for_case(self, reference: str) -> list[AuditRecord]: ...

    def iter_all(self) -> Iterator[AuditRecord]: ...


class DocumentStore(Protocol):
    """Document contents by SHA-256, stored in the transaction of the record that cites them."""

    def put(self, record: Mapping[str, Any], content: bytes, now: dt.datetime) -> None: ...

    def get(self, sha256: str) -> bytes | None: ...


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

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def lock(self) -> None:
        """Serialise writers: call first in every use case that writes."""
        ...

    def setting(self, key: str) -> str | None: ...
