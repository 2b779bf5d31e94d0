"""Long commands (verify, export, sweep, import) draw a progress bar on a terminal, and nothing
when their output goes to a file or a pipe, or with ``--json``; the library reports progress
through a callback and never imports click."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

import pytest

from store import make_engine
from store.demo import build_demo
from store.verify import verify_database


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "demo.db"
    build_demo(str(path))
    return path


def run(db: Path, *args: str, terminal: bool) -> tuple[int, str]:
    """Run the command with stderr on a pseudo-terminal (or a pipe); what stderr showed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env["SISTERCITY_DB"] = str(db)
    argv = [shutil.which("sistercity") or "sistercity", *args]
    if not terminal:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        return done.returncode, done.stderr
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_the_library_reports_progress_to_a_callback(db: Path) -> None:
    seen: list[tuple[int, int]] = []
    engine = make_engine(str(db))
    try:
        result = verify_database(engine, progress=lambda done, total: seen.append((done, total)))
    finally:
        engine.dispose()
    assert result.exit_code == 0
    assert seen and seen[-1] == (result.records, result.records)


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (("audit", "verify"), "verifying"),
        (("audit", "export", "--format", "csv", "-o", "{out}"), "exporting"),
    ],
)
def test_a_bar_on_a_terminal_only(
    db: Path, tmp_path: Path, args: tuple[str, ...], label: str
) -> None:
    first = [a.format(out=tmp_path / "a.csv") for a in args]
    code, shown = run(db, *first, terminal=True)
    assert code == 0 and label in shown and "100%" in shown
    second = [a.format(out=tmp_path / "b.csv") for a in args]
    code, piped = run(db, *second, terminal=False)
    assert code == 0 and label not in piped


def test_no_bar_with_json(db: Path) -> None:
    code, shown = run(db, "audit", "verify", "--json", terminal=True)
    assert code == 0 and "verifying" not in shown
