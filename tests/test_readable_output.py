"""Output an officer can read: aligned tables (by display width, for Thai), a sentence for an
empty result, refusals as one JSON object with ``--json``, and stored text that never reaches
the terminal as raw control characters or escape sequences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import display_width, print_table, safe
from store.demo import build_demo
from tests.cli_support import Cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, str]:
    db = tmp_path_factory.mktemp("readable") / "demo.db"
    case, _ = build_demo(str(db))
    return Cli(db), case.reference


def test_thai_marks_take_no_column() -> None:
    assert len("เชียงใหม่") == 9 and display_width("เชียงใหม่") == 7
    assert display_width("Chiang Mai") == 10


def test_a_table_aligns_thai_and_latin_by_display_width(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_table([("เชียงใหม่", "x"), ("Chiang Mai", "y"), ("ภูเก็ต", "z")])
    lines = capsys.readouterr().out.splitlines()
    # The second column starts at the same display column on every line.
    starts = {display_width(line[: line.rindex(" ") + 1]) for line in lines}
    assert starts == {12}


def test_control_characters_are_escaped() -> None:
    assert safe("ok") == "ok"
    assert safe("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert "\r" not in safe("a\rb") and "\x07" not in safe("bell\x07")


def test_stored_escape_sequences_never_reach_the_terminal(demo: tuple[Cli, str]) -> None:
    c, _ref = demo
    hostile = "Evil\x1b]0;pwned\x07City"
    opened = c.run(
        "case",
        "open",
        "--province",
        "TH-50",
        "--partner",
        hostile,
        "--country",
        "CN",
        "--level",
        "city",
        "--instrument",
        "LOI",
        "--label",
        "friendship",
        "--json",
        as_="somchai",
    )
    if opened.exit_code != 0:  # refused at input: nothing stored, nothing to show
        assert "\x1b" not in opened.stderr
        return
    reference = json.loads(opened.stdout)["reference"]
    for args in (("case", "list"), ("case", "history", reference), ("audit", "log")):
        shown = c.ok(*args).stdout
        assert "\x1b" not in shown and "\x07" not in shown, args
        assert "\\x1b" in shown, args


@pytest.mark.parametrize(
    "args",
    [("case", "list", "--province", "TH-10"), ("activity", "list", "--province", "TH-10")],
)
def test_an_empty_result_is_said_in_words(demo: tuple[Cli, str], args: tuple[str, ...]) -> None:
    c, _ = demo
    result = c.ok(*args)
    assert result.stdout == ""
    assert "match" in result.stderr
    thai = c.ok(*args, "--lang", "th")
    assert "ไม่พบ" in thai.stderr


def test_json_refusals_are_one_json_object_on_stderr(
    demo: tuple[Cli, str], tmp_path: Path
) -> None:
    c, _ = demo
    refused = c.run("case", "show", "SC-2500-9999", "--json")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert json.loads(refused.stderr) == {"error": "no case 'SC-2500-9999'", "exit_code": 1}
    usage = c.run("case", "show", "--json")
    assert usage.exit_code == 2
    assert json.loads(usage.stderr)["exit_code"] == 2
