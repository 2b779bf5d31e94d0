"""One gettext catalogue holds every message in Thai: complete, compiled, and in step with the
code.

A message added to the code without a Thai translation, a translation left empty or fuzzy, a
``.mo`` that was not recompiled after the ``.po`` changed, or a placeholder lost in translation
each fail here. The catalogue ships in the wheel, and ``SISTERCITY_LANG=th`` turns help,
refusals and click's own words into Thai.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from states.i18n import LOCALE_DIR, render, tr
from workflow.errors import CaseNotFound

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "th" / "LC_MESSAGES" / "sistercity.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def catalogue() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="th", domain="sistercity")


def extracted() -> set[str]:
    """What ``pybabel extract -F babel.cfg -k N_ -k tr`` finds in the code."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "tr": None}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_thai_translation() -> None:
    missing = [m.id for m in catalogue() if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_translations_keep_every_placeholder() -> None:
    lost = {
        m.id: m.string
        for m in catalogue()
        if m.id
        and sorted(PLACEHOLDER.findall(str(m.id))) != sorted(PLACEHOLDER.findall(str(m.string)))
    }
    assert lost == {}


def test_the_mo_is_a_fresh_compile_of_the_po() -> None:
    fresh = io.BytesIO()
    write_mo(fresh, catalogue())
    assert MO.read_bytes() == fresh.getvalue(), (
        "run: pybabel compile -d states/locale -D sistercity"
    )


def test_extraction_finds_no_message_missing_from_the_catalogue() -> None:
    known = {m.id for m in catalogue() if m.id}
    found = extracted()
    assert len(found) > 300  # help of every command and option, refusals, the web's words
    assert sorted(found - known) == [], "run: pybabel extract …; pybabel update …; translate"


def test_the_catalogue_holds_nothing_the_code_no_longer_says() -> None:
    known = {m.id for m in catalogue() if m.id}
    assert sorted(known - extracted()) == []


def test_a_library_error_is_rendered_in_the_chosen_language() -> None:
    error = CaseNotFound("no case '{reference}'", reference="SC-2569-0001")
    assert str(error) == "no case 'SC-2569-0001'"
    assert render(error, "en") == "no case 'SC-2569-0001'"
    assert render(error, "th") == "ไม่พบเรื่อง 'SC-2569-0001'"
    assert render(error, "both") == "ไม่พบเรื่อง 'SC-2569-0001' / no case 'SC-2569-0001'"
    assert tr("Usage:", "th") == "วิธีใช้:"


def _sistercity(*args: str, lang: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    if lang:
        env["SISTERCITY_LANG"] = lang
    command = [shutil.which("sistercity") or "sistercity", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("args", [("case", "--help"), ("--help",), ("audit", "log", "--help")])
def test_help_in_thai(args: tuple[str, ...]) -> None:
    thai = _sistercity(*args, lang="th")
    assert thai.returncode == 0
    assert "วิธีใช้:" in thai.stdout and "ตัวเลือก:" in thai.stdout
    assert "Show this message and exit" not in thai.stdout
    english = _sistercity(*args, lang=None)
    assert "Usage:" in english.stdout and "Show this message and exit" in english.stdout
    assert _sistercity("--lang", "th", *args, lang=None).stdout == thai.stdout


def test_a_refusal_and_a_usage_error_in_thai(tmp_path: Path) -> None:
    db = str(tmp_path / "none.db")
    refused = _sistercity("--db", db, "case", "show", "SC-2569-0001", "--lang", "th", lang=None)
    assert refused.returncode == 1
    assert refused.stderr == f"ข้อผิดพลาด: ไม่พบฐานข้อมูลที่ {db}: เรียก 'sistercity init' ก่อน\n"
    usage = _sistercity("case", "open", lang="th")
    assert usage.returncode == 2
    assert usage.stderr.startswith("ข้อผิดพลาด: ขาดตัวเลือก '--province'")


#: What a build does not read: git's and tools' folders, caches, databases, earlier builds.
UNBUILT = (".git", ".venv", "node_modules", ".*cache", "__pycache__", "build", "dist",
           "*.egg-info", ".hypothesis", "*.db", "*.db-*")  # fmt: skip


def test_the_wheel_ships_the_catalogue(tmp_path: Path) -> None:
    """``pip install .`` (not editable) gets the ``.po`` and the compiled ``.mo``.

    Built from a copy of the tree: a build in the checkout would leave ``build/`` there, old
    copies of every module that searches of the source then find."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*UNBUILT))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("sistercity-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "states/locale/th/LC_MESSAGES/sistercity.mo" in names
    assert "states/locale/th/LC_MESSAGES/sistercity.po" in names
