"""Tampering with a real log, the way someone with the file or superuser access would.

Every class is caught with the right exit code and the first bad sequence number; the last three
(re-chaining, restoring an older backup, truncating the tail) leave a self-consistent log, so
only a checkpoint catches them, and without one the verifier says so.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, text

from store.verify import NO_CHECKPOINT_WARNING
from tests.audit.audit_support import (
    Populated,
    delete,
    fix_cases,
    insert,
    rechain,
    rows,
    seal,
    set_head,
    tampering,
    update,
    verify_cli,
)


def _checkpoint_args(p: Populated) -> list[str]:
    return ["--checkpoint", str(p.checkpoint), "--key", str(p.key_pub)]


def _transition(conn: Connection, case: str, nth: int) -> dict[str, Any]:
    found = [r for r in rows(conn) if r["case_reference"] == case and r["kind"] == "transition"]
    return found[nth]


def test_intact_log_verifies_with_and_without_checkpoint(populated: Populated) -> None:
    code, report = verify_cli(populated.db)
    assert code == 0, report
    assert report["records"] == populated.size
    assert report["warnings"] == [NO_CHECKPOINT_WARNING]
    code, report = verify_cli(populated.db, *_checkpoint_args(populated))
    assert code == 0, report
    assert report["warnings"] == []
    assert report["checkpoints"][0]["ok"]


# ---------------------------------------------------------------------- caught by the chain
def _edit_field(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 1)
    update(conn, row["seq"], note="ไม่มีการแก้ไขใด ๆ")
    return row["seq"], "payload (fields/note)"


def _edit_header(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 2)
    update(conn, row["seq"], actor_id="intruder")
    return row["seq"], "hash"


def _edit_hash(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 0)
    update(conn, row["seq"], hash="f" * 64)
    return row["seq"], "hash"


def _edit_payload_hash(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 0)
    update(conn, row["seq"], payload_sha256="0" * 64)
    return row["seq"], "payload_sha256"


def _delete_middle(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 1)
    delete(conn, row["seq"])
    return row["seq"], "sequence"


def _swap_rows(conn: Connection, p: Populated) -> tuple[int, str]:
    a, b = _transition(conn, p.case1, 0), _transition(conn, p.case1, 3)
    delete(conn, a["seq"], b["seq"])
    insert(conn, {**b, "seq": a["seq"]})
    insert(conn, {**a, "seq": b["seq"]})
    return a["seq"], "prev_hash"


def _forge_row(conn: Connection, p: Populated) -> tuple[int, str]:
    """A well-chained record, head moved too, case moved too: only the procedure catches it."""
    last = rows(conn)[-1]
    mine = [r for r in rows(conn) if r["case_reference"] == p.case2]
    forged = seal(
        {
            **mine[-1],
            "seq": last["seq"] + 1,
            "case_seq": mine[-1]["case_seq"] + 1,
            "trigger": "record_signing",
            "source": mine[-1]["dest"] or mine[-1]["source"],
            "dest": "active",
            "actor_id": "governor-cm",
            "actor_role": "governor",
            "fields": "{}",
            "note": "",
        },
        last["hash"],
    )
    insert(conn, forged)
    set_head(conn)
    fix_cases(conn)
    return forged["seq"], "transition"


def _move_to_other_case(conn: Connection, p: Populated) -> tuple[int, str]:
    row = _transition(conn, p.case1, 1)
    other = [r for r in rows(conn) if r["case_reference"] == p.case2]
    update(conn, row["seq"], case_reference=p.case2, case_seq=other[-1]["case_seq"] + 100)
    return row["seq"], "hash"


def _naive_rechain(conn: Connection, p: Populated) -> tuple[int, str]:
    """Re-chained after an edit, but the head export still names the old head."""
    row = _transition(conn, p.case1, 1)
    update(conn, row["seq"], note="แก้ไขภายหลัง")
    rechain(conn, row["seq"], fix_exports=False)
    export = next(r for r in rows(conn) if r["kind"] == "head_export")
    return export["seq"], "head_export"


CHAIN_CASES: dict[str, Callable[[Connection, Populated], tuple[int, str]]] = {
    "edit a field": _edit_field,
    "edit a header column": _edit_header,
    "edit a stored hash": _edit_hash,
    "edit a stored payload hash": _edit_payload_hash,
    "delete a middle row": _delete_middle,
    "swap two rows": _swap_rows,
    "insert a forged row": _forge_row,
    "move a row to another case": _move_to_other_case,
    "re-chain but forget the head export": _naive_rechain,
}


@pytest.mark.parametrize("name", list(CHAIN_CASES))
def test_chain_catches(populated: Populated, name: str) -> None:
    with tampering(populated.db) as conn:
        first, field = CHAIN_CASES[name](conn, populated)
    for extra in ([], _checkpoint_args(populated)):
        code, report = verify_cli(populated.db, *extra)
        assert code == 1, report
        assert report["first_bad_seq"] == first, report
        firsts = [x for x in report["problems"] if x["seq"] == first]
        assert firsts[0]["field"] == field, report


# ---------------------------------------------------------------------- only a checkpoint
def _rechain(conn: Connection, p: Populated) -> int:
    row = _transition(conn, p.case1, 1)
    assert row["seq"] <= p.checkpoint_size
    # An edit the procedure allows (a reworded note): only a checkpoint can show it.
    update(conn, row["seq"], note="แก้ไขภายหลัง")
    rechain(conn, row["seq"])
    return p.checkpoint_size


def _truncate(conn: Connection, p: Populated) -> int:
    keep = p.checkpoint_size - 2
    delete(conn, *range(keep + 1, p.size + 1))
    set_head(conn)
    fix_cases(conn)
    return keep + 1


@pytest.mark.parametrize("name", ["re-chain everything after an edit", "truncate the tail"])
def test_checkpoint_catches(populated: Populated, name: str) -> None:
    tamper = _rechain if name.startswith("re-chain") else _truncate
    with tampering(populated.db) as conn:
        first = tamper(conn, populated)
    code, report = verify_cli(populated.db)
    assert code == 0, report
    assert report["warnings"] == [NO_CHECKPOINT_WARNING]
    code, report = verify_cli(populated.db, *_checkpoint_args(populated))
    assert code == 3, report
    assert report["first_bad_seq"] == first, report
    assert report["problems"][0]["field"] == "checkpoint"


def test_checkpoint_catches_an_older_backup(populated: Populated) -> None:
    assert populated.backup is not None
    code, report = verify_cli(populated.backup)
    assert code == 0, report
    assert report["warnings"] == [NO_CHECKPOINT_WARNING]
    code, report = verify_cli(populated.backup, *_checkpoint_args(populated))
    assert code == 3, report
    assert report["first_bad_seq"] == report["records"] + 1
    assert "older backup" in report["problems"][0]["detail"]


def test_checkpoint_from_another_key_or_log_is_refused(
    populated: Populated, tmp_path: Any
) -> None:
    from store.checkpoint import generate_keypair

    _, other_pub, _ = generate_keypair(str(tmp_path / "other"))
    code, report = verify_cli(
        populated.db, "--checkpoint", str(populated.checkpoint), "--key", str(other_pub)
    )
    assert code == 3
    assert "another key" in report["checkpoints"][0]["detail"]


def test_checkpoint_needs_a_trusted_key(populated: Populated) -> None:
    from tests.audit.audit_support import run_cli

    result = run_cli(populated.db, "audit", "verify", "--checkpoint", str(populated.checkpoint))
    assert result.exit_code == 2
    assert "--key" in result.stderr


def test_missing_trigger_is_a_storage_failure(populated: Populated) -> None:
    from tests.audit.audit_support import attacker_engine

    engine = attacker_engine(populated.db)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_records_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_records DISABLE TRIGGER USER")
    engine.dispose()
    code, report = verify_cli(populated.db)
    assert code == 1
    assert report["problems"][0]["field"] == "storage"


def test_subprocess_verify(populated: Populated) -> None:
    """The installed command, as an auditor runs it, on an intact and on a tampered log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    argv = ["sistercity", "--db", populated.db, "audit", "verify"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "intact" in done.stdout and "cannot be ruled out" in done.stdout
    with tampering(populated.db) as conn:
        seq, _ = _edit_field(conn, populated)
    done = subprocess.run([*argv, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["first_bad_seq"] == seq
    assert "Traceback" not in done.stderr


def test_a_changed_resume_target_is_caught(populated: Populated) -> None:
    """``cases.previous_state`` decides where a resume goes: it must match the records."""
    with tampering(populated.db) as conn:
        conn.execute(text("UPDATE cases SET previous_state = 'moi_review'"))
    code, report = verify_cli(populated.db)
    assert code == 1, report
    assert report["problems"][0]["field"] == "previous_state"
