"""Official letters: every letter of the provincial procedure v1, drafted from the demo's case.

Each letter is checked as an officer and a records unit would: every part of the Regulation on
Correspondence present, dates in the long Buddhist Era form, the PDF's text (pdftotext) equal to
the letter's text with no word broken across lines, the .docx's Thai runs carrying the
complex-script font and size, and numbers taken concurrently from a unit's register (SQLite and
PostgreSQL) without a repeat or a gap, recorded so that ``audit verify`` stays intact.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from states import InvalidDefinition, available_procedures, load_procedure
from states.letters import LetterBook, letters_of, load_letters
from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import OFFICERS, STEPS, build_demo
from workflow import services
from workflow.errors import InvalidInput
from workflow.letters import (
    BLANK,
    compose,
    draft_letter,
    issue_letter,
    list_letters,
    metadata,
    text_lines,
)
from workflow.letters_docx import letter_docx
from workflow.model import NewCase
from workflow.printing import html_to_pdf


def _book(procedure: str, version: int) -> LetterBook:
    book = letters_of(procedure, version)
    assert book is not None, f"{procedure} v{version} has letters"
    return book


BOOK = _book("provincial", 1)
LETTERS = [x.spec.id for x in BOOK.letters]
NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
MONTHS = "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม"
LONG_BE_DATE = re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) 25\d\d\b")
#: Steps whose letter gives a reason the demo never recorded: given as the step's note.
NOTES = {
    "return_incomplete": "ขาดรายงานการประชุมคณะทำงานฉบับลงนาม",
    "return_for_revision": "ขอให้ปรับถ้อยคำข้อ 3 ให้สอดคล้องกับแผนปฏิบัติการ",
}
#: Single words (not compounds, which may break between their words) never split across lines.
WORDS = (
    "กระทรวง",
    "มหาดไทย",
    "สาธารณรัฐ",
    "ประชาชน",
    "เจตจำนง",
    "อังกฤษ",
    "กรรมการ",
    "สัมพันธ์",
    "พิจารณา",
    "เชียงใหม่",
    "ขอบคุณ",
)
#: Characters a Thai line can never start with (they attach to the character before).
NO_LINE_START = re.compile("^[\u0e30-\u0e3a\u0e45\u0e47-\u0e4e]")
#: Characters a Thai line can never end with (leading vowels attach to what follows).
NO_LINE_END = re.compile("[\u0e40-\u0e44]$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    """The demo's training database: Chiang Mai and Guangzhou walked to an active relationship."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    case, _history = build_demo(str(db))
    engine = make_engine(str(db))
    yield engine, case.reference
    engine.dispose()


