"""Who acts next: ``case actions`` and ``case show`` name every step from the case's state, who
may take it, what it needs and whether the asking officer may.

The acceptance test walks a proposal from its opening to a relationship in force using only
what ``case actions --json`` says: at each state it takes the first forward step, an officer the
JSON names who may take it with no rule failing, fills the required fields with plausible values
of their types and attaches the required documents, through the installed command.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from store.demo import OFFICERS
from tests.cli_support import EXTRA_OFFICERS, Cli, document, open_case, training_db
from workflow.thaidate import BANGKOK

#: Plausible values of each field type (documents are files written for the step).
VALUES = {
    "text": "ข้อความประกอบ",
    "reference": "ที่ มท 0204.3/1",
    "integer": "5",
    "amount": "150000",
}


def _sistercity(db: Path, officer: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    return subprocess.run(
        ["sistercity", "--db", str(db), "--as", officer, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _actions(db: Path, officer: str, reference: str) -> list[dict[str, Any]]:
    done = _sistercity(db, officer, "case", "actions", reference, "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _arguments(step: dict[str, Any], folder: Path) -> list[str]:
    today = dt.datetime.now(BANGKOK).date().isoformat()
    args: list[str] = []
    for field in step["fields"]:
        if not field["required"]:
            continue
        name, kind = field["name"], field["type"]
        if kind == "file":
            path = document(folder, f"{step['trigger']}-{name}.pdf")
            args += ["--doc", f"{name}={path}"]
        elif kind == "choice":
            args += ["-f", f"{name}={field['choices'][0]}"]
        elif kind == "date":
            args += ["-f", f"{name}={today}"]
        else:
            args += ["-f", f"{name}={VALUES[kind]}"]
    if step["note_required"]:
        args += ["--note", "ดำเนินการตามขั้นตอน"]
    return args


def test_a_proposal_reaches_force_on_what_case_actions_says(tmp_path: Path) -> None:
    db = tmp_path / "day.db"
    training_db(db)
    opened = _sistercity(
        db, "somchai", "case", "open", "--province", "TH-50", "--partner", "Kunming",
        "--country", "CN", "--level", "city", "--version", "1", "--json",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    reference = json.loads(opened.stdout)["reference"]
    taken: list[tuple[str, str]] = []
    asker = "somchai"
    for _ in range(30):
        steps = _actions(db, asker, reference)
        forward = [s for s in steps if s["kind"] == "step"]
        assert forward, steps
        step = forward[0]
        assert not step["gap"], step
        # An officer the JSON names who, asking in turn, may take it with every rule met.
        officer = ""
        for candidate in step["officers"]:
            theirs = (
                steps if candidate["id"] == asker else _actions(db, candidate["id"], reference)
            )
            mine = {s["trigger"]: s for s in theirs}[step["trigger"]]
            if mine["may_take"] and not mine["failing_guards"]:
                officer = candidate["id"]
                break
        assert officer, f"nobody named may take {step['trigger']}: {step}"
        done = _sistercity(
            db, officer, "case", "advance", reference, step["trigger"],
            *_arguments(step, tmp_path / "documents"),
        )  # fmt: skip
        assert done.returncode == 0, (step["trigger"], officer, done.stderr)
        assert done.stdout.splitlines()[-1].startswith("receipt: log ")
        taken.append((step["trigger"], officer))
        asker = officer
        if "active" in step["dest_counts_as"]:
            break
    else:
        raise AssertionError(f"not in force after {taken}")
    shown = _sistercity(db, "somchai", "case", "show", reference, "--json")
    assert json.loads(shown.stdout)["state"] == step["dest"]
    # Several officers took part, each step by one the JSON named.
    assert len({officer for _, officer in taken}) >= 5, taken
    verified = _sistercity(db, "auditor", "audit", "verify")
    assert verified.returncode == 0, verified.stdout


def test_each_step_names_its_roles_officers_needs_and_why_not(tmp_path: Path) -> None:
    c = training_db(tmp_path / "t.db")
    reference = open_case(c)
    begin = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="somchai")}
    step = begin["begin_study"]
    assert (step["may_take"], step["role"], step["refusal"]) == (True, "province_officer", None)
    assert [r["id"] for r in step["roles"]] == ["province_officer"]
    assert step["roles"][0]["scoped"] is True
    # Registered, unretired and in scope: not the Phuket officer.
    assert [o["id"] for o in step["officers"]] == ["dual", "somchai"]
    elsewhere = {
        s["trigger"]: s for s in c.json("case", "actions", reference, as_="phuket-officer")
    }
    assert elsewhere["begin_study"]["refusal"] == "scope"
    assert "TH-83" in elsewhere["begin_study"]["why_not"]
    head = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="malee")}
    assert head["begin_study"]["refusal"] == "role"
    assert not head["begin_study"]["may_take"]

    c.ok("case", "advance", reference, "begin_study", as_="dual")
    docs = tmp_path / "docs"
    names = ("suitability_study", "working_group_minutes", "draft_mou_th", "draft_mou_en",
             "action_plan")  # fmt: skip
    submit = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="dual")}
    assert submit["submit_to_committee"]["documents"] == list(names)
    args = [a for n in names for a in ("--doc", f"{n}={document(docs, n + '.pdf')}")]
    c.ok("case", "advance", reference, "submit_to_committee", *args, as_="dual")
    review = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="dual")}
    approve = review["committee_approve"]
    assert approve["refusal"] == "segregation"
    assert "submit_to_committee" in approve["why_not"]
    # dual submitted, so only the other head of office may approve.
    assert [o["id"] for o in approve["officers"]] == ["malee"]
    fields = {f["name"]: f for f in approve["fields"]}
    assert fields["committee_resolution_date"]["type"] == "date"
    assert fields["committee_resolution_no"]["required"] is True
    # case show --json says the same.
    shown = c.json("case", "show", reference, as_="dual")
    assert [s["trigger"] for s in shown["next_steps"]] == list(review)
    assert "next steps" in c.ok("case", "show", reference, "--lang", "en", as_="dual").stdout


def test_a_step_no_registered_officer_can_take_is_named_as_a_gap(tmp_path: Path) -> None:
    c = Cli(tmp_path / "gap.db")
    c.ok("init", "--training")
    admin = next(o for o in OFFICERS if o.id == "admin")
    c.add_officer(admin, as_=None)
    c.add_officer(next(o for o in OFFICERS if o.id == "somchai"))
    reference = open_case(c)
    steps = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="somchai")}
    assert steps["begin_study"]["gap"] is False
    withdraw = steps["withdraw"]
    assert withdraw["gap"] is True and withdraw["officers"] == []
    assert "admin must register" in withdraw["gap_en"]
    assert withdraw["gap_th"]
    text = c.ok("case", "actions", reference, "--lang", "en", as_="somchai").stdout
    assert "officers: none: no registered officer can take this step" in text
    # A retired governor does not close the gap; a registered one does.
    deputy = next(o for o in EXTRA_OFFICERS if o.id == "deputy-cm")
    c.add_officer(deputy)
    c.ok("officer", "retire", deputy.id, as_="admin")
    steps = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="somchai")}
    assert steps["withdraw"]["gap"] is True
    c.add_officer(next(o for o in OFFICERS if o.id == "governor-cm"))
    steps = {s["trigger"]: s for s in c.json("case", "actions", reference, as_="somchai")}
    assert [o["id"] for o in steps["withdraw"]["officers"]] == ["governor-cm"]
