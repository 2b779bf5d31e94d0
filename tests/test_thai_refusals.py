"""``--lang th``: a refusal of the procedure reads in Thai, down to each problem it names.

Refusals made of several problems (a batch, fields, dates, guards) render every problem in Thai,
and a date in them is B.E.; the ``denied`` record a permission refusal leaves keeps the English
text it was hashed with. Each refusal runs the CLI as a subprocess; the checker is
``tests.test_thai_output``'s (no run of English words, no C.E. year).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from states import load_all
from states.i18n import render
from tests.cli_support import Cli, field_args
from tests.test_cli_refusals import FIELDS, _build_template
from tests.test_thai_output import COMMAND_WORDS, assert_thai
from workflow.errors import WorkflowError
from workflow.receipts import parse_receipt

#: Words a Thai refusal may still quote: command names, the ids of the procedures' states, steps
#: and roles (a list of allowed steps), and the sample data the refusals below name.
IDS = {
    word
    for loaded in load_all()
    for ident in (
        *(s.id for s in loaded.definition.states),
        *(t.trigger for t in loaded.definition.transitions),
        *loaded.definition.roles,
    )
    for word in re.split(r"[^A-Za-z]+", str(ident))
}
ALLOWED = COMMAND_WORDS | IDS | {"Guangzhou", "friendship", "city"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("template") / "training.db"
    return path, _build_template(path)


@pytest.fixture
def env(template: tuple[Path, dict[str, str]], tmp_path: Path) -> tuple[Cli, dict[str, str]]:
    source, refs = template
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", tmp_path / f"training.db{suffix}")
    return Cli(tmp_path / "training.db"), refs


def _signing(tmp_path: Path, signed_on: str) -> list[str]:
    return field_args({**FIELDS["record_signing"], "signed_on": signed_on}, tmp_path / "docs")[0]


def _refusals(tmp_path: Path) -> dict[str, tuple[tuple[str, ...], str, str]]:
    """Name → (command, officer, a word of the English refusal it renders)."""
    approve = ("case", "advance", "{review}", "committee_approve")
    return {
        "batch, one case in the wrong state": (
            ("case", "advance", "{draft}", "{study}", "begin_study"),
            "somchai",
            "nothing changed",
        ),
        "a date out of order": (
            ("case", "advance", "{signing}", "record_signing", *_signing(tmp_path, "2023-12-01")),
            "governor-cm",
            "dates out of order",
        ),
        "missing fields": (approve, "malee", "missing or invalid"),
        "invalid fields": (
            (*approve, "-f", "committee_resolution_no=มติ", "-f", "colour=red"),
            "malee",
            "missing or invalid",
        ),
        "a guard rejected": (
            (
                *approve,
                "-f",
                "committee_resolution_no=4/2567",
                "-f",
                "committee_resolution_date=2099-01-01",
            ),
            "malee",
            "refused",
        ),
        "permission denied": (("case", "advance", "{draft}", "begin_study"), "anong", "may not"),
        "outside the province": (
            ("case", "advance", "{draft}", "begin_study"),
            "phuket-officer",
            "may not",
        ),
        "segregation of duties": (
            (
                "case",
                "advance",
                "{dual_opened}",
                "committee_approve",
                "-f",
                "committee_resolution_no=4/2567",
                "-f",
                "committee_resolution_date=2024-01-15",
            ),
            "dual",
            "may not also",
        ),
        "unknown trigger": (
            ("case", "advance", "{draft}", "fly_to_the_moon"),
            "somchai",
            "is not a step",
        ),
        "a letter not sent from this state": (
            ("letter", "issue", "{draft}", "submit_to_moi"),
            "governor-cm",
            "letter",
        ),
        "a step without letters": (
            ("letter", "issue", "{draft}", "begin_study"),
            "somchai",
            "letter",
        ),
    }


CASES = list(_refusals(Path("/unused")))


@pytest.mark.parametrize("name", CASES)
def test_a_workflow_refusal_in_thai(
    env: tuple[Cli, dict[str, str]], tmp_path: Path, name: str
) -> None:
    c, refs = env
    command, officer, english_word = _refusals(tmp_path)[name]
    args = [a.format(**refs) for a in command]
    english = c.run(*args, as_=officer or None)
    assert english.exit_code == 1, english.output
    assert english_word in english.stderr
    thai = c.run(*args, "--lang", "th", as_=officer or None)
    assert thai.exit_code == 1, thai.output
    message = thai.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith("ข้อผิดพลาด")
    assert_thai(message, ALLOWED | set(officer.split("-")))


@pytest.mark.parametrize("given", ["not a receipt at all", '{"type": 1}', '{"type": "x"'])
def test_a_bad_receipt_is_refused_in_thai(given: str) -> None:
    with pytest.raises(WorkflowError) as refused:
        parse_receipt(given)
    assert str(refused.value).startswith("not a receipt: ")
    assert render(refused.value, "th").startswith("ไม่ใช่ใบรับ: ")
    # The one line a step prints is quoted as it is printed: 'receipt: log … hash …'.
    assert_thai(render(refused.value, "th"), ALLOWED | {"receipt", "log", "hash"})


def test_a_bad_receipt_through_the_cli_in_thai(env: tuple[Cli, dict[str, str]]) -> None:
    c, _ = env
    refused = c.run("audit", "receipt", "check", "not a receipt at all", "--lang", "th")
    assert refused.exit_code == 2
    assert "ไม่ใช่ใบรับ" in refused.stderr
    # What is quoted is what to type (the receipt line's own form, the help command).
    assert_thai(re.sub(r"'[^']*'", "", refused.stderr), ALLOWED)


def test_a_date_out_of_order_is_given_in_the_buddhist_era(
    env: tuple[Cli, dict[str, str]], tmp_path: Path
) -> None:
    c, refs = env
    args = (
        "case",
        "advance",
        refs["signing"],
        "record_signing",
        *_signing(tmp_path, "2023-12-01"),
    )
    english = c.run(*args, as_="governor-cm").stderr
    assert "signed_on 2023-12-01 of 'record_signing' is earlier than" in english
    thai = c.run(*args, "--lang", "th", as_="governor-cm").stderr
    assert "signed_on วันที่ 1 ธ.ค. 2566 ของขั้นตอน 'record_signing' อยู่ก่อน" in thai


def test_the_denied_record_keeps_the_english_it_was_hashed_with(
    env: tuple[Cli, dict[str, str]],
) -> None:
    c, refs = env
    thai = c.run("case", "advance", refs["draft"], "begin_study", "--lang", "th", as_="anong")
    assert "เจ้าหน้าที่ 'anong' ไม่มีสิทธิ์ดำเนินการ" in thai.stderr
    log = c.json("audit", "log", "--case", refs["draft"])
    denied = [
        r for r in (log if isinstance(log, list) else log["records"]) if r["kind"] == "denied"
    ]
    assert [r["note"] for r in denied] == [
        "officer 'anong' may not 'begin_study': needs role province_officer"
    ]
    assert c.ok("audit", "verify").exit_code == 0
