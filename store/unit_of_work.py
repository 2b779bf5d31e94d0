"""One session, one transaction: rolled back unless committed; driver errors translated.

One unit of work carries every repository: cases, officers, the audit log, documents, the read
models of the log (``facts``) and the follow-up records (``followup``).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from states.i18n import N_
from store.database import WRITE_OPTION, make_session_factory, refused
from store.followup import SqlAlchemyFollowupRepository
from store.projections import SqlAlchemyFactsRepository
from store.repository import (
    SqlAlchemyAuditLog,
    SqlAlchemyCaseRepository,
    SqlAlchemyDocumentStore,
    SqlAlchemyOfficerRepository,
    Transaction,
    flush_before_commit,
    read_setting,
    send_pending_before_orm,
    transaction_of,
)
from workflow.errors import ConcurrentUpdate, WorkflowError


class NotInitialised(WorkflowError):
    """The database has no schema yet."""


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


_FACTORY = "_sistercity_session_factory"


def _factory_for(engine: Engine) -> sessionmaker[Session]:
    """The engine's session factory, made once: a factory is a class of its own with its
    listener, whose making costs more than a read (the web view makes a unit of work per
    request)."""
    factory: sessionmaker[Session] | None = getattr(engine, _FACTORY, None)
    if factory is None:
        factory = make_session_factory(engine)
        # The head row and other deferred writes go out just before the transaction commits.
        event.listen(factory, "before_commit", flush_before_commit)
        # A query through the session itself sees this transaction's queued writes.
        event.listen(factory, "do_orm_execute", send_pending_before_orm)
        setattr(engine, _FACTORY, factory)
    return factory


class SqlAlchemyUnitOfWork:
    """The store's unit of work; a use case enters it once and commits at most once."""

    cases: SqlAlchemyCaseRepository
    officers: SqlAlchemyOfficerRepository
    audit: SqlAlchemyAuditLog
    documents: SqlAlchemyDocumentStore
    facts: SqlAlchemyFactsRepository
    followup: SqlAlchemyFollowupRepository
    session: Session

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = _factory_for(engine)

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.tx: Transaction = transaction_of(self.session)
        self.cases = SqlAlchemyCaseRepository(self.session, self.tx)
        self.officers = SqlAlchemyOfficerRepository(self.session, self.tx)
        self.audit = SqlAlchemyAuditLog(self.session, self.tx)
        self.documents = SqlAlchemyDocumentStore(self.session, self.tx)
        self.facts = SqlAlchemyFactsRepository(self.session, self.tx)
        self.followup = SqlAlchemyFollowupRepository(self.session)
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
                N_("this database is not initialised: run 'sistercity init' first")
            ) from exc
        refusal = refused(exc) if exc is not None else None
        if refusal is not None:
            raise refusal from exc

    def lock(self, late: bool = False) -> None:
        """Begin as a writer: BEGIN IMMEDIATE on SQLite, the head row locked on PostgreSQL.

        *late* (a step on one case, on PostgreSQL): the head row is locked at the first write
        instead, so that reading and checking the case, which is most of a step, runs while
        other officers' steps append. What was read first is checked once the lock is held:
        the case's version in its UPDATE (``CaseMoved`` when it moved), the head for the
        ``case_seq`` read with it. SQLite has no row locks: there a step is serialised whole.
        """
        connection = self.session.connection(execution_options={WRITE_OPTION: True})
        if late and connection.dialect.name == "postgresql":
            self.tx.late = True
        else:
            self.tx.lock_head()

    def commit(self) -> None:
        try:
            self.session.commit()
        except (StaleDataError, IntegrityError) as exc:
            self.session.rollback()
            raise ConcurrentUpdate(
                N_("the case changed under you (another officer saved first); read it again")
            ) from exc
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc).lower():
                raise ConcurrentUpdate(N_("the database is busy; try again")) from exc
            raise

    def setting(self, key: str) -> str | None:
        return read_setting(self.session, key)
