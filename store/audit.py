"""The auditor's side of the store: signed head exports, filtered log views, streaming exports.

Views and exports stream rows from the database (server-side cursor on PostgreSQL, ``yield_per``):
views write them one by one, exports a batch of ``BATCH`` at a time (one call to encode a batch's
JSON, one to write a clean batch's CSV), so memory stays flat however long the log is, and the
text is exactly what writing each record on its own gives.

Re-verifying an export with any tool (the recipe the README repeats): read the records in ``seq``
order; for each, ``payload = sha256(b'{"fields":' + fields + b',"note":' + json(note) + b'}')``
where ``fields`` is the stored canonical JSON text as is and ``json(note)`` is the note as a JSON
string (UTF-8, non-ASCII unescaped); it must equal ``payload_sha256``. Then build the header
object ``{"v": record_version, "log": log_id, "seq": seq, "kind": kind, "case":
case_reference, "case_seq": case_seq, "trigger": trigger, "from": source, "to": dest,
"actor": actor_id, "role": actor_role, "os_user": os_user, "at": occurred_at, "payload":
payload_sha256, "prev": prev_hash}`` (empty CSV cells are JSON ``null``; ``seq``, ``case_seq``
and ``record_version`` are integers), serialise it with sorted keys, no whitespace, UTF-8, and
check ``hash == sha256(0x00 || bytes)`` and ``prev_hash`` == the previous record's ``hash``
(64 zeros for the first). The CSV is neutralised against formula injection
(``workflow.csvsafe``): first remove the leading ``'`` of every cell that starts with one (the
export added exactly one); the JSON Lines export is written raw.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal, TextIO, cast

from sqlalchemy import Engine, Select, func, select

from states.i18n import N_
from store.checkpoint import HeadDocument, fingerprint, sign
from store.core_tables import AUDIT_RECORDS, CASES
from store.repository import parse_utc
from store.unit_of_work import SqlAlchemyUnitOfWork
from store.verify import COLUMNS
from workflow import csvsafe
from workflow.authorization import authorize, national_access, recorded_refusals
from workflow.errors import InvalidInput
from workflow.integrity import utc_text
from workflow.model import Actor, AuditDraft, AuditRecord, EventKind
from workflow.progress import Progress
from workflow.thaidate import BANGKOK

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ExportFormat = Literal["csv", "jsonl"]
#: Records an export reads and writes at a time: few calls, and a peak of memory no higher than
#: reading the log row by row (``benchmarks/scale.py`` measures both).
BATCH = 500


@dataclass(frozen=True)
class HeadExport:
    """A head export: the document, its detached signature (if signed) and the export's own seq."""

    document: HeadDocument
    signature: bytes | None
    event_seq: int


def export_head(
    engine: Engine, actor: Actor, now: dt.datetime, key: Ed25519PrivateKey | None = None
) -> HeadExport:
    """Describe (and sign) the current head, and record the export as a ``head_export`` event.

    The document describes the log *before* the export's own event: size N and the hash of
    record N, while the event is N+1 and states the same size and head in its fields. Both are
    taken under the head lock in one transaction, so no record can slip in between.
    """
    uow = SqlAlchemyUnitOfWork(engine)
    access = national_access("head_export", verb="export the audit head")
    with recorded_refusals(uow, actor, "head_export", None, now), uow:
        role = authorize(actor, access)
        uow.lock()
        head = uow.audit.lock_head()
        document = HeadDocument(
            log=head.log_id,
            size=head.seq,
            head=head.hash,
            at=utc_text(now),
            by=actor.id,
            os_user=actor.os_user,
            key=fingerprint(key.public_key()) if key is not None else None,
        )
        signature = sign(document, key) if key is not None else None
        record = uow.audit.append(
            AuditDraft(
                kind="head_export",
                case_reference=None,
                trigger="head_export",
                source=None,
                dest=None,
                actor_id=actor.id,
                actor_role=role,
                os_user=actor.os_user,
                occurred_at=now,
                fields={"size": document.size, "head": document.head, "key": document.key},
            )
        )
        uow.commit()
    return HeadExport(document, signature, record.seq)


# ---------------------------------------------------------------------- views
@dataclass(frozen=True)
class LogFilter:
    """An auditor's filter; dates are Bangkok calendar days, inclusive."""

    case: str | None = None
    officer: str | None = None
    province: str | None = None
    trigger: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def _day_start_utc(day: dt.date) -> str:
    return utc_text(dt.datetime.combine(day, dt.time(0), BANGKOK))


def _filtered(query: Select[Any], flt: LogFilter) -> Select[Any]:
    if flt.case:
        query = query.where(AUDIT_RECORDS.c.case_reference == flt.case.strip().upper())
    if flt.officer:
        query = query.where(AUDIT_RECORDS.c.actor_id == flt.officer)
    if flt.province:
        provinces = select(CASES.c.reference).where(CASES.c.province == flt.province.upper())
        query = query.where(AUDIT_RECORDS.c.case_reference.in_(provinces))
    if flt.trigger:
        query = query.where(AUDIT_RECORDS.c.trigger == flt.trigger)
    if flt.since and flt.until and flt.since > flt.until:
        raise InvalidInput(
            N_("--since {since} is after --until {until}"), since=flt.since, until=flt.until
        )
    if flt.since:
        query = query.where(AUDIT_RECORDS.c.occurred_at >= _day_start_utc(flt.since))
    if flt.until:
        end = _day_start_utc(flt.until + dt.timedelta(1))
        query = query.where(AUDIT_RECORDS.c.occurred_at < end)
    return query


