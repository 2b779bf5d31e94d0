"""``--lang th`` speaks Thai beyond the case screens too: what ``letter draft`` says about the
files it wrote, what ``audit receipt check`` and ``audit verify`` tell an auditor about a good or
a tampered log, and the refusals of ``backup``, ``restore`` and ``init``.

Every command runs as a subprocess, as an officer runs it; its output is read with the checker
of ``tests/test_thai_output.py``: no English sentence, no Common Era year. The English output of
the same commands is unchanged (the other tests compare it verbatim).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import build_demo
from tests.audit.audit_support import tampering, update
from tests.test_thai_output import COMMAND_WORDS, assert_thai
from workflow import services
from workflow.receipts import Receipt

#: Words the commands below may name as they are: options and file names they were given.
ALLOWED = COMMAND_WORDS | {"head", "sign", "checkpoint", "key", "force", "db", "receipt", "check"}


def sistercity(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    command = [shutil.which("sistercity") or "sistercity", *args, "--lang", "th"]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def demo(tmp_path: Path) -> tuple[str, str]:
    """The demo's training database (a case walked to an active relationship), its reference."""
    db = tmp_path / "demo.db"
    case, _history = build_demo(str(db))
    return str(db), case.reference


def last_receipt(db: str, reference: str) -> str:
    engine = make_engine(db)
    try:
        _case, history = services.case_history(SqlAlchemyUnitOfWork(engine), reference)
    finally:
        engine.dispose()
    return Receipt.of(history[-1]).line()


def test_letter_draft_says_what_it_wrote_in_thai(demo: tuple[str, str], tmp_path: Path) -> None:
    db, reference = demo
    html, meta = tmp_path / "letter.html", tmp_path / "letter.json"
    drafted = sistercity(
        "--db", db, "letter", "draft", reference, "consult_mfa",
        "-o", str(html), "--metadata", str(meta),
    )  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr
    assert html.is_file() and meta.is_file()
    assert f"บันทึกแฟ้ม {html} แล้ว (" in drafted.stderr
    assert_thai(drafted.stderr, ALLOWED)
    again = sistercity("--db", db, "letter", "draft", reference, "consult_mfa", "-o", str(html))
    assert again.returncode == 1
    assert again.stderr == f"ข้อผิดพลาด: มี {html} อยู่แล้ว ใช้ --force เพื่อเขียนทับ\n"


def test_a_receipt_check_in_thai_holds_then_finds_the_tampering(demo: tuple[str, str]) -> None:
    db, reference = demo
    receipt = last_receipt(db, reference)
    good = sistercity("--db", db, "audit", "receipt", "check", receipt)
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[-1] == "ใบรับถูกต้อง บันทึกยังคงอยู่ครบถ้วน"
    assert_thai(good.stdout, ALLOWED)
    seq = int(receipt.split(" audit #")[1].split()[0])
    with tampering(db) as conn:
        update(conn, seq, note="ไม่มีการแก้ไขใด ๆ")
    bad = sistercity("--db", db, "audit", "receipt", "check", receipt)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        f"บันทึกลำดับที่ {seq} ถูกแก้ไข: ข้อมูลหรือหมายเหตุไม่ตรงกับค่าแฮชของเนื้อหาอีกต่อไป",
        "บันทึกถูกแก้ไขหรือสูญหาย",
    ]


def test_audit_verify_in_thai_on_a_tampered_database(demo: tuple[str, str]) -> None:
    db, reference = demo
    intact = sistercity("--db", db, "audit", "verify")
    assert intact.returncode == 0
    assert intact.stdout.splitlines()[-1] == "ครบถ้วนสมบูรณ์"
    assert_thai(intact.stdout, ALLOWED)
    seq = int(last_receipt(db, reference).split(" audit #")[1].split()[0])
    with tampering(db) as conn:
        update(conn, seq, note="ไม่มีการแก้ไขใด ๆ")
    tampered = sistercity("--db", db, "audit", "verify")
    assert tampered.returncode == 1
    assert (
        f"  #{seq} payload (fields/note): ข้อมูลหรือหมายเหตุไม่ตรงกับที่ค่าแฮชของเนื้อหารับรองไว้"
        in tampered.stdout.splitlines()
    )
    assert tampered.stdout.splitlines()[-1] == (f"พบความผิดปกติของบันทึก (บันทึกแรกที่ผิดปกติ: ลำดับที่ {seq})")
    assert_thai(tampered.stdout, ALLOWED)


def test_backup_and_restore_refusals_in_thai(demo: tuple[str, str], tmp_path: Path) -> None:
    db, reference = demo
    copy = tmp_path / "copy.db"
    made = sistercity("--db", db, "backup", "-o", str(copy))
    assert made.returncode == 0, made.stderr
    assert_thai(made.stdout, ALLOWED)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n", encoding="utf-8")
    refusals = [
        sistercity("--db", db, "backup", "-o", str(copy)),
        sistercity("--db", "postgresql+psycopg://nobody@127.0.0.1/x", "backup", "-o", "x.db"),
        sistercity("--db", db, "restore", str(tmp_path / "none.db")),
        sistercity("--db", db, "restore", str(junk)),
        sistercity("--db", db, "restore", str(copy)),
        sistercity("--db", db, "restore", db, "--force"),
    ]
    for refused in refusals:
        assert refused.returncode == 1, refused.stderr
        assert refused.stdout == ""
        assert refused.stderr.startswith("ข้อผิดพลาด: ") and refused.stderr.count("\n") == 1
        assert_thai(refused.stderr, ALLOWED)
    # A backup that does not verify names its first problem in Thai too.
    seq = int(last_receipt(db, reference).split(" audit #")[1].split()[0])
    with tampering(str(copy)) as conn:
        update(conn, seq, note="ไม่มีการแก้ไขใด ๆ")
    bad = sistercity("--db", str(tmp_path / "new.db"), "restore", str(copy))
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"ข้อผิดพลาด: แฟ้มสำรอง {copy} ไม่ผ่านการตรวจสอบ (พบปัญหา ")
    assert "ข้อมูลหรือหมายเหตุไม่ตรงกับที่ค่าแฮชของเนื้อหารับรองไว้" in bad.stderr
    assert not (tmp_path / "new.db").exists()


def test_init_on_a_file_that_is_not_a_database_in_thai(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("บันทึกช่วยจำ ไม่ใช่ฐานข้อมูล\n" * 100, encoding="utf-8")
    refused = sistercity("--db", str(junk), "init")
    assert refused.returncode == 1
    assert refused.stderr == (
        "ข้อผิดพลาด: ไม่ใช่ฐานข้อมูล sistercity ที่ใช้งานได้ (แฟ้มนี้ไม่ใช่ฐานข้อมูล): "
        "ตรวจ --db หรือกู้แฟ้มจากแฟ้มสำรอง\n"
    )
    assert_thai(refused.stderr, ALLOWED)
    created = sistercity("--db", str(tmp_path / "new.db"), "init")
    assert created.returncode == 0
    assert_thai(created.stdout, ALLOWED)
