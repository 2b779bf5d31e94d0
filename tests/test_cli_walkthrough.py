"""Acceptance: a scripted officer session through the CLI covers the whole procedure.

Every command runs as an officer would type it (``--db``, ``--as`` on a training database,
``-f NAME=PATH`` for documents, ``--json`` to read results back), and the history printed at
the end is checked row by row against what was done.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from store.demo import STEPS
from tests.cli_support import Cli, field_args, open_case, sha256_of, training_db

HAPPY_PATH = [
    "proposal_draft",
    "suitability_study",
    "provincial_committee_review",
    "provincial_endorsed",
    "submitted_to_moi",
    "moi_review",
    "mfa_consultation",
    "partner_negotiation",
    "cabinet_pending",
    "approved_for_signing",
    "signed",
    "active",
]


def advance(
    c: Cli,
    reference: str,
    officer: str,
    trigger: str,
    fields: dict[str, Any],
    note: str,
    docs: Path,
) -> tuple[dict[str, Any], dict[str, Path]]:
    args, files = field_args(fields, docs / trigger)
    if note:
        args += ["--note", note]
    record = c.json("case", "advance", reference, trigger, *args, as_=officer)
    return record, files


def test_happy_path_with_revision_loop_through_every_state(tmp_path: Path) -> None:
    c = training_db(tmp_path / "training.db")
    started = dt.datetime.now(dt.UTC)
    reference = open_case(c)

    visited = ["proposal_draft"]
    done: list[tuple[str, str, dict[str, Any], dict[str, Path]]] = []
    for _day, officer, trigger, fields, note in STEPS:
        before = c.json("case", "show", reference)["state"]
        record, files = advance(c, reference, officer, trigger, fields, note, tmp_path / "docs")
        assert record["kind"] == "transition"
        assert (record["trigger"], record["source"]) == (trigger, before)
        assert record["actor_id"] == officer
        # Each document is recorded by the SHA-256 of the very file that was named.
        for name, path in files.items():
            assert record["fields"][name]["sha256"] == sha256_of(path)
            assert record["fields"][name]["name"] == path.name
            assert record["fields"][name]["bytes"] == path.stat().st_size
        visited.append(record["dest"])
        done.append((officer, trigger, record["fields"], files))

    assert c.json("case", "show", reference)["state"] == "active"
    # Every state of the happy path, in order, plus one loop through provincial_revision.
    assert _dedupe_loop(visited) == HAPPY_PATH
    assert visited.count("provincial_revision") == 1
    assert visited.count("provincial_committee_review") == 2

    history = c.json("case", "history", reference)
    assert [r["kind"] for r in history] == ["open"] + ["transition"] * len(STEPS)
    assert [r["case_seq"] for r in history] == list(range(1, len(STEPS) + 2))
    roles = {
        "somchai": "province_officer",
        "malee": "province_head",
        "governor-cm": "governor",
        "anong": "moi_officer",
        "director-fad": "moi_director",
        "permsec": "moi_executive",
    }
    for row, (officer, trigger, fields, _files) in zip(history[1:], done, strict=True):
        assert row["trigger"] == trigger
        assert row["actor_id"] == officer
        assert row["actor_role"] == roles[officer]
        assert row["fields"] == fields
        at = dt.datetime.fromisoformat(row["occurred_at"])
        assert started - dt.timedelta(seconds=5) <= at <= dt.datetime.now(dt.UTC)
    for earlier, later in itertools.pairwise(history):
        assert later["source"] == earlier["dest"]

    # The human-readable history: one line per event naming officer and role, then the fields.
    text = c.ok("case", "history", reference).stdout
    event_lines = [line for line in text.splitlines() if line.startswith("#")]
    assert len(event_lines) == len(STEPS) + 1
    for line, (officer, trigger, _fields, _files) in zip(event_lines[1:], done, strict=True):
        assert trigger in line
        assert f"by {officer} [{roles[officer]}]" in line
    for name in ("suitability_study", "committee_resolution_no", "signing_place"):
        assert f"        {name}: " in text
    assert "note: ให้เพิ่มสาขาความร่วมมือด้านการศึกษาในร่าง" in text
    thai = c.ok("case", "history", reference, "--lang", "th").stdout
    assert str(started.year + 543) in thai  # Buddhist Era dates in Thai


def _dedupe_loop(visited: list[str]) -> list[str]:
    """The visited states with the revision detour removed (review → revision → review)."""
    out: list[str] = []
    for state in visited:
        if state == "provincial_revision":
            continue
        if out and out[-1] == state:
            continue
        out.append(state)
    return out


def _to_moi_review(c: Cli, reference: str, docs: Path) -> None:
    wanted = ("begin_study", "submit_to_committee", "committee_approve", "submit_to_moi")
    for _day, officer, trigger, fields, note in STEPS:
        if trigger in wanted:
            advance(c, reference, officer, trigger, fields, note, docs)
    advance(c, reference, "director-fad", "accept_for_review", {}, "", docs)
    assert c.json("case", "show", reference)["state"] == "moi_review"


def test_suspension_resumes_where_it_stopped(tmp_path: Path) -> None:
    c = training_db(tmp_path / "training.db")
    reference = open_case(c)
    advance(c, reference, "somchai", "begin_study", {}, "", tmp_path)
    for officer in ("governor-cm", "director-fad"):
        state_before = c.json("case", "show", reference)["state"]
        suspended, _ = advance(c, reference, officer, "suspend", {}, "รอผลการเลือกตั้ง", tmp_path)
        assert (suspended["source"], suspended["dest"]) == (state_before, "suspended")
        actions = c.json("case", "actions", reference, as_=officer)
        assert {a["trigger"]: a["dest"] for a in actions}["resume"] == state_before
        resumed, _ = advance(c, reference, officer, "resume", {}, "ดำเนินการต่อ", tmp_path)
        assert (resumed["source"], resumed["dest"]) == ("suspended", state_before)
        assert c.json("case", "show", reference)["state"] == state_before
        if state_before == "suitability_study":
            _rest = [s for s in STEPS if s[2] in ("submit_to_committee", "committee_approve")]
            for _day, who, trigger, fields, note in _rest:
                advance(c, reference, who, trigger, fields, note, tmp_path)
    # Suspended twice, from two different states, and resumed to each.
    history = c.json("case", "history", reference)
    moves = [(r["trigger"], r["source"], r["dest"]) for r in history if r["kind"] == "transition"]
    assert ("resume", "suspended", "suitability_study") in moves
    assert ("resume", "suspended", "provincial_endorsed") in moves


def test_withdrawal_and_rejection_end_the_case(tmp_path: Path) -> None:
    c = training_db(tmp_path / "training.db")
    withdrawn = open_case(c, partner="Kunming")
    advance(c, withdrawn, "somchai", "begin_study", {}, "", tmp_path)
    record, _ = advance(
        c,
        withdrawn,
        "governor-cm",
        "withdraw",
        {"withdrawal_letter_no": "ชม 0017.2/999"},
        "คู่ภาคีไม่พร้อม",
        tmp_path,
    )
    assert (record["source"], record["dest"]) == ("suitability_study", "withdrawn")
    assert record["fields"] == {"withdrawal_letter_no": "ชม 0017.2/999"}

    rejected = open_case(c, partner="Chengdu")
    _to_moi_review(c, rejected, tmp_path / "docs")
    record, _ = advance(
        c,
        rejected,
        "director-fad",
        "find_not_appropriate",
        {"review_letter_no": "มท 0204.3/77"},
        "ซ้ำซ้อนกับความสัมพันธ์ที่มีอยู่",
        tmp_path,
    )
    assert (record["source"], record["dest"]) == ("moi_review", "rejected")

    for reference, final in ((withdrawn, "withdrawn"), (rejected, "rejected")):
        assert c.json("case", "show", reference)["state"] == final
        for officer in ("somchai", "governor-cm", "director-fad"):
            assert c.json("case", "actions", reference, as_=officer) == []
        message = c.refused(
            "case", "advance", reference, "resume", "--note", "x", as_="governor-cm"
        )
        assert "none (final state)" in message
    listed = {c_["reference"]: c_["state"] for c_ in c.json("case", "list")}
    assert listed == {withdrawn: "withdrawn", rejected: "rejected"}


def test_installed_console_script_smoke(tmp_path: Path) -> None:
    """The real entry point in a real process: init, register, open, show."""
    exe = shutil.which("sistercity")
    base = [exe] if exe else [sys.executable, "-c", "from cli import cli; cli()"]
    db = str(tmp_path / "smoke.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, "--db", db, *args], capture_output=True, text=True, env=env, timeout=60
        )

    assert run("init", "--training").returncode == 0
    added = run(
        "officer", "add", "somchai", "--name", "สมชาย", "--role", "province_officer",
        "--province", "TH-50",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    opened = run(
        "--as", "somchai", "case", "open", "--province", "TH-50", "--partner", "Guangzhou",
        "--country", "CN", "--level", "city", "--json",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    reference = json.loads(opened.stdout)["reference"]
    shown = run("case", "show", reference, "--json")
    assert json.loads(shown.stdout)["state"] == "proposal_draft"
    refused = run("--as", "somchai", "case", "advance", reference, "committee_approve")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: ") and refused.stderr.count("\n") == 1
    assert "allowed: begin_study" in refused.stderr
