"""CSV outputs never start a cell with a formula character, and the neutralisation is exact."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from workflow import csvsafe
from workflow.followup import Overdue
from workflow.kpi import Compliance, KpiReport, ProvinceRow, QuietRelationship, render_csv

RISKY = ("=", "+", "-", "@", "\t", "\r")


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@given(st.lists(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=5), max_size=5))
def test_cells_round_trip_and_never_start_a_formula(rows: list[list[str | None]]) -> None:
    """Whatever the text, the CSV reads back as written once the added quote is removed."""
    out = io.StringIO(newline="")
    writer = csvsafe.writer(out)
    for row in rows:
        writer.writerow(row)
    back = read(out.getvalue())
    expected = [["" if v is None else v for v in row] for row in rows]
    assert [[csvsafe.original(c) for c in row] for row in back] == expected
    assert not any(c.startswith(RISKY) for row in back for c in row)


def test_each_risky_start_gets_one_quote() -> None:
    """OWASP's characters, and the quote itself so the rule can be undone exactly."""
    for start in (*RISKY, "'"):
        assert csvsafe.neutralise(f"{start}x") == f"'{start}x"
    assert csvsafe.neutralise("x=1") == "x=1"
    assert csvsafe.neutralise(None) == ""
    assert csvsafe.neutralise(-5) == "'-5"
    assert csvsafe.original("'=1") == "=1"
    assert csvsafe.original("''x") == "'x"


def test_kpi_csv_is_neutralised() -> None:
    """The KPI CSV passes its cells through the same rule (text from data: states, references)."""
    province = ProvinceRow(
        "=TH-50", "ก", "A", 1, 0, 0.0, True, 1, 1, Decimal("-1.00")
    )  # fmt: skip
    report = KpiReport(
        fiscal_year=2568,
        as_of=dt.date(2025, 1, 1),
        province=None,
        years=(),
        in_force=1,
        with_activity=0,
        provinces=(province,),
        quiet=(QuietRelationship("@SC-1", "+TH-50", "=HYPERLINK(1)", "CN", "-x"),),
        mechanism_provinces=(),
        with_plan=0,
        with_budget=0,
        budget_thb=Decimal(0),
        active_now=0,
        dormant_now=0,
        compliance=Compliance(0, 0, 0),
        time_in_state=(),
        overdue=(Overdue("SC-2", "\tTH-50", "=cmd|x", dt.date(2024, 1, 1), 5, 3),),
    )
    rows = read(render_csv(report))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(RISKY) for c in cells)
    assert "'=TH-50" in cells and "'@SC-1" in cells and "'+TH-50" in cells
    assert "'-1.00" in cells and "'=cmd|x:5" in cells and "'\tTH-50" in cells
