"""Random single-field mutations of audit rows and single-byte mutations of checkpoints.

Every one must be rejected, and none may raise: the verifier reports, it does not crash. The
thousand-fold runs go through the pure functions in memory; a smaller number goes through a real
database.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from store.checkpoint import (
    CheckpointInvalid,
    HeadDocument,
    generate_keypair,
    load_private_key,
    load_public_key,
    parse_checkpoint,
    sign,
    signature_text,
)
from store.verify import COLUMNS, CaseState, verify_rows
from tests.audit.audit_support import Populated, tampering, verify_cli
from tests.audit.golden_data import HERE, LOG_ID

POOL = 'abcdef0123456789xyzXYZ{}[]":,\\ \n\tกขคำ\u0e4d\u0e32é\u0301\u212bÅ😀-_.'


def _golden() -> list[tuple[Any, ...]]:
    lines = (HERE / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [tuple(json.loads(line)[c] for c in COLUMNS) for line in lines]


def mutate_value(value: Any, rng: random.Random) -> Any:
    """A different value: one character changed, added or removed; a number moved; a type."""
    while True:
        if isinstance(value, bool) or value is None or rng.random() < 0.05:
            new: Any = rng.choice([None, 0, 1, "", "x", True, 2**63, -1, "1"])
        elif isinstance(value, int):
            new = value + rng.choice([-1, 1, 2, -2, 1000, -(10**6)])
        else:
            chars = list(value)
            op = rng.choice(["replace", "insert", "delete"] if chars else ["insert"])
            pos = rng.randrange(len(chars) + (op == "insert"))
            if op == "replace":
                chars[pos] = rng.choice(POOL)
            elif op == "insert":
                chars.insert(pos, rng.choice(POOL))
            else:
                del chars[pos]
            new = "".join(chars)
        if new != value or type(new) is not type(value):
            return new


def test_thousand_row_mutations_all_rejected() -> None:
    rows = _golden()
    cases = {r[4]: CaseState("provincial", 1, "active") for r in rows if r[4] is not None}
    head = (len(rows), rows[-1][17], LOG_ID)
    assert verify_rows(rows, log_id=LOG_ID, cases=cases, head=head, replay=False).exit_code == 0
    rng = random.Random(20240401)
    for _ in range(1000):
        i, c = rng.randrange(len(rows)), rng.randrange(len(COLUMNS))
        mutated = list(rows)
        row = list(mutated[i])
        row[c] = mutate_value(row[c], rng)
        mutated[i] = tuple(row)
        result = verify_rows(mutated, log_id=LOG_ID, cases=cases, head=head, replay=False)
        assert result.exit_code == 1, (i, COLUMNS[c], rows[i][c], row[c])
        assert result.first_bad_seq is not None


def test_thousand_checkpoint_mutations_all_rejected(tmp_path: Path) -> None:
    _, pub, _ = generate_keypair(str(tmp_path / "k"))
    key, trusted = load_private_key(tmp_path / "k.key"), load_public_key(pub)
    doc = HeadDocument(
        log=LOG_ID,
        size=53,
        head="ab" * 32,
        at="2024-04-01T03:00:00.000000Z",
        by="ผู้ตรวจสอบ",
        os_user="auditor",
        key=__import__("store.checkpoint", fromlist=["fingerprint"]).fingerprint(trusted),
    )
    body, sig = doc.canonical() + b"\n", signature_text(sign(doc, key))
    assert parse_checkpoint(body, sig, trusted) == doc
    rng = random.Random(1178)
    for _ in range(1000):
        which = rng.choice(["body", "sig"])
        data = bytearray(body if which == "body" else sig)
        op = rng.choice(["replace", "insert", "delete"])
        pos = rng.randrange(len(data) + (op == "insert"))
        if op == "replace":
            data[pos] = (data[pos] + rng.randrange(1, 256)) % 256
        elif op == "insert":
            data.insert(pos, rng.randrange(256))
        else:
            del data[pos]
        new_body, new_sig = (bytes(data), sig) if which == "body" else (body, bytes(data))
        with pytest.raises(CheckpointInvalid):
            parse_checkpoint(new_body, new_sig, trusted)


@pytest.mark.parametrize("count", [12])
def test_mutations_through_the_database(populated: Populated, count: int) -> None:
    """Fewer, but real: one column of one stored row changed, then the CLI's verdict."""
    rng = random.Random(99)
    mutable = [c for c in COLUMNS if c not in ("seq",)]
    for n in range(count):
        with tampering(populated.db) as conn:
            seq = rng.randrange(1, populated.size + 1)
            column = rng.choice(mutable)
            old = conn.execute(
                text(f"SELECT {column} FROM audit_records WHERE seq = :s"), {"s": seq}
            ).scalar_one()
            if column in ("record_version", "case_seq"):
                new = (old or 0) + rng.choice([1, -1, 7])
            elif old:
                # Same length, one character different: fits every column's width.
                pos = rng.randrange(len(old))
                new = (
                    old[:pos] + rng.choice([ch for ch in POOL if ch != old[pos]]) + old[pos + 1 :]
                )
            else:
                new = "x"
            conn.execute(
                text(f"UPDATE audit_records SET {column} = :v WHERE seq = :s"),
                {"v": new, "s": seq},
            )
        code, report = verify_cli(populated.db)
        assert code == 1, (n, seq, column, old, new, report)
        assert report["first_bad_seq"] == seq, (seq, column, report["problems"][:3])
        with tampering(populated.db) as conn:
            conn.execute(
                text(f"UPDATE audit_records SET {column} = :v WHERE seq = :s"),
                {"v": old, "s": seq},
            )
        assert verify_cli(populated.db)[0] == 0
