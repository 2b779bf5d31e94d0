"""Validated definitions kept between runs: the same definition back, or validation again.

An officer's command is a fresh process; validating a definition means building pydantic's
validators, several times the cost of starting Python. So the first process keeps what it
validated, by the file's SHA-256, and later ones read it back without pydantic.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from states import definition_cache, load_all
from states.errors import InvalidDefinition
from states.loader import _validated, load_file

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "states" / "procedures" / "provincial" / "v1.toml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder for this test, and no definition validated in this process yet."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(definition_cache.CACHE_ENV, str(folder))
    monkeypatch.delenv("SISTERCITY_PROCEDURES", raising=False)  # the shipped files only
    definition_cache._folder.cache_clear()
    _validated.cache_clear()
    yield folder
    definition_cache._folder.cache_clear()
    _validated.cache_clear()


def test_every_shipped_definition_comes_back_equal(cache: Path) -> None:
    """What the cache gives back equals what pydantic validated, for every shipped version."""
    loaded = load_all()
    assert len(list(cache.glob("*.json"))) == len(loaded)
    for each in loaded:
        kept = definition_cache.load(each.sha256)
        assert kept == each.definition
        assert kept is not each.definition
        # derived views are the same too
        assert kept.active_transitions == each.definition.active_transitions
        assert kept.meanings == each.definition.meanings


def test_a_later_process_reads_it_back_without_pydantic(cache: Path) -> None:
    load_all()
    probe = (
        "import sys\n"
        "from states import load_all\n"
        "print(len(load_all()), 'pydantic' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env.update({"PYTHONPATH": str(ROOT), definition_cache.CACHE_ENV: str(cache)})
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    kept = sorted(p.name for p in cache.glob("*.json"))
    assert done.stdout.split() == [str(len(kept)), "False"], (kept, done.stderr)


def test_an_unreadable_entry_is_validated_again_and_replaced(cache: Path) -> None:
    first = load_file(SHIPPED)
    [entry] = cache.glob("*.json")
    entry.write_text('{"sha256": "', encoding="utf-8")  # cut short
    _validated.cache_clear()
    assert definition_cache.load(first.sha256) is None
    again = load_file(SHIPPED)
    assert again.definition == first.definition
    assert definition_cache.load(first.sha256) == first.definition


def test_an_entry_under_another_files_name_is_not_used(cache: Path) -> None:
    """An entry must name the SHA-256 it is filed under: a copied file is no shortcut."""
    first = load_file(SHIPPED)
    [entry] = cache.glob("*.json")
    other = "0" * 64
    entry.with_name(entry.name.replace(first.sha256, other)).write_bytes(entry.read_bytes())
    assert definition_cache.load(other) is None


def test_an_invalid_file_is_refused_every_time_and_never_kept(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "v1.toml"
    broken.write_text(
        SHIPPED.read_text(encoding="utf-8").replace('initial = "', 'initial = "nowhere_', 1),
        encoding="utf-8",
    )
    for _ in range(2):
        _validated.cache_clear()
        with pytest.raises(InvalidDefinition, match="initial state 'nowhere_"):
            load_file(broken)
    assert list(cache.glob("*.json")) == []


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(definition_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    definition_cache._folder.cache_clear()
    _validated.cache_clear()
    try:
        assert load_file(SHIPPED).definition.procedure == "provincial"
        assert list(tmp_path.rglob("*.json")) == []
    finally:
        definition_cache._folder.cache_clear()
        _validated.cache_clear()


def test_a_folder_that_cannot_be_written_only_costs_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(definition_cache.CACHE_ENV, str(blocker / "cache"))
    definition_cache._folder.cache_clear()
    _validated.cache_clear()
    try:
        assert load_file(SHIPPED).definition.procedure == "provincial"
        assert list(tmp_path.iterdir()) == [blocker]
    finally:
        definition_cache._folder.cache_clear()
        _validated.cache_clear()


def test_an_entry_of_other_code_is_replaced(cache: Path) -> None:
    """After an upgrade the code's fingerprint differs: the old entry goes, the new one stays."""
    first = load_file(SHIPPED)
    [entry] = cache.glob("*.json")
    older = entry.with_name("0123456789abcdef-" + entry.name.split("-", 1)[1])
    entry.rename(older)
    _validated.cache_clear()
    assert load_file(SHIPPED).definition == first.definition
    assert list(cache.glob("*.json")) == [entry]