def log_query(flt: LogFilter | None) -> Select[Any]:
    """Every stored column (``COLUMNS`` order) of the records *flt* lets through, by ``seq``."""
    query = select(*[AUDIT_RECORDS.c[n] for n in COLUMNS]).order_by(AUDIT_RECORDS.c.seq)
    return query if flt is None else _filtered(query, flt)


def stream_batches(
    engine: Engine, query: Select[Any], batch: int = BATCH
) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of *query*, streamed, as lists of up to *batch* rows."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        yield from result.partitions()


def stream_rows(
    engine: Engine, flt: LogFilter | None = None, batch: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """Stored audit columns (``COLUMNS`` order) as tuples, in ``seq`` order, streamed."""
    query = select(*[AUDIT_RECORDS.c[n] for n in COLUMNS]).order_by(AUDIT_RECORDS.c.seq)
    if flt is not None:
        query = _filtered(query, flt)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        for row in result:
            yield tuple(row)


def record_from_row(row: tuple[Any, ...]) -> AuditRecord:
    """A stored row as the value views print."""
    values = dict(zip(COLUMNS, row, strict=True))
    values["kind"] = cast(EventKind, values["kind"])
    values["occurred_at"] = parse_utc(values["occurred_at"])
    values["fields"] = json.loads(values["fields"])
    return AuditRecord(**values)


def iter_log(engine: Engine, flt: LogFilter) -> Iterator[AuditRecord]:
    """Audit records matching *flt*, oldest first, streamed."""
    for row in stream_rows(engine, flt):
        yield record_from_row(row)


# ---------------------------------------------------------------------- exports
#: A record as ``json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False)`` writes it, with a
#: newline: each key in order followed by its value, encoded (``_write_jsonl``).
_JSON_LINE = "{" + ", ".join(f"{json.dumps(name)}: %s" for name in COLUMNS) + "}\n"
#: The encoder ``json.dumps`` uses for those values, with a newline between the items of a list:
#: no encoded value holds one (JSON escapes it in text), so a list of values splits there.
_JSON_VALUES = json.JSONEncoder(ensure_ascii=False, separators=("\n", ": "))


def _write_jsonl(rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    """Write the JSON Lines of *rows*, every value of the batch encoded in one call.

    The values, row after row, are encoded as one list, split at its newlines and put after
    their keys, one line a row: the text ``json.dumps`` gives each row. A batch that does not
    encode as one value a cell (a value JSON cannot encode, a row of another width) is written
    row by row, so it fails as it always did, after the rows before it.
    """
    try:
        values = _JSON_VALUES.encode(list(chain.from_iterable(rows)))[1:-1].split("\n")
    except (TypeError, ValueError):
        values = []
    if len(values) == len(COLUMNS) * len(rows) and set(map(len, rows)) == {len(COLUMNS)}:
        out.write((_JSON_LINE * len(rows)) % tuple(values))
        return
    for row in rows:
        out.write(json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False))
        out.write("\n")


def write_export(
    batches: Iterable[Sequence[Sequence[Any]]], fmt: ExportFormat, out: TextIO
) -> Iterator[int]:
    """Write *batches* of stored rows (``COLUMNS`` order) to *out* as ``audit export`` does,
    yielding the number of records written after each batch (see :func:`export_log`)."""
    if fmt not in ("csv", "jsonl"):
        raise InvalidInput(N_("unknown export format '{format}': csv or jsonl"), format=fmt)
    count = 0
    if fmt == "csv":
        writer = csvsafe.writer(out)
        writer.writerow(COLUMNS)
        for rows in batches:
            writer.writerows(rows)
            count += len(rows)
            yield count
    else:
        for rows in batches:
            _write_jsonl(rows, out)
            count += len(rows)
            yield count


def export_log(
    engine: Engine,
    fmt: ExportFormat,
    out: TextIO,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> int:
    """Write every audit record, stored columns as stored, to *out*; returns the count.

    CSV has a header row; ``fields`` stays the stored canonical JSON text and an empty cell is
    NULL; a cell starting with ``=``, ``+``, ``-``, ``@``, tab, CR or ``'`` gets one ``'`` in
    front (``workflow.csvsafe``). JSON Lines has one object per record with the same keys, raw.
    Either re-verifies with the recipe in this module's docstring. Records are read and written
    *batch* at a time, the text the same as one at a time.
    """
    total = 0
    if progress is not None:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(AUDIT_RECORDS)).scalar_one()
    count = 0
    for count in write_export(stream_batches(engine, log_query(None), batch), fmt, out):
        if progress is not None:
            progress(count, max(total, count))
    if progress is not None:
        progress(count, max(total, count))
    return count
