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
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Connection,
    Executable,
    String,
    Table,
    bindparam,
    column,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from states.i18n import N_
from store.tables import (
    AuditHeadRow,
    AuditRow,
    CaseFactsRow,
    CaseRow,
    DocumentRow,
    OfficerRow,
    SettingRow,
)
from workflow.effects import CaseFacts
from workflow.errors import CaseMoved, ConcurrentUpdate
from workflow.integrity import RECORD_VERSION, canonical_json, utc_text
from workflow.model import Actor, AuditDraft, AuditRecord, Case, actors_of
from workflow.ports import Connected

_CASES = cast(Table, CaseRow.__table__)
_FACTS = cast(Table, CaseFactsRow.__table__)
_AUDIT = cast(Table, AuditRow.__table__)
_HEAD = cast(Table, AuditHeadRow.__table__)
_OFFICERS = cast(Table, OfficerRow.__table__)
_DOCUMENTS = cast(Table, DocumentRow.__table__)
_SETTINGS = cast(Table, SettingRow.__table__)

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
    select(func.max(_AUDIT.c.case_seq))
    .where(_AUDIT.c.case_reference == _CASES.c.reference)
    .scalar_subquery()
)
_HEAD_SEQ = select(_HEAD.c.seq).where(_HEAD.c.id == 1).scalar_subquery()
#: A case with its facts, its last record's ``case_seq`` and the head's seq, in one round trip.
_SELECT_CASE = (
    select(
        _CASES,
        *[c.label(f"f_{c.name}") for c in _FACTS.c],
        _LAST_CASE_SEQ.label("last_case_seq"),
        _HEAD_SEQ.label("head_seq"),
    )
    .select_from(_CASES.outerjoin(_FACTS, _FACTS.c.case_reference == _CASES.c.reference))
    .where(_CASES.c.reference == bindparam("reference"))
)
_UPDATE_CASE = (
    update(_CASES)
    .where(
        _CASES.c.reference == bindparam("ref"),
        _CASES.c.row_version == bindparam("read_version"),
    )
    .values(
        state=bindparam("state"),
        previous_state=bindparam("previous_state"),
        procedure=bindparam("procedure"),
        version=bindparam("version"),
        definition_sha256=bindparam("definition_sha256"),
        state_since=bindparam("state_since"),
        trigger_actors=bindparam("trigger_actors", type_=_CASES.c.trigger_actors.type),
        row_version=bindparam("next_version"),
    )
)
_INSERT_CASE = insert(_CASES)
_LIST_CASES = select(_CASES).order_by(_CASES.c.reference)
_MAX_REFERENCE = select(func.max(_CASES.c.reference)).where(
    _CASES.c.reference.like(bindparam("pattern"))
)
_MAX_CASE_SEQ = select(func.max(_AUDIT.c.case_seq)).where(
    _AUDIT.c.case_reference == bindparam("reference")
)
_SELECT_HEAD = select(_HEAD.c.log_id, _HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_UPDATE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"))
)
_AUDIT_SELECT = select(*[_AUDIT.c[name] for name in AUDIT_COLUMNS])
_INSERT_AUDIT = insert(_AUDIT)
_RECORDS_OF_CASE = _AUDIT_SELECT.where(_AUDIT.c.case_reference == bindparam("reference")).order_by(
    _AUDIT.c.seq
)
_RECORD = _AUDIT_SELECT.where(_AUDIT.c.seq == bindparam("seq"))
_LATEST_OF_KIND = (
    _AUDIT_SELECT.where(_AUDIT.c.kind == bindparam("kind")).order_by(_AUDIT.c.seq.desc()).limit(1)
)
_OF_KIND = _AUDIT_SELECT.where(_AUDIT.c.kind == bindparam("kind")).order_by(_AUDIT.c.seq)
_OF_KIND_AFTER = _OF_KIND.where(_AUDIT.c.seq > bindparam("after"))
_OFFICER_WITH_EVENT = select(
    _OFFICERS, *[_AUDIT.c[name].label(f"e_{name}") for name in AUDIT_COLUMNS]
).select_from(_OFFICERS.outerjoin(_AUDIT, _AUDIT.c.seq == _OFFICERS.c.audit_seq))
_OFFICER_BY_ID = _OFFICER_WITH_EVENT.where(_OFFICERS.c.id == bindparam("id"))
_OFFICER_BY_LOGIN = _OFFICER_WITH_EVENT.where(_OFFICERS.c.os_user == bindparam("login"))
_OFFICER_BY_PG_LOGIN = _OFFICER_WITH_EVENT.where(_OFFICERS.c.pg_login == bindparam("login"))
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
    _OFFICERS,
    *[_AUDIT.c[name].label(f"e_{name}") for name in AUDIT_COLUMNS],
).select_from(
    _SESSION.outerjoin(_OFFICERS, _OFFICERS.c.pg_login == _SESSION.c.login).outerjoin(
        _AUDIT, _AUDIT.c.seq == _OFFICERS.c.audit_seq
    )
)
_OFFICERS_ALL = select(_OFFICERS).order_by(_OFFICERS.c.id)
_INSERT_OFFICER = insert(_OFFICERS)
_OFFICER_COLUMNS = (
    "name", "roles", "province", "os_user", "deputy", "retired", "audit_seq", "pg_login",
)  # fmt: skip
_UPDATE_OFFICER = (
    update(_OFFICERS)
    .where(_OFFICERS.c.id == bindparam("officer_id"))
    .values({name: bindparam(name, type_=_OFFICERS.c[name].type) for name in _OFFICER_COLUMNS})
)
_OFFICER_SEQ = select(_OFFICERS.c.audit_seq).where(_OFFICERS.c.id == bindparam("id"))
_DOCUMENT_EXISTS = select(_DOCUMENTS.c.sha256).where(_DOCUMENTS.c.sha256 == bindparam("sha256"))
_DOCUMENT_CONTENT = select(_DOCUMENTS.c.content).where(_DOCUMENTS.c.sha256 == bindparam("sha256"))
_SETTING = select(_SETTINGS.c.value).where(_SETTINGS.c.key == bindparam("key"))


