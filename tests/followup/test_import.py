"""Importing existing relationships: all or nothing, every bad row named, no duplicates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from cli import cli
from store import SqlAlchemyUnitOfWork
from store.tables import AuditRow, CaseRow
from workflow import importer
from workflow.errors import PermissionDenied
from workflow.model import Actor
from workflow.thaidate import to_buddhist_era, to_common_era

from .conftest import SAMPLE, at, csv_bytes

NOW = at("2026-11-20")


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(CaseRow)).scalar_one()
        audit = conn.execute(select(func.count()).select_from(AuditRow)).scalar_one()
    return cases, audit


def test_sample_imports_cleanly_once(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    data = SAMPLE.read_bytes()
    result = importer.import_relationships(fuow, officers["anong"], data, "sample.csv", NOW)
    assert result.rows == 10 and len(result.created) == 10 and not result.skipped
    with fuow:
        cm = fuow.cases.list("TH-50")
        history = fuow.audit.for_case(cm[0].reference)
    assert {c.partner_name for c in cm} == {"Chengdu", "Guangzhou"}
    assert [r.kind for r in history] == ["import"]
    assert history[0].fields["file_sha256"] == result.file_sha256
    assert history[0].fields["source"].startswith("cdfao.gov.cn")
    assert history[0].dest == "active" and history[0].source is None
    with fuow:
        thai_nguyen = fuow.cases.list("TH-41")[0]
        facts = fuow.facts.get(cm[0].reference)
    assert thai_nguyen.state == "mfa_consultation"
    assert facts is not None and facts.established_on == dt.date(2015, 3, 30)
    before = _counts(engine)
    again = importer.import_relationships(fuow, officers["anong"], data, "sample.csv", NOW)
    assert again.created == () and len(again.skipped) == 10
    assert _counts(engine) == before


def test_bom_crlf_copy_imports_identically(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    plain = importer.parse_csv(SAMPLE.read_bytes(), NOW.date())
    variant = b"\xef\xbb\xbf" + SAMPLE.read_bytes().replace(b"\n", b"\r\n")
    assert importer.parse_csv(variant, NOW.date()) == plain
    importer.import_relationships(fuow, officers["anong"], variant, "bom.csv", NOW)
    again = importer.import_relationships(
        fuow, officers["anong"], SAMPLE.read_bytes(), "plain.csv", NOW
    )
    assert again.created == () and len(again.skipped) == 10


def test_bad_rows_are_all_reported_and_nothing_is_written(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    data = csv_bytes(
        [
            "TH-50,Chengdu,CN,city,MOU,sister,2015-03-30,active,ok",
            "Narnia,Somewhere,CN,city,MOU,sister,2015-03-30,active,x",
            "Chonburi,Somewhere,CN,city,MOU,sister,2015-02-30,active,x",
            "Bangkok,Somewhere,CN,city,MOU,sister,2015-03-30,flourishing,x",
            "Phang Nga,Somewhere,XX,city,MOU,sister,2015-03-30,active,x",
            "Sisaket,Somewhere,KR,city,MOU,sister,2015,moi_review,x",  # signed, yet a proposal
            "Sisaket,Elsewhere,KR,,MOU,sister,,active,x",  # date and level unknown: accepted
        ]
    )
    before = _counts(engine)
    with pytest.raises(importer.ImportRejected) as caught:
        importer.import_relationships(fuow, officers["anong"], data, "bad.csv", NOW)
    found = {(p.line, p.column) for p in caught.value.problems}
    assert found == {
        (3, "province"),
        (4, "signed_on"),
        (5, "status"),
        (6, "partner_country"),
        (7, "signed_on"),
    }
    assert _counts(engine) == before


def test_province_names_dates_and_identity() -> None:
    rows = importer.parse_csv(
        csv_bytes(
            [
                "Chonburi,A,cn,city,mou,sister,2558,active,x",
                "ชลบุรี,B,CN,city,LOI,friendship,2558-10,active,x",
                "Bangkok,C,CN,city,MOU,sister,2015-10-01,active,x",
                "Phang Nga,D,CN,city,MOU,cooperation,,moi_review,x",
            ]
        ),
        dt.date(2026, 1, 1),
    )
    assert [r.province for r in rows] == ["TH-20", "TH-20", "TH-10", "TH-82"]
    assert [(r.signed_on, r.signed_precision) for r in rows[:3]] == [
        (dt.date(2015, 1, 1), "year"),
        (dt.date(2015, 10, 1), "month"),
        (dt.date(2015, 10, 1), "day"),
    ]
    assert rows[0].instrument == "MOU" and rows[0].partner_country == "CN"
    duplicate = csv_bytes(["TH-10,Ｃｈｅｎｇｄｕ,CN,city,MOU,sister,2015,active,x"] * 2)
    with pytest.raises(importer.ImportRejected, match="same relationship as line 2"):
        importer.parse_csv(duplicate, dt.date(2026, 1, 1))


def test_only_ministry_officers_import(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    with pytest.raises(PermissionDenied):
        importer.import_relationships(fuow, officers["somchai"], SAMPLE.read_bytes(), "s.csv", NOW)


@given(
    # B.E. text needs a year of 2400+ (C.E. 1857+); C.E. text must stay below 2400.
    st.dates(min_value=dt.date(1857, 1, 1), max_value=dt.date(2399, 12, 31)),
    st.sampled_from(["day", "month", "year"]),
    st.booleans(),
)
def test_partial_dates_round_trip_in_both_eras(day: dt.date, precision: str, be: bool) -> None:
    first = {
        "day": day,
        "month": day.replace(day=1),
        "year": day.replace(month=1, day=1),
    }[precision]
    text = importer.format_partial_date(first, precision, buddhist=be)
    assert importer.parse_partial_date(text) == (first, precision)
    assert to_common_era(to_buddhist_era(day.year)) == day.year


def test_cli_import_dry_run_then_real(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "cli.db")
    env = {"SISTERCITY_DB": db, "SISTERCITY_OFFICER": None}
    assert runner.invoke(cli, ["init", "--training"], env=env).exit_code == 0
    for args in (
        ["officer", "add", "admin", "--name", "Admin", "--role", "admin"],
        ["--as", "admin", "officer", "add", "anong", "--name", "A", "--role", "moi_officer"],
    ):
        assert runner.invoke(cli, args, env=env).exit_code == 0, args
    dry = runner.invoke(
        cli, ["--as", "anong", "import", "relationships", str(SAMPLE), "--dry-run"], env=env
    )
    assert dry.exit_code == 0 and "would create 10" in dry.output
    real = runner.invoke(cli, ["--as", "anong", "import", "relationships", str(SAMPLE)], env=env)
    assert real.exit_code == 0 and "created 10" in real.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(["Narnia,X,CN,city,MOU,sister,2015,active,x"]))
    refused = runner.invoke(cli, ["--as", "anong", "import", "relationships", str(bad)], env=env)
    assert refused.exit_code == 1
    assert "line 2, province: unknown province 'Narnia'" in refused.output
