"""The yearly monitoring report: a case of its own small procedure, on the same engine and audit
trail. A province submits it, the ministry returns it once and accepts it, all through the CLI,
and ``audit verify`` passes after every step; the report opens in headless Chromium."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from store import make_engine
from store.demo import build_demo
from store.verify import verify_database
from tests.cli_support import EXTRA_OFFICERS, Cli, document

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)
REF = "RP-2568-TH-50"


@pytest.fixture
def demo(tmp_path: Path) -> Cli:
    """The demo (Chiang Mai – Guangzhou, active) with FY 2568 data: activities with evidence,
    one without the partner, a plan and the province's mechanism."""
    case, _ = build_demo(str(tmp_path / "demo.db"))
    c = Cli(tmp_path / "demo.db")
    for officer in EXTRA_OFFICERS:
        c.add_officer(officer)
    photo = document(tmp_path, "photo.jpg")
    c.ok(
        "activity", "add", case.reference, "--date", "2568-01-15", "--kind", "culture",
        "--title", "ยี่เป็ง", "--budget", "50000", "--evidence", str(photo), as_="somchai",
    )  # fmt: skip
    c.ok(
        "activity", "add", case.reference, "--date", "2568-03-01", "--kind", "online",
        "--title", "ประชุมออนไลน์", "--no-partner-participated", as_="somchai",
    )  # fmt: skip
    c.ok(
        "plan", "set", case.reference, "--fy", "2568", "--budget", "120000", "--file",
        str(document(tmp_path, "plan.pdf")), as_="somchai",
    )  # fmt: skip
    c.ok(
        "province", "mechanism", "set", "TH-50", "--order-no", "1/2567", "--date", "2567-01-15",
        "--chair", "ผู้ว่าราชการจังหวัดเชียงใหม่", as_="malee",
    )  # fmt: skip
    return c


def _verified(c: Cli) -> None:
    engine = make_engine(c.db)
    try:
        result = verify_database(engine)
        assert result.exit_code == 0, [p.line() for p in result.problems]
    finally:
        engine.dispose()


def _records(c: Cli) -> list[dict[str, object]]:
    return list(c.json("audit", "log"))