# ---------------------------------------------------------------------- one transaction
@dataclass(frozen=True)
class Head:
    """The audit head as this transaction holds it: the log id, the newest seq and hash."""

    log_id: str
    seq: int
    hash: str


@dataclass
class Transaction:
    """What the repositories of one transaction share, so nothing is read twice.

    A value read once the writers' lock is held stays true until commit; one read before it
    (a late-locking step on PostgreSQL) is trusted only when what guards it still holds: the
    case's version counter for its facts, an unmoved head for its ``case_seq``.
    """

    session: Session
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

    def connection(self) -> Connection:
        return self.session.connection()

    def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return self.session.connection().execute(statement, params)

    @property
    def locked(self) -> bool:
        return self.head is not None

    def lock_head(self) -> Head:
        """The head row, locked for this transaction (PostgreSQL: SELECT … FOR UPDATE)."""
        if self.head is None:
            row = self.execute(_SELECT_HEAD.with_for_update()).one_or_none()
            if row is None:
                raise RuntimeError("database not initialised: run 'sistercity init'")
            self.head = Head(row.log_id, row.seq, row.hash)
            self.locked_seq = row.seq
        return self.head

    def write(self) -> None:
        """About to write: a late-locking transaction takes the head lock now."""
        if self.head is None and self.late:
            self.lock_head()

    def flush(self) -> None:
        """Write what is kept until commit: the head row, once per transaction."""
        if self.head_dirty and self.head is not None:
            self.execute(_UPDATE_HEAD, {"seq": self.head.seq, "hash": self.head.hash})
            self.head_dirty = False


def transaction_of(session: Session) -> Transaction:
    """The session's ``Transaction`` (one per session: a unit of work opens a new session)."""
    tx = session.info.get("sistercity.tx")
    if tx is None:
        tx = session.info["sistercity.tx"] = Transaction(session)
    return cast(Transaction, tx)


def flush_before_commit(session: Session) -> None:
    """``before_commit`` hook of the store's sessions: deferred writes go out first."""
    tx = session.info.get("sistercity.tx")
    if tx is not None:
        tx.flush()


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
if tuple(c.name for c in _CASES.c) != _CASE_COLUMNS:  # pragma: no cover - a schema change
    raise RuntimeError("store.tables.CaseRow's columns moved: update _CASE_COLUMNS")


