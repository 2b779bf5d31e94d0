"""The README's walkthrough runs as written: it cannot go stale.

Its shell blocks (the first officers for real work, then the training walkthrough) run in an
empty folder with ``bash -e``: every command must succeed, and the sample documents the
walkthrough needs are made by the walkthrough itself. The README opens with exactly two set-up
commands.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def commands(block: str) -> list[str]:
    """The block's commands: lines joined at a trailing backslash, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_opens_with_exactly_two_set_up_commands() -> None:
    first = BLOCK.search(README.read_text(encoding="utf-8"))
    assert first is not None
    assert len(commands(first.group(1))) == 2


WALKTHROUGH = BLOCK.findall(section("An officer's walkthrough").split("\n### ")[0])


def test_the_walkthrough_has_its_blocks() -> None:
    assert len(WALKTHROUGH) == 2


@pytest.mark.parametrize("block", WALKTHROUGH, ids=["real work", "training"])
def test_a_walkthrough_block_runs_as_written(block: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [shutil.which("bash") or "bash", "-e", "-o", "pipefail", "-c", block],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
