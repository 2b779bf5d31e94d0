"""Writing output: only where asked, never over an existing file unless forced."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from diagrams import DiagramError, OutputExists, check_destination, write_output


def test_writes_only_the_file_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    write_output(b"<svg/>", target)
    assert target.read_bytes() == b"<svg/>"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_existing_file_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with pytest.raises(OutputExists, match="already exists"):
        check_destination(target)
    with pytest.raises(OutputExists, match="already exists"):
        write_output(b"new", target)
    assert target.read_bytes() == b"old"
    write_output(b"new", target, force=True)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_dash_means_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sink = io.BytesIO()
    write_output(b"digraph {}", "-", stdout=sink)
    assert sink.getvalue() == b"digraph {}"
    assert list(tmp_path.iterdir()) == []


def test_stdout_default_stream(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    write_output(b"<svg/>", "-", fmt="svg")
    assert capsysbinary.readouterr().out == b"<svg/>"


def test_bad_destinations(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match="is a directory"):
        write_output(b"x", tmp_path)
    with pytest.raises(DiagramError, match="does not exist"):
        write_output(b"x", tmp_path / "missing" / "out.svg")
