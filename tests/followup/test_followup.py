"""Activities, plans, mechanisms, the sweep, renewal and termination, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from cli import cli
from store import SqlAlchemyUnitOfWork
from store.projections import rebuild
from workflow import followup as fu
from workflow import services
from workflow.errors import InvalidInput, MissingFields, PermissionDenied
from workflow.model import Actor
from workflow.thaidate import fiscal_year_be

from .conftest import at, doc, import_rows, walk_to_active


def test_activity_with_several_evidence_files_revives_a_dormant_case(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], tmp_path: Path
) -> None:
    ref = walk_to_active(fuow, officers)  # signed 2024-03-31 (FY 2567), reported 2024-04-19
    assert fu.sweep(fuow, dt.date(2025, 9, 30), at("2025-09-30", 23)).fired == ()
    swept = fu.sweep(fuow, dt.date(2025, 10, 1), at("2025-10-01", 1))
    assert [(a.reference, a.trigger, a.dest) for a in swept.fired] == [
        (ref, "mark_dormant", "dormant")
    ]
    assert "FY 2568" in swept.fired[0].rule
    # idempotent: the same day again changes nothing
    assert fu.sweep(fuow, dt.date(2025, 10, 1), at("2025-10-01", 2)).fired == ()
    photo, report = tmp_path / "photo.jpg", tmp_path / "report.pdf"
    photo.write_bytes(b"\xff\xd8 photo")
    report.write_bytes(b"%PDF report")
    record = fu.record_activity(
        fuow,
        officers["somchai"],
        ref,
        fu.ActivityInput(dt.date(2025, 10, 5), "visit", "คณะผู้แทนกว่างโจวเยือน", True, "15000"),
        [photo, report],
        "",
        at("2025-10-06"),
    )
    assert (record.source, record.dest) == ("dormant", "active")
    evidence = record.fields["evidence"]
    assert [e["name"] for e in evidence] == ["photo.jpg", "report.pdf"]
    with fuow:
        stored = fuow.documents.get(hashlib.sha256(b"%PDF report").hexdigest())
        history = fuow.audit.for_case(ref)
    assert stored == b"%PDF report"
    dormant_event = next(r for r in history if r.trigger == "mark_dormant")
    assert dormant_event.actor_id == "system" and dormant_event.fields["rule"].startswith(
        "dormancy"
    )
    [activity] = fu.list_activities(fuow, ref)
    assert activity.fiscal_year == 2569 and activity.evidence_count == 2
    assert str(activity.budget_thb) == "15000.00"


def test_fiscal_year_edges(fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]) -> None:
    ref = walk_to_active(fuow, officers)
    for day in ("2024-09-30", "2024-10-01"):
        fu.record_activity(
            fuow,
            officers["somchai"],
            ref,
            fu.ActivityInput(dt.date.fromisoformat(day), "meeting", f"meeting {day}"),
            [],
            "",
            at("2024-10-02"),
        )
    years = {a.activity_date.isoformat(): a.fiscal_year for a in fu.list_activities(fuow, ref)}
    assert years == {"2024-09-30": 2567, "2024-10-01": 2568}
    assert fiscal_year_be(dt.date(2024, 9, 30)) == 2567
    # last activity in FY 2568: quiet FY 2569 closes on 30 Sep 2026 → dormant from 1 Oct 2026
    assert fu.sweep(fuow, dt.date(2026, 9, 30), at("2026-09-30", 20)).fired == ()
    assert len(fu.sweep(fuow, dt.date(2026, 10, 1), at("2026-10-01", 8)).fired) == 1


def test_renewal_reruns_the_chain_and_the_term_expires(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    ref = walk_to_active(fuow, officers, term_years=2)  # expires 2026-03-31
    o = officers
    steps: list[tuple[str, str, str, dict[str, Any], str]] = [
        ("2024-06-01", "somchai", "begin_renewal", {"revised_draft": doc("rev.docx")}, "revise"),
        (
            "2024-06-10",
            "governor-cm",
            "submit_renewal",
            {
                "submission_letter_no": "ชม 1/2567",
                "submission_letter_date": "2024-06-10",
                "submission_letter": doc("letter.pdf"),
            },
            "",
        ),
        ("2024-06-20", "director-fad", "accept_for_review", {}, ""),
        (
            "2024-06-21",
            "director-fad",
            "consult_mfa",
            {"mfa_request_letter_no": "มท 1/2567", "mfa_request_date": "2024-06-21"},
            "",
        ),
        (
            "2024-07-15",
            "anong",
            "record_mfa_opinion",
            {
                "mfa_opinion_no": "กต 1/2567",
                "mfa_opinion_date": "2024-07-14",
                "mfa_opinion": doc("mfa.pdf"),
            },
            "",
        ),
        (
            "2024-08-01",
            "permsec",
            "propose_to_cabinet",
            {
                "agreed_text_th": doc("th.pdf"),
                "agreed_text_en": doc("en.pdf"),
                "cabinet_proposal_no": "มท 2/2567",
            },
            "",
        ),
        (
            "2024-08-20",
            "anong",
            "record_cabinet_approval",
            {
                "cabinet_resolution_date": "2024-08-20",
                "cabinet_secretariat_letter_no": "นร 1/2567",
            },
            "",
        ),
        (
            "2024-09-01",
            "governor-cm",
            "record_signing",
            {
                "signed_on": "2024-09-01",
                "signing_place": "Chiang Mai",
                "signatory": "Governor",
                "partner_signatory": "Mayor",
                "signed_text_th": doc("sth.pdf"),
                "signed_text_en": doc("sen.pdf"),
                "term_years": "3",
            },
            "",
        ),
        (
            "2024-09-10",
            "somchai",
            "report_signing",
            {"signing_report_no": "ชม 2/2567", "signing_report": doc("report.pdf")},
            "",
        ),
    ]
    states = []
    for day, who, trigger, fields, note in steps:
        states.append(
            services.advance_case(fuow, o[who], ref, trigger, fields, note, at(day)).dest
        )
    assert states[0] == "renewal_in_progress" and states[1] == "submitted_to_moi"
    assert states[-1] == "active"
    with fuow:
        facts = fuow.facts.get(ref)
    assert facts is not None
    assert facts.established_on == dt.date(2024, 3, 31)  # renewal is not a new relationship
    assert facts.expires_on == dt.date(2027, 9, 1)
    # an activity every year keeps it active until the new term ends
    for day in ("2025-01-10", "2026-01-10", "2027-01-10"):
        fu.record_activity(
            fuow, o["somchai"], ref, fu.ActivityInput(dt.date.fromisoformat(day), "exchange", "x"),
            [], "", at(day),
        )  # fmt: skip
    assert fu.sweep(fuow, dt.date(2027, 8, 31), at("2027-08-31")).fired == ()
    [expired] = fu.sweep(fuow, dt.date(2027, 9, 1), at("2027-09-01")).fired
    assert (expired.trigger, expired.dest) == ("expire", "expired")
    assert "ended 2027-09-01" in expired.rule
    assert fu.sweep(fuow, dt.date(2027, 9, 1), at("2027-09-01", 11)).fired == ()


def test_termination_needs_the_notice(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    ref = walk_to_active(fuow, officers)
    gov = officers["governor-cm"]
    with pytest.raises(MissingFields, match="termination_notice"):
        services.advance_case(
            fuow, gov, ref, "terminate", {"termination_notice_date": "2025-01-05"}, "why",
            at("2025-01-06"),
        )  # fmt: skip
    record = services.advance_case(
        fuow,
        gov,
        ref,
        "terminate",
        {"termination_notice": doc("notice.pdf"), "termination_notice_date": "2025-01-05"},
        "partner asked",
        at("2025-01-06"),
    )
    assert record.dest == "terminated"
    with fuow:
        facts = fuow.facts.get(ref)
    assert facts is not None and facts.ended_on == dt.date(2025, 1, 5)


def test_sweep_timestamps_never_go_backwards_and_future_is_refused(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    [ref] = import_rows(
        fuow, officers["anong"], ["TH-50,Chengdu,CN,city,MOU,sister,2015-03-30,active,x"],
        at("2026-11-20"),
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="future"):
        fu.sweep(fuow, dt.date(2026, 11, 21), at("2026-11-20"))
    # a catch-up run whose clock is behind the import still stamps after it
    report = fu.sweep(fuow, dt.date(2028, 10, 1), at("2028-10-01"))
    assert [a.reference for a in report.fired] == [ref]
    with fuow:
        history = fuow.audit.for_case(ref)
    times = [r.occurred_at for r in history]
    assert times == sorted(times)


def test_plans_and_mechanisms(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], tmp_path: Path
) -> None:
    ref = walk_to_active(fuow, officers)
    plan_pdf = tmp_path / "plan-2568.pdf"
    plan_pdf.write_bytes(b"plan")
    plan = fu.set_plan(
        fuow, officers["somchai"], ref, 2568, "1,200,000", plan_pdf, at("2024-10-02")
    )
    again = fu.set_plan(fuow, officers["somchai"], ref, 2568, "900000", plan_pdf, at("2024-10-03"))
    assert again.audit_seq > plan.audit_seq
    [stored] = fu.list_plans(fuow, ref)
    assert str(stored.budget_thb) == "900000.00" and stored.document["name"] == "plan-2568.pdf"
    with pytest.raises(InvalidInput, match="Buddhist Era"):
        fu.set_plan(fuow, officers["somchai"], ref, 2025, "1", plan_pdf, at("2024-10-03"))
    with pytest.raises(PermissionDenied):
        fu.set_plan(fuow, officers["anong"], ref, 2568, "1", plan_pdf, at("2024-10-03"))
    m = fu.set_mechanism(
        fuow, officers["governor-cm"], "TH-50", "คำสั่งจังหวัด 123/2567", dt.date(2024, 2, 1),
        "ผู้ว่าราชการจังหวัด", None, at("2024-10-03"),
    )  # fmt: skip
    assert [x.province for x in fu.list_mechanisms(fuow)] == ["TH-50"]
    with fuow:
        kinds = [r.kind for r in fuow.audit.for_case(ref)]
        events = list(fuow.audit.iter_all())
    assert kinds.count("plan") == 2
    assert any(r.kind == "mechanism" and r.seq == m.audit_seq and r.dest is None for r in events)
    with pytest.raises(PermissionDenied):
        fu.set_mechanism(
            fuow, officers["somchai"], "TH-83", "1/2567", dt.date(2024, 2, 1), "x", None,
            at("2024-10-03"),
        )  # fmt: skip


def test_cli_follow_up_commands(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "demo.db")
    env = {"SISTERCITY_DB": db, "SISTERCITY_OFFICER": None}
    assert runner.invoke(cli, ["demo", "--db", db], env=env).exit_code == 0
    ev = tmp_path / "ev.jpg"
    ev.write_bytes(b"jpg")
    plan_pdf = tmp_path / "plan.pdf"
    plan_pdf.write_bytes(b"pdf")
    today = dt.datetime.now(dt.UTC).date()
    commands = [
        ["--as", "somchai", "activity", "add", "SC-2564-0001", "--date", str(today),
         "--kind", "culture", "--title", "ลอยกระทง", "--evidence", str(ev), "--evidence",
         str(plan_pdf), "--budget", "5000"],
        ["activity", "list", "--province", "Chiang Mai"],
        ["--as", "somchai", "plan", "set", "SC-2564-0001", "--fy", "2569", "--budget", "100000",
         "--file", str(plan_pdf)],
        ["plan", "list"],
        ["--as", "malee", "province", "mechanism", "set", "TH-50", "--order-no", "1/2567",
         "--date", "2567-01-15", "--chair", "ผู้ว่าฯ"],
        ["province", "mechanism", "list"],
        ["province", "list"],
        ["--as", "sweeper", "sweep"],
        ["report", "kpi", "--format", "json"],
        ["report", "kpi", "--format", "csv", "--fy", "2567"],
        ["report", "kpi", "--province", "TH-50"],
        ["report", "kpi", "--format", "html", "-o", str(tmp_path / "kpi.html")],
    ]  # fmt: skip
    outputs = []
    for args in commands:
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    assert "ลอยกระทง" in outputs[1] and "เชียงใหม่" in outputs[6]
    assert "1/2567 of 2024-01-15" in outputs[5]
    refused = runner.invoke(cli, ["--as", "sweeper", "sweep", "--as-of", "2999-01-01"], env=env)
    assert refused.exit_code == 1 and "future" in refused.output
    assert (tmp_path / "kpi.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_rebuilding_the_read_models_from_the_log_gives_the_same_rows(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    """What the 0002 migration does for an existing log equals what the hook did live."""
    ref = walk_to_active(fuow, officers, term_years=5)
    fu.record_activity(
        fuow, officers["somchai"], ref, fu.ActivityInput(dt.date(2024, 5, 1), "trade", "fair"),
        [], "", at("2024-05-02"),
    )  # fmt: skip
    fu.sweep(fuow, dt.date(2025, 10, 1), at("2025-10-01"))
    tables = ("case_facts", "moves", "activities")

    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        with engine.connect() as conn:
            return {
                t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in tables
            }

    live = snapshot()
    with engine.begin() as conn:
        assert rebuild(conn) > 10
    assert snapshot() == live
