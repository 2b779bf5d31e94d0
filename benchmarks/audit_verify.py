"""Benchmark: verify and export a large audit log; prints times and peak memory.

    python benchmarks/audit_verify.py                      # 100,000 records in a temp SQLite file
    python benchmarks/audit_verify.py --records 1000000    # the acceptance figure (< 30 s verify)
    python benchmarks/audit_verify.py --db postgresql+psycopg://postgres@127.0.0.1/bench
    python benchmarks/audit_verify.py --quick              # 2,000 records: does it still run?

The log is built by ``benchmarks.scale.build_log``: one real case walked through the library to
100 records, copied to as many cases as needed and re-chained, so every record is one the
product could have written and the verifier's replay accepts it. Verify and export each run in
a child process so their peak RSS (``os.wait4``) is theirs alone; export also runs on a tenth of
the log to show its memory does not grow with the log. ``python -m benchmarks`` compares the
same verify with a minimal verifier.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import build_log

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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="Empty database URL (default: a temp file)")
    parser.add_argument("--quick", action="store_true", help="2,000 records: does it still run?")
    args = parser.parse_args()
    if args.quick:
        args.records = 2_000
    per_case = 100 if args.records >= 10_000 else 20
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "bench.db")
        start = time.perf_counter()
        build_log(db, max(args.records // per_case, 1), per_case)
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