def _draft(demo: tuple[Engine, str], letter_id: str):  # type: ignore[no-untyped-def]
    engine, reference = demo
    letter = BOOK.letter(letter_id)
    assert letter is not None
    return draft_letter(
        SqlAlchemyUnitOfWork(engine),
        reference,
        letter.spec.trigger,
        NOW,
        note=NOTES.get(letter_id, ""),
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------- the data
def test_the_letters_file_is_not_a_procedure_version() -> None:
    """v1.letters.toml sits beside v1.toml but is no version of its own."""
    assert available_procedures()["provincial"] == [1, 2]


def test_every_step_the_issue_names_sends_a_letter() -> None:
    """Submission, MFA request, Cabinet proposal, returns for revision, the signing report."""
    triggers = {x.spec.trigger for x in BOOK.letters}
    assert {
        "submit_to_moi",
        "consult_mfa",
        "propose_to_cabinet",
        "return_for_revision",
        "return_incomplete",
        "report_signing",
    } <= triggers
    assert {x.template.kind for x in BOOK.letters} == {"external", "memo"}


def _book_with(tmp_path: Path, old: str, new: str) -> Path:
    loaded = load_procedure("provincial", 1)
    folder = tmp_path / "provincial"
    shutil.copytree(Path(loaded.path).parent, folder)
    book = folder / "v1.letters.toml"
    text = book.read_text(encoding="utf-8")
    assert old in text
    book.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder / "v1.toml"


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            'trigger = "submit_to_moi"',
            'trigger = "submit_to_mio"',
            "unknown trigger 'submit_to_mio'",
        ),
        (
            'issue_roles = ["province_officer", "province_head"]',
            'issue_roles = ["clerk"]',
            "unknown role 'clerk'",
        ),
        (
            'number_field = "submission_letter_no"',
            'number_field = "mfa_opinion_no"',
            "not a field of 'submit_to_moi'",
        ),
        ('unit = "moi"', 'unit = "ministry"', "unknown unit 'ministry'"),
    ],
)
def test_a_book_naming_what_its_version_lacks_is_refused(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    """Like a definition, the letters are checked at load time, naming the offending id."""
    path = _book_with(tmp_path, old, new)
    loaded = load_procedure("provincial", 1)
    with pytest.raises(InvalidDefinition, match=re.escape(named)):
        load_letters(loaded.definition, path)


def test_a_placeholder_must_be_a_case_fact_or_a_field(tmp_path: Path) -> None:
    """{case.X} is a known fact, {step.X} a field of the step, {earlier.X} a recorded field."""
    loaded = load_procedure("provincial", 1)
    folder = tmp_path / "provincial"
    shutil.copytree(Path(loaded.path).parent, folder)
    template = folder / "letters" / "submission.toml"
    text = template.read_text(encoding="utf-8")
    text = text.replace("{case.partner_name}", "{case.partner_mayor}", 1)
    text = text.replace("{earlier.committee_resolution_no}", "{step.committee_resolution_no}", 1)
    template.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as refused:
        load_letters(loaded.definition, folder / "v1.toml")
    assert "{case.partner_mayor} is not a case fact" in str(refused.value)
    assert "{step.committee_resolution_no} is not a field of the step" in str(refused.value)


def test_procedure_check_checks_the_letters_beside_the_file(tmp_path: Path) -> None:
    """`procedure check` of a version with letters names a bad letter, in one line, exit 1."""
    good = load_procedure("provincial", 1).path
    ok = subprocess.run(["sistercity", "procedure", "check", good], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "7 letters" in ok.stdout
    bad = _book_with(tmp_path, 'trigger = "consult_mfa"', 'trigger = "ask_mfa"')
    refused = subprocess.run(
        ["sistercity", "procedure", "check", str(bad)], capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "unknown trigger 'ask_mfa'" in refused.stderr
    assert "Traceback" not in refused.stderr


# ---------------------------------------------------------------------- every letter, drafted
@pytest.mark.parametrize("letter_id", LETTERS)
def test_every_part_is_filled_from_the_case(demo: tuple[Engine, str], letter_id: str) -> None:
    """Every part in the Regulation's order, every placeholder known, dates in long B.E. form."""
    content = _draft(demo, letter_id).content
    assert content.missing == ()
    lines = text_lines(content)
    text = "\n".join(lines)
    assert BLANK not in text.replace(f"โทร. {BLANK}", "")  # a province's telephone is data to add
    order = ["ที่ ", "เรื่อง ", "เรียน ", f"({content.signer_name})", content.signer_position]
    if content.kind == "memo":
        order = ["บันทึกข้อความ", "ส่วนราชการ ", *order]
    else:
        order = [*order[:3], *order[3:], content.owner, "โทร. "]
    at = 0
    for part in order:  # each part found after the one before it
        found = text.find(part, at)
        assert found >= 0, (part, text[at:])
        at = found + len(part)
    assert content.number == f"{content.unit_code}/"  # a draft's number is left open
    assert LONG_BE_DATE.search(content.date_text)
    for line in lines:
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", line), line  # no ISO date left
    assert "Guangzhou" in content.subject
    assert content.signer_name and content.signer_name != BLANK
    if content.enclosures:
        assert all(e.sha256 and len(e.sha256) == 64 for e in content.enclosures)


def test_the_dates_and_numbers_come_from_the_steps_recorded(demo: tuple[Engine, str]) -> None:
    """The MFA request cites the province's letter by its number and long B.E. date."""
    text = "\n".join(text_lines(_draft(demo, "mfa_request").content))
    assert "ที่ ชม 0017.2/1234 ลงวันที่ 10 สิงหาคม 2564" in text
    assert "มติที่ 4/2564 เมื่อวันที่ 29 กรกฎาคม 2564" in text
    assert "15 กันยายน 2564" in text  # the letter's date: the step's date field


@pytest.mark.parametrize("letter_id", LETTERS)
def test_the_pdf_text_is_the_letter_with_no_broken_word(
    demo: tuple[Engine, str], letter_id: str, tmp_path: Path
) -> None:
    """pdftotext gives back the letter's text; each line break falls between words."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing (apt-get install poppler-utils)")
    drafted = _draft(demo, letter_id)
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(html_to_pdf(drafted.html))
    extracted = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    expected = "".join(text_lines(drafted.content))
    assert _squash(extracted) == _squash(expected)
    lines = [line.strip() for line in extracted.splitlines() if line.strip()]
    for before, after in itertools.pairwise(lines):
        assert not NO_LINE_START.search(after), (before, after)
        assert not NO_LINE_END.search(before), (before, after)
        for word in WORDS:
            for cut in range(1, len(word)):
                split = before.endswith(word[:cut]) and after.startswith(word[cut:])
                assert not split, f"'{word}' broken across lines: {before!r} / {after!r}"


@pytest.mark.parametrize("letter_id", LETTERS)
def test_every_thai_run_of_the_docx_has_its_complex_script_font_and_size(
    demo: tuple[Engine, str], letter_id: str
) -> None:
    """Word sizes Thai by w:szCs and picks its font by w:rFonts w:cs: both on every Thai run."""
    content = _draft(demo, letter_id).content
    data = letter_docx(content)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    from lxml import etree

    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    w = "{{{}}}".format(ns["w"])
    tree = etree.fromstring(xml.encode("utf-8"))
    thai_runs = 0
    text = []
    for run in tree.iter(f"{w}r"):
        run_text = "".join(t.text or "" for t in run.iter(f"{w}t"))
        text.append(run_text)
        if not re.search("[\u0e00-\u0e7f]", run_text):
            continue
        thai_runs += 1
        fonts = run.find(f"{w}rPr/{w}rFonts")
        size = run.find(f"{w}rPr/{w}szCs")
        assert fonts is not None and fonts.get(f"{w}cs") == "TH Sarabun New", run_text
        assert size is not None and int(size.get(f"{w}val")) >= 32, run_text
    assert thai_runs > 10
    assert _squash("".join(text)) == _squash("".join(text_lines(content)))


def test_metadata_names_number_parties_codes_and_enclosure_hashes(
    demo: tuple[Engine, str],
) -> None:
    """What an electronic correspondence system takes with the PDF."""
    engine, reference = demo
    drafted = draft_letter(
        SqlAlchemyUnitOfWork(engine), reference, "submit_to_moi", NOW, urgency="very_urgent"
    )
    meta = metadata(drafted.content, {"letter.pdf": b"%PDF-"})
    assert meta["from"]["code"] == "ชม 0017"
    assert meta["to"] == "ปลัดกระทรวงมหาดไทย"
    assert meta["urgency"] == {"code": "very_urgent", "th": "ด่วนมาก"}
    assert meta["secrecy"] == {"code": "normal", "th": "ปกติ"}
    assert meta["date_th"] == "10 สิงหาคม 2564"
    assert next(e["name"] for e in meta["enclosures"]) == "loi-draft-th.docx"
    assert all(len(e["sha256"]) == 64 for e in meta["enclosures"])
    assert len(meta["files"]["letter.pdf"]["sha256"]) == 64
    assert "ด่วนมาก" in text_lines(drafted.content)


# ---------------------------------------------------------------------- numbers
def _endorsed_case(engine: Engine) -> str:
    """A fresh case walked, as the demo walks it, to the point where the governor submits."""
    uow = SqlAlchemyUnitOfWork(engine)
    start = dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, start)
    actors = {o.id: o for o in OFFICERS}
    case = services.open_case(
        uow,
        actors["somchai"],
        NewCase("TH-50", "Chengdu", "CN", "city", "MOU", "sister"),
        start,
        version=1,
    )
    for day, (_when, who, trigger, fields, note) in enumerate(STEPS[:5], 1):
        services.advance_case(
            uow, actors[who], case.reference, trigger, fields, note,
            start + dt.timedelta(days=day),
        )  # fmt: skip
    return case.reference


def _issue_script(db: str, reference: str, count: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys\nfrom cli import cli\n"
        f"for _ in range({count}):\n"
        "    try:\n"
        f"        cli(['--db', {db!r}, '--as', 'somchai', 'letter', 'issue', {reference!r},"
        " 'submit_to_moi'], standalone_mode=False)\n"
        "    except SystemExit as e:\n"
        "        if e.code: raise\n",
    ]


@pytest.fixture
def fresh(db_url: str) -> Iterator[tuple[str, Engine]]:
    """An initialised training database on each backend (a file path or a URL)."""
    from store import init_database

    engine = make_engine(db_url)
    init_database(engine, training=True)
    yield db_url, engine
    engine.dispose()


def test_concurrent_issues_take_every_number_once_in_order(fresh: tuple[str, Engine]) -> None:
    """Four processes issuing at once: numbers 1..N of ชม 0017 this year, none twice, no gap;
    then `audit verify` is intact."""
    db, engine = fresh
    reference = _endorsed_case(engine)
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            _issue_script(db, reference, 3), cwd=root, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    letters = list_letters(SqlAlchemyUnitOfWork(engine), reference)
    year = dt.datetime.now(dt.UTC).year + 543
    numbers = sorted(int(x.number.rsplit("/", 1)[1]) for x in letters)
    assert numbers == list(range(1, 13))
    assert {x.number.rsplit("/", 1)[0] for x in letters} == {"ชม 0017"}
    assert all(x.date.year + 543 == year for x in letters)
    verify = subprocess.run(
        ["sistercity", "--db", db, "audit", "verify"], capture_output=True, text=True, cwd=root
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_an_issued_letter_is_recorded_with_its_hash_and_drafts_with_its_number(
    fresh: tuple[str, Engine],
) -> None:
    """The number and date are the register's; the draft after issue is the stored letter."""
    db, engine = fresh
    reference = _endorsed_case(engine)
    actors = {o.id: o for o in OFFICERS}
    now = dt.datetime(2026, 2, 2, 3, 0, tzinfo=dt.UTC)
    drafted, record = issue_letter(
        SqlAlchemyUnitOfWork(engine), actors["governor-cm"], reference, "submit_to_moi", now
    )
    assert record.kind == "letter" and record.dest is None
    assert record.fields["number_text"] == "ชม 0017/1"
    assert record.fields["year"] == 2569
    assert drafted.content.date_text == "2 กุมภาพันธ์ 2569"
    import hashlib

    assert record.fields["sha256"] == hashlib.sha256(drafted.html.encode()).hexdigest()
    again = draft_letter(SqlAlchemyUnitOfWork(engine), reference, "submit_to_moi", now)
    assert again.html == drafted.html
    assert again.content.number == "ชม 0017/1"
    # The step that sends it records the number the register gave.
    services.advance_case(
        SqlAlchemyUnitOfWork(engine), actors["governor-cm"], reference, "submit_to_moi",
        {
            "submission_letter_no": record.fields["number_text"],
            "submission_letter_date": record.fields["date"],
            "submission_letter": record.fields["document"],
        },
        "", now + dt.timedelta(hours=1),
    )  # fmt: skip
    verify = subprocess.run(["sistercity", "--db", db, "audit", "verify"], capture_output=True)
    assert verify.returncode == 0, verify.stdout


def test_an_officer_without_an_issuing_role_is_refused_and_recorded(
    fresh: tuple[str, Engine],
) -> None:
    """The ministry's officer may not number the province's letter: one line, exit 1, one
    denied record, nothing numbered, and the log still verifies."""
    db, engine = fresh
    reference = _endorsed_case(engine)
    before = len(services.case_history(SqlAlchemyUnitOfWork(engine), reference)[1])
    refused = subprocess.run(
        ["sistercity", "--db", db, "--as", "anong", "letter", "issue", reference, "submit_to_moi"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "Error: officer 'anong' may not issue the letter 'submission'"
    )
    assert "Traceback" not in refused.stderr
    _case, history = services.case_history(SqlAlchemyUnitOfWork(engine), reference)
    assert [r.kind for r in history[before:]] == ["denied"]
    assert history[-1].trigger == "issue_letter"
    assert list_letters(SqlAlchemyUnitOfWork(engine), reference) == []
    verify = subprocess.run(["sistercity", "--db", db, "audit", "verify"], capture_output=True)
    assert verify.returncode == 0, verify.stdout


def test_a_repeated_number_is_named_by_audit_verify(fresh: tuple[str, Engine]) -> None:
    """The replay knows the register: a letter event with a number already taken is named."""
    from store.verify import verify_database

    _db, engine = fresh
    reference = _endorsed_case(engine)
    actors = {o.id: o for o in OFFICERS}
    now = dt.datetime(2026, 2, 2, 3, 0, tzinfo=dt.UTC)
    _drafted, record = issue_letter(
        SqlAlchemyUnitOfWork(engine), actors["somchai"], reference, "submit_to_moi", now
    )
    uow = SqlAlchemyUnitOfWork(engine)
    with uow:
        uow.lock()
        from workflow.model import AuditDraft

        uow.audit.append(
            AuditDraft(
                kind="letter", case_reference=reference, trigger="submit_to_moi",
                source=record.source, dest=None, actor_id="somchai",
                actor_role="province_officer", os_user=None, occurred_at=now,
                fields=dict(record.fields),
            )
        )  # fmt: skip
        uow.commit()
    result = verify_database(engine)
    details = " ".join(str(p) for p in result.problems)
    assert "the register's next was 2" in details


def test_the_cli_writes_pdf_docx_and_metadata(demo: tuple[Engine, str], tmp_path: Path) -> None:
    """`letter draft REF TRIGGER -o FILE.pdf|.docx --metadata FILE.json`."""
    engine, reference = demo
    db = str(engine.url.database)
    for name in ("letter.pdf", "letter.docx"):
        result = subprocess.run(
            ["sistercity", "--db", db, "letter", "draft", reference, "consult_mfa",
             "-o", str(tmp_path / name), "--metadata", str(tmp_path / f"{name}.json")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        meta = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        assert meta["files"][name]["bytes"] == (tmp_path / name).stat().st_size
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF")
    assert zipfile.is_zipfile(tmp_path / "letter.docx")
    usage = subprocess.run(
        ["sistercity", "--db", db, "letter", "draft", reference, "consult_mfa", "-o", "x.txt"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert usage.returncode == 2
    no_letter = subprocess.run(
        ["sistercity", "--db", db, "letter", "draft", reference, "begin_study"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert no_letter.returncode == 1
    assert "'begin_study' sends no letter" in no_letter.stderr


def test_compose_is_pure_and_fills_the_step_fields_given(demo: tuple[Engine, str]) -> None:
    """Fields given for a step not yet taken fill the letter (the memo's resolution)."""
    engine, reference = demo
    case, history = services.case_history(SqlAlchemyUnitOfWork(engine), reference)
    letter = BOOK.letter("governor_memo")
    assert letter is not None
    loaded = load_procedure("provincial", 1)
    content = compose(
        loaded.definition, BOOK, letter, case, [], {"committee_resolution_no": "มติที่ 9/2569",
        "committee_resolution_date": "2026-01-15"}, "", "มาลี ศรีสุข", dt.date(2026, 1, 16),
    )  # fmt: skip
    text = "\n".join(text_lines(content))
    assert "มติที่ 9/2569 เมื่อวันที่ 15 มกราคม 2569" in text
    assert "วันที่ 16 มกราคม 2569" in text
    del history


def test_every_letter_of_version_2_is_filled_from_a_case_walked_under_it(tmp_path: Path) -> None:
    """Version 2 (the Cabinet acknowledges after signing) has its own book: the signing report
    comes first, then the ministry's report to the Cabinet; each is filled from a v2 case."""
    book = letters_of("provincial", 2)
    assert book is not None
    assert {x.spec.trigger for x in book.letters} >= {"report_signing", "propose_acknowledgement"}
    engine = make_engine(str(tmp_path / "v2.db"))
    from store import init_database

    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    start = dt.datetime(2027, 1, 5, 3, 0, tzinfo=dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, start)
    actors = {o.id: o for o in OFFICERS}
    case = services.open_case(
        uow, actors["somchai"], NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        start, version=2,
    )  # fmt: skip
    by_trigger = {s[2]: s for s in STEPS}
    agreed = by_trigger["propose_to_cabinet"][3]
    texts = {k: agreed[k] for k in ("agreed_text_th", "agreed_text_en")}
    walk = [
        *STEPS[:9],
        ("", "director-fad", "approve_for_signing", texts, ""),
        by_trigger["record_signing"],
        by_trigger["report_signing"],
        ("", "permsec", "propose_acknowledgement", {"cabinet_proposal_no": "มท 0204.3/77"}, ""),
    ]
    for day, (_when, who, trigger, fields, note) in enumerate(walk, 1):
        services.advance_case(
            uow, actors[who], case.reference, trigger, fields, note,
            start + dt.timedelta(days=day),
        )  # fmt: skip
    for letter in book.letters:
        content = draft_letter(
            SqlAlchemyUnitOfWork(engine), case.reference, letter.spec.trigger, NOW,
            note=NOTES.get(letter.spec.id, ""),
        ).content  # fmt: skip
        assert content.missing == (), (letter.spec.id, content.missing)
        assert LONG_BE_DATE.search(content.date_text)
    text = "\n".join(
        text_lines(draft_letter(uow, case.reference, "propose_acknowledgement", NOW).content)
    )
    assert "เมื่อวันที่ 31 มีนาคม 2567 ณ Guangzhou, China" in text
    engine.dispose()


def _png(width: int, height: int) -> bytes:
    """A small grey PNG, made here (the agency's own emblem file takes its place in real use)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("letter_id", "height_cm"), [("submission", 3.0), ("governor_memo", 1.5)])
def test_an_emblem_file_is_placed_at_the_height_its_kind_requires(
    demo: tuple[Engine, str], letter_id: str, height_cm: float, tmp_path: Path
) -> None:
    """SISTERCITY_GARUDA's image: 3 cm on an external letter, 1.5 cm on a memo; without one,
    the emblem's place is kept at that size."""
    from workflow.letters import garuda_image, render_html

    emblem_file = tmp_path / "garuda.png"
    emblem_file.write_bytes(_png(30, 36))
    emblem = garuda_image(str(emblem_file))
    content = _draft(demo, letter_id).content
    page = render_html(content, emblem)
    assert '<img class="garuda" alt="ตราครุฑ" src="data:image/png;base64,' in page
    assert f".garuda {{ display: block; height: {height_cm:g}cm;" in page
    reserved = render_html(content)
    assert '<div class="garuda box" role="img" aria-label="ตราครุฑ"></div>' in reserved
    with zipfile.ZipFile(__import__("io").BytesIO(letter_docx(content, emblem))) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    emu = re.search(r'<wp:extent cx="\d+" cy="(\d+)"', xml)
    assert emu is not None and int(emu.group(1)) == round(height_cm * 360000)
    with pytest.raises(InvalidInput, match="not a PNG, JPEG or SVG"):
        garuda_image(str(tmp_path / "garuda.gif"))
