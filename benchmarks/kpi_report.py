"""Benchmark: the KPI report over a national-scale database on SQLite.

Builds a fresh SQLite database with bulk inserts (no audit chain is computed: the report never
reads hashes) — relationships spread over the 77 provinces, their audit records (imports,
activities, sweep moves) and the read models the report queries — then times ``compute_kpis``
and each renderer.

    python benchmarks/kpi_report.py                      # 1,000 relationships, 100,000 records
    python benchmarks/kpi_report.py --relationships 10000 --audit-records 1000000
    python benchmarks/kpi_report.py --quick              # 100 and 2,000, no time limit checked
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, update

from states import load_procedure
from states.reference import PROVINCES
from store import init_database, make_engine
from store.kpi import compute_kpis
from store.tables import (
    ActivityRow,
    AuditHeadRow,
    AuditRow,
    CaseFactsRow,
    CaseRow,
    MechanismRow,
    MinistryMechanismRow,
    MoveRow,
    PlanRow,
)
from workflow.kpi import render_csv, render_json, render_table
from workflow.kpi_html import render_html

CHUNK = 50_000
STATES = ("active", "dormant", "moi_review", "mfa_consultation", "partner_negotiation")


def _ts(day: dt.date, second: int = 0) -> str:
    return f"{day.isoformat()}T03:{(second // 60) % 60:02d}:{second % 60:02d}.000000Z"


def _fy(day: dt.date) -> int:
    return day.year + 544 if day.month >= 10 else day.year + 543


def build(path: Path, relationships: int, audit_records: int, seed: int = 1) -> float:
    """Create and fill the database; returns seconds taken."""
    started = time.perf_counter()
    rng = random.Random(seed)
    engine = make_engine(str(path))
    init_database(engine, training=True)
    loaded = load_procedure("provincial", 1)  # the version the rows name
    codes = sorted(PROVINCES)
    cases, facts = [], []
    for n in range(relationships):
        ref = f"SC-2568-{n + 1:05d}"
        province = rng.choice(codes)
        signed = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(6200))
        state = rng.choices(STATES, (70, 20, 4, 3, 3))[0]
        proposal = state not in ("active", "dormant")
        cases.append(
            {
                "reference": ref,
                "procedure": "provincial",
                "version": 1,
                "definition_sha256": loaded.sha256,
                "state": state,
                "previous_state": None,
                "province": province,
                "partner_name": f"Partner {n}",
                "partner_country": "CN",
                "partner_level": "city",
                "instrument": "MOU",
                "label": "sister",
                "opened_at": _ts(dt.date(2024, 7, 1)),
                "opened_by": "bench",
                "state_since": _ts(dt.date(2024, 7, 1) + dt.timedelta(days=rng.randrange(700))),
                "trigger_actors": {},
                "row_version": 1,
            }
        )
        # registers are messy: some dates are known only to the year, some not at all
        precision = None if proposal else rng.choices(("day", "year", "unknown"), (80, 10, 10))[0]
        if precision == "year":
            signed = signed.replace(month=1, day=1)
        known = precision in ("day", "year")
        facts.append(
            {
                "case_reference": ref,
                "province": province,
                "established_on": signed.isoformat() if known else None,
                "established_fy": _fy(signed) if known else None,
                "established_precision": precision,
                "signed_on": signed.isoformat() if known else None,
                "signed_precision": precision if known else None,
                "ended_on": signed.isoformat() if rng.random() < 0.03 else None,
                "entered_on": (dt.date(2016, 10, 1) if n % 3 else dt.date(2024, 7, 1)).isoformat(),
                "relationship": ref,
            }
        )
        if n % 20 == 19 and not proposal and facts[-2]["established_precision"] is not None:
            # a letter of intent replaced by this MOU: one relationship
            before = facts[-2]
            facts[-1]["province"] = case_province = before["province"]
            cases[-1]["province"] = case_province
            facts[-1]["supersedes"] = before["case_reference"]
            facts[-1]["relationship"] = before["relationship"]
            before["superseded_by"] = ref
    audit, moves, activities = [], [], []
    per_case = max(1, audit_records // max(relationships, 1))
    # After the records ``init`` wrote (the database's settings event).
    with engine.connect() as conn:
        seq = conn.execute(select(AuditHeadRow.seq)).scalar_one()
    for n, case in enumerate(cases):
        ref, province = str(case["reference"]), str(case["province"])
        count = per_case + (1 if n < audit_records - per_case * relationships else 0)
        for k in range(count):
            seq += 1
            day = dt.date(2016, 10, 1) + dt.timedelta(days=rng.randrange(3650))
            kind = "import" if k == 0 else "transition"
            trigger = (
                "import" if k == 0 else rng.choice(("record_activity",) * 8 + ("mark_dormant",))
            )
            dest = "active" if trigger != "mark_dormant" else "dormant"
            audit.append(
                {
                    "seq": seq,
                    "log_id": "bench",
                    "record_version": 1,
                    "kind": kind,
                    "case_reference": ref,
                    "case_seq": k + 1,
                    "trigger": trigger,
                    "source": None if k == 0 else "active",
                    "dest": dest,
                    "actor_id": "bench",
                    "actor_role": "province_officer",
                    "os_user": None,
                    "occurred_at": _ts(day, k),
                    "fields": "{}",
                    "note": "",
                    "payload_sha256": "0" * 64,
                    "prev_hash": "0" * 64,
                    "hash": "0" * 64,
                }
            )
            span = k == 0 or trigger == "mark_dormant" or rng.random() < 0.1
            ended = span and rng.random() < 0.8
            moves.append(
                {
                    "seq": seq,
                    "case_reference": ref,
                    "province": province,
                    "kind": kind,
                    "trigger": trigger,
                    "source": None if k == 0 else "active",
                    "dest": dest,
                    "occurred_at": _ts(day, k),
                    "fiscal_year": _fy(day),
                    "docs": "unknown" if k == 0 else "complete",
                    "opens_span": span,
                    "ended_at": _ts(day + dt.timedelta(days=30)) if ended else None,
                    "ended_fy": _fy(day + dt.timedelta(days=30)) if ended else None,
                    "seconds": rng.randrange(86400, 86400 * 400) if ended else None,
                }
            )
            if trigger == "record_activity":
                activities.append(
                    {
                        "audit_seq": seq,
                        "case_reference": ref,
                        "province": province,
                        "activity_date": day.isoformat(),
                        "fiscal_year": _fy(day),
                        "kind": "visit",
                        "title": "bench",
                        "partner_participated": rng.random() < 0.85,
                        "budget_satang": rng.choice((None, None, 2_000_000)),
                        "evidence_count": 0,
                    }
                )
    plans = [
        {
            "case_reference": c["reference"],
            "province": c["province"],
            "fiscal_year": fy,
            "budget_satang": rng.choice((0, 5_000_000, 12_000_000)),
            "document_sha256": "0" * 64,
            "document_name": "plan.pdf",
            "document_bytes": 1,
            "set_at": _ts(dt.date(2024, 10, 1)),
            "set_by": "bench",
            "audit_seq": 0,
        }
        for c in cases
        for fy in (2568, 2569)
        if rng.random() < 0.5
    ]
    mechanisms = [
        {
            "province": code,
            "order_no": "1/2567",
            "order_date": "2024-01-05",
            "chair": "Governor",
            "set_at": _ts(dt.date(2024, 1, 5)),
            "set_by": "bench",
            "audit_seq": 0,
        }
        for code in codes
        if rng.random() < 0.6
    ]
    report_loaded = load_procedure("monitoring")
    for code in codes[:50]:  # yearly reports of FY 2569, most submitted
        ref = f"RP-2569-{code}"
        cases.append(
            {
                **cases[0],
                "reference": ref,
                "procedure": "monitoring",
                "definition_sha256": report_loaded.sha256,
                "state": rng.choice(("report_draft", "report_submitted", "report_accepted")),
                "province": code,
                "partner_name": "",
                "partner_country": "",
                "partner_level": "",
                "instrument": "",
                "label": "",
            }
        )
        facts.append({"case_reference": ref, "province": code, "relationship": ref})
    ministry = [
        {
            "level": "ministry",
            "order_no": "1/2569",
            "order_date": "2025-12-01",
            "chair": "Permanent Secretary",
            "agencies": ["MFA", "DLA"],
            "set_at": _ts(dt.date(2025, 12, 1)),
            "set_by": "bench",
            "audit_seq": 0,
        }
    ]
    keys = {k for f in facts for k in f}
    facts = [{k: f.get(k) for k in sorted(keys)} for f in facts]
    with engine.begin() as conn:
        for table, rows in (
            (MinistryMechanismRow, ministry),
            (CaseRow, cases),
            (CaseFactsRow, facts),
            (AuditRow, audit),
            (MoveRow, moves),
            (ActivityRow, activities),
            (PlanRow, plans),
            (MechanismRow, mechanisms),
        ):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table.__table__), rows[start : start + CHUNK])  # type: ignore[attr-defined]
        # The head names the last record, so that the product can append after the bulk.
        conn.execute(update(AuditHeadRow.__table__).values(seq=seq))  # type: ignore[arg-type]
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--relationships", type=int, default=1_000)
    parser.add_argument("--audit-records", type=int, default=100_000)
    parser.add_argument("--fy", type=int, default=2569)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None, help="Keep the database at this path.")
    parser.add_argument(
        "--quick", action="store_true", help="Small sizes, no time limit: does it still run?"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.relationships, args.audit_records, args.repeat = 100, 2_000, 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "kpi-bench.db"
        path.unlink(missing_ok=True)
        built = build(path, args.relationships, args.audit_records)
        print(
            f"built {args.relationships:,} relationships, {args.audit_records:,} audit records "
            f"in {built:.1f} s ({path})"
        )
        engine = make_engine(str(path))
        as_of = dt.date(args.fy - 543, 10, 1)
        timings = []
        report = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = compute_kpis(engine, args.fy, as_of)
            timings.append(time.perf_counter() - t0)
        assert report is not None
        print(
            f"compute_kpis FY {args.fy}: best {min(timings):.3f} s, "
            f"median {statistics.median(timings):.3f} s over {args.repeat} runs "
            f"({report.in_force:,} in force, {report.compliance.total:,} transitions judged)"
        )
        scoped = time.perf_counter()
        compute_kpis(engine, args.fy, as_of, "TH-50")
        print(f"compute_kpis FY {args.fy} TH-50: {time.perf_counter() - scoped:.3f} s")
        for name, render in (
            ("table", render_table),
            ("json", render_json),
            ("csv", render_csv),
            ("html", render_html),
        ):
            t0 = time.perf_counter()
            size = len(render(report))
            print(f"render {name}: {time.perf_counter() - t0:.3f} s ({size:,} chars)")
        engine.dispose()
        worst = max(timings)
        limit = 2.0
        if args.quick:
            return 0
        print("OK" if worst < limit else f"SLOW: {worst:.3f} s ≥ {limit} s")
        return 0 if worst < limit else 1


if __name__ == "__main__":
    sys.exit(main())
