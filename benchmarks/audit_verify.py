"""Benchmark: verify and export a large audit log; prints times and peak memory.

    python benchmarks/audit_verify.py                      # 100,000 records in a temp SQLite file
    python benchmarks/audit_verify.py --records 1000000    # the acceptance figure (< 30 s verify)
    python benchmarks/audit_verify.py --db postgresql+psycopg://postgres@127.0.0.1/bench
    python benchmarks/audit_verify.py --quick              # 2,000 records: does it still run?

Records are precomputed (cases walked along real edges of provincial v1, chained with the same
hashing the verifier uses) and bulk-inserted, which is much faster than the use cases. Verify and
export each run in a child process so their peak RSS (``os.wait4``) is theirs alone; export also
runs on a tenth of the log to show its memory does not grow with the log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text, update

from store import init_database, make_engine
from store.tables import AuditHeadRow, AuditRow, CaseRow
from store.verify import COLUMNS, expected_hash, expected_payload, procedure_edges
from workflow.integrity import GENESIS_HASH

BATCH = 20_000
CHILD = """
import itertools, json, sys, time
from store import make_engine
from store.audit import export_log, stream_rows
from store.verify import COLUMNS, verify_database
mode, db, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = make_engine(db)
start = time.perf_counter()
if mode == "verify":
    result = verify_database(engine)
    assert result.exit_code == 0, result.problems[:3]
    count = result.records
else:
    with open("/dev/null", "w", encoding="utf-8") as out:
        if limit:
            count = 0
            for row in itertools.islice(stream_rows(engine), limit):
                out.write(json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False) + "\\n")
                count += 1
        else:
            count = export_log(engine, "jsonl", out)
print(json.dumps({"seconds": time.perf_counter() - start, "records": count}))
"""


def build(db: str, records: int, seed: int = 1) -> None:
    """Fill an initialised database with *records* chained records over realistic cases."""
    rng = random.Random(seed)
    engine = make_engine(db)
    init_database(engine)
    with engine.connect() as conn:
        log_id = conn.execute(text("SELECT value FROM settings WHERE key = 'log_id'")).scalar_one()
    edges, initial, _ = procedure_edges("provincial", 1)
    by_source: dict[str, list[tuple[str, str, str]]] = {}
    for edge in sorted(edges):
        by_source.setdefault(edge[1], []).append(edge)
    prev, seq, n_case = GENESIS_HASH, 0, 0
    batch: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    fields_pool = ["{}", '{"letter_no":"ชม 0017.2/1234","pages":3}', '{"signed_on":"2024-03-31"}']
    with engine.begin() as conn:
        while seq < records:
            n_case += 1
            ref = f"SC-2567-{n_case:07d}"
            state, previous, case_seq = None, None, 0
            steps = rng.randint(5, 30)
            while seq < records and case_seq < steps:
                seq += 1
                case_seq += 1
                if state is None:
                    trigger, source, dest, kind = "open", None, initial, "open"
                else:
                    options = by_source.get(state)
                    if not options:
                        trigger, source, dest, kind = "begin_study", state, None, "denied"
                    else:
                        trigger, source, dest = rng.choice(options)
                        kind = "transition"
                fields = fields_pool[seq % 3] if kind != "open" else "{}"
                note = "" if seq % 5 else "บันทึกประกอบ"
                at = f"2024-01-01T00:00:00.{seq % 1_000_000:06d}Z"
                row: list[Any] = [
                    seq, log_id, 1, kind, ref, case_seq, trigger, source, dest,
                    "somchai", "province_officer", "somchai", at, fields, note,
                    expected_payload(fields, note), prev, "",
                ]  # fmt: skip
                row[17] = prev = expected_hash(row)
                batch.append(dict(zip(COLUMNS, row, strict=True)))
                if dest is not None:
                    # Where a resume would return to, as the engine keeps it (verify checks it).
                    if dest != state:
                        previous = state
                    state = dest
                if len(batch) >= BATCH:
                    conn.execute(insert(AuditRow), batch)
                    batch.clear()
            cases.append(_case_row(ref, state or initial, previous))
            if len(cases) >= BATCH:
                conn.execute(insert(CaseRow), cases)
                cases.clear()
        if batch:
            conn.execute(insert(AuditRow), batch)
        if cases:
            conn.execute(insert(CaseRow), cases)
        conn.execute(update(AuditHeadRow).values(seq=seq, hash=prev))
    engine.dispose()


def _case_row(ref: str, state: str, previous: str | None) -> dict[str, Any]:
    at = "2024-01-01T00:00:00.000000Z"
    return {
        "reference": ref, "procedure": "provincial", "version": 1,
        "definition_sha256": "0" * 64, "state": state, "previous_state": previous,
        "province": "TH-50", "partner_name": "Bench", "partner_country": "JP",
        "partner_level": "city", "instrument": "MOU", "label": "sister", "opened_at": at,
        "opened_by": "somchai", "state_since": at, "trigger_actors": {}, "row_version": 1,
    }  # fmt: skip


def child(mode: str, db: str, limit: int = 0) -> tuple[dict[str, Any], float]:
    """Run one measurement in a fresh interpreter: its report and its peak RSS in MiB."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, db, str(limit)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{mode} failed with exit code {proc.returncode}")
    return json.loads(out), usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="Empty database URL (default: a temp file)")
    parser.add_argument("--quick", action="store_true", help="2,000 records: does it still run?")
    args = parser.parse_args()
    if args.quick:
        args.records = 2_000
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "bench.db")
        start = time.perf_counter()
        build(db, args.records)
        print(f"built {args.records:,} records in {time.perf_counter() - start:.1f} s ({db})")
        report, rss = child("verify", db)
        rate = report["records"] / report["seconds"]
        print(
            f"verify  {report['records']:>10,} records {report['seconds']:7.2f} s "
            f"({rate:,.0f}/s)  peak RSS {rss:6.1f} MiB"
        )
        for limit in (max(args.records // 10, 1), 0):
            report, rss = child("export", db, limit)
            print(
                f"export  {report['records']:>10,} records {report['seconds']:7.2f} s "
                f"(jsonl)          peak RSS {rss:6.1f} MiB"
            )


if __name__ == "__main__":
    main()
