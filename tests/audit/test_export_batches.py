"""``audit export`` writes its records a batch at a time and gives the very text it gave when it
wrote them one at a time, for any stored log: one written by the product with hostile notes, the
demo database, and one an attacker edited (hashes that start a formula, negative numbers, CR).

``one_by_one`` is the export as it was written record by record: each row through the CSV guard
(``csvsafe.writer().writerow``) or through ``json.dumps`` of its dict.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from store import SqlAlchemyUnitOfWork, make_engine
from store.audit import export_log, stream_rows, write_export
from store.demo import OFFICERS, build_demo
from store.verify import COLUMNS
from tests.audit.audit_support import Populated, insert, run_cli, tampering
from tests.test_csv_safe_batches import HOSTILE
from workflow import csvsafe, services
from workflow.model import Actor, NewCase

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")


def one_by_one(rows: Iterable[Sequence[Any]], fmt: Format) -> tuple[str, str | None]:
    """The export written record by record, and the error it stopped on (if any)."""
    out = io.StringIO(newline="")
    try:
        if fmt == "csv":
            writer = csvsafe.writer(out)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(row)
        else:
            for row in rows:
                out.write(json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False))
                out.write("\n")
    except (TypeError, ValueError) as error:
        return out.getvalue(), repr(error)
    return out.getvalue(), None


def batched(batches: Iterable[Sequence[Sequence[Any]]], fmt: Format) -> tuple[str, str | None]:
    out = io.StringIO(newline="")
    try:
        for _ in write_export(batches, fmt, out):
            pass
    except (TypeError, ValueError) as error:
        return out.getvalue(), repr(error)
    return out.getvalue(), None


def exported(engine: Engine, fmt: Format, batch: int) -> str:
    out = io.StringIO(newline="")
    export_log(engine, fmt, out, batch=batch)
    return out.getvalue()


# ---------------------------------------------------------------------- any rows, any batches
_HASH = st.text("0123456789abcdef", min_size=64, max_size=64)
_TEXT = st.sampled_from(HOSTILE) | st.text(max_size=8)
#: Notes the product accepts: any text but NUL, which it refuses (``tests/test_nul_text.py``).
_NOTE = st.sampled_from(HOSTILE) | st.text(st.characters(blacklist_characters="\x00"), max_size=8)
_ODD = st.none() | st.integers() | st.floats() | _TEXT | st.binary(max_size=2)
#: Each column as the product writes it, or (one time in four) anything an attacker could store.
_SHAPES: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(1, 10**7),
    "log_id": st.just("70abdf04-d98f-4887-bebc-d912ab342baa"),
    "record_version": st.just(1),
    "kind": st.sampled_from(["activity", "transition", "officer", "head_export"]),
    "case_reference": st.none() | st.just("SC-2567-00001"),
    "case_seq": st.none() | st.integers(1, 200),
    "trigger": st.none() | st.sampled_from(["begin_study", "add_officer"]),
    "source": st.none() | st.just("proposal"),
    "dest": st.none() | st.just("study"),
    "actor_id": st.sampled_from(["somchai", "malee"]),
    "actor_role": st.none() | st.just("province_officer"),
    "os_user": st.none() | st.just("somchai"),
    "occurred_at": st.just("2024-05-01T03:00:00.000000Z"),
    "fields": st.sampled_from(['{"note":"=1"}', "{}", '{"name":"สมชาย ใจดี"}']),
    "note": _TEXT,
    "payload_sha256": _HASH,
    "prev_hash": _HASH,
    "hash": _HASH,
}


@st.composite
def logs(draw: st.DrawFn) -> list[list[tuple[Any, ...]]]:
    """Rows of every column, cut into batches of any size."""
    odd = {c: draw(st.integers(0, 3)) == 0 for c in COLUMNS}
    rows = [
        tuple(draw(_ODD if odd[c] else _SHAPES[c]) for c in COLUMNS)
        for _ in range(draw(st.integers(0, 12)))
    ]
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=4)))
    bounds = [0, *cuts, len(rows)]
    return [rows[a:b] for a, b in pairwise(bounds) if b > a]


@settings(max_examples=500, deadline=None)
@given(logs(), st.sampled_from(FORMATS))
def test_batches_write_what_records_one_by_one_wrote(
    batches: list[list[tuple[Any, ...]]], fmt: Format
) -> None:
    rows = [row for batch in batches for row in batch]
    assert batched(batches, fmt) == one_by_one(rows, fmt)


def test_a_value_json_cannot_encode_fails_after_the_rows_before_it() -> None:
    good: tuple[Any, ...] = (1, "log", 1, "activity", "SC-1", 1, "t", "a", "b", "x", "r", "u")
    good += ("at", "{}", "", "0" * 64, "0" * 64, "0" * 64)
    bad = (*good[:-1], b"\x00")
    written, error = batched([[good, good, bad, good]], "jsonl")
    assert (written, error) == one_by_one([good, good, bad, good], "jsonl")
    assert error is not None and written.count("\n") == 2


# ---------------------------------------------------------------------- stored logs
def test_a_log_with_hostile_notes_exports_as_before(
    populated: Populated,
    officers: dict[str, Actor],
    clock: Callable[[], dt.datetime],
    engine: Engine,
    tmp_path: Path,
) -> None:
    """Hostile notes written by the product, then records an attacker inserted by hand."""
    uow = SqlAlchemyUnitOfWork(engine)
    for note in HOSTILE:
        new = NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister")
        services.open_case(uow, officers["somchai"], new, clock(), note=note)
    last = dict(zip(COLUMNS, list(stream_rows(engine))[-1], strict=True))
    forged: list[dict[str, Any]] = [
        {"hash": '=HYPERLINK("http://x")', "case_seq": -1, "note": "\r"},
        {"payload_sha256": "+" + "0" * 63, "prev_hash": "@" + "0" * 63, "fields": "-1"},
        {"log_id": "'x", "kind": "\t", "occurred_at": "=NOW()", "actor_id": "-a"},
    ]
    if engine.dialect.name == "sqlite":  # a file edited by hand stores any kind in any column
        forged.append({"record_version": "=1", "case_seq": -0.0, "source": 2.5, "dest": -7})
    with tampering(populated.db) as conn:
        for n, changes in enumerate(forged, start=1):
            insert(conn, {**last, "seq": last["seq"] + n, "case_seq": None, **changes})
    rows = list(stream_rows(engine))
    for fmt in FORMATS:
        expected, error = one_by_one(rows, fmt)
        assert error is None
        for batch in (1, 2, 7, 2000):
            assert exported(engine, fmt, batch) == expected, (fmt, batch)
        out = tmp_path / f"audit.{fmt}"
        result = run_cli(populated.db, "audit", "export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == expected.encode("utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(str(path))
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notes=st.lists(_NOTE, min_size=1, max_size=4), batch=st.integers(1, 9))
def test_the_demo_log_with_any_notes_exports_as_before(
    demo: Path, tmp_path: Path, notes: list[str], batch: int
) -> None:
    db = tmp_path / "demo-copy.db"
    shutil.copy(demo, db)
    engine = make_engine(str(db))
    try:
        uow = SqlAlchemyUnitOfWork(engine)
        somchai = next(o for o in OFFICERS if o.id == "somchai")
        moment = dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC)
        for n, note in enumerate(notes):
            new = NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister")
            services.open_case(uow, somchai, new, moment + dt.timedelta(hours=n), note=note)
        rows = list(stream_rows(engine))
        for fmt in FORMATS:
            expected, error = one_by_one(rows, fmt)
            assert error is None
            assert exported(engine, fmt, batch) == expected
            assert exported(engine, fmt, 2000) == expected
    finally:
        engine.dispose()
