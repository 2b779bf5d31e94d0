"""Registers as provinces keep them: encodings, partial dates, LOI → MOU, data quality."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from cli import cli
from store import SqlAlchemyUnitOfWork
from store.tables import AuditRow, CaseFactsRow, CaseRow
from store.verify import verify_database
from workflow import followup as fu
from workflow import importer
from workflow.model import Actor
from workflow.register import data_quality, relationships

from .conftest import at
from .register_gen import HEADER, generate, to_csv

NOW = at("2026-11-20")


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(CaseRow)).scalar_one()
        audit = conn.execute(select(func.count()).select_from(AuditRow)).scalar_one()
    return cases, audit


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


# ---------------------------------------------------------------------- acceptance
def test_a_generated_register_imports_whole_once_and_lists_what_to_complete(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    rows = generate(520)
    partial = [r for r in rows if r.precision in ("month", "year", "unknown")]
    assert len(rows) >= 500 and len(partial) / len(rows) >= 0.30
    assert sum(1 for r in rows if r.supersedes_line) >= 30
    assert sum(1 for r in rows if "/" in r.text) >= 100  # D/M/YYYY, B.E., some in Thai digits
    text = to_csv(rows)
    thai_windows = text.replace("\n", "\r\n").encode("cp874")
    utf8_bom = codecs.BOM_UTF8 + text.encode("utf-8")
    assert importer.parse_csv(thai_windows, NOW.date()) == importer.parse_csv(utf8_bom, NOW.date())

    # all or nothing: one bad row at the end and nothing at all is written
    bad = (text + "ภูเก็ต,Partner X,CN,city,MOU,sister,31/2/2560,active,x,,\n").encode("cp874")
    before = _counts(engine)
    with pytest.raises(importer.ImportRejected) as refused:
        importer.import_relationships(fuow, officers["anong"], bad, "bad.csv", NOW)
    assert [(p.line, p.column) for p in refused.value.problems] == [(len(rows) + 2, "signed_on")]
    assert _counts(engine) == before

    result = importer.import_relationships(
        fuow, officers["anong"], thai_windows, "register-874.csv", NOW
    )
    assert result.encoding == "cp874" and len(result.created) == len(rows)
    assert [line for line, _ in result.created] == [r.line for r in rows]
    for row, (_, ref) in zip(rows, result.created, strict=True):
        row.ref = ref
    by_line = {r.line: r for r in rows}

    with fuow:
        facts = {r.ref: fuow.facts.get(r.ref) for r in rows}
    for r in rows:
        f = facts[r.ref]
        assert f is not None
        if not r.established:
            assert f.established_precision is None and f.established_on is None
            continue
        assert (f.established_on, f.established_precision) == (r.signed, r.precision)
        if r.supersedes_line:
            replaced = by_line[r.supersedes_line]
            assert f.supersedes == replaced.ref and f.relationship == replaced.ref
            assert facts[replaced.ref].superseded_by == r.ref  # type: ignore[union-attr]
        if r.term:
            assert f.term_years == r.term
            assert (f.expires_on is None) == (r.precision != "day")

    # the UTF-8 copy with a BOM is the same register: it creates nothing
    before = _counts(engine)
    again = importer.import_relationships(fuow, officers["anong"], utf8_bom, "register.csv", NOW)
    assert again.created == () and len(again.skipped) == len(rows)
    assert _counts(engine) == before

    # every relationship is listed, with its date as precisely as it is known
    listed = {e.reference: e for e in relationships(fuow)}
    assert set(listed) == {r.ref for r in rows}
    unknown = next(r for r in rows if r.precision == "unknown")
    assert listed[unknown.ref].signed.text("both") == "ไม่ทราบวันที่ / date unknown"

    # what to complete: exactly the incomplete rows, per gap
    quality = data_quality(fuow, NOW.date())
    expected = {
        "date_unknown": {r.ref for r in rows if r.precision == "unknown"},
        "date_partial": {r.ref for r in rows if r.precision in ("month", "year")},
        "term_unknown": {r.ref for r in rows if r.term and r.precision != "day"},
        "no_partner_level": {r.ref for r in rows if not r.level},
        "no_plan": {
            r.ref
            for r in rows
            if r.status == "active" and not any(o.supersedes_line == r.line for o in rows)
        },
    }
    for issue, refs in expected.items():
        assert quality.references(issue) == refs, issue
    exact = {r.ref for r in rows if r.precision == "day" and r.level and r.status != "active"}
    assert not exact & quality.references()
    assert verify_database(engine).exit_code == 0


# ---------------------------------------------------------------------- encodings and size
SAMPLE_TH = _csv(
    "เชียงใหม่,Guangzhou,CN,city,LOI,friendship,31/3/2567,ความสัมพันธ์ดำเนินอยู่,ข่าว,,",
    "ภูเก็ต,Xiamen,CN,,MOU,sister,พ.ศ. 2560,active,ข่าว,,5",
)


def test_thai_windows_files_are_recognised() -> None:
    text = SAMPLE_TH.decode("utf-8")
    for data, used in (
        (text.encode("cp874"), "cp874"),
        (text.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8-sig"),
        (text.replace(",", "\t").encode("utf-16"), "utf-16"),
        (text.replace(",", ";").encode("cp874"), "cp874"),
    ):
        assert importer.decode_register(data)[1] == used
        rows = importer.parse_csv(data, NOW.date())
        assert [(r.province, r.status, r.signed_precision) for r in rows] == [
            ("TH-50", "active", "day"),
            ("TH-83", "active", "year"),
        ]


def test_a_file_that_is_neither_is_refused_with_how_to_save_it() -> None:
    latin = _csv("TH-50,Zürich,CH,city,MOU,sister,2015,active,x,,").decode().encode("latin-1")
    with pytest.raises(importer.ImportRejected) as refused:
        importer.parse_csv(latin, NOW.date())
    (problem,) = refused.value.problems
    assert problem.line == 2 and "CSV UTF-8" in problem.reason and "--encoding" in problem.reason
    rows = importer.parse_csv(latin, NOW.date(), encoding="latin-1")
    assert rows[0].partner_name == "Zürich"
    with pytest.raises(importer.ImportRejected, match="not utf-8"):
        importer.parse_csv(SAMPLE_TH.decode().encode("cp874"), NOW.date(), encoding="utf-8")


def test_oversized_fields_and_files_are_refused_clearly(tmp_path: Path, runner: CliRunner) -> None:
    huge = _csv("TH-50,A,CN,city,MOU,sister,2015,active," + "x" * 1_000_000 + ",,")
    with pytest.raises(importer.ImportRejected) as refused:
        importer.parse_csv(huge, NOW.date())
    assert [(p.line, p.column) for p in refused.value.problems] == [(2, "file")]
    assert "is this the register?" in refused.value.problems[0].reason
    long = _csv("TH-50,A,CN,city,MOU,sister,2015,active," + "x" * 2001 + ",,")
    with pytest.raises(importer.ImportRejected, match="line 2, source: longer than 2,000"):
        importer.parse_csv(long, NOW.date())
    with pytest.raises(importer.ImportRejected, match="larger than"):
        importer.parse_csv(b" " * (importer.MAX_FILE_BYTES + 1), NOW.date())

    db = str(tmp_path / "cli.db")
    env = {"SISTERCITY_DB": db, "SISTERCITY_OFFICER": None}
    assert runner.invoke(cli, ["init", "--training"], env=env).exit_code == 0
    for args in (
        ["officer", "add", "admin", "--name", "Admin", "--role", "admin"],
        ["--as", "admin", "officer", "add", "anong", "--name", "A", "--role", "moi_officer"],
    ):
        assert runner.invoke(cli, args, env=env).exit_code == 0, args
    path = tmp_path / "huge.csv"
    path.write_bytes(huge)
    result = runner.invoke(cli, ["--as", "anong", "import", "relationships", str(path)], env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert "nothing was imported" in result.output
    usage = runner.invoke(
        cli,
        ["--as", "anong", "import", "relationships", str(path), "--encoding", "klingon"],
        env=env,
    )
    assert usage.exit_code == 2 and "unknown encoding" in usage.output
    listed = runner.invoke(cli, ["case", "list"], env=env)
    assert listed.exit_code == 0 and listed.stdout == ""  # "no cases match" on stderr


# ---------------------------------------------------------------------- instruments and dates
def test_a_letter_of_intent_and_the_mou_that_replaces_it(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    loi_row = "TH-50,Guangzhou,CN,city,LOI,friendship,2567-03-31,active,x,,"
    first = importer.import_relationships(fuow, officers["anong"], _csv(loi_row), "loi.csv", NOW)
    loi = first.references[0]
    # the MOU arrives in a later file: by reference, or by instrument of the same partner
    for supersedes in (loi, "LOI", "LOI 31/3/2567"):
        rows = importer.parse_csv(
            _csv(f"TH-50,guangzhou,CN,city,MOU,friendship,2568,active,x,{supersedes},"),
            NOW.date(),
        )
        with fuow:
            links = importer.link_instruments(
                rows, fuow.followup.register_rows(), frozenset({"active"})
            )
        assert links[2].reference == loi
    second = importer.import_relationships(
        fuow, officers["anong"], _csv("TH-50,Guangzhou,CN,city,MOU,friendship,2568,active,x,LOI,"),
        "mou.csv", NOW,
    )  # fmt: skip
    assert second.linked == ((2, loi),)
    with fuow:
        replaced = fuow.facts.get(loi)
        mou = fuow.facts.get(second.references[0])
    assert replaced is not None and replaced.superseded_by == second.references[0]
    assert mou is not None and (mou.supersedes, mou.relationship) == (loi, loi)
    with pytest.raises(importer.ImportRejected, match="already replaced"):
        importer.import_relationships(
            fuow, officers["anong"],
            _csv(f"TH-50,Guangzhou,CN,city,agreement,friendship,2569,active,x,{loi},"),
            "again.csv", NOW,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,LOI,"], "no LOI of A"),
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,line 2,"], "cannot replace itself"),
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,line 9,"], "not a relationship of this file"),
        (
            [
                "TH-50,A,CN,city,LOI,sister,2019,active,x,,",
                "TH-83,A,CN,city,MOU,sister,2020,active,x,line 2,",
            ],
            "another province's or partner's",
        ),
        (
            [
                "TH-50,A,CN,city,LOI,sister,,moi_review,x,,",
                "TH-50,A,CN,city,MOU,sister,2020,active,x,LOI,",
            ],
            "is not signed",
        ),
        (
            [
                "TH-50,A,CN,city,LOI,sister,2018,active,x,,",
                "TH-50,A,CN,city,LOI,sister,2019,active,x,,",
                "TH-50,A,CN,city,MOU,sister,2020,active,x,LOI,",
            ],
            "several LOI of A: add its date",
        ),
        (
            [
                "TH-50,A,CN,city,LOI,sister,2018,active,x,,",
                "TH-50,A,CN,city,MOU,sister,2019,active,x,line 2,",
                "TH-50,A,CN,city,agreement,sister,2020,active,x,line 2,",
            ],
            "line 3 already replaces the same one",
        ),
        (
            [
                "TH-50,A,CN,city,LOI,sister,2018,active,x,line 3,",
                "TH-50,A,CN,city,MOU,sister,2019,active,x,line 2,",
            ],
            "circle",
        ),
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,SC-2500-0001,"], "no case SC-2500-0001"),
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,the old one,"], "is not a case reference"),
        (["TH-50,A,CN,city,MOU,sister,,mfa_consultation,x,,5"], "term_years"),
        (["TH-50,A,CN,city,MOU,sister,2020,active,x,,many"], "not a number of years"),
    ],
)
def test_links_that_cannot_be_made_are_refused(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine, rows: list[str],
    reason: str,
) -> None:  # fmt: skip
    before = _counts(engine)
    with pytest.raises(importer.ImportRejected, match=reason):
        importer.import_relationships(fuow, officers["anong"], _csv(*rows), "x.csv", NOW)
    assert _counts(engine) == before


def test_statuses_by_name_and_unknown_dates_of_signed_relationships() -> None:
    rows = importer.parse_csv(
        _csv(
            "TH-50,A,CN,,MOU,sister,,ความสัมพันธ์ดำเนินอยู่,x,,",
            "TH-50,B,CN,city,MOU,sister,ไม่ทราบ,Terminated,x,,",
            "TH-50,C,CN,city,MOU,sister,,MFA consultation,x,,",
        ),
        NOW.date(),
    )
    assert [(r.status, r.signed_on, r.partner_level) for r in rows] == [
        ("active", None, ""),
        ("terminated", None, "city"),
        ("mfa_consultation", None, "city"),
    ]


def test_the_sweep_never_expires_a_term_it_cannot_compute(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    refs = importer.import_relationships(
        fuow,
        officers["anong"],
        _csv(
            "TH-50,Exact,CN,city,MOU,sister,2015-03-30,active,x,,5",
            "TH-50,Year,CN,city,MOU,sister,2558,active,x,,5",
            "TH-50,Unknown,CN,city,MOU,sister,,active,x,,5",
            "TH-50,Later,CN,city,MOU,sister,2023,active,x,,5",
            "TH-50,Old,CN,city,LOI,sister,2014,active,x,,",
            "TH-50,Old,CN,city,MOU,sister,2015-06-01,active,x,LOI,",
        ),
        "terms.csv",
        at("2024-06-01"),
    ).references
    exact, year, unknown, later, loi, mou = refs
    report = fu.sweep(fuow, dt.date(2024, 10, 1), at("2024-10-01", 1))
    assert {a.reference: a.dest for a in report.fired} == {exact: "expired"}
    uncertain = {u.reference: u for u in report.uncertain}
    assert set(uncertain) == {year, unknown}  # 'Later' cannot have ended yet
    assert (uncertain[year].earliest_end, uncertain[year].latest_end) == (
        dt.date(2020, 1, 1),
        dt.date(2020, 12, 31),
    )
    assert uncertain[unknown].earliest_end is None
    # a year later: nothing expires, and the replaced letter of intent is not swept dormant
    later_report = fu.sweep(fuow, dt.date(2025, 10, 1), at("2025-10-01", 1))
    assert loi not in {a.reference for a in later_report.fired}
    assert {a.reference for a in later_report.fired} == {year, unknown, later, mou}
    assert all(a.dest == "dormant" for a in later_report.fired)
    with fuow:
        states = {c.reference: c.state for c in fuow.cases.list()}
    assert states[year] == "dormant" and states[loi] == "active"
    assert verify_database(engine).exit_code == 0


def test_cli_register_and_data_quality(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "cli.db")
    env = {"SISTERCITY_DB": db, "SISTERCITY_OFFICER": None}
    assert runner.invoke(cli, ["init", "--training"], env=env).exit_code == 0
    for args in (
        ["officer", "add", "admin", "--name", "Admin", "--role", "admin"],
        ["--as", "admin", "officer", "add", "anong", "--name", "A", "--role", "moi_officer"],
    ):
        assert runner.invoke(cli, args, env=env).exit_code == 0, args
    path = tmp_path / "register.csv"
    path.write_bytes(SAMPLE_TH.decode().encode("cp874"))
    imported = runner.invoke(cli, ["--as", "anong", "import", "relationships", str(path)], env=env)
    assert imported.exit_code == 0 and "cp874" in imported.output
    listed = runner.invoke(cli, ["report", "register", "--lang", "th"], env=env)
    assert listed.exit_code == 0
    assert "31 มี.ค. 2567" in listed.output and "พ.ศ. 2560" in listed.output
    assert "เชียงใหม่" in listed.output and "ความสัมพันธ์ดำเนินอยู่" in listed.output
    quality = runner.invoke(
        cli,
        ["report", "data-quality", "--as-of", "2026-11-20", "--issue", "date_partial"],
        env=env,
    )
    assert quality.exit_code == 0
    assert "Xiamen" in quality.output and "Guangzhou" not in quality.output
    assert "พ.ศ. 2560 / 2017" in quality.output
    as_json = runner.invoke(cli, ["report", "data-quality", "--json"], env=env)
    gaps = {
        (g["partner_name"], g["issue"]) for g in __import__("json").loads(as_json.output)["gaps"]
    }
    assert ("Xiamen", "no_partner_level") in gaps and ("Xiamen", "term_unknown") in gaps


def test_read_models_rebuilt_from_the_log_keep_the_links(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], engine: Engine
) -> None:
    from store.projections import rebuild

    importer.import_relationships(
        fuow,
        officers["anong"],
        _csv(
            "TH-50,A,CN,city,LOI,sister,2018,active,x,,",
            "TH-50,A,CN,city,MOU,sister,,active,x,LOI,3",
        ),
        "x.csv",
        NOW,
    )
    columns = list(CaseFactsRow.__table__.columns)

    def snapshot() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*columns).order_by(columns[0]))]

    live = snapshot()
    with engine.begin() as conn:
        rebuild(conn)
    assert snapshot() == live
