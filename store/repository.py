"""Rows to frozen values and back, explicitly; repositories never commit.

A step is on the hot path of every officer's work, so the repositories speak SQLAlchemy Core,
not the ORM: each statement is built once at import and executed with parameters (SQLAlchemy
caches its compiled form), rows are read as tuples and mapped to the frozen values by hand, and
what one transaction has already read is not read again (``Transaction``). The version counter
of a case is checked in the UPDATE itself (``WHERE row_version = :read``), which is what the
ORM's ``version_id_col`` did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Executable,
    Integer,
    String,
    bindparam,
    column,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)

from states.i18n import N_
from store.collector import collector_paused
from store.core_tables import (
    AUDIT_HEAD,
    AUDIT_RECORDS,
    CASE_FACTS,
    CASES,
    DOCUMENTS,
    OFFICERS,
    SETTINGS,
)
from workflow.effects import CaseFacts
from workflow.errors import CaseMoved, ConcurrentUpdate
from workflow.integrity import RECORD_VERSION, canonical_json, utc_text
from workflow.model import Actor, AuditDraft, AuditRecord, Case, actors_of
from workflow.ports import Connected

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: The stored audit columns, in the order rows are read, verified and exported.
AUDIT_COLUMNS = (
    "seq",
    "log_id",
    "record_version",
    "kind",
    "case_reference",
    "case_seq",
    "trigger",
    "source",
    "dest",
    "actor_id",
    "actor_role",
    "os_user",
    "occurred_at",
    "fields",
    "note",
    "payload_sha256",
    "prev_hash",
    "hash",
)
_TIMESTAMP_LENGTH = len("2024-01-01T00:00:00.000000Z")
# Built once: json.dumps with non-default options builds an encoder per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_STRING = json.JSONEncoder(ensure_ascii=False)


def parse_utc(text: str) -> dt.datetime:
    """The stored canonical timestamp back to an aware datetime."""
    if len(text) == _TIMESTAMP_LENGTH and text[10] == "T" and text[19] == "." and text[26] == "Z":
        # The one stored form; ``fromisoformat`` reads it seventy times faster than strptime.
        return dt.datetime.fromisoformat(text)
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


#: ``json.loads`` without its three Python frames: (value, end), or StopIteration.
_scan_json: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009


def _fields(text: str) -> Any:
    """A stored fields text decoded (``json.loads``; a case's history decodes a hundred)."""
    if text == "{}":
        return {}
    try:
        value, end = _scan_json(text, 0)
        if end == len(text):
            return value
    except StopIteration:
        pass
    return json.loads(text)  # what loads makes of any other text, or its error


# ---------------------------------------------------------------------- statements, built once
_LAST_CASE_SEQ = (
    select(func.max(AUDIT_RECORDS.c.case_seq))
    .where(AUDIT_RECORDS.c.case_reference == CASES.c.reference)
    .scalar_subquery()
)
_HEAD_SEQ = select(AUDIT_HEAD.c.seq).where(AUDIT_HEAD.c.id == 1).scalar_subquery()
#: A case with its facts, its last record's ``case_seq`` and the head's seq, in one round trip.
_SELECT_CASE = (
    select(
        CASES,
        *[c.label(f"f_{c.name}") for c in CASE_FACTS.c],
        _LAST_CASE_SEQ.label("last_case_seq"),
        _HEAD_SEQ.label("head_seq"),
    )
    .select_from(CASES.outerjoin(CASE_FACTS, CASE_FACTS.c.case_reference == CASES.c.reference))
    .where(CASES.c.reference == bindparam("reference"))
)
_UPDATE_CASE = (
    update(CASES)
    .where(
        CASES.c.reference == bindparam("ref"),
        CASES.c.row_version == bindparam("read_version"),
    )
    .values(
        state=bindparam("state"),
        previous_state=bindparam("previous_state"),
        procedure=bindparam("procedure"),
        version=bindparam("version"),
        definition_sha256=bindparam("definition_sha256"),
        state_since=bindparam("state_since"),
        trigger_actors=bindparam("trigger_actors", type_=CASES.c.trigger_actors.type),
        row_version=bindparam("next_version"),
    )
)
#: Statements that only add rows no later statement of the same batch reads: while a unit of
#: work batches (``SqlAlchemyUnitOfWork.batched``) they are kept and sent together.
_DEFERRABLE: set[Executable] = set()
_S = TypeVar("_S", bound=Executable)


def deferrable(statement: _S) -> _S:
    """Mark *statement* as one a batch may keep and send later with others of its kind."""
    _DEFERRABLE.add(statement)
    return statement


#: The late step's update, once the head lock is held: with the case's last ``case_seq``.
_UPDATE_CASE_RETURNING = _UPDATE_CASE.returning(_LAST_CASE_SEQ.label("last_case_seq"))
#: A late step's first write on PostgreSQL: the head locked and the case updated
#: (version-checked) in one statement, returning the locked head, the case's last ``case_seq``
#: and the head's seq as this statement's snapshot saw it. The lock comes first (in FROM), the
#: case row after it: the order every writer takes them in. The ``case_seq`` is the snapshot's,
#: taken before any wait for the lock: exact when the head did not move meanwhile
#: (``seen_seq``); else a record of the case appended during the wait without moving the case (a
#: denial) makes it one short, and the record's insert fails on ``uq_audit_case_seq``: nothing
#: is written and the step runs again (``CaseMoved``). Text, as SQLAlchemy would warn of the
#: (intended: one head row) product of the two.
_UPDATE_CASE_LOCKING = (
    text(
        "UPDATE cases SET procedure = :procedure, version = :version, "
        "definition_sha256 = :definition_sha256, state = :state, "
        "previous_state = :previous_state, state_since = :state_since, "
        "trigger_actors = :trigger_actors, row_version = :next_version "
        "FROM (SELECT log_id, seq, hash FROM audit_head WHERE id = 1 FOR UPDATE) AS locked_head "
        "WHERE cases.reference = :ref AND cases.row_version = :read_version "
        "RETURNING locked_head.log_id, locked_head.seq, locked_head.hash, "
        "(SELECT max(a.case_seq) FROM audit_records a WHERE a.case_reference = cases.reference)"
        " AS last_case_seq, (SELECT h.seq FROM audit_head h WHERE h.id = 1) AS seen_seq"
    )
    .bindparams(bindparam("trigger_actors", type_=CASES.c.trigger_actors.type))
    .columns(
        column("log_id", String),
        column("seq", Integer),
        column("hash", String),
        column("last_case_seq", Integer),
        column("seen_seq", Integer),
    )
)
# Inline: the generated id is not read back (no RETURNING), so the insert can be pipelined.
_INSERT_CASE = deferrable(insert(CASES).inline())
#: ``trigger_actors`` as the stored text, which SQLite gives (``_case_of_columns`` decodes it
#: without the JSON type's processing: most cases hold ``{}``).
_LIST_CASES = select(
    *(type_coerce(c, String) if c.name == "trigger_actors" else c for c in CASES.c)
).order_by(CASES.c.reference)
_MAX_REFERENCE = select(func.max(CASES.c.reference)).where(
    CASES.c.reference.like(bindparam("pattern"))
)
_MAX_CASE_SEQ = select(func.max(AUDIT_RECORDS.c.case_seq)).where(
    AUDIT_RECORDS.c.case_reference == bindparam("reference")
)
_SELECT_HEAD = select(AUDIT_HEAD.c.log_id, AUDIT_HEAD.c.seq, AUDIT_HEAD.c.hash).where(
    AUDIT_HEAD.c.id == 1
)
_LOCK_HEAD = _SELECT_HEAD.with_for_update()
_UPDATE_HEAD = (
    update(AUDIT_HEAD)
    .where(AUDIT_HEAD.c.id == 1)
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)
_AUDIT_SELECT = select(*[AUDIT_RECORDS.c[name] for name in AUDIT_COLUMNS])
_INSERT_AUDIT = deferrable(insert(AUDIT_RECORDS))
_RECORDS_OF_CASE = _AUDIT_SELECT.where(
    AUDIT_RECORDS.c.case_reference == bindparam("reference")
).order_by(AUDIT_RECORDS.c.seq)
_RECORD = _AUDIT_SELECT.where(AUDIT_RECORDS.c.seq == bindparam("seq"))
_LATEST_OF_KIND = (
    _AUDIT_SELECT.where(AUDIT_RECORDS.c.kind == bindparam("kind"))
    .order_by(AUDIT_RECORDS.c.seq.desc())
    .limit(1)
)
_OF_KIND = _AUDIT_SELECT.where(AUDIT_RECORDS.c.kind == bindparam("kind")).order_by(
    AUDIT_RECORDS.c.seq
)
_OF_KIND_AFTER = _OF_KIND.where(AUDIT_RECORDS.c.seq > bindparam("after"))
_OFFICER_WITH_EVENT = select(
    OFFICERS, *[AUDIT_RECORDS.c[name].label(f"e_{name}") for name in AUDIT_COLUMNS]
).select_from(OFFICERS.outerjoin(AUDIT_RECORDS, AUDIT_RECORDS.c.seq == OFFICERS.c.audit_seq))
_OFFICER_BY_ID = _OFFICER_WITH_EVENT.where(OFFICERS.c.id == bindparam("id"))
_OFFICER_BY_LOGIN = _OFFICER_WITH_EVENT.where(OFFICERS.c.os_user == bindparam("login"))
_OFFICER_BY_PG_LOGIN = _OFFICER_WITH_EVENT.where(OFFICERS.c.pg_login == bindparam("login"))
#: PostgreSQL: the authenticated login, whether it owns the schema, and the officer linked to it
#: with the event their row names, in one round trip.
_SESSION = (
    text(
        "SELECT session_user::text AS login, "
        "pg_has_role(session_user, c.relowner, 'MEMBER') AS owner "
        "FROM pg_class c WHERE c.oid = 'audit_records'::regclass"
    )
    .columns(column("login", String), column("owner", Boolean))
    .subquery("connected")
)
_CONNECTED = select(
    _SESSION.c.login,
    _SESSION.c.owner,
    OFFICERS,
    *[AUDIT_RECORDS.c[name].label(f"e_{name}") for name in AUDIT_COLUMNS],
).select_from(
    _SESSION.outerjoin(OFFICERS, OFFICERS.c.pg_login == _SESSION.c.login).outerjoin(
        AUDIT_RECORDS, AUDIT_RECORDS.c.seq == OFFICERS.c.audit_seq
    )
)
_OFFICERS_ALL = select(OFFICERS).order_by(OFFICERS.c.id)
_INSERT_OFFICER = insert(OFFICERS)
_OFFICER_COLUMNS = (
    "name", "roles", "province", "os_user", "deputy", "retired", "audit_seq", "pg_login",
)  # fmt: skip
_UPDATE_OFFICER = (
    update(OFFICERS)
    .where(OFFICERS.c.id == bindparam("officer_id"))
    .values({name: bindparam(name, type_=OFFICERS.c[name].type) for name in _OFFICER_COLUMNS})
)
_OFFICER_SEQ = select(OFFICERS.c.audit_seq).where(OFFICERS.c.id == bindparam("id"))
_DOCUMENT_EXISTS = select(DOCUMENTS.c.sha256).where(DOCUMENTS.c.sha256 == bindparam("sha256"))
_DOCUMENT_CONTENT = select(DOCUMENTS.c.content).where(DOCUMENTS.c.sha256 == bindparam("sha256"))
_SETTING = select(SETTINGS.c.value).where(SETTINGS.c.key == bindparam("key"))


# ---------------------------------------------------------------------- one transaction
@dataclass(frozen=True)
class Head:
    """The audit head as this transaction holds it: the log id, the newest seq and hash."""

    log_id: str
    seq: int
    hash: str


#: Writes kept for one pipelined round trip at most (an import queues thousands).
_PIPELINE_LIMIT = 500


@dataclass
class Transaction:
    """What the repositories of one transaction share, so nothing is read twice.

    A value read once the writers' lock is held stays true until commit; one read before it
    (a late-locking step on PostgreSQL) is trusted only when what guards it still holds: the
    case's version counter for its facts, an unmoved head for its ``case_seq``.

    On PostgreSQL the head lock serialises every writer from the moment it is taken to the
    commit returning, so that section is kept to two round trips. A late step's version-checked
    case update takes the lock itself (``_UPDATE_CASE_LOCKING``), returning the head and the
    case's last ``case_seq``; the record is hashed; then every write whose result nobody reads
    (``send``: the record, the projection, documents, the head's update), queued meanwhile, goes
    to the server pipelined (psycopg's pipeline mode) with the COMMIT, in one round trip. A
    late step's COMMIT does not wait for the disk, so the lock is released at once; the wait
    for the flush follows, outside the lock (``await_durable``), so a step is acknowledged only
    once it is durable, as before. Anything that reads (``execute``) first sends what is
    queued, so every read sees this transaction's writes; so does the session's own ORM
    querying (``send_pending_before_orm``).
    """

    #: Opens the transaction's connection, at its first statement (inside the unit of work,
    #: so that an unreachable database is refused like any other driver error).
    connect: Callable[[], Connection]
    #: PostgreSQL steps: take the head lock at the first write rather than at ``lock()``.
    late: bool = False
    head: Head | None = None
    #: The head's seq when the lock was taken (before this transaction appended anything).
    locked_seq: int | None = None
    head_dirty: bool = False
    #: Last ``case_seq`` per case, exact under the lock.
    case_seq: dict[str, int] = field(default_factory=dict)
    #: ``case_seq`` and head seq read together before the lock (late steps).
    seen_case_seq: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Facts read with each case, and whether they can be trusted without reading them again.
    facts: dict[str, CaseFacts | None] = field(default_factory=dict)
    facts_trusted: set[str] = field(default_factory=set)
    #: Highest reference number per prefix allocated or seen in this transaction.
    references: dict[str, int] = field(default_factory=dict)
    #: Audit records already read (records never change).
    records: dict[int, AuditRecord] = field(default_factory=dict)
    #: While batching (an import): the deferrable statements' parameters, kept until the batch
    #: is sent, each statement once with all its rows.
    batch: dict[Executable, list[Mapping[str, Any]]] | None = None
    #: Writes queued for the next round trip (PostgreSQL), in the order they were made.
    pending: list[tuple[Executable, Mapping[str, Any]]] = field(default_factory=list)
    #: A late step's case updates (reference, parameters): the first takes the lock.
    case_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Whether writes can be pipelined here (PostgreSQL through psycopg 3); known at first use.
    _pipelined: bool | None = None

    conn: Connection | None = None

    def connection(self) -> Connection:
        conn = self.conn
        if conn is None:
            conn = self.conn = self.connect()
        return conn

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        """A statement whose result is read now; what was kept or queued goes first, so it sees
        every row added before it. While batching, a deferrable statement is kept instead (and
        gives no result). (A late step queues nothing before the lock but its new documents,
        which it never reads back: they wait.)"""
        if self._kept(statement, params):
            return None
        if self.pending and (self.head is not None or not self.late):
            self.send_pending()
        return self.connection().execute(statement, params)

    def _kept(self, statement: Executable, params: Mapping[str, Any] | None) -> bool:
        """While batching: keep a deferrable statement's row (True); before any other, send the
        batch."""
        batch = self.batch
        if batch is None:
            return False
        if params is not None and statement in _DEFERRABLE:
            batch.setdefault(statement, []).append(params)
            return True
        self.send_batch()
        return False

    def send_batch(self) -> None:
        """Send the batch's kept statements, each once with all its rows (an ``executemany``), in
        the order each was first kept: a row is sent after the rows it refers to (a case before
        its records, facts and moves; facts before the mark of the instrument that replaces
        them), and after the writes queued before them."""
        batch = self.batch
        if batch:
            self.send_pending()
            connection = self.connection()
            for statement, rows in batch.items():
                connection.execute(statement, rows)
            batch.clear()

    @property
    def pipelined(self) -> bool:
        if self._pipelined is None:
            supported = self.connection().dialect.driver == "psycopg"
            if supported:
                from psycopg import Pipeline

                supported = Pipeline.is_supported()
            self._pipelined = supported
        return self._pipelined

    def send(self, statement: Executable, params: Mapping[str, Any] | None = None) -> None:
        """A write whose result nobody reads: queued on PostgreSQL, executed now elsewhere (kept
        for its batch while batching, if deferrable)."""
        if self._kept(statement, params):
            return
        if not self.pipelined:
            self.connection().execute(statement, params)
            return
        self.pending.append((statement, params or {}))
        if len(self.pending) >= _PIPELINE_LIMIT and self.locked:
            self.send_pending()

    def send_pending(self, commit: bool = False) -> None:
        """Send the queued writes in one pipelined round trip (and COMMIT with them).

        A late step's COMMIT does not wait for the disk under the lock; it waits after it
        (``await_durable``): one round trip more for the step, the lock held that much less.
        Other writers (an opening, a batch, an import) commit synchronously, in the pipeline.
        """
        asynchronous = commit and self.late
        if self.late and self.head is None and (self.pending or commit):
            self.lock_head()  # a late step's writes follow the lock, as every writer's do
        pending, self.pending = self.pending, []
        connection = self.connection()
        if not pending and not commit:
            return
        if not self.pipelined:  # pragma: no cover - nothing is queued without a pipeline
            for statement, params in pending:
                connection.execute(statement, params)
            return
        import psycopg
        from sqlalchemy.exc import DBAPIError

        raw = connection.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        try:
            with raw.pipeline():
                if asynchronous:
                    # The COMMIT returns, and the head lock goes, without waiting for the disk;
                    # the wait comes after the lock (``await_durable``).
                    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                for statement, params in pending:
                    connection.execute(statement, params)
                if commit:
                    raw.commit()
            if asynchronous:
                self.await_durable(raw)
        except (psycopg.Error, DBAPIError) as error:
            # The driver's error, raised at the pipeline's end or by a statement within it.
            orig = error.orig if isinstance(error, DBAPIError) else error
            if (
                self.late
                and isinstance(orig, psycopg.errors.UniqueViolation)
                and orig.diag.constraint_name == "uq_audit_case_seq"
            ):
                # A record of the case appended while this step waited for the lock (see
                # ``_UPDATE_CASE_LOCKING``): nothing was written; the step runs again.
                raise CaseMoved(
                    N_("case {reference} changed under you; read it again and retry"),
                    reference=next(iter(self.case_seq), ""),
                ) from error
            if isinstance(error, DBAPIError):
                raise
            # As SQLAlchemy reports a failing statement, so the unit of work translates it.
            raise DBAPIError.instance(
                "; ".join(str(s) for s, _ in pending), None, error, psycopg.Error
            ) from error

    @staticmethod
    def await_durable(raw: Any) -> None:
        """Return once the transaction just committed is on disk, as a synchronous COMMIT
        would have: a step is acknowledged only then.

        That COMMIT went without waiting for its log to be flushed, so that the head lock was
        released at once rather than after the flush, and the next writer chains on while this
        one waits. Here a transaction of its own writes one small log record (a transactional
        logical message, which any login may write and no table keeps) and commits
        synchronously: the log is flushed up to that commit, which follows this transaction's,
        so both are on disk when it returns. The log is flushed in order, so no record chained
        on this one can survive a crash that loses this one; concurrent waits share a flush.
        """
        with raw.pipeline():
            raw.execute("SELECT pg_logical_emit_message(true, 'sistercity', 'durable')")
            raw.commit()

    @property
    def locked(self) -> bool:
        return self.head is not None

    def lock_head(self) -> Head:
        """The head row, locked for this transaction (PostgreSQL: SELECT … FOR UPDATE, or a
        late step's case update that locks it)."""
        if self.head is None:
            connection = self.connection()
            if self.case_updates:
                # A late step: the lock is taken by its case update, one round trip.
                reference, params = self.case_updates.pop(0)
                row = self._case_updated(
                    reference, connection.execute(_UPDATE_CASE_LOCKING, params).one_or_none()
                )
            else:
                row = connection.execute(_LOCK_HEAD).one_or_none()
                if row is None:
                    raise RuntimeError("database not initialised: run 'sistercity init'")
            self.head = Head(row.log_id, row.seq, row.hash)
            self.locked_seq = row.seq
            self._update_cases()
        return self.head

    def _update_cases(self) -> None:
        """A late step's version-checked case updates, now that the lock is held; each also
        returns its case's last ``case_seq``, exact from here to the commit."""
        updates, self.case_updates = self.case_updates, []
        connection = self.connection()
        for reference, params in updates:
            self._case_updated(
                reference, connection.execute(_UPDATE_CASE_RETURNING, params).one_or_none()
            )

    def _case_updated(self, reference: str, row: Any) -> Any:
        """A late step's case update returned *row* (given back), or nothing: the case moved
        since it was read. Its last ``case_seq`` is exact from here to the commit."""
        if row is None:
            raise CaseMoved(
                N_("case {reference} changed under you; read it again and retry"),
                reference=reference,
            )
        self.case_seq[reference] = row.last_case_seq or 0
        self.facts_trusted.add(reference)
        return row

    def write(self) -> None:
        """About to write: a late-locking transaction takes the head lock now."""
        if self.head is None and self.late:
            self.lock_head()

    def flush(self, orm_writes: bool = False) -> None:
        """Write what is kept until commit (a batch's rows, the head row once per transaction)
        and, when writes are queued, send them with the COMMIT in one round trip (unless the
        ORM session has writes of its own to flush after, *orm_writes*: then its commit
        commits)."""
        self.send_batch()
        if self.case_updates:
            self.lock_head()
        if self.head_dirty and self.head is not None:
            self.send(_UPDATE_HEAD, {"seq": self.head.seq, "hash": self.head.hash})
            self.head_dirty = False
        if self.pending:
            # ORM changes (follow-up rows) are flushed by the session after this hook, in the
            # same transaction: then the COMMIT is left to the session.
            self.send_pending(commit=not orm_writes)


#: Where a session keeps its ``Transaction``.
TX_KEY = "sistercity.tx"


def transaction_of(session: Session) -> Transaction:
    """The session's ``Transaction`` (a unit of work gives its session its own)."""
    tx = session.info.get(TX_KEY)
    if tx is None:
        tx = session.info[TX_KEY] = Transaction(session.connection)
    return cast(Transaction, tx)


def transaction_for(session: Session | None, tx: Transaction | None) -> Transaction:
    """A repository's transaction: the one given, else its session's."""
    if tx is not None:
        return tx
    if session is None:
        raise TypeError("a repository needs a session or a transaction")
    return transaction_of(session)


def flush_before_commit(session: Session) -> None:
    """``before_commit`` hook of the store's sessions: deferred writes go out first."""
    tx = session.info.get(TX_KEY)
    if tx is not None:
        tx.flush(orm_writes=bool(session.new or session.dirty or session.deleted))


def send_pending_before_orm(state: Any) -> None:
    """``do_orm_execute`` hook: a query made through the session itself (the follow-up
    repository's) sees the writes this transaction has queued."""
    tx = state.session.info.get(TX_KEY)
    if tx is not None and tx.pending:
        tx.send_pending()


# ---------------------------------------------------------------------- cases
def _case(row: Any) -> Case:
    return Case(
        reference=row.reference,
        procedure=row.procedure,
        version=row.version,
        definition_sha256=row.definition_sha256,
        state=row.state,
        province=row.province,
        partner_name=row.partner_name,
        partner_country=row.partner_country,
        partner_level=row.partner_level,
        instrument=row.instrument,
        label=row.label,
        opened_at=parse_utc(row.opened_at),
        opened_by=row.opened_by,
        state_since=parse_utc(row.state_since),
        previous_state=row.previous_state,
        trigger_actors={k: actors_of(v) for k, v in row.trigger_actors.items()},
        row_version=row.row_version,
        thai_party_level=row.thai_party_level,
        thai_party_name=row.thai_party_name,
    )


_CASE_COLUMNS = (
    "id", "reference", "procedure", "version", "definition_sha256", "state", "previous_state",
    "province", "partner_name", "partner_country", "partner_level", "instrument", "label",
    "opened_at", "opened_by", "state_since", "trigger_actors", "row_version",
    "thai_party_level", "thai_party_name",
)  # fmt: skip
if tuple(c.name for c in CASES.c) != _CASE_COLUMNS:  # pragma: no cover - a schema change
    raise RuntimeError("store.core_tables.CASES' columns moved: update _CASE_COLUMNS")


#: What a Case holds, in ``dataclasses.fields`` order: ``_case_of_columns`` fills in every one.
_CASE_FIELDS = (
    "reference", "procedure", "version", "definition_sha256", "state", "province",
    "partner_name", "partner_country", "partner_level", "instrument", "label", "opened_at",
    "opened_by", "state_since", "previous_state", "trigger_actors", "row_version",
    "thai_party_level", "thai_party_name",
)  # fmt: skip
if tuple(f.name for f in dataclass_fields(Case)) != _CASE_FIELDS:  # pragma: no cover
    raise RuntimeError("workflow.model.Case changed: update _CASE_FIELDS and _case_of_columns")
_Filled = TypeVar("_Filled")
_set = object.__setattr__


def _filled(kind: type[_Filled], values: dict[str, Any]) -> _Filled:
    """``kind(**values)`` for a frozen dataclass whose making checks nothing, its attributes
    given all at once: its ``__init__`` sets each through ``object.__setattr__``, which costs
    more than reading the row it comes from (a list maps thousands of cases, a history a
    hundred records). Used for ``Case`` and ``AuditRecord`` only (guarded below)."""
    made = object.__new__(kind)
    _set(made, "__dict__", values)  # the dict itself, not a copy
    return made


for _kind in (Case, AuditRecord):  # what _filled skips must not exist
    if hasattr(_kind, "__post_init__") or hasattr(_kind, "__slots__"):  # pragma: no cover
        raise RuntimeError(f"{_kind.__name__} checks what it is made of: fill it by __init__")


def _case_of_columns(row: Any) -> Case:
    """``_case`` for a Core row that starts with the ``cases`` columns in table order (a list
    maps thousands: by position, as reading each column by name costs more than the rest).

    The Case is filled in directly: its frozen dataclass ``__init__`` (one ``object.__setattr__``
    per field) cost more than the rest of the mapping, and it checks nothing (see the guard
    above). ``trigger_actors`` comes as the stored text where the list reads it so (SQLite: most
    cases hold ``{}``) and already decoded otherwise."""
    (_id, reference, procedure, version, definition_sha256, state, previous_state, province,
     partner_name, partner_country, partner_level, instrument, label, opened_at, opened_by,
     state_since, trigger_actors, row_version, thai_party_level,
     thai_party_name) = row[:20]  # fmt: skip
    if isinstance(trigger_actors, str):
        trigger_actors = _fields(trigger_actors)
    return _filled(
        Case,
        {
            "reference": reference,
            "procedure": procedure,
            "version": version,
            "definition_sha256": definition_sha256,
            "state": state,
            "province": province,
            "partner_name": partner_name,
            "partner_country": partner_country,
            "partner_level": partner_level,
            "instrument": instrument,
            "label": label,
            "opened_at": parse_utc(opened_at),
            "opened_by": opened_by,
            "state_since": parse_utc(state_since),
            "previous_state": previous_state,
            "trigger_actors": {k: actors_of(v) for k, v in trigger_actors.items()},
            "row_version": row_version,
            "thai_party_level": thai_party_level,
            "thai_party_name": thai_party_name,
        },
    )


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def facts_value(row: Any, prefix: str = "") -> CaseFacts:
    """A stored facts row (its columns named with *prefix* when read joined to its case) as the
    value the sweep and the projection read."""
    return _facts_of(tuple(getattr(row, prefix + name) for name in _FACTS_COLUMNS))


def _step_dates(text: str | None) -> tuple[tuple[str, str, str], ...]:
    if not text:
        return ()
    return tuple((str(f), str(d), str(t)) for f, d, t in json.loads(text))


_FACTS_COLUMNS = (
    "case_reference", "province", "established_on", "established_fy", "signed_on",
    "signed_precision", "term_years", "expires_on", "last_activity_on", "follow_up_since",
    "ended_on", "imported_sha256", "established_precision", "entered_on", "supersedes",
    "superseded_by", "relationship", "step_dates",
)  # fmt: skip
if tuple(c.name for c in CASE_FACTS.c) != _FACTS_COLUMNS:  # pragma: no cover - a schema change
    raise RuntimeError("store.core_tables.CASE_FACTS' columns moved: update _FACTS_COLUMNS")


def _joined_facts(row: Any) -> CaseFacts | None:
    """The facts read with their case (``_SELECT_CASE``: the ``case_facts`` columns in table
    order after the case's), by position as ``_case_of_columns`` reads the case."""
    values = tuple(row[20:38])
    return None if values[0] is None else _facts_of(values)


def _facts_of(values: tuple[Any, ...]) -> CaseFacts:
    """The ``case_facts`` columns, in ``_FACTS_COLUMNS`` order, as the value."""
    (reference, province, established_on, _established_fy, signed_on, signed_precision,
     term_years, expires_on, last_activity_on, follow_up_since, ended_on, imported_sha256,
     established_precision, entered_on, supersedes, superseded_by, relationship,
     step_dates) = values  # fmt: skip
    return CaseFacts(
        reference=reference,
        province=province,
        established_on=_day(established_on),
        signed_on=_day(signed_on),
        signed_precision=signed_precision,
        term_years=term_years,
        expires_on=_day(expires_on),
        last_activity_on=_day(last_activity_on),
        follow_up_since=_day(follow_up_since),
        ended_on=_day(ended_on),
        imported_sha256=imported_sha256,
        established_precision=established_precision,
        entered_on=_day(entered_on),
        supersedes=supersedes,
        superseded_by=superseded_by,
        relationship=relationship,
        step_dates=_step_dates(step_dates),
    )


def _reference_number(reference: str, prefix: str) -> int | None:
    tail = reference[len(prefix) :]
    return int(tail) if reference.startswith(prefix) and tail.isdigit() else None


def _trigger_actors(case: Case) -> dict[str, list[str]]:
    return {k: list(actors_of(v)) for k, v in case.trigger_actors.items()}


class SqlAlchemyCaseRepository:
    """Cases; every update is checked against the version that was read."""

    def __init__(self, session: Session | None, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = transaction_for(session, tx)

    def get(self, reference: str) -> Case | None:
        row = self.tx.execute(_SELECT_CASE, {"reference": reference}).one_or_none()
        if row is None:
            return None
        # The facts and the last case_seq come with the case: a step reads neither again.
        tx = self.tx
        tx.facts[reference] = _joined_facts(row)
        last = row.last_case_seq or 0
        if tx.locked:
            tx.facts_trusted.add(reference)
            tx.case_seq[reference] = last
        else:
            tx.facts_trusted.discard(reference)
            tx.seen_case_seq[reference] = (last, row.head_seq)
        return _case_of_columns(row)

    def add(self, case: Case) -> None:
        tx = self.tx
        tx.write()
        tx.send(
            _INSERT_CASE,
            {
                "reference": case.reference,
                "procedure": case.procedure,
                "version": case.version,
                "definition_sha256": case.definition_sha256,
                "state": case.state,
                "previous_state": case.previous_state,
                "province": case.province,
                "partner_name": case.partner_name,
                "partner_country": case.partner_country,
                "partner_level": case.partner_level,
                "instrument": case.instrument,
                "label": case.label,
                "opened_at": utc_text(case.opened_at),
                "opened_by": case.opened_by,
                "state_since": utc_text(case.state_since),
                "trigger_actors": _trigger_actors(case),
                "row_version": 1,
                "thai_party_level": case.thai_party_level,
                "thai_party_name": case.thai_party_name,
            },
        )
        # A new case has no records and no facts yet.
        tx.case_seq[case.reference] = 0
        tx.facts[case.reference] = None
        tx.facts_trusted.add(case.reference)
        for prefix, number in tx.references.items():
            n = _reference_number(case.reference, prefix)
            if n is not None and n > number:
                tx.references[prefix] = n

    def update(self, case: Case) -> None:
        tx = self.tx
        params = {
            "ref": case.reference,
            "read_version": case.row_version,
            # Every step bumps the version counter, even a self-loop that changes no other
            # column, so a concurrent writer always sees that the case moved on.
            "next_version": case.row_version + 1,
            "state": case.state,
            "previous_state": case.previous_state,
            "procedure": case.procedure,
            "version": case.version,
            "definition_sha256": case.definition_sha256,
            "state_since": utc_text(case.state_since),
            "trigger_actors": _trigger_actors(case),
        }
        if tx.late and tx.head is None and tx.pipelined:
            # Sent once the head lock is held (``Transaction.lock_head``), checked there.
            tx.case_updates.append((case.reference, params))
            return
        tx.write()
        result = tx.execute(_UPDATE_CASE, params)
        if result.rowcount != 1:
            raise CaseMoved(
                N_("case {reference} changed under you; read it again and retry"),
                reference=case.reference,
            )
        # The version held: the facts read with the case are still its facts.
        tx.facts_trusted.add(case.reference)

    def next_reference(self, year_be: int) -> str:
        prefix = f"SC-{year_be}-"
        tx = self.tx
        last = tx.references.get(prefix)
        if last is None:
            found = tx.execute(_MAX_REFERENCE, {"pattern": f"{prefix}%"}).scalar()
            last = int(found.rsplit("-", 1)[1]) if found else 0
        # Allocated once per transaction: the writers' lock keeps the counter ours until commit.
        tx.references[prefix] = last + 1
        return f"{prefix}{last + 1:04d}"

    def list(self, province: str | None = None, state: str | None = None) -> list[Case]:
        query = _LIST_CASES
        if province:
            query = query.where(CASES.c.province == province)
        if state:
            query = query.where(CASES.c.state == state)
        with collector_paused():  # thousands of rows and cases, no cycles among them
            return [_case_of_columns(r) for r in self.tx.execute(query).all()]


# ---------------------------------------------------------------------- officers
def _actor(row: Any) -> Actor:
    return Actor(
        row.id,
        row.name,
        frozenset(row.roles),
        row.province,
        row.os_user,
        bool(row.deputy),
        bool(row.retired),
        row.pg_login,
    )


def _officer_columns(actor: Actor, audit_seq: int) -> dict[str, Any]:
    return {
        "name": actor.name,
        "roles": sorted(actor.roles),
        "province": actor.province,
        "os_user": actor.os_user,
        "deputy": actor.deputy,
        "retired": actor.retired,
        "audit_seq": audit_seq,
        "pg_login": actor.pg_login,
    }


class SqlAlchemyOfficerRepository:
    """Registered officers. Reading one also reads the audit event its row names, which the
    check before every command compares it with (``workflow.officers.check_officer_row``)."""

    def __init__(self, session: Session | None, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = transaction_for(session, tx)
        self._seq: dict[str, int | None] = {}

    def _one(self, statement: Executable, params: Mapping[str, Any]) -> Actor | None:
        row = self.tx.execute(statement, params).one_or_none()
        if row is None:
            return None
        self._seq[row.id] = row.audit_seq
        if row.e_seq is not None:
            record = _record(tuple(getattr(row, f"e_{name}") for name in AUDIT_COLUMNS))
            self.tx.records[record.seq] = record
        return _actor(row)

    def get(self, officer_id: str) -> Actor | None:
        return self._one(_OFFICER_BY_ID, {"id": officer_id})

    def by_os_user(self, login: str) -> Actor | None:
        return self._one(_OFFICER_BY_LOGIN, {"login": login})

    def by_pg_login(self, login: str) -> Actor | None:
        return self._one(_OFFICER_BY_PG_LOGIN, {"login": login})

    def connected(self) -> Connected | None:
        if self.tx.connection().dialect.name != "postgresql":
            return None
        row = self.tx.execute(_CONNECTED).one()
        officer = None
        if row.id is not None:
            self._seq[row.id] = row.audit_seq
            if row.e_seq is not None:
                record = _record(tuple(getattr(row, f"e_{name}") for name in AUDIT_COLUMNS))
                self.tx.records[record.seq] = record
            officer = _actor(row)
        return Connected(row.login, officer, bool(row.owner))

    def add(self, actor: Actor, audit_seq: int) -> None:
        self.tx.write()
        self.tx.execute(
            _INSERT_OFFICER,
            {
                "id": actor.id,
                "created_at": utc_text(dt.datetime.now(dt.UTC)),
                **_officer_columns(actor, audit_seq),
            },
        )
        self._seq[actor.id] = audit_seq

    def update(self, actor: Actor, audit_seq: int) -> None:
        self.tx.write()
        result = self.tx.execute(
            _UPDATE_OFFICER, {"officer_id": actor.id, **_officer_columns(actor, audit_seq)}
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(N_("officer {id} disappeared; read again"), id=actor.id)
        self._seq[actor.id] = audit_seq

    def audit_seq(self, officer_id: str) -> int | None:
        if officer_id in self._seq:
            return self._seq[officer_id]
        return cast(int | None, self.tx.execute(_OFFICER_SEQ, {"id": officer_id}).scalar())

    def list(self) -> list[Actor]:
        return [_actor(r) for r in self.tx.execute(_OFFICERS_ALL)]


# ---------------------------------------------------------------------- the audit log


def _record(row: Any) -> AuditRecord:
    """A row of ``AUDIT_COLUMNS`` (a tuple or a Core row) as a record.

    Made as ``AuditRecord(...)`` would make it, its attributes given all at once: a frozen
    dataclass's ``__init__`` sets its eighteen one by one through ``object.__setattr__``, which
    costs as much as the rest of reading a record (``tests/store`` pins the two equal).
    """
    (seq, log_id, version, kind, reference, case_seq, trigger, source, dest, actor, role,
     os_user, at, fields, note, payload, prev, digest) = row  # fmt: skip
    return _filled(
        AuditRecord,
        {
            "seq": seq,
            "log_id": log_id,
            "record_version": version,
            "kind": kind,
            "case_reference": reference,
            "case_seq": case_seq,
            "trigger": trigger,
            "source": source,
            "dest": dest,
            "actor_id": actor,
            "actor_role": role,
            "os_user": os_user,
            "occurred_at": parse_utc(at),
            "fields": _fields(fields),
            "note": note,
            "payload_sha256": payload,
            "prev_hash": prev,
            "hash": digest,
        },
    )


def audit_record(row: Any) -> AuditRecord:
    """A stored row (ORM or Core, by column name) as the value verifiers and views read."""
    return _record(tuple(getattr(row, name) for name in AUDIT_COLUMNS))


def _nfc(value: str | None) -> str | None:
    return unicodedata.normalize("NFC", value) if value is not None else None


def _hash_input(draft: AuditDraft) -> tuple[str, str]:
    """The canonical fields text and the payload hash, each computed once.

    The payload bytes are ``canonical_json({"fields": fields, "note": note})`` assembled from
    the canonical fields text (``"fields"`` sorts before ``"note"``), as a verifier re-derives
    them from the stored columns.
    """
    fields_json = canonical_json(draft.fields)
    body = b'{"fields":' + fields_json + b',"note":' + _STRING.encode(draft.note).encode() + b"}"
    return fields_json.decode("utf-8"), hashlib.sha256(body).hexdigest()


class SqlAlchemyAuditLog:
    """The chained, gapless audit log. There is deliberately no update or delete here."""

    def __init__(self, session: Session | None, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = transaction_for(session, tx)

    def lock_head(self) -> Head:
        """The head, locked for this transaction (PostgreSQL: SELECT … FOR UPDATE)."""
        return self.tx.lock_head()

    def _case_seq(self, reference: str) -> int:
        tx = self.tx
        last = tx.case_seq.get(reference)
        if last is None:
            seen = tx.seen_case_seq.get(reference)
            if seen is not None and seen[1] == tx.locked_seq:
                last = seen[0]  # read before the lock, and nothing was appended since
            else:
                last = tx.execute(_MAX_CASE_SEQ, {"reference": reference}).scalar() or 0
        tx.case_seq[reference] = last + 1
        return last + 1

    def append(self, draft: AuditDraft) -> AuditRecord:
        # Store exactly the (NFC) strings the hash covers, so a verifier can insist on NFC.
        reference = _nfc(draft.case_reference)
        trigger = _nfc(draft.trigger)
        source = _nfc(draft.source)
        dest = _nfc(draft.dest)
        actor_id = unicodedata.normalize("NFC", draft.actor_id)
        role = _nfc(draft.actor_role)
        os_user = _nfc(draft.os_user)
        note = unicodedata.normalize("NFC", draft.note)
        if note != draft.note:
            draft = AuditDraft(
                draft.kind, reference, trigger, source, dest, actor_id, role, os_user,
                draft.occurred_at, draft.fields, note,
            )  # fmt: skip
        # Everything the hash needs but the head is prepared before the lock is taken.
        fields_json, payload = _hash_input(draft)
        at = utc_text(draft.occurred_at)
        tx = self.tx
        head = tx.lock_head()
        case_seq = self._case_seq(reference) if reference is not None else None
        seq = head.seq + 1
        header = {
            "v": RECORD_VERSION,
            "log": head.log_id,
            "seq": seq,
            "kind": draft.kind,
            "case": reference,
            "case_seq": case_seq,
            "trigger": trigger,
            "from": source,
            "to": dest,
            "actor": actor_id,
            "role": role,
            "os_user": os_user,
            "at": at,
            "payload": payload,
            "prev": head.hash,
        }
        # The strings are NFC and the numbers integers, so the plain encoder gives exactly
        # ``workflow.integrity.canonical_json``'s bytes (the golden fixture pins it).
        data = _CANONICAL.encode(header).encode("utf-8")
        digest = hashlib.sha256(b"\x00" + data).hexdigest()
        tx.send(
            _INSERT_AUDIT,
            {
                "seq": seq,
                "log_id": head.log_id,
                "record_version": RECORD_VERSION,
                "kind": draft.kind,
                "case_reference": reference,
                "case_seq": case_seq,
                "trigger": trigger,
                "source": source,
                "dest": dest,
                "actor_id": actor_id,
                "actor_role": role,
                "os_user": os_user,
                "occurred_at": at,
                "fields": fields_json,
                "note": note,
                "payload_sha256": payload,
                "prev_hash": head.hash,
                "hash": digest,
            },
        )
        # The head row is written once, when the transaction commits.
        tx.head = Head(head.log_id, seq, digest)
        tx.head_dirty = True
        record = AuditRecord(
            seq=seq,
            log_id=head.log_id,
            record_version=RECORD_VERSION,
            kind=draft.kind,
            case_reference=reference,
            case_seq=case_seq,
            trigger=trigger,
            source=source,
            dest=dest,
            actor_id=actor_id,
            actor_role=role,
            os_user=os_user,
            occurred_at=parse_utc(at),
            fields=_fields(fields_json),
            note=note,
            payload_sha256=payload,
            prev_hash=head.hash,
            hash=digest,
        )
        tx.records[seq] = record
        return record

    def for_case(self, reference: str) -> list[AuditRecord]:
        rows = self.tx.execute(_RECORDS_OF_CASE, {"reference": reference}).all()
        return [_record(r) for r in rows]

    def get(self, seq: int) -> AuditRecord | None:
        record = self.tx.records.get(seq)
        if record is None:
            row = self.tx.execute(_RECORD, {"seq": seq}).one_or_none()
            if row is None:
                return None
            record = self.tx.records[seq] = _record(row)
        return record

    def latest_of_kind(self, kind: str) -> AuditRecord | None:
        row = self.tx.execute(_LATEST_OF_KIND, {"kind": kind}).one_or_none()
        return _record(row) if row is not None else None

    def of_kind(self, kind: str, after: int | None = None) -> list[AuditRecord]:
        if after is None:
            rows = self.tx.execute(_OF_KIND, {"kind": kind})
        else:
            rows = self.tx.execute(_OF_KIND_AFTER, {"kind": kind, "after": after})
        return [_record(r) for r in rows]

    def iter_all(self) -> Iterator[AuditRecord]:
        query = _AUDIT_SELECT.order_by(AUDIT_RECORDS.c.seq).execution_options(yield_per=2000)
        for row in self.tx.execute(query):
            yield _record(row)


class SqlAlchemyDocumentStore:
    """Documents by SHA-256 in the database: one backup holds the log and its evidence."""

    def __init__(self, session: Session | None, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = transaction_for(session, tx)

    def put(self, record: Mapping[str, Any], content: bytes, now: dt.datetime) -> None:
        tx = self.tx
        if tx.execute(_DOCUMENT_EXISTS, {"sha256": record["sha256"]}).first() is not None:
            return
        if not (tx.late and tx.pipelined):
            tx.write()  # a late step's document waits in the queue for the lock instead
        # The same file cited by two steps at once is stored once, whichever commits first.
        statement: Executable
        if tx.connection().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            statement = postgresql.insert(DOCUMENTS).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            statement = sqlite.insert(DOCUMENTS).on_conflict_do_nothing()
        tx.send(
            statement,
            {
                "sha256": record["sha256"],
                "name": record["name"],
                "size": len(content),
                "content": content,
                "stored_at": utc_text(now),
            },
        )

    def get(self, sha256: str) -> bytes | None:
        row = self.tx.execute(_DOCUMENT_CONTENT, {"sha256": sha256}).one_or_none()
        return cast(bytes, row.content) if row is not None else None


def read_setting(tx: Transaction, key: str) -> str | None:
    """A database-wide setting, or ``None``."""
    return cast(str | None, tx.execute(_SETTING, {"key": key}).scalar())