def _case_of_columns(row: Any) -> Case:
    """``_case`` for a Core row that starts with the ``cases`` columns in table order (a list
    maps thousands: by position, as reading each column by name costs more than the rest)."""
    (_id, reference, procedure, version, definition_sha256, state, previous_state, province,
     partner_name, partner_country, partner_level, instrument, label, opened_at, opened_by,
     state_since, trigger_actors, row_version, thai_party_level,
     thai_party_name) = row[:20]  # fmt: skip
    return Case(
        reference=reference,
        procedure=procedure,
        version=version,
        definition_sha256=definition_sha256,
        state=state,
        province=province,
        partner_name=partner_name,
        partner_country=partner_country,
        partner_level=partner_level,
        instrument=instrument,
        label=label,
        opened_at=parse_utc(opened_at),
        opened_by=opened_by,
        state_since=parse_utc(state_since),
        previous_state=previous_state,
        trigger_actors={k: actors_of(v) for k, v in trigger_actors.items()},
        row_version=row_version,
        thai_party_level=thai_party_level,
        thai_party_name=thai_party_name,
    )


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def facts_value(row: Any, prefix: str = "") -> CaseFacts:
    """A stored facts row (its columns named with *prefix* when read joined to its case) as the
    value the sweep and the projection read."""

    def col(name: str) -> Any:
        return getattr(row, prefix + name)

    return CaseFacts(
        reference=col("case_reference"),
        province=col("province"),
        established_on=_day(col("established_on")),
        signed_on=_day(col("signed_on")),
        signed_precision=col("signed_precision"),
        term_years=col("term_years"),
        expires_on=_day(col("expires_on")),
        last_activity_on=_day(col("last_activity_on")),
        follow_up_since=_day(col("follow_up_since")),
        ended_on=_day(col("ended_on")),
        imported_sha256=col("imported_sha256"),
        established_precision=col("established_precision"),
        entered_on=_day(col("entered_on")),
        supersedes=col("supersedes"),
        superseded_by=col("superseded_by"),
        relationship=col("relationship"),
        step_dates=_step_dates(col("step_dates")),
    )


def _step_dates(text: str | None) -> tuple[tuple[str, str, str], ...]:
    if not text:
        return ()
    return tuple((str(f), str(d), str(t)) for f, d, t in json.loads(text))


def _joined_facts(row: Any) -> CaseFacts | None:
    if row.f_case_reference is None:
        return None
    return facts_value(row, "f_")


def _reference_number(reference: str, prefix: str) -> int | None:
    tail = reference[len(prefix) :]
    return int(tail) if reference.startswith(prefix) and tail.isdigit() else None


def _trigger_actors(case: Case) -> dict[str, list[str]]:
    return {k: list(actors_of(v)) for k, v in case.trigger_actors.items()}


class SqlAlchemyCaseRepository:
    """Cases; every update is checked against the version that was read."""

    def __init__(self, session: Session, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = tx or transaction_of(session)

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
        tx.execute(
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
        tx.write()
        result = tx.execute(
            _UPDATE_CASE,
            {
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
            },
        )
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
            query = query.where(_CASES.c.province == province)
        if state:
            query = query.where(_CASES.c.state == state)
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

    def __init__(self, session: Session, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = tx or transaction_of(session)
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
_new = object.__new__
_set_attribute = object.__setattr__


def _record(row: Any) -> AuditRecord:
    """A row of ``AUDIT_COLUMNS`` (a tuple or a Core row) as a record.

    Made as ``AuditRecord(...)`` would make it, its attributes given all at once: a frozen
    dataclass's ``__init__`` sets its eighteen one by one through ``object.__setattr__``, which
    costs as much as the rest of reading a record (``tests/store`` pins the two equal).
    """
    (seq, log_id, version, kind, reference, case_seq, trigger, source, dest, actor, role,
     os_user, at, fields, note, payload, prev, digest) = row  # fmt: skip
    record = _new(AuditRecord)
    _set_attribute(
        record,
        "__dict__",
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
    return record


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

    def __init__(self, session: Session, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = tx or transaction_of(session)

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
        tx.execute(
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
        query = _AUDIT_SELECT.order_by(_AUDIT.c.seq).execution_options(yield_per=2000)
        for row in self.tx.execute(query):
            yield _record(row)


class SqlAlchemyDocumentStore:
    """Documents by SHA-256 in the database: one backup holds the log and its evidence."""

    def __init__(self, session: Session, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = tx or transaction_of(session)

    def put(self, record: Mapping[str, Any], content: bytes, now: dt.datetime) -> None:
        tx = self.tx
        if tx.execute(_DOCUMENT_EXISTS, {"sha256": record["sha256"]}).first() is not None:
            return
        tx.write()
        # The same file cited by two steps at once is stored once, whichever commits first.
        statement: Executable
        if tx.connection().dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            statement = postgresql.insert(_DOCUMENTS).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            statement = sqlite.insert(_DOCUMENTS).on_conflict_do_nothing()
        tx.execute(
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


def read_setting(session: Session, key: str) -> str | None:
    """A database-wide setting, or ``None``."""
    return cast(str | None, transaction_of(session).execute(_SETTING, {"key": key}).scalar())
