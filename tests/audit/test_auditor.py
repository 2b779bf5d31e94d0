"""The auditor's commands and role: reads everything, moves nothing, and refusals are logged."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from states import load_procedure
from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from store.verify import COLUMNS
from tests.audit.audit_support import Populated, run_cli, verify_cli
from workflow import services
from workflow.errors import MissingFields, SegregationOfDuties
from workflow.model import Actor, NewCase


def _db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_auditor_is_refused_every_transition_and_each_refusal_is_logged(
    engine: Engine, officers: dict[str, Actor], clock: Callable[[], dt.datetime]
) -> None:
    uow = SqlAlchemyUnitOfWork(engine)
    base = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister"), clock()
    )
    definition = load_procedure("provincial", 1).definition
    pairs = sorted({(s, t.trigger) for t in definition.active_transitions for s in t.source})
    with uow:  # one case waiting in each source state (set up directly; history is not the point)
        for n, (source, _) in enumerate(pairs, start=100):
            uow.cases.add(replace(base, reference=f"SC-2567-{n:04d}", state=source))
        uow.session.commit()
    db = _db(engine)
    for n, (source, trigger) in enumerate(pairs, start=100):
        ref = f"SC-2567-{n:04d}"
        result = run_cli(db, "case", "advance", ref, trigger, as_="auditor")
        assert result.exit_code == 1, (source, trigger, result.output)
        assert "auditor" in result.stderr and "Traceback" not in result.output
        with uow:
            last = uow.audit.for_case(ref)[-1]
            assert uow.cases.get(ref).state == source  # type: ignore[union-attr]
        assert (last.kind, last.trigger, last.actor_id, last.source, last.dest) == (
            "denied",
            trigger,
            "auditor",
            source,
            None,
        )


def test_segregation_refusal_is_logged_but_malformed_input_is_not(
    engine: Engine, officers: dict[str, Actor], clock: Callable[[], dt.datetime]
) -> None:
    uow = SqlAlchemyUnitOfWork(engine)
    dual = Actor("dual", "สองบทบาท", frozenset({"province_officer", "province_head"}), "TH-50")
    services.add_officer(uow, dual, officers["admin"], clock())
    ref = services.open_case(
        uow, dual, NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister"), clock()
    ).reference
    services.advance_case(uow, dual, ref, "begin_study", {}, "", clock())
    with pytest.raises(MissingFields):
        services.advance_case(uow, dual, ref, "submit_to_committee", {}, "", clock())
    with uow:
        assert [r.kind for r in uow.audit.for_case(ref)] == ["open", "transition"]
    services.advance_case(uow, dual, ref, "submit_to_committee", dict(STEPS[1][3]), "", clock())
    with pytest.raises(SegregationOfDuties):
        services.advance_case(uow, dual, ref, "committee_approve", dict(STEPS[4][3]), "", clock())
    with uow:
        last = uow.audit.for_case(ref)[-1]
    assert (last.kind, last.trigger, last.actor_id) == ("denied", "committee_approve", "dual")
    assert "may not also" in last.note


READS = (
    ("case", "list"),
    ("case", "show", "{ref}"),
    ("case", "history", "{ref}"),
    ("case", "actions", "{ref}"),
    ("officer", "list"),
    ("whoami",),
    ("procedure", "show"),
    ("audit", "log"),
    ("audit", "log", "--json"),
    ("audit", "export", "--format", "csv"),
    ("audit", "export", "--format", "jsonl"),
    ("audit", "verify"),
    ("audit", "head"),
)


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_auditor_runs_every_read_command(populated: Populated, argv: tuple[str, ...]) -> None:
    args = [a.format(ref=populated.case1) for a in argv]
    result = run_cli(populated.db, *args, as_="auditor")
    assert result.exit_code == 0, result.output


def test_head_export_is_an_audit_event_describing_the_head_before_it(
    populated: Populated, key_prefix: Path, tmp_path: Path
) -> None:
    out = tmp_path / "h2.json"
    result = run_cli(
        populated.db, "audit", "head", "--sign", f"{key_prefix}.key", "-o", str(out), as_="auditor"
    )
    assert result.exit_code == 0, result.output
    memo = result.stdout.splitlines()[0]
    doc = json.loads(out.read_text())
    assert doc["size"] == populated.size and f"size {populated.size} head {doc['head']}" in memo
    code, report = verify_cli(populated.db, "--checkpoint", str(out), "--key", f"{key_prefix}.pub")
    assert code == 0, report
    assert report["records"] == populated.size + 1
    events = json.loads(
        run_cli(populated.db, "audit", "log", "--json", "--trigger", "head_export").stdout
    )
    assert events[-1]["seq"] == populated.size + 1
    assert events[-1]["fields"]["head"] == doc["head"] == events[-1]["prev_hash"]
    assert events[-1]["actor_id"] == "auditor"


def test_keygen_makes_a_private_file_and_never_overwrites(tmp_path: Path) -> None:
    prefix = str(tmp_path / "k")
    result = run_cli(str(tmp_path / "none.db"), "audit", "keygen", "-o", prefix)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(Path(f"{prefix}.key").stat().st_mode) == 0o600
    before = Path(f"{prefix}.key").read_bytes()
    again = run_cli(str(tmp_path / "none.db"), "audit", "keygen", "-o", prefix)
    assert again.exit_code == 1 and "refusing to overwrite" in again.stderr
    assert Path(f"{prefix}.key").read_bytes() == before


def test_log_filters(populated: Populated) -> None:
    def log(*args: str) -> list[dict[str, object]]:
        result = run_cli(populated.db, "audit", "log", "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    everything = log()
    assert [r["seq"] for r in everything] == list(range(1, populated.size + 1))
    assert {r["case_reference"] for r in log("--case", populated.case2)} == {populated.case2}
    assert {r["actor_id"] for r in log("--officer", "malee")} == {"malee"}
    assert {r["trigger"] for r in log("--trigger", "begin_study")} == {"begin_study"}
    assert len(log("--province", "TH-50")) == sum(1 for r in everything if r["case_reference"])
    assert log("--province", "TH-83") == []
    days = sorted(str(r["occurred_at"])[:10] for r in everything)
    assert log("--since", "2100-01-01") == []
    assert len(log("--until", "2100-01-01")) == len(everything)
    assert len(log("--since", days[0], "--until", days[-1])) >= 1
    bad = run_cli(populated.db, "audit", "log", "--since", "2024-02-01", "--until", "2024-01-01")
    assert bad.exit_code == 1


#: Notes a spreadsheet would run as formulas (OWASP's list), and one that starts with the quote.
HOSTILE_NOTES = (
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "'already quoted",
)


def _stored(cell: str) -> str:
    """The README's rule by hand: the export added one ' to every cell that starts with '."""
    return cell[1:] if cell.startswith("'") else cell


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_reverifies_by_the_recipe(
    populated: Populated,
    officers: dict[str, Actor],
    clock: Callable[[], dt.datetime],
    engine: Engine,
    fmt: str,
    tmp_path: Path,
) -> None:
    uow = SqlAlchemyUnitOfWork(engine)
    for note in HOSTILE_NOTES:
        new = NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister")
        services.open_case(uow, officers["somchai"], new, clock(), note=note)
    out = tmp_path / f"audit.{fmt}"
    result = run_cli(populated.db, "audit", "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")  # no newline translation: a note may hold a CR
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        assert tuple(reader.fieldnames or ()) == COLUMNS
        raw = list(reader)
        notes = [r["note"] for r in raw[-len(HOSTILE_NOTES) :]]
        assert notes == ["'" + n for n in HOSTILE_NOTES]  # neutralised: no cell starts a formula
        records = []
        for cells in raw:
            stored = {k: _stored(v) for k, v in cells.items()}
            rec: dict[str, object] = {k: (v if v != "" else None) for k, v in stored.items()}
            rec["note"] = stored["note"]
            rec["fields"] = stored["fields"]
            for k in ("seq", "case_seq", "record_version"):
                rec[k] = int(stored[k]) if stored[k] else None
            records.append(rec)
    else:
        records = [json.loads(line) for line in text.split("\n") if line]
        assert [r["note"] for r in records[-len(HOSTILE_NOTES) :]] == list(HOSTILE_NOTES)  # raw
    assert len(records) == populated.size + len(HOSTILE_NOTES)
    prev = "0" * 64
    for r in records:
        body = b'{"fields":' + str(r["fields"]).encode() + b',"note":'
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
        prev = str(r["hash"])
