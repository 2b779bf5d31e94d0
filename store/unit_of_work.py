"""One session, one transaction: rolled back unless committed; driver errors translated."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

# Registers the audit-log projections (case facts, moves, activities) on every engine: whatever
# uses the store writes audit records through this unit of work.
import store.projections  # noqa: F401
from store.database import WRITE_OPTION, make_session_factory
from store.repository import (
    SqlAlchemyAuditLog,
    SqlAlchemyCaseRepository,
    SqlAlchemyDocumentStore,
    SqlAlchemyOfficerRepository,
    read_setting,
)
from workflow.errors import ConcurrentUpdate, WorkflowError


class NotInitialised(WorkflowError):
    """The database has no schema yet."""


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


class SqlAlchemyUnitOfWork:
    """The store's unit of work; a use case enters it once and commits at most once."""

    cases: SqlAlchemyCaseRepository
    officers: SqlAlchemyOfficerRepository
    audit: SqlAlchemyAuditLog
    documents: SqlAlchemyDocumentStore
    session: Session

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = make_session_factory(engine)

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.cases = SqlAlchemyCaseRepository(self.session)
        self.officers = SqlAlchemyOfficerRepository(self.session)
        self.audit = SqlAlchemyAuditLog(self.session)
        self.documents = SqlAlchemyDocumentStore(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if isinstance(exc, OperationalError | ProgrammingError) and _missing_table(exc):
            raise NotInitialised(
                "this database is not initialised: run 'sistercity init' first"
            ) from exc

    def lock(self) -> None:
        """Begin as a writer: BEGIN IMMEDIATE on SQLite, the head row locked on PostgreSQL."""
        self.session.connection(execution_options={WRITE_OPTION: True})
        self.audit.lock_head()

    def commit(self) -> None:
        try:
            self.session.commit()
        except (StaleDataError, IntegrityError) as exc:
            self.session.rollback()
            raise ConcurrentUpdate(
                "the case changed under you (another officer saved first); read it again"
            ) from exc
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc).lower():
                raise ConcurrentUpdate("the database is busy; try again") from exc
            raise

    def setting(self, key: str) -> str | None:
        return read_setting(self.session, key)
