"""The procedure is data, all of it: rename every id and nothing else changes.

Every shipped definition is copied into a procedures folder with every state, trigger, role and
procedure id renamed (``x_`` prefixed). The demo walkthrough, the sweep across fiscal-year
boundaries, an import, the KPI report and ``audit verify`` then give the same results on the
renamed copy as on the original, modulo the names. If any module outside ``states/procedures/``
matched a state, trigger or role by name, the renamed world would behave differently here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from states import PROCEDURES_ENV, RETURN, available_procedures, load_procedure
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import FOLLOW_UP, OFFICERS, STEPS, _at
from store.kpi import compute_kpis
from store.verify import verify_database
from tests.states.test_definitions import to_toml
from workflow import followup as fu
from workflow import importer, services
from workflow.kpi import render_json
from workflow.ministry import set_ministry_mechanism
from workflow.model import Actor, NewCase
from workflow.monitoring import national_summary, open_report, submit_report
from workflow.register import data_quality
from workflow.thaidate import BANGKOK

PREFIX = "x_"
SAMPLE = Path(__file__).parent / "data" / "relationships-sample.csv"
SWEEPS = (dt.date(2025, 10, 1), dt.date(2026, 10, 1))


def rename_definition(raw: dict[str, Any]) -> dict[str, Any]:
    """The same definition with every state, trigger, role and procedure id renamed."""

    def r(name: str) -> str:
        return name if name in (RETURN, "open") else PREFIX + name

    d: dict[str, Any] = json.loads(json.dumps(raw, default=str))
    d["effective_from"] = raw["effective_from"]
    d["procedure"] = r(d["procedure"])
    d.pop("supersedes_sha256", None)
    d["initial"] = r(d["initial"])
    for role in d["roles"]:
        role["id"] = r(role["id"])
    for state in d["states"]:
        state["id"] = r(state["id"])
    for t in d["transitions"]:
        t["trigger"] = r(t["trigger"])
        t["source"] = [r(s) for s in t["source"]]
        t["dest"] = r(t["dest"])
        t["roles"] = [r(x) for x in t["roles"]]
        if "separate_from" in t:
            t["separate_from"] = [r(x) for x in t["separate_from"]]
    for action in d.get("actions", {}).values():
        action["roles"] = [r(x) for x in action["roles"]]
    return d


@pytest.fixture(scope="module")
def renamed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("procedures")
    for name, versions in available_procedures().items():
        for version in versions:
            raw = tomllib.loads(Path(load_procedure(name, version).path).read_text("utf-8"))
            target = folder / (PREFIX + name) / f"v{version}.toml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_toml(rename_definition(raw)), encoding="utf-8")
    return folder


@pytest.fixture
def procedures(renamed_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(PROCEDURES_ENV, str(renamed_folder))
    yield renamed_folder


def unname(value: Any) -> Any:
    """Names of the renamed world back to the original ones, anywhere in a result."""
    if isinstance(value, str):
        return re.sub(rf"(?<![a-z0-9_]){PREFIX}", "", value)
    if isinstance(value, dict):
        return {unname(k): unname(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [unname(v) for v in value]
    return value


def scenario(db: Path, prefix: str) -> dict[str, Any]:
    """Walk the demo, sweep, import, report and verify in one world; return what it showed."""

    def n(name: str) -> str:
        return prefix + name

    engine = make_engine(str(db))
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    start = _at("2021-05-10")
    officers = {
        o.id: Actor(o.id, o.name, frozenset(n(r) for r in o.roles), o.province) for o in OFFICERS
    }
    for officer in officers.values():
        services.add_officer(uow, officer, officers["admin"], start)
    case = services.open_case(
        uow,
        officers["somchai"],
        NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        start,
        procedure=n("provincial"),
        version=1,
    )
    for day, who, trigger, fields, note in (*STEPS, *FOLLOW_UP):
        services.advance_case(
            uow, officers[who], case.reference, n(trigger), fields, note, _at(day)
        )
    sweeps = []
    for as_of in SWEEPS:
        now = dt.datetime.combine(as_of, dt.time(1), BANGKOK).astimezone(dt.UTC)
        sweeps.append(repr(fu.sweep(uow, as_of, now)))
    data = SAMPLE.read_text("utf-8")
    statuses = {line.split(",")[7] for line in data.splitlines()[1:] if line}
    for status in sorted(statuses, key=len, reverse=True):
        data = data.replace(f",{status},", f",{n(status)},")
    imported = importer.import_relationships(
        uow,
        officers["anong"],
        data.encode("utf-8"),
        "register.csv",
        _at("2026-11-01"),
        procedure=n("provincial"),
    )
    # a real register: dates partial or unknown, a letter of intent replaced by an MOU, terms
    register = "\n".join(
        [
            "province,partner_name,partner_country,partner_level,instrument,label,signed_on,"
            "status,source,supersedes,term_years",
            f"TH-83,Hangzhou,CN,,LOI,friendship,2560,{n('active')},x,,",
            f"TH-83,Hangzhou,CN,city,MOU,friendship,30/11/2562,{n('active')},x,LOI,5",
            f"TH-40,Vientiane,LA,city,MOU,sister,,{n('active')},x,,3",
            f"TH-40,Hue,VN,province,MOU,sister,พ.ย. 2566,{n('active')},x,,",
        ]
    )
    messy = importer.import_relationships(
        uow, officers["anong"], register.encode("cp874"), "register-874.csv",
        _at("2024-06-01"), procedure=n("provincial"),
    )  # fmt: skip
    loi, mou, *_ = messy.references
    phuket = Actor("po-83", "x", frozenset({n("province_officer")}), "TH-83")
    services.add_officer(uow, phuket, officers["admin"], _at("2024-06-01"))
    for ref, day, partner in ((loi, "2025-01-10", True), (mou, "2025-02-10", False)):
        fu.record_activity(
            uow, phuket, ref, fu.ActivityInput(dt.date.fromisoformat(day), "visit", "t", partner,
            "1000"), [], "", _at(day),
        )  # fmt: skip
    set_ministry_mechanism(
        uow, officers["anong"], "1/2568", dt.date(2025, 1, 5), "ปลัด", ["กต."], None,
        _at("2025-01-06"),
    )  # fmt: skip
    sweeps.append(repr(fu.sweep(uow, dt.date(2025, 10, 1), _at("2025-10-01"))))
    # the province's yearly report: submitted, returned once, accepted
    report = open_report(
        uow, officers["somchai"], "TH-50", 2568, _at("2025-10-02"), procedure=n("monitoring")
    ).reference
    submit_report(uow, officers["malee"], report, "", _at("2025-10-03"))
    services.advance_case(
        uow, officers["anong"], report, n("return_report"), {}, "เพิ่มหลักฐาน", _at("2025-10-04")
    )
    submit_report(uow, officers["malee"], report, "งบประมาณจำกัด", _at("2025-10-05"))
    services.advance_case(
        uow, officers["director-fad"], report, n("accept_report"), {}, "", _at("2025-10-06")
    )
    quality = data_quality(uow, dt.date(2026, 11, 1))
    summary = national_summary(uow, 2568)
    history = services.case_history(uow, case.reference)[1]
    report_history = services.case_history(uow, report)[1]
    kpi = json.loads(render_json(compute_kpis(engine, 2569, dt.date(2026, 11, 1))))
    kpi_2568 = json.loads(render_json(compute_kpis(engine, 2568, dt.date(2026, 11, 1))))
    verified = verify_database(engine)
    engine.dispose()
    # The files differ (that is the point), so their hashes do too; everything else may not.
    return {
        "history": [
            (
                r.kind,
                r.trigger,
                r.source,
                r.dest,
                r.actor_id,
                r.actor_role,
                {k: v for k, v in r.fields.items() if k != "definition_sha256"},
            )
            for r in history
        ],
        "sweeps": sweeps,
        "imported": (imported.rows, len(imported.created), imported.skipped),
        "messy": (messy.encoding, messy.linked),
        "kpi": kpi,
        "kpi_2568": kpi_2568,
        "quality": [(g.reference, g.issue, g.detail) for g in quality.gaps],
        "summary": [repr(p) for p in summary],
        "report": [
            (
                r.kind,
                r.trigger,
                r.source,
                r.dest,
                r.actor_role,
                r.note,
                {k: v for k, v in r.fields.items() if k not in ("definition_sha256", "report")},
            )
            for r in report_history
        ],
        "verify": (verified.exit_code, [p.line() for p in verified.problems]),
    }


def test_renamed_definitions_load_and_check(procedures: Path) -> None:
    for name, versions in available_procedures().items():
        for version in versions:
            assert load_procedure(name, version).definition.states


def test_every_scenario_gives_the_same_results_modulo_names(
    procedures: Path, tmp_path: Path
) -> None:
    original = scenario(tmp_path / "original.db", "")
    renamed = scenario(tmp_path / "renamed.db", PREFIX)
    assert original["verify"] == (0, [])
    assert any("dormant" in s for s in original["sweeps"]), "the sweep moved something"
    assert original["imported"][1] > 0 and original["kpi"]["with_activity"] >= 0
    # the new indicators saw what they count: a replaced letter of intent, an unknown date, an
    # activity without the partner, the ministry's mechanism, a report returned and accepted
    assert original["messy"][1] and original["kpi"]["unknown_year"] == 1
    assert original["kpi_2568"]["without_partner"] == 0
    assert original["kpi_2568"]["ministry_mechanism"]["current"] is True
    assert original["kpi_2568"]["accepted_provinces"] == ["TH-50"]
    assert {issue for _, issue, _ in original["quality"]} >= {"date_unknown", "date_partial"}
    assert [step[1] for step in original["report"]][-2:] == ["submit_report", "accept_report"]
    assert unname(renamed) == unname(original)
    # and the renamed world really used its own names
    assert renamed["history"][1][1] == PREFIX + "begin_study"
