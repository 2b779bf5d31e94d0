"""Receipts: every step prints one, and ``audit receipt check`` proves its record is still in the
log unchanged and, with a signed head at least as new, that the log was not rewritten since.

Exit codes are ``audit verify``'s: 0 intact, 1 the record is missing or changed, 3 the log is
inconsistent with the signed head; 2 a usage error. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli import cli
from tests.audit.audit_support import (
    Populated,
    delete,
    rechain,
    rows,
    run_cli,
    tampering,
    update,
    verify_cli,
)

CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}


def _step(p: Populated, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """The provincial committee returns case 2 for revision: its receipt, as printed and as
    JSON (from the history's last record)."""
    result = run_cli(
        p.db, "case", "advance", p.case2, "committee_return",
        "-f", "committee_resolution_no=มติที่ 9/2567", "-f", "committee_resolution_date=2024-02-01",
        "--note", "ให้เพิ่มแผนงบประมาณ", as_="malee",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{p.case2}: provincial_committee_review → provincial_revision")
    assert (
        lines[1].startswith("receipt: log ")
        and f" case {p.case2} step committee_return " in (lines[1])
    )
    saved = tmp_path / "receipt.txt"
    saved.write_text(result.stdout, encoding="utf-8")
    history = json.loads(run_cli(p.db, "case", "history", p.case2, "--json").stdout)
    return saved, history[-1]


def _check(p: Populated, receipt: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(p.db, "audit", "receipt", "check", receipt, "--json", *extra)
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, json.loads(result.stdout)


def _signed_head(p: Populated, tmp_path: Path) -> list[str]:
    head = tmp_path / "head-now.json"
    key = str(p.key_pub).removesuffix(".pub") + ".key"
    done = run_cli(p.db, "audit", "head", "--sign", key, "-o", str(head), as_="auditor")
    assert done.exit_code == 0, done.output
    return ["--head", str(head), "--key", str(p.key_pub)]


def test_a_receipt_checks_out_from_a_file_its_line_or_its_json(
    populated: Populated, tmp_path: Path
) -> None:
    saved, record = _step(populated, tmp_path)
    code, report = _check(populated, str(saved))
    assert code == 0, report
    assert report["receipt"]["seq"] == record["seq"]
    assert report["receipt"]["hash"] == record["hash"]
    line = saved.read_text(encoding="utf-8").splitlines()[1]
    assert _check(populated, line)[0] == 0
    # A step's --json output, on stdin.
    piped = CliRunner().invoke(
        cli,
        ["--db", populated.db, "audit", "receipt", "check", "-"],
        input=json.dumps({"receipt": report["receipt"]}),
        env=CLEAN_ENV,
    )
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.splitlines()[-1] == "receipt holds"


def test_a_changed_or_deleted_record_fails_its_receipt(
    populated: Populated, tmp_path: Path
) -> None:
    saved, record = _step(populated, tmp_path)
    seq = int(str(record["seq"]))
    with tampering(populated.db) as conn:
        update(conn, seq, note="ไม่ต้องแก้ไข")
    code, report = _check(populated, str(saved))
    assert code == 1, report
    assert report["findings"] == [
        f"record #{seq} was changed: its fields or note no longer match its payload hash"
    ]
    # Re-sealed by someone who recomputed its hash (and every one after it): still caught.
    with tampering(populated.db) as conn:
        rechain(conn, seq)
    code, report = _check(populated, str(saved))
    assert code == 1, report
    assert "the receipt says" in str(report["findings"][0])
    with tampering(populated.db) as conn:
        delete(conn, seq)
    code, report = _check(populated, str(saved))
    assert code == 1, report
    assert report["findings"] == [f"record #{seq} is missing from the log"]


def test_a_log_rewritten_after_a_signed_head_fails_the_receipt_with_the_head(
    populated: Populated, tmp_path: Path
) -> None:
    saved, record = _step(populated, tmp_path)
    seq = int(str(record["seq"]))
    later = run_cli(
        populated.db, "case", "advance", populated.case2, "resubmit_to_committee",
        "-f", f"revised_draft={saved}", as_="somchai",
    )  # fmt: skip
    assert later.exit_code == 0, later.output
    head = _signed_head(populated, tmp_path)
    code, report = _check(populated, str(saved), *head)
    assert code == 0, report
    assert report["head_size"] == seq + 1
    # After the head was signed, the record after the receipt's is reworded and the whole
    # chain rebuilt from it, consistently: the receipt's record itself is untouched.
    with tampering(populated.db) as conn:
        assert rows(conn, seq)[0]["trigger"] == "resubmit_to_committee"
        update(conn, seq + 1, note="ส่งร่างแก้ไขครั้งที่สอง")
        rechain(conn, seq + 1)
    assert _check(populated, str(saved))[0] == 0  # the record alone still holds
    code, report = _check(populated, str(saved), *head)
    assert code == 3, report
    assert "rewritten after that head was signed" in str(report["findings"][-1])
    # The verifier agrees, with the same exit code.
    verify_head = ["--checkpoint", head[1], "--key", head[3]]
    assert verify_cli(populated.db, *verify_head)[0] == 3


def test_a_head_older_than_the_record_or_without_a_key_is_a_usage_error(
    populated: Populated, tmp_path: Path
) -> None:
    saved, _record = _step(populated, tmp_path)
    old_head = ["--head", str(populated.checkpoint), "--key", str(populated.key_pub)]
    code, report = _check(populated, str(saved), *old_head)
    assert code == 2, report
    assert "sign a newer head" in str(report["findings"][0])
    no_key = run_cli(
        populated.db, "audit", "receipt", "check", str(saved), "--head", str(populated.checkpoint)
    )
    assert no_key.exit_code == 2
    assert "--head needs --key" in no_key.stderr
    unreadable = run_cli(populated.db, "audit", "receipt", "check", "not a receipt")
    assert unreadable.exit_code == 2
    assert "not a receipt" in unreadable.stderr


def test_opening_a_case_and_recording_an_activity_print_receipts(tmp_path: Path) -> None:
    from store.demo import build_demo

    db = str(tmp_path / "demo.db")
    active, _history = build_demo(db)
    opened = run_cli(
        db, "case", "open", "--province", "TH-50", "--partner", "Kunming", "--country", "CN",
        "--level", "city", as_="somchai",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    activity = run_cli(
        db, "activity", "add", active.reference, "--date", "2025-01-10", "--kind", "visit",
        "--title", "เยือนกว่างโจว", "--json", as_="somchai",
    )  # fmt: skip
    assert activity.exit_code == 0, activity.output
    receipt = json.loads(activity.stdout)["receipt"]
    assert receipt["case"] == active.reference and receipt["step"] == "record_activity"
    for given in (opened.stdout.splitlines()[-1], json.dumps(receipt)):
        checked = run_cli(db, "audit", "receipt", "check", given)
        assert checked.exit_code == 0, checked.output
    assert " step open audit #" in opened.stdout
