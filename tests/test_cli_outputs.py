"""Commands that write files write only where asked and never replace a file without --force."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from store.demo import build_demo

COMMANDS = [
    ["report", "kpi", "--fy", "2567", "--format", "csv"],
    ["audit", "export", "--format", "jsonl"],
    ["diagram", "procedure", "--format", "dot"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_existing_output_needs_force(
    tmp_path: Path, runner: CliRunner, command: list[str]
) -> None:
    db = tmp_path / "demo.db"
    build_demo(str(db))
    out = tmp_path / "out.txt"
    out.write_text("keep me", encoding="utf-8")

    refused = runner.invoke(cli, ["--db", str(db), *command, "-o", str(out)])
    assert refused.exit_code == 1
    assert "exists" in refused.output and "force" in refused.output
    assert out.read_text(encoding="utf-8") == "keep me"

    done = runner.invoke(cli, ["--db", str(db), *command, "-o", str(out), "--force"])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") != "keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("demo.db")) == [
        "out.txt"
    ]
