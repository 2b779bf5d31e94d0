"""The canonical form, pinned: a committed fixture of 53 records and its head hash.

If this fails, the bytes every record hash covers have changed, and every existing log would stop
verifying. Change the canonical form only deliberately, with a new ``record_version``.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from alembic import command
from sqlalchemy import Engine, insert

from store import SqlAlchemyUnitOfWork, make_engine
from store.database import migration_mode
from store.schema import alembic_config
from store.tables import AuditHeadRow, SettingRow
from store.verify import COLUMNS, expected_hash, reference_hash, verify_rows
from tests.audit.golden_data import HERE, LOG_ID, drafts, jsonl, rows


def _committed() -> list[dict[str, Any]]:
    text = (HERE / "records.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_fixture_is_what_the_canonical_form_makes() -> None:
    built = rows()
    assert len(built) >= 50
    assert jsonl(built) == (HERE / "records.jsonl").read_text(encoding="utf-8")
    size, head = (HERE / "head.txt").read_text().split()
    assert (int(size), head) == (len(built), built[-1]["hash"])


def test_the_store_writes_the_same_hashes(sqlite_url: str) -> None:
    """The real writer, fed the same events, produces the committed chain byte for byte."""
    engine: Engine = make_engine(sqlite_url)
    try:
        # The schema of today, with the settings and the empty head written directly, as a
        # database created before settings were an audit event: the fixture's first record is
        # then record #1, as it was when the fixture was made.
        config = alembic_config()
        with engine.begin() as conn, migration_mode(conn):
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        with engine.begin() as conn:
            conn.execute(
                insert(SettingRow),
                [{"key": "log_id", "value": LOG_ID}, {"key": "training", "value": "0"}],
            )
            conn.execute(insert(AuditHeadRow).values(id=1, log_id=LOG_ID, seq=0, hash="0" * 64))
        uow = SqlAlchemyUnitOfWork(engine)
        for draft in drafts():
            with uow:
                uow.lock()
                uow.audit.append(draft)
                uow.commit()
        with uow:
            stored = [r.hash for r in uow.audit.iter_all()]
    finally:
        engine.dispose()
    assert stored == [r["hash"] for r in _committed()]


def test_recipe_reverifies_the_fixture_without_our_code() -> None:
    """The README's recipe, in plain hashlib and json: what an outside tool would do."""
    prev = "0" * 64
    for r in _committed():
        body = b'{"fields":' + r["fields"].encode() + b',"note":'
        body += json.dumps(r["note"], ensure_ascii=False).encode() + b"}"
        assert hashlib.sha256(body).hexdigest() == r["payload_sha256"]
        header = {
            "v": r["record_version"], "log": r["log_id"], "seq": r["seq"], "kind": r["kind"],
            "case": r["case_reference"], "case_seq": r["case_seq"], "trigger": r["trigger"],
            "from": r["source"], "to": r["dest"], "actor": r["actor_id"],
            "role": r["actor_role"], "os_user": r["os_user"], "at": r["occurred_at"],
            "payload": r["payload_sha256"], "prev": r["prev_hash"],
        }  # fmt: skip
        data = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert r["prev_hash"] == prev
        assert hashlib.sha256(b"\x00" + data.encode()).hexdigest() == r["hash"]
        prev = r["hash"]


def test_fast_hash_equals_reference_hash() -> None:
    rng = random.Random(7)
    for r in _committed():
        row = tuple(r[c] for c in COLUMNS)
        assert expected_hash(row) == reference_hash(row) == r["hash"]
        # And on arbitrary (NFC) values, not just the fixture's.
        noisy = list(row)
        noisy[9] = "".join(rng.choice('aกข้ำé😀"\\\n') for _ in range(8))
        noisy[9] = __import__("unicodedata").normalize("NFC", noisy[9])
        assert expected_hash(noisy) == reference_hash(noisy)


def test_pure_verifier_accepts_the_fixture() -> None:
    from store.verify import CaseState

    committed = _committed()
    cases = {
        ref: CaseState("provincial", 1, "active")
        for ref in {r["case_reference"] for r in committed if r["case_reference"]}
    }
    result = verify_rows(
        [tuple(r[c] for c in COLUMNS) for r in committed],
        log_id=LOG_ID,
        cases=cases,
        head=(len(committed), committed[-1]["hash"], LOG_ID),
        # The fixture's payloads exercise the canonical form, not the procedure's required
        # fields: who could write each record is replayed on real logs (tests/audit/).
        replay=False,
    )
    assert result.exit_code == 0, result.problems
