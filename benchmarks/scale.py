"""National scale: 10,000 cases and 1,000,000 audit records, and an import of 5,000 rows.

Two SQLite databases are built, both at full size (``--quick``: a hundredth):

* the *log* database: the demo's officers and one real case walked through the library (opened,
  taken to ``active``, then activities until it has 100 records), copied to 10,000 cases whose
  records are re-chained (new references, sequence numbers, links and hashes) and bulk-inserted.
  Every record is one the product could have written, so ``audit verify`` replays it all and
  passes; ``case history``, ``audit verify`` and ``audit export`` are measured on it;
* the *relationships* database of ``benchmarks/kpi_report.py`` (relationships over the 77
  provinces with their read models): ``case list`` and the KPI report are measured on it.

Floors, each written below: the same SQL the library sends, captured with an event listener and
replayed on a raw ``sqlite3`` connection (history, lists, the KPI report); a minimal verifier
(read the rows, rebuild the canonical payload and header bytes, hash, check the link); a raw
``sqlite3`` export with the standard library's ``csv``/``json``; the export of a tenth of the log
(memory); ``sqlite3.executemany`` writing the very rows an import wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select, update

from benchmarks.harness import Figure, interleave, timed

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_JSON_STRING = json.JSONEncoder(ensure_ascii=False)
COLUMNS = (
    "seq", "log_id", "record_version", "kind", "case_reference", "case_seq", "trigger", "source",
    "dest", "actor_id", "actor_role", "os_user", "occurred_at", "fields", "note",
    "payload_sha256", "prev_hash", "hash",
)  # fmt: skip
GENESIS = "0" * 64


# ---------------------------------------------------------------------- the log database
def header_hash(row: dict[str, Any]) -> str:
    """A record's hash from its stored columns (the README's recipe)."""
    header = {
        "v": row["record_version"], "log": row["log_id"], "seq": row["seq"],
        "kind": row["kind"], "case": row["case_reference"], "case_seq": row["case_seq"],
        "trigger": row["trigger"], "from": row["source"], "to": row["dest"],
        "actor": row["actor_id"], "role": row["actor_role"], "os_user": row["os_user"],
        "at": row["occurred_at"], "payload": row["payload_sha256"], "prev": row["prev_hash"],
    }  # fmt: skip
    return hashlib.sha256(b"\x00" + _CANONICAL.encode(header).encode()).hexdigest()


def build_log(path: Path | str, cases: int, per_case: int) -> list[str]:
    """The log database at *path* (a file, or any database URL; see the module docstring);
    returns the case references."""
    from benchmarks.steps import Clock, actors, open_cases, prepared, walk_to_active
    from store import SqlAlchemyUnitOfWork
    from store.tables import AuditHeadRow, AuditRow, CaseRow
    from workflow.followup import ActivityInput, record_activity

    engine = prepared(str(path), "NORMAL")
    clock = Clock()
    [template] = open_cases(engine, 1, clock, "Template")
    walk_to_active(engine, template, clock)
    uow = SqlAlchemyUnitOfWork(engine)
    somchai = actors()["somchai"]
    day = dt.date(2024, 5, 1)
    with uow:
        have = len(uow.audit.for_case(template))
    for n in range(per_case - have):
        activity = ActivityInput(day, "culture", f"กิจกรรม {n}")
        record_activity(uow, somchai, template, activity, [], "", clock())
    with engine.connect() as conn:
        records = [
            dict(r._mapping)
            for r in conn.execute(
                select(AuditRow.__table__)
                .where(AuditRow.case_reference == template)
                .order_by(AuditRow.seq)
            )
        ]
        case_row = dict(
            conn.execute(select(CaseRow.__table__).where(CaseRow.reference == template))
            .one()
            ._mapping
        )
        head = conn.execute(select(AuditHeadRow.seq, AuditHeadRow.hash)).one()
    case_row.pop("id")
    seq, prev = head.seq, head.hash
    references = [template]
    batch: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for n in range(2, cases + 1):
            reference = f"SC-2567-{n:05d}"
            references.append(reference)
            rows.append({**case_row, "reference": reference})
            for record in records:
                seq += 1
                row = {**record, "seq": seq, "case_reference": reference, "prev_hash": prev}
                row["hash"] = prev = header_hash(row)
                batch.append(row)
            if len(batch) >= 50_000:
                conn.execute(insert(AuditRow.__table__), batch)
                batch.clear()
            if len(rows) >= 5_000:
                conn.execute(insert(CaseRow.__table__), rows)
                rows.clear()
        if batch:
            conn.execute(insert(AuditRow.__table__), batch)
        if rows:
            conn.execute(insert(CaseRow.__table__), rows)
        conn.execute(update(AuditHeadRow.__table__).values(seq=seq, hash=prev))
        conn.exec_driver_sql("ANALYZE")  # the same word on SQLite and PostgreSQL
    engine.dispose()
    return references


# ---------------------------------------------------------------------- built once, kept
ROOT = Path(__file__).resolve().parent.parent
#: Where the national-scale databases are kept between runs (git-ignored).
CACHE = Path(os.environ.get("SISTERCITY_BENCH_CACHE", ROOT / "benchmarks" / ".cache"))
#: Files whose change makes a kept database stale: its builders and what the product writes.
_BUILT_FROM = (
    "benchmarks/scale.py", "benchmarks/kpi_report.py", "benchmarks/steps.py",
    "store/core_tables.py", "store/schema.py", "store/repository.py", "store/projections.py",
    "workflow/integrity.py", "workflow/effects.py",
)  # fmt: skip


def built_once(folder: Path, name: str, sizes: tuple[int, ...], build: Any) -> Path:
    """*folder*/*name*: a copy of the database ``build(path)`` makes, built once per sizes and
    per version of the files it is built from and kept under ``CACHE``."""
    digest = hashlib.sha256(repr(sizes).encode())
    for relative in _BUILT_FROM:
        digest.update((ROOT / relative).read_bytes())
    for migration in sorted((ROOT / "store/migrations/versions").glob("*.py")):
        digest.update(migration.read_bytes())
    kept = CACHE / f"{name}-{'x'.join(map(str, sizes))}-{digest.hexdigest()[:12]}.db"
    if not kept.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob(f"{name}-{'x'.join(map(str, sizes))}-*.db"):
            stale.unlink()
        partial = kept.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial)
        with sqlite3.connect(partial) as conn:  # one file, nothing left in the log
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(kept)
        for extra in ("-wal", "-shm"):
            partial.with_name(partial.name + extra).unlink(missing_ok=True)
    target = folder / f"{name}.db"
    shutil.copy(kept, target)
    return target


# ---------------------------------------------------------------------- the same SQL, raw
@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements and parameters the engine sends inside the block, as sent."""
    seen: list[tuple[str, Any]] = []

    def listen(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def replay(raw: sqlite3.Connection, statements: list[tuple[str, Any]]) -> None:
    """Send *statements* on a raw connection and fetch every row, in one read transaction."""
    for statement, parameters in statements:
        raw.execute(statement, parameters or ()).fetchall()
    if raw.in_transaction:
        raw.rollback()


def raw_connection(path: Path) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    return raw


def _substituted(statements: list[tuple[str, Any]], old: str, new: str) -> list[tuple[str, Any]]:
    return [(s, tuple(new if p == old else p for p in (params or ()))) for s, params in statements]


# ---------------------------------------------------------------------- the minimal verifier
def minimal_verify(path: Path) -> int:
    """Read every record in order; rebuild the payload and header bytes; hash; check the link.

    The least a verifier of this chain must do (no canonical-form, NFC, sequence, procedure or
    authority checks): what ``audit verify`` is measured against.
    """
    raw = sqlite3.connect(path)
    prev, count = GENESIS, 0
    sha256 = hashlib.sha256
    for row in raw.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_records ORDER BY seq"):
        (seq, log, version, kind, case, case_seq, trigger, source, dest, actor, role, os_user,
         at, fields, note, payload, prev_hash, digest) = row  # fmt: skip
        body = b'{"fields":' + fields.encode() + b',"note":' + _JSON_STRING.encode(note).encode()
        header = {
            "v": version, "log": log, "seq": seq, "kind": kind, "case": case,
            "case_seq": case_seq, "trigger": trigger, "from": source, "to": dest,
            "actor": actor, "role": role, "os_user": os_user, "at": at, "payload": payload,
            "prev": prev_hash,
        }  # fmt: skip
        if (
            sha256(body + b"}").hexdigest() != payload
            or prev_hash != prev
            or sha256(b"\x00" + _CANONICAL.encode(header).encode()).hexdigest() != digest
        ):
            raise SystemExit(f"the minimal verifier rejects #{seq}")
        prev, count = digest, count + 1
    raw.close()
    return count


# ---------------------------------------------------------------------- exports
EXPORT_CHILD = """
import resource, sys
from store import make_engine
from store.audit import export_log, stream_rows
fmt, db, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = make_engine(db)
with open("/dev/null", "w", encoding="utf-8") as out:
    if limit:
        import itertools, json
        from store.verify import COLUMNS
        for row in itertools.islice(stream_rows(engine), limit):
            out.write(json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False) + "\\n")
    else:
        export_log(engine, fmt, out)
# The peak of this program's own memory: Linux keeps ru_maxrss across exec, so it would start
# at the size of the (large) benchmark process that started this one; VmHWM starts afresh.
try:
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak / 1024)
"""


def export_rss(db: Path, fmt: str, limit: int) -> float:
    """Peak RSS (MiB) of a fresh process exporting the log (or its first *limit* records)."""
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, fmt, str(db), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def raw_export(path: Path, fmt: str, out: io.TextIOBase | Any) -> int:
    """The floor of ``audit export``: raw sqlite3 rows written with ``csv`` or ``json``."""
    raw = sqlite3.connect(path)
    rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_records ORDER BY seq")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row)
            count += 1
    else:
        for row in rows:
            out.write(json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False))
            out.write("\n")
            count += 1
    raw.close()
    return count


# ---------------------------------------------------------------------- import
def import_file(rows: int, seed: int = 7) -> bytes:
    """*rows* distinct relationships in the import format: most active, some still proposals."""
    from states.reference import PROVINCES

    rng = random.Random(seed)
    codes = sorted(PROVINCES)
    lines = ["province,partner_name,partner_country,partner_level,instrument,label,signed_on,"
             "status,source"]  # fmt: skip
    for n in range(rows):
        signed = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(8000))
        status = rng.choices(("active", "dormant", "moi_review"), (80, 15, 5))[0]
        date = "" if status == "moi_review" else signed.isoformat()
        lines.append(f"{rng.choice(codes)},Partner {n},CN,city,MOU,sister,{date},{status},bench")
    return ("\n".join(lines) + "\n").encode()


_IMPORTED = ("cases", "audit_records", "case_facts", "moves")


def copy_rows(source: Path, target: Path, after_seq: int) -> None:
    """The floor of an import: write the rows *source*'s import wrote into *target*, with
    ``executemany`` in one transaction, and the head once."""
    read = sqlite3.connect(source)
    write = sqlite3.connect(target, isolation_level=None)
    write.execute("BEGIN IMMEDIATE")
    for table in _IMPORTED:
        key = "seq" if table in ("audit_records", "moves") else None
        where = f"WHERE {key} > {after_seq}" if key else (
            "WHERE reference LIKE 'SC-%'" if table == "cases" else ""
        )  # fmt: skip
        cursor = read.execute(f"SELECT * FROM {table} {where}")
        names = [d[0] for d in cursor.description]
        marks = ", ".join("?" for _ in names)
        write.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", cursor.fetchall()
        )
    seq, digest = read.execute("SELECT seq, hash FROM audit_head").fetchone()
    write.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq, digest))
    write.execute("COMMIT")
    read.close()
    write.close()


# ---------------------------------------------------------------------- the figures
def scale_figures(folder: Path, quick: bool) -> list[Figure]:
    from benchmarks import kpi_report
    from benchmarks.steps import START, actors, prepared
    from store import SqlAlchemyUnitOfWork, make_engine
    from store.audit import export_log
    from store.kpi import compute_kpis
    from store.verify import verify_database
    from workflow import importer, services

    cases, per_case = (100, 20) if quick else (10_000, 100)
    relationships, kpi_records = (100, 2_000) if quick else (10_000, 1_000_000)
    import_rows = 200 if quick else 5_000
    rounds = 2 if quick else 5
    heavy_rounds = 1 if quick else 3
    figures: list[Figure] = []
    group = f"Scale: {cases:,} cases, {cases * per_case:,} records"

    log_db = built_once(
        folder, "log", (cases, per_case), lambda path: build_log(path, cases, per_case)
    )
    with sqlite3.connect(log_db) as conn:
        references = [r for (r,) in conn.execute("SELECT reference FROM cases ORDER BY 1")]
    engine = make_engine(str(log_db))
    raw = raw_connection(log_db)
    rng = random.Random(3)

    # -- case history
    sample = [rng.choice(references) for _ in range(20 if quick else 200)]
    with captured(engine) as history_sql:
        services.case_history(SqlAlchemyUnitOfWork(engine), sample[0])

    # Each history is read and let go, as the command does with the one it prints: keeping 200
    # of them alive would charge the product for the collector walking 20,000 records.
    def history() -> float:
        def run() -> None:
            for r in sample:
                services.case_history(SqlAlchemyUnitOfWork(engine), r)

        return timed(run) / len(sample)

    def history_floor() -> float:
        plans = [_substituted(history_sql, sample[0], r) for r in sample]

        def run() -> None:
            for p in plans:
                replay(raw, p)

        return timed(run) / len(sample)

    figures.append(interleave(
        Figure(group, f"case history ({per_case} records)", "services.case_history",
               "the same SQL on raw sqlite3", "s", "cost", goal_ratio=2.0),
        rounds, history, history_floor,
    ))  # fmt: skip

    # -- audit verify
    def verify() -> float:
        def run() -> None:
            result = verify_database(engine)
            if result.exit_code != 0:
                raise SystemExit(f"verify failed: {[p.line() for p in result.problems[:3]]}")

        return timed(run)

    figures.append(interleave(
        Figure(group, f"audit verify ({cases * per_case:,} records)", "verify_database",
               "minimal verifier (read, canonical bytes, hash, link)", "s", "cost",
               goal_ratio=1.3, goal_absolute=30.0 * cases * per_case / 1_000_000),
        heavy_rounds, verify, lambda: timed(lambda: minimal_verify(log_db)),
    ))  # fmt: skip

    # -- audit export: time against raw sqlite3, memory against a tenth of the log
    for fmt, goal in (("csv", 1.2), ("jsonl", 1.1)):
        with open(os.devnull, "w", encoding="utf-8") as sink:
            figures.append(interleave(
                Figure(group, f"audit export --format {fmt}", "store.audit.export_log",
                       f"raw sqlite3 + {'csv' if fmt == 'csv' else 'json'}", "s", "cost",
                       goal_ratio=goal),
                heavy_rounds,
                lambda f=fmt, s=sink: timed(lambda: export_log(engine, f, s)),  # type: ignore[misc]
                lambda f=fmt, s=sink: timed(lambda: raw_export(log_db, f, s)),  # type: ignore[misc]
            ))  # fmt: skip
    tenth = max(cases * per_case // 10, 1)
    figures.append(interleave(
        Figure(group, "audit export memory (peak RSS, whole log)", "the whole log",
               f"the first {tenth:,} records", "MiB", "cost", goal_ratio=1.1),
        heavy_rounds,
        lambda: export_rss(log_db, "jsonl", 0), lambda: export_rss(log_db, "jsonl", tenth),
    ))  # fmt: skip
    raw.close()
    engine.dispose()

    # -- the relationships database: lists and the KPI report
    rel_db = built_once(
        folder, "relationships", (relationships, kpi_records),
        lambda path: kpi_report.build(path, relationships, kpi_records),
    )  # fmt: skip
    engine = make_engine(str(rel_db))
    raw = raw_connection(rel_db)
    rel_group = f"Scale: {relationships:,} relationships, {kpi_records:,} records"
    for label, province, state in (
        ("case list --province TH-50 --state active", "TH-50", "active"),
        ("case list --state dormant", None, "dormant"),
    ):
        with captured(engine) as list_sql:
            found = services.list_cases(SqlAlchemyUnitOfWork(engine), province, state)
        figures.append(interleave(
            Figure(rel_group, f"{label} ({len(found):,} cases)", "services.list_cases",
                   "the same SQL on raw sqlite3", "s", "cost", goal_absolute=0.050),
            rounds,
            lambda p=province, s=state: timed(  # type: ignore[misc]
                lambda: services.list_cases(SqlAlchemyUnitOfWork(engine), p, s)
            ),
            lambda q=list_sql: timed(lambda: replay(raw, q)),  # type: ignore[misc]
        ))  # fmt: skip
    fy = 2569
    as_of = dt.date(fy - 543, 10, 1)
    with captured(engine) as kpi_sql:
        compute_kpis(engine, fy, as_of)
    figures.append(interleave(
        Figure(rel_group, f"KPI report FY {fy}", "store.kpi.compute_kpis",
               "its own SQL on raw sqlite3", "s", "cost", goal_absolute=2.0),
        rounds,
        lambda: timed(lambda: compute_kpis(engine, fy, as_of)),
        lambda: timed(lambda: replay(raw, kpi_sql)),
    ))  # fmt: skip
    raw.close()
    engine.dispose()

    # -- import: a fresh database each round, the floor writing the very same rows
    empty = folder / "import-empty.db"
    prepared(str(empty)).dispose()
    data = import_file(import_rows)
    anong = actors()["anong"]
    with sqlite3.connect(empty) as conn:
        after = conn.execute("SELECT seq FROM audit_head").fetchone()[0]
    counter = iter(range(10**6))

    def fresh() -> Path:
        target = folder / f"import-{next(counter)}.db"
        shutil.copy(empty, target)
        return target

    last: dict[str, Path] = {}

    def imported() -> float:
        target = fresh()
        engine = make_engine(str(target))
        uow = SqlAlchemyUnitOfWork(engine)
        took = timed(lambda: importer.import_relationships(uow, anong, data, "bench.csv", START))
        engine.dispose()
        last["db"] = target
        return import_rows / took

    def floor_import() -> float:
        if "db" not in last:
            imported()
        target = fresh()
        return import_rows / timed(lambda: copy_rows(last["db"], target, after))

    figures.append(interleave(
        Figure(f"Import of {import_rows:,} rows", f"import relationships ({import_rows:,} rows)",
               "importer.import_relationships", "raw sqlite3 executemany of the same rows",
               "rows/s", "rate", goal_absolute=1000.0),
        rounds, imported, floor_import,
    ))  # fmt: skip
    return figures
