"""The verifier's fast checks decide exactly as the obvious ones they replace.

``audit verify`` reads a million records, so it checks a record's text columns in one go (joined
by a newline, which composes with nothing) and an NFC fields text by re-encoding it with the
plain encoder; ``workflow.integrity.canonical_json`` normalises every string first. Here both
ways judge the same texts, including non-NFC text, escapes and combining marks (hypothesis found
that an escape ``\\n`` before a combining mark makes the text non-NFC with every string NFC).
"""

from __future__ import annotations

import json
import random
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import MonkeyPatch

from store import make_engine, verify
from store.verify import (
    COLUMNS,
    RECORDS_SQL,
    CaseState,
    VerifyResult,
    _Walk,
    canonical_fields,
    verify_rows,
)
from tests.audit.audit_support import Populated
from tests.audit.golden_data import HERE, LOG_ID
from tests.audit.test_mutations import mutate_value
from workflow.integrity import canonical_json

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# Thai, Latin with combining marks, Hangul jamo: the scripts where normalisation changes text.
_ALPHABET = st.sampled_from(
    ["a", "e", "\u0301", "\u0308", "é", "ก", "\u0e31", "\u0e48", "\u1100", "\u1161", "\u11a8",
     "가", "\u212b", '"', "\\", "\n", " "]
)  # fmt: skip
_TEXT = st.text(_ALPHABET, max_size=6)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def fast_canonical(text: str) -> bool:
    return canonical_fields(text, json.loads(text))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUES, max_size=4))
def test_the_fast_canonical_check_agrees_with_canonical_json(fields: dict[str, object]) -> None:
    for text in (_CANONICAL.encode(fields), canonical_json(fields).decode("utf-8")):
        assert fast_canonical(text) == (canonical_json(json.loads(text)).decode() == text)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=10))
def test_joined_columns_are_nfc_exactly_when_each_is(columns: list[str]) -> None:
    joined = "\n".join(columns)
    assert unicodedata.is_normalized("NFC", joined) == all(
        unicodedata.is_normalized("NFC", c) for c in columns
    )


def test_the_records_query_reads_the_columns_in_order() -> None:
    listed = RECORDS_SQL.split("SELECT ", 1)[1].split(" FROM ", 1)[0]
    assert tuple(c.strip().strip('"') for c in listed.split(",")) == COLUMNS


# ---------------------------------------------------------------------- the usual step, in one go
def _verdicts(
    rows: list[tuple[Any, ...]], context: dict[str, Any], fast: bool, monkeypatch: MonkeyPatch
) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(_Walk, "usual_step", lambda self, row: False)
        return verify_rows(rows, **context).as_dict()


def _mutations(rows: list[tuple[Any, ...]], count: int) -> Iterator[list[tuple[Any, ...]]]:
    rng = random.Random(1301)
    for _ in range(count):
        i, c = rng.randrange(len(rows)), rng.randrange(len(COLUMNS))
        row = list(rows[i])
        row[c] = mutate_value(row[c], rng)
        yield [*rows[:i], tuple(row), *rows[i + 1 :]]
    for i in rng.sample(range(len(rows)), min(len(rows), 20)):  # a record gone, one repeated
        yield rows[:i] + rows[i + 1 :]
        yield rows[: i + 1] + rows[i:]


def test_the_usual_step_decides_as_the_full_check_on_mutated_logs(
    populated: Populated, monkeypatch: MonkeyPatch
) -> None:
    """``usual_step`` takes most records of a log in one go and leaves every other to the full
    check: with and without it, a real log and a thousand single-field mutations of it (and
    of the golden fixture) get the same verdict, problem for problem."""
    captured: dict[str, Any] = {}

    def capture(rows: Iterable[tuple[Any, ...]], **context: Any) -> VerifyResult:
        captured.update(rows=list(rows), context=context)
        return verify_rows(captured["rows"], **context)

    engine = make_engine(populated.db)
    with monkeypatch.context() as patch:
        patch.setattr(verify, "verify_rows", capture)
        assert verify.verify_database(engine).exit_code == 0
    engine.dispose()
    real, context = captured["rows"], captured["context"]
    golden = [
        tuple(json.loads(line)[c] for c in COLUMNS)
        for line in (HERE / "records.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    golden_context: dict[str, Any] = {
        "log_id": LOG_ID,
        "cases": {r[4]: CaseState("provincial", 1, "active") for r in golden if r[4]},
        "head": (len(golden), golden[-1][17], LOG_ID),
        "replay": False,
    }
    taken = 0
    usual_step = _Walk.usual_step

    def counted(self: _Walk, row: tuple[Any, ...]) -> bool:
        nonlocal taken
        took = usual_step(self, row)
        taken += took
        return took

    with monkeypatch.context() as patch:
        patch.setattr(_Walk, "usual_step", counted)
        assert verify_rows(real, **context).exit_code == 0
    assert taken == sum(r[3] == "transition" for r in real) > 5
    for rows, known in ((real, context), (golden, golden_context)):
        assert _verdicts(rows, known, True, monkeypatch)["exit_code"] == 0
        for mutated in _mutations(rows, 600):
            assert _verdicts(mutated, known, True, monkeypatch) == _verdicts(
                mutated, known, False, monkeypatch
            )


def test_the_integrity_check_beside_the_records_reports_as_in_line(
    populated: Populated, monkeypatch: MonkeyPatch
) -> None:
    """SQLite's integrity check runs on a connection of its own while the records are checked;
    a damaged file is reported first, as when it ran before them."""
    if not Path(populated.db).is_file():
        return  # PostgreSQL: no integrity check
    raw = sqlite3.connect(populated.db)
    raw.execute("PRAGMA writable_schema=ON")  # the index now claims another column
    raw.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_audit_actor ON audit_records (os_user)' "
        "WHERE name = 'ix_audit_actor'"
    )
    raw.commit()
    raw.close()
    engine, memory = make_engine(populated.db), make_engine("sqlite://")
    try:
        beside = verify.verify_database(engine).as_dict()
        with monkeypatch.context() as patch:
            patch.setattr(verify, "_integrity_beside", lambda engine: None)
            in_line = verify.verify_database(engine).as_dict()
        with engine.connect() as conn:  # the pooled connection maps nothing any more
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
        assert verify._integrity_beside(memory) is None  # no other connection sees it
    finally:
        engine.dispose()
        memory.dispose()
    assert beside == in_line
    assert beside["exit_code"] == 1
    assert beside["problems"][0]["field"] == "storage"
    assert "PRAGMA integrity_check" in beside["problems"][0]["detail"]
