"""Every date option reads C.E. and B.E., ISO and D/M/YYYY, through one parser; every province
option reads a code, a Thai or an English name.

``audit log --since 2569-11-01`` once read the year as C.E. 2569 and silently listed nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from store.demo import build_demo
from tests.cli_support import Cli
from workflow.partial_dates import parse_day


@pytest.mark.parametrize(
    "text",
    ["2026-11-01", "2569-11-01", "1/11/2569", "01/11/2026", "๑/๑๑/๒๕๖๙", "1 พ.ย. 2569"],
)
def test_one_parser_reads_every_form_of_a_day(text: str) -> None:
    assert parse_day(text) == dt.date(2026, 11, 1)


@pytest.mark.parametrize("text", ["2569-11", "2569", "31/2/2569", "1/11/69", "soon", ""])
def test_what_is_not_a_day_is_refused_with_the_forms_to_use(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_day(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    db = tmp_path_factory.mktemp("dates") / "demo.db"
    build_demo(str(db))
    return Cli(db)


def test_audit_log_since_and_until_in_either_era_agree(demo: Cli) -> None:
    everything = demo.json("audit", "log")
    assert everything
    years = sorted({r["occurred_at"][:4] for r in everything})
    first, last = years[0], years[-1]
    ce = demo.json("audit", "log", "--since", f"{first}-01-01", "--until", f"{last}-12-31")
    since, until = f"{int(first) + 543}-01-01", f"31/12/{int(last) + 543}"
    be = demo.json("audit", "log", "--since", since, "--until", until)
    assert ce == be == everything
    later = demo.json("audit", "log", "--since", f"1/1/{int(last) + 544}")
    assert later == []


@pytest.mark.parametrize("name", ["TH-50", "th-50", "เชียงใหม่", "Chiang Mai", "จังหวัดเชียงใหม่"])
def test_a_province_by_code_thai_or_english_name(demo: Cli, name: str) -> None:
    by_code = demo.json("case", "list", "--province", "TH-50")
    assert by_code
    assert demo.json("case", "list", "--province", name) == by_code
    assert demo.json("audit", "log", "--province", name) == demo.json(
        "audit", "log", "--province", "TH-50"
    )


def test_an_unknown_province_is_a_usage_error(demo: Cli, tmp_path: Path) -> None:
    result = demo.run("case", "list", "--province", "Atlantis")
    assert result.exit_code == 2
    assert "unknown province 'Atlantis'" in result.stderr
