"""One connection, one transaction: rolled back unless committed; driver errors translated.

One unit of work carries every repository: cases, officers, the audit log, documents, the read
models of the log (``facts``) and the follow-up records (``followup``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from states.i18n import N_
from store.database import WRITE_OPTION, make_session_factory, refused
from store.projections import SqlAlchemyFactsRepository
from store.repository import (
    TX_KEY,
    SqlAlchemyAuditLog,
    SqlAlchemyCaseRepository,
    SqlAlchemyDocumentStore,
    SqlAlchemyOfficerRepository,
    Transaction,
    flush_before_commit,
    read_setting,
    send_pending_before_orm,
)
from workflow.errors import ConcurrentUpdate, WorkflowError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from store.followup import SqlAlchemyFollowupRepository


class NotInitialised(WorkflowError):
    """The database has no schema yet."""


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


_FACTORY = "_sistercity_session_factory"


def _factory_for(engine: Engine) -> sessionmaker[Session]:
    """The engine's session factory, made once: a factory is a class of its own with its
    listener, whose making costs more than a read (the web view makes a unit of work per
    request). Made when a unit of work first asks for a session: reading and advancing cases
    speak Core, and never import the ORM."""
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
    """The store's unit of work; a use case enters it once and commits at most once.

    The repositories of a step speak Core on the transaction's one connection; an ORM session
    is bound to that same connection (and its transaction) only when something asks for it
    (``session``, the follow-up records), since making one costs more than a small statement.
    """

    cases: SqlAlchemyCaseRepository
    officers: SqlAlchemyOfficerRepository
    audit: SqlAlchemyAuditLog
    documents: SqlAlchemyDocumentStore
    facts: SqlAlchemyFactsRepository
    tx: Transaction

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None
        self._followup: SqlAlchemyFollowupRepository | None = None

    def __enter__(self) -> Self:
        self._session = None
        self._followup = None
        self.tx = tx = Transaction(self.engine.connect)
        self.cases = SqlAlchemyCaseRepository(None, tx)
        self.officers = SqlAlchemyOfficerRepository(None, tx)
        self.audit = SqlAlchemyAuditLog(None, tx)
        self.documents = SqlAlchemyDocumentStore(None, tx)
        self.facts = SqlAlchemyFactsRepository(None, tx)
        return self

    @property
    def session(self) -> Session:
        """An ORM session on this unit of work's connection, in charge of its transaction (its
        commit commits it, flushing the deferred writes first)."""
        if self._session is None:
            self._session = _factory_for(self.engine)(
                bind=self.tx.connection(), join_transaction_mode="control_fully"
            )
            self._session.info[TX_KEY] = self.tx
        # Joined to the connection's transaction now, so that its commit commits what the
        # repositories wrote before it was asked for.
        self._session.connection()
        return self._session

    @property
    def followup(self) -> SqlAlchemyFollowupRepository:
        if self._followup is None:
            # Imported here: reading and advancing cases never needs the follow-up records.
            from store.followup import SqlAlchemyFollowupRepository

            self._followup = SqlAlchemyFollowupRepository(self.session)
        return self._followup

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back what was not committed and gives the connection back.
        try:
            if self._session is not None:
                self._session.close()
        finally:
            if self.tx.conn is not None:
                self.tx.conn.close()
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
        connection = self.tx.connection()
        if not connection.in_transaction():  # SQLite: BEGIN IMMEDIATE (store.database)
            connection.execution_options(**{WRITE_OPTION: True})
        if late and connection.dialect.name == "postgresql":
            self.tx.late = True
        else:
            self.tx.lock_head()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """The rows added inside the block are sent together when it ends, one statement per
        kind of row (an ``executemany``), or earlier when another statement needs them: an
        import of thousands of relationships costs a few statements, not four per row. An
        error inside the block leaves the kept rows unsent (the transaction is rolled back)."""
        tx = self.tx
        tx.send_batch()
        tx.batch = {}
        try:
            yield
            tx.send_batch()
        finally:
            tx.batch = None

    def commit(self) -> None:
        moved: tuple[type[Exception], ...] = (IntegrityError,)
        if self._session is not None:
            # The ORM's own version check (the ORM is loaded once a session exists).
            from sqlalchemy.orm.exc import StaleDataError

            moved = (StaleDataError, IntegrityError)
        try:
            if self._session is not None:
                self._session.commit()  # the ORM's writes, the deferred ones, the transaction
            else:
                self.tx.flush()
            conn = self.tx.conn
            if conn is not None and conn.in_transaction():
                conn.commit()
        except moved as exc:
            self._rollback()
            raise ConcurrentUpdate(
                N_("the case changed under you (another officer saved first); read it again")
            ) from exc
        except OperationalError as exc:
            self._rollback()
            if "locked" in str(exc).lower():
                raise ConcurrentUpdate(N_("the database is busy; try again")) from exc
            raise

    def _rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        conn = self.tx.conn
        if conn is not None and conn.in_transaction():
            conn.rollback()

    def setting(self, key: str) -> str | None:
        return read_setting(self.tx, key)
