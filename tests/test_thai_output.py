"""``--lang th`` speaks Thai: no English sentence and no Common Era date in what an officer reads.

The check is a heuristic a reviewer would apply: no run of two or more ASCII words (outside the
codes, references and ids the data itself holds: step and state ids, officer ids, partner
names) and no year 19xx or 20xx standing alone. It covers ``case show``, ``case history``,
``case actions``, ``activity list``, ``case list`` and refusals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from store.demo import build_demo
from tests.cli_support import Cli

#: Command names a message may quote ("run 'sistercity init' first").
COMMAND_WORDS = {"sistercity", "init", "audit", "verify", "case", "actions", "officer", "add"}
WORD = re.compile(r"^[A-Za-z][a-z]+$")  # an English-looking word (codes are upper case, ids _)
CE_YEAR = re.compile(r"(?<![\w-])(19|20)\d\d(?![\w])")


def strings(value: Any) -> Iterable[str]:
    """Every string (keys too) in a JSON value: the data's own ids, codes and names."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif value is not None:
        yield str(value)


def english_runs(text: str, allowed: set[str]) -> list[str]:
    """Runs of two or more English-looking words not among *allowed*."""
    found: list[str] = []
    for line in text.splitlines():
        run: list[str] = []
        for token in line.split():
            word = token.strip(",.;:()[]'\"/")
            if WORD.match(word) and word not in allowed:
                run.append(word)
                continue
            if len(run) >= 2:
                found.append(" ".join(run))
            run = []
        if len(run) >= 2:
            found.append(" ".join(run))
    return found


def assert_thai(text: str, allowed: set[str]) -> None:
    assert text.strip(), "nothing was printed"
    assert english_runs(text, allowed) == [], text
    assert CE_YEAR.findall(text) == [], text


def test_the_checker_finds_english_and_common_era_years() -> None:
    assert english_runs("สถานะ no case found", set()) == ["no case found"]
    assert english_runs("หมายเหตุ: Guangzhou friendship", {"Guangzhou", "friendship"}) == []
    assert english_runs("LOI, TH-50 begin_study", set()) == []
    assert CE_YEAR.findall("เมื่อ 2024-03-31") and not CE_YEAR.findall("SC-2567-0001 sha 9d2024a")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str, set[str]]:
    db = tmp_path_factory.mktemp("thai") / "demo.db"
    case, _ = build_demo(str(db))
    c = Cli(db)
    ref = case.reference
    data = [
        c.json("case", "show", ref),
        c.json("case", "history", ref),
        c.json("activity", "list"),
        c.json("case", "actions", ref, as_="somchai"),
        c.json("procedure", "show"),
    ]
    allowed = {w for value in data for s in strings(value) for w in re.split(r"[^A-Za-z]+", s)}
    return c, ref, allowed | COMMAND_WORDS


@pytest.mark.parametrize(
    ("args", "as_"),
    [
        (("case", "show", "{ref}"), None),
        (("case", "history", "{ref}"), None),
        (("case", "actions", "{ref}"), "somchai"),
        (("activity", "list"), None),
        (("case", "list"), None),
        (("report", "kpi"), None),
    ],
)
def test_output_in_thai(
    demo: tuple[Cli, str, set[str]], args: tuple[str, ...], as_: str | None
) -> None:
    c, ref, allowed = demo
    result = c.ok(*(a.format(ref=ref) for a in args), "--lang", "th", as_=as_)
    assert_thai(result.stdout, allowed)


@pytest.mark.parametrize(
    ("args", "as_"),
    [
        (("case", "show", "SC-2500-9999"), None),
        (("case", "advance", "{ref}", "submit_to_committee"), "somchai"),
        (("case", "advance", "{ref}", "no_such_step"), "somchai"),
        (("whoami",), "nobody"),
        (("case", "open"), "somchai"),
        (("audit", "log", "--since", "31/2/2569"), None),
        (("audit", "log", "--since", "2569-11"), None),
        (("case", "list", "--province", "Atlantis"), None),
        (("plan", "set", "{ref}", "--fy", "99", "--budget", "1", "--file", "x"), "somchai"),
        (("activity", "list", "--province", "TH-10"), None),
    ],
)
def test_refusals_in_thai(
    demo: tuple[Cli, str, set[str]], args: tuple[str, ...], as_: str | None, tmp_path: Path
) -> None:
    c, ref, allowed = demo
    result = c.run(*(a.format(ref=ref) for a in args), "--lang", "th", as_=as_)
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert_thai(message, allowed)


def test_no_database_in_thai(tmp_path: Path) -> None:
    c = Cli(tmp_path / "none.db")
    result = c.run("case", "list", "--lang", "th")
    assert result.exit_code == 1
    assert_thai(result.stderr, COMMAND_WORDS)
    assert json.dumps(result.stderr, ensure_ascii=False).startswith('"ข้อผิดพลาด')
