"""Pictures kept between runs: the same bytes without running ``dot``, or ``dot`` again.

``dot`` here is the real one behind a wrapper script that notes each run in a log, so a test
can tell a kept picture from a drawn one; the wrapper is the program ``PATH`` finds, so its
path, size and time name the pictures it drew.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from diagrams import GraphvizNotFound, kept, procedure_diagram, render
from states import LoadedDefinition
from states.cache_home import CACHE_ENV
from tests.diagrams.diagram_support import TINY

pytestmark = pytest.mark.graphviz

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-c", "from cli import cli; cli(prog_name='sistercity')"]


@dataclass(frozen=True)
class Dot:
    """A ``dot`` that logs its runs, in a folder of its own to put first on ``PATH``."""

    folder: Path
    log: Path

    @property
    def runs(self) -> int:
        return len(self.log.read_text(encoding="utf-8").splitlines()) if self.log.exists() else 0

    @property
    def path(self) -> str:
        return f"{self.folder}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def dot(tmp_path: Path) -> Dot:
    real = shutil.which("dot")
    assert real is not None
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "dot-runs.log"
    wrapper = folder / "dot"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return Dot(folder, log)


@pytest.fixture
def cache(tmp_path: Path, dot: Dot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder for this process and the commands it starts, and the logging dot
    first on ``PATH``."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    monkeypatch.setenv("PATH", dot.path)
    yield folder / "diagrams"


def sistercity(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, with this process's environment (and *env*)."""
    full = {
        k: v for k, v in os.environ.items() if k not in ("SISTERCITY_DB", "SISTERCITY_OFFICER")
    }
    full.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [*COMMAND, *args], env=full, capture_output=True, text=True, timeout=120, check=False
    )


