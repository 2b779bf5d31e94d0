"""The diagram commands through the CLI: real renders, and each refusal as one line, exit 1."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from store.demo import build_demo

pytestmark = pytest.mark.graphviz


@pytest.fixture
def demo(tmp_path: Path) -> tuple[str, str]:
    found, _ = build_demo(str(tmp_path / "demo.db"))
    return str(tmp_path / "demo.db"), found.reference


def test_case_diagram_svg_highlights_the_current_state(
    runner: CliRunner, demo: tuple[str, str]
) -> None:
    db, reference = demo
    result = runner.invoke(cli, ["--db", db, "diagram", "case", reference, "--lang", "th"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.output)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "active" in titles
    assert "ความสัมพันธ์ดำเนินอยู่" in result.output
    assert "2567" in result.output  # Buddhist Era dates with --lang th


def test_png_written_only_where_asked(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "procedure.png"
    result = runner.invoke(cli, ["diagram", "procedure", "--format", "png", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["procedure.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagram", "case", "SC-2500-9999"], "no case 'SC-2500-9999'"),
        (["diagram", "procedure", "--version", "9"], "has no version 9"),
        (["diagram", "procedure", "--procedure", "nope"], "unknown procedure 'nope'"),
        (["diagram", "procedure", "--format", "gif"], "unknown diagram format 'gif'"),
        (["diagram", "procedure", "--lang", "fr"], "fr"),
    ],
)
def test_refusals_are_one_line(
    runner: CliRunner, demo: tuple[str, str], args: list[str], message: str
) -> None:
    result = runner.invoke(cli, ["--db", demo[0], *args])
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.count("\n") == 1


def test_missing_dot_is_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "p.svg"
    result = runner.invoke(cli, ["diagram", "procedure", "-o", str(out)])
    assert result.exit_code == 1
    assert "apt-get install graphviz" in result.output
    assert not out.exists()
    dot = runner.invoke(cli, ["diagram", "procedure", "--format", "dot"])
    assert dot.exit_code == 0 and dot.output.startswith("digraph")
