"""Benchmark: the web view's pages over a national-scale database on SQLite.

Builds the database the KPI benchmark builds (``kpi_report.build``: bulk inserts, relationships
spread over the 77 provinces, their audit records and read models), registers an auditor, then
requests pages in-process through Starlette's test client and reports medians:

* a case page (facts, who acts next, documents, full history, path on the diagram), each request
  a different case; the procedure picture is drawn once beforehand, as a running server has it;
* the case list under several filters (province by name, state, phase, overdue, fiscal year);
* the dashboard (the fiscal year's indicators, charts, overdue cases).

    python benchmarks/web_pages.py                 # 10,000 cases, 1,000,000 audit records
    python benchmarks/web_pages.py --quick         # 1,000 cases, 100,000 audit records

Targets: case page and filtered list under 100 ms median, dashboard under 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kpi_report import build
from starlette.testclient import TestClient

from store import SqlAlchemyUnitOfWork, make_engine
from web import WebConfig, create_app
from workflow import services
from workflow.model import Actor

LIMITS = {"case page": 0.100, "filtered list": 0.100, "dashboard": 2.0}
FILTERS = (
    "/cases?province=เชียงใหม่",
    "/cases?province=Chiang+Mai&state=active",
    "/cases?phase=ministry_review",
    "/cases?overdue=1",
    "/cases?signed_fy=2566&province=TH-10",
    "/cases?state=dormant&page=2",
    "/cases?lang=en&province=Phuket&phase=follow_up",
)


def timed(call: Callable[[], int]) -> float:
    start = time.perf_counter()
    status = call()
    elapsed = time.perf_counter() - start
    if status != 200:
        raise SystemExit(f"unexpected status {status}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 cases, 100,000 records")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--audit-records", type=int, default=None)
    parser.add_argument("--requests", type=int, default=60, help="case pages to time")
    parser.add_argument("--db", default=None, help="Keep the database at this path.")
    args = parser.parse_args(argv)
    cases = args.cases or (1_000 if args.quick else 10_000)
    records = args.audit_records or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "web-bench.db"
        path.unlink(missing_ok=True)
        built = build(path, cases, records)
        print(f"built {cases:,} cases, {records:,} audit records in {built:.1f} s ({path})")
        engine = make_engine(str(path))
        auditor = Actor("bench-auditor", "ผู้ตรวจสอบ", frozenset({"auditor"}))
        services.add_officer(SqlAlchemyUnitOfWork(engine), auditor, None, dt.datetime.now(dt.UTC))
        engine.dispose()
        app = create_app(WebConfig(db=str(path), as_officer="bench-auditor", verify_every=0))
        client = TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000))
        rng = random.Random(7)
        references = [f"SC-2568-{rng.randrange(1, cases + 1):05d}" for _ in range(args.requests)]
        client.get(f"/cases/{references[0]}")  # the procedure picture, drawn once as a server does
        results: dict[str, list[float]] = {
            "case page": [
                timed(lambda r=r: client.get(f"/cases/{r}").status_code) for r in references
            ],
            "filtered list": [
                timed(lambda u=u: client.get(u).status_code) for u in FILTERS for _ in range(5)
            ],
            "dashboard": [timed(lambda: client.get("/?fy=2569").status_code) for _ in range(5)],
        }  # fmt: skip
        app.state.web.library.close()
        failed = False
        for name, timings in results.items():
            median = statistics.median(timings)
            limit = LIMITS[name]
            verdict = "OK" if median < limit else "SLOW"
            failed |= median >= limit
            print(
                f"{name}: median {median * 1000:.1f} ms, p90 "
                f"{sorted(timings)[int(0.9 * (len(timings) - 1))] * 1000:.1f} ms over "
                f"{len(timings)} requests (limit {limit * 1000:.0f} ms) {verdict}"
            )
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