def draw(out: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    done = sistercity("diagram", "procedure", *args, "-o", str(out), "--force", env=env)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.picture")) if folder.is_dir() else []


# ------------------------------------------------------------------------ through the command


def test_a_second_drawing_is_the_first_one_without_dot(
    cache: Path, dot: Dot, tmp_path: Path
) -> None:
    first = draw(tmp_path / "first.svg")
    assert dot.runs == 1 and len(entries(cache)) == 1
    second = draw(tmp_path / "second.svg")
    assert second == first
    assert dot.runs == 1  # not run again
    assert first.startswith(b"<?xml") and b"</svg>" in first
    png = draw(tmp_path / "first.png", "--format", "png")
    assert png.startswith(b"\x89PNG") and dot.runs == 2  # another format is another picture
    assert draw(tmp_path / "second.png", "--format", "png") == png and dot.runs == 2


def test_a_changed_definition_is_drawn_afresh(cache: Path, dot: Dot, tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    (folder / "tiny").mkdir(parents=True)
    definition = folder / "tiny" / "v2.toml"
    definition.write_text(TINY, encoding="utf-8")
    env = {"SISTERCITY_PROCEDURES": str(folder)}
    before = draw(tmp_path / "before.svg", "--procedure", "tiny", env=env)
    assert "Tiny procedure" in before.decode() and dot.runs == 1
    definition.write_text(TINY.replace("Tiny procedure", "Small procedure"), encoding="utf-8")
    after = draw(tmp_path / "after.svg", "--procedure", "tiny", env=env)
    assert dot.runs == 2
    assert "Small procedure" in after.decode() and "Tiny procedure" not in after.decode()
    assert len(entries(cache)) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],  # cut short
        lambda blob: blob.replace(b"<svg", b"<SVG", 1),  # the picture changed
        lambda blob: b"",
        lambda blob: b"\xff\xfe not an entry",
    ],
    ids=["cut short", "altered", "empty", "garbage"],
)
def test_a_damaged_entry_is_drawn_again_and_replaced(
    cache: Path, dot: Dot, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    first = draw(tmp_path / "first.svg")
    [entry] = entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    assert draw(tmp_path / "again.svg") == first
    assert dot.runs == 2
    assert entries(cache) == [entry]
    assert draw(tmp_path / "third.svg") == first and dot.runs == 2  # sound again


def test_off_keeps_nothing(dot: Dot, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        CACHE_ENV: "off",
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "HOME": str(home),
        "PATH": dot.path,
    }
    first = draw(tmp_path / "first.svg", env=env)
    assert draw(tmp_path / "second.svg", env=env) == first
    assert dot.runs == 2
    assert not (tmp_path / "xdg" / "sistercity").exists()
    assert list(home.rglob("sistercity")) == []


def test_a_folder_that_cannot_be_written_only_costs_drawing(dot: Dot, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    env = {CACHE_ENV: str(blocker / "cache"), "PATH": dot.path}
    first = draw(tmp_path / "first.svg", env=env)
    assert first.startswith(b"<?xml")
    assert draw(tmp_path / "second.svg", env=env) == first
    assert dot.runs == 2
    assert blocker.read_text(encoding="utf-8") == ""


def test_the_default_folder_is_in_the_users_cache(dot: Dot, tmp_path: Path) -> None:
    # no SISTERCITY_CACHE here: tests/conftest.py sets the user's aside for the whole run
    draw(tmp_path / "p.svg", env={"XDG_CACHE_HOME": str(tmp_path / "xdg"), "PATH": dot.path})
    assert len(entries(tmp_path / "xdg" / "sistercity" / "diagrams")) == 1


# ------------------------------------------------------------------------ what names a picture


def test_another_dot_program_draws_again(
    cache: Path, dot: Dot, provincial: LoadedDefinition
) -> None:
    picture = procedure_diagram(provincial)
    first = render(picture, "svg")
    assert render(picture, "svg") == first and dot.runs == 1
    wrapper = dot.folder / "dot"
    later = wrapper.stat().st_mtime_ns + 1_000_000_000
    os.utime(wrapper, ns=(later, later))  # as after an upgrade
    assert render(picture, "svg") == first
    assert dot.runs == 2


def test_new_fonts_draw_again(
    cache: Path,
    dot: Dot,
    provincial: LoadedDefinition,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    picture = procedure_diagram(provincial)
    first = render(picture, "svg")
    assert render(picture, "svg") == first and dot.runs == 1
    (tmp_path / "data" / "fonts").mkdir(parents=True)  # the user's own fonts folder appears
    assert render(picture, "svg") == first
    assert dot.runs == 2


def test_keep_false_always_runs_dot_and_keeps_nothing(
    cache: Path, dot: Dot, provincial: LoadedDefinition
) -> None:
    picture = procedure_diagram(provincial)
    assert render(picture, "svg", keep=False) == render(picture, "svg", keep=False)
    assert dot.runs == 2 and entries(cache) == []


def test_without_dot_nothing_kept_is_served(
    cache: Path, provincial: LoadedDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept picture does not stand in for a missing Graphviz: the refusal stays the same."""
    picture = procedure_diagram(provincial)
    render(picture, "svg")
    assert len(entries(cache)) == 1
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizNotFound):
        render(picture, "svg")


def test_dot_source_is_never_kept(cache: Path, provincial: LoadedDefinition) -> None:
    render(procedure_diagram(provincial), "dot")
    assert not cache.exists()


# ------------------------------------------------------------------------ the folder itself


def _key(n: int) -> str:
    return f"{n:064x}"


def test_an_entry_under_another_key_is_not_used(cache: Path) -> None:
    kept.store(cache, _key(1), b"one")
    assert kept.load(cache, _key(1)) == b"one"
    (cache / f"{_key(2)}.picture").write_bytes((cache / f"{_key(1)}.picture").read_bytes())
    assert kept.load(cache, _key(2)) is None


def test_the_folder_keeps_at_most_its_bound_least_recently_used_first(cache: Path) -> None:
    for n in range(kept.MAX_ENTRIES):
        kept.store(cache, _key(n), f"picture {n}".encode())
    old = 1_000_000_000_000_000_000  # 2001
    for n, entry in enumerate(entries(cache)):
        os.utime(entry, ns=(old + n, old + n))  # _key(0) the least recently used
    assert kept.load(cache, _key(0)) == b"picture 0"  # used now: the most recent
    abandoned = cache / f"{_key(7)}.picture.1-0.partial"
    abandoned.write_bytes(b"half")
    os.utime(abandoned, ns=(old, old))
    kept.store(cache, _key(1000), b"new")
    kept.store(cache, _key(1001), b"newer")
    left = {entry.name.split(".")[0] for entry in entries(cache)}
    assert len(left) == kept.MAX_ENTRIES
    assert {_key(0), _key(1000), _key(1001)} <= left
    assert {_key(1), _key(2)}.isdisjoint(left)  # the two least recently used went
    assert not abandoned.exists()


def test_the_folder_keeps_at_most_its_bytes(cache: Path) -> None:
    big = b"x" * (kept.MAX_BYTES // 3)
    for n in range(4):
        kept.store(cache, _key(n), big)
    assert kept.load(cache, _key(3)) == big
    total = sum(entry.stat().st_size for entry in entries(cache))
    assert total <= kept.MAX_BYTES
    assert len(entries(cache)) == 2


def test_a_picture_larger_than_the_bound_is_not_kept(cache: Path) -> None:
    kept.store(cache, _key(1), b"small")
    kept.store(cache, _key(2), b"x" * (kept.MAX_BYTES + 1))
    assert [entry.name.split(".")[0] for entry in entries(cache)] == [_key(1)]