def test_submitted_returned_once_and_accepted_through_the_cli(demo: Cli, tmp_path: Path) -> None:
    c = demo
    c.ok("monitoring", "open", "--province", "เชียงใหม่", "--fy", "2568", as_="somchai")
    _verified(c)
    draft = c.ok("monitoring", "render", REF).stdout
    assert "ร่าง — ยังไม่ได้เสนอ" in draft and "ยี่เป็ง" in draft

    # only the head of the provincial office signs it off: a refusal, one denied record
    before = len(_records(c))
    assert "needs role province_head" in c.refused("monitoring", "submit", REF, as_="somchai")
    after = _records(c)
    assert len(after) == before + 1 and after[-1]["kind"] == "denied"
    _verified(c)

    first = c.ok("monitoring", "submit", REF, as_="malee").stdout
    assert "report_draft → report_submitted" in first
    _verified(c)
    # the ministry returns it, with the reason (a step that requires a note)
    assert "note" in c.refused("case", "advance", REF, "return_report", as_="anong")
    c.ok("case", "advance", REF, "return_report", "--note", "ขอให้ระบุปัญหาอุปสรรค", as_="anong")
    _verified(c)
    c.ok("monitoring", "submit", REF, "--issues", "งบประมาณจำกัด\nคู่ภาคีเปลี่ยนผู้ประสานงาน",
         as_="malee")  # fmt: skip
    _verified(c)
    c.ok("case", "advance", REF, "accept_report", as_="director-fad")
    _verified(c)

    shown = c.json("monitoring", "show", REF)
    steps = [(r["kind"], r["trigger"], r["dest"]) for r in shown["history"]]
    assert steps == [
        ("open", "open", "report_draft"),
        ("denied", "submit_report", None),
        ("transition", "submit_report", "report_submitted"),
        ("transition", "return_report", "report_returned"),
        ("transition", "submit_report", "report_submitted"),
        ("transition", "accept_report", "report_accepted"),
    ]
    assert shown["case"]["state"] == "report_accepted"

    # the report accepted is the one last submitted, kept and given back verified
    final = shown["history"][4]["fields"]["report"]
    html = c.ok("monitoring", "render", REF).stdout
    assert hashlib.sha256(html.encode("utf-8")).hexdigest() == final["sha256"]
    assert c.ok("document", "get", final["sha256"]).stdout == html
    for text in (
        "จังหวัดเชียงใหม่ ประจำปีงบประมาณ พ.ศ. 2568",
        "15 ม.ค. 2568",  # B.E. dates
        "ประชุมออนไลน์",
        "ไม่ได้ร่วม",  # the activity without the partner is shown as such
        "photo.jpg",  # evidence, by name and hash
        "คู่ภาคีเปลี่ยนผู้ประสานงาน",  # the issues
        "ขอให้ระบุปัญหาอุปสรรค",  # the reason it was returned
        "ลงนามรับรองโดย มาลี ศรีสุข",
        "1/2567",
        "เสนอรายงานแล้ว รอกระทรวงพิจารณา",
    ):
        assert text in html, text
    assert "ร่าง — ยังไม่ได้เสนอ" not in html
    assert not re.search(r"(src|href)\s*=|<script|https?://(?!www\.w3\.org/2000/svg)", html)

    # the national summary and the indicators see the province's report
    summary = c.json("monitoring", "list", "--fy", "2568")
    assert [(p["province"], p["reported"], p["accepted"]) for p in summary["provinces"]] == [
        ("TH-50", True, True)
    ]
    kpi = json.loads(c.ok("report", "kpi", "--fy", "2568", "--format", "json").stdout)
    assert kpi["reported_provinces"] == ["TH-50"] and kpi["accepted_provinces"] == ["TH-50"]
    assert kpi["report_share"] == 1.0
    # a report is no relationship: the register and the data-quality list leave it out
    assert REF not in c.ok("report", "register").stdout
    assert REF not in c.ok("report", "data-quality").stdout

    if CHROMIUM is None:
        return
    pdf = tmp_path / "report.pdf"
    c.ok("monitoring", "render", REF, "--format", "pdf", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--window-size=900,1600", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from tests.followup.test_kpi_html import _pixels

    _, _, pixels = _pixels(shot.read_bytes())
    assert len(set(pixels)) > 50
    assert sum(1 for p in pixels if p == (0x2B, 0x5D, 0x8A)) > 200  # the planned-budget bar


def test_a_draft_preview_follows_the_data_the_submitted_report_does_not(
    demo: Cli, tmp_path: Path
) -> None:
    c = demo
    c.ok("monitoring", "open", "--province", "TH-50", "--fy", "2568", as_="malee")
    c.ok("monitoring", "submit", REF, as_="malee")
    submitted = c.ok("monitoring", "render", REF).stdout
    c.ok(
        "activity", "add", "SC-2564-0001", "--date", "2568-06-01", "--kind", "visit",
        "--title", "คณะศึกษาดูงาน", as_="somchai",
    )  # fmt: skip
    assert c.ok("monitoring", "render", REF).stdout == submitted
    assert "คณะศึกษาดูงาน" in c.ok("monitoring", "render", REF, "--current").stdout


def test_opening_is_refused_clearly(demo: Cli) -> None:
    c = demo
    before = len(_records(c))
    assert "may not open a yearly report for TH-50" in c.refused(
        "monitoring", "open", "--province", "TH-50", "--fy", "2568", as_="phuket-officer"
    )
    assert len(_records(c)) == before + 1  # one denied record
    assert "has not begun" in c.refused(
        "monitoring", "open", "--province", "TH-50", "--fy", "2599", as_="somchai"
    )
    c.ok("monitoring", "open", "--province", "TH-50", "--fy", "2568", as_="somchai")
    assert "already exists" in c.refused(
        "monitoring", "open", "--province", "TH-50", "--fy", "2568", as_="somchai"
    )
    assert "no yearly report" in c.refused("monitoring", "submit", "SC-2564-0001", as_="malee")
    assert len(_records(c)) == before + 2
    _verified(c)
