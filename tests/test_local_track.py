"""Acceptance: a local-government case walks from opening to in force through the CLI alone.

The test knows no state, trigger or role of the local track: it reads the whole definition from
``procedure show --procedure local --json``, registers officers for the roles it declares, and at
each step takes the move that leads toward a state counting as ``active`` (a breadth-first search
over the transitions, leaving out branches, revision loops, amendments and the system's moves),
filling the step's required fields from their declared types and acting as an officer who holds
one of the step's roles and is not kept out of it by segregation of duties. The only names it
uses are those the effect catalogue fixes (the activity's fields) and the Thai party's name.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import Cli, document

PROVINCE = "TH-57"  # Chiang Rai
PARTY_NAME = "เทศบาลนครเชียงราย"
OPEN = ["--procedure", "local", "--province", PROVINCE, "--partner", "Jinghong"]
OPEN += ["--country", "CN", "--level", "city"]
#: Kinds of move that never lead a proposal forward (see ``TransitionKind``).
DETOURS = {"revision", "branch", "system", "amendment"}
#: Dates recorded on the way: in the past (the Chiang Rai–Jinghong MOU was signed on 24 Nov 2023).
PAST = dt.date(2023, 11, 24)
#: Officers registered per role, so that segregation of duties can always be respected.
PER_ROLE = 2

Definition = dict[str, Any]
Transition = dict[str, Any]


def states_counting_as(definition: Definition, meaning: str) -> set[str]:
    return {s["id"] for s in definition["states"] if meaning in s["counts_as"]}


def forward_moves(definition: Definition) -> list[Transition]:
    """The transitions an officer takes to carry a proposal forward."""
    system = {r["id"] for r in definition["roles"] if r["system"]}
    return [
        t
        for t in definition["transitions"]
        if t["dest"] is not None and t["kind"] not in DETOURS and not set(t["roles"]) <= system
    ]


def path_to(definition: Definition, start: str, goal: set[str]) -> list[Transition]:
    """The shortest run of forward moves from *start* to a state in *goal* (breadth first)."""
    came: dict[str, tuple[str, Transition] | None] = {start: None}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        if state in goal:
            path: list[Transition] = []
            while (step := came[state]) is not None:
                state, move = step
                path.append(move)
            return path[::-1]
        for move in forward_moves(definition):
            if state in move["sources"] and move["dest"] not in came:
                came[move["dest"]] = (state, move)
                todo.append(move["dest"])
    raise AssertionError(f"no forward path from {start} to {sorted(goal)}")


def value_for(field: Mapping[str, Any], docs: Path) -> str:
    """A valid value of the field's declared type."""
    kind = field["type"]
    if kind == "date":
        return PAST.isoformat()
    if kind == "file":
        return str(document(docs, f"{field['name']}.pdf"))
    if kind == "choice":
        return str(field["choices"][0])
    if kind == "integer":
        return "3"
    if kind == "amount":
        return "1000"
    return "ที่ ชร 52101/3 มิตรภาพเชียงราย–เชียงรุ่ง"  # text and reference (a number inside)


def officer_id(role: str, n: int) -> str:
    return f"{role.replace('_', '-')}-{n}"


def register_officers(c: Cli, definition: Definition) -> dict[str, list[str]]:
    """``init --training`` and PER_ROLE officers for every role an officer may hold."""
    c.ok("init", "--training")
    scoped = {r["id"]: r["scoped"] for r in definition["roles"] if not r["system"]}
    managers = definition["actions"]["officers"]
    officers: dict[str, list[str]] = {}
    first = True
    # The officers' managers first: the very first one registers without a manager.
    for role in sorted(scoped, key=lambda r: r not in managers):
        for n in range(1, PER_ROLE + 1):
            oid = officer_id(role, n)
            args = ["officer", "add", oid, "--name", f"เจ้าหน้าที่ {role} {n}", "--role", role]
            if scoped[role]:
                args += ["--province", PROVINCE]
            c.ok(*args, as_=None if first else officer_id(managers[0], 1))
            first = False
            officers.setdefault(role, []).append(oid)
    return officers


def actor_for(move: Transition, case: Mapping[str, Any], officers: dict[str, list[str]]) -> str:
    """An officer holding one of the move's roles whom ``separate_from`` does not keep out."""
    excluded = {
        actor
        for other in move["separate_from"]
        for actor in (
            [case["opened_by"]] if other == "open" else case["trigger_actors"].get(other, [])
        )
    }
    for role in move["roles"]:
        for oid in officers.get(role, []):
            if oid not in excluded:
                return oid
    raise AssertionError(f"no officer may take '{move['trigger']}'")


def confirmations(move: Transition) -> list[str]:
    """Required fields whose only possible value is "yes": what the officer confirms."""
    return [
        f["name"]
        for f in move["fields"]
        if f["required"] and f["type"] == "choice" and f["choices"] == ["yes"]
    ]


def fields_for(move: Transition, docs: Path) -> list[str]:
    args: list[str] = []
    for field in move["fields"]:
        if field["required"]:
            args += ["-f", f"{field['name']}={value_for(field, docs / move['trigger'])}"]
    if move["note_required"]:
        args += ["--note", "บันทึกเหตุผลประกอบ"]
    return args


def test_a_local_case_walks_to_in_force_and_records_an_activity(
    db_url: str, tmp_path: Path
) -> None:
    c = Cli(db_url)
    definition = c.json("procedure", "show", "--procedure", "local")
    officers = register_officers(c, definition)
    active = states_counting_as(definition, "active")
    assert active, "the local track declares no state that counts as active"
    level = definition["thai_party"]["levels"][0]["id"]

    opener = officers[definition["actions"]["open"][0]][0]
    party = ["--party-level", level, "--party-name", PARTY_NAME]
    opened = c.json("case", "open", *OPEN, *party, as_=opener)
    reference = opened["reference"]
    assert opened["state"] == definition["initial"]
    assert (opened["procedure"], opened["thai_party_name"]) == ("local", PARTY_NAME)
    assert opened["thai_party_level"] == level

    walked: list[tuple[str, str, str]] = []  # (trigger, source, dest)
    taken: list[Transition] = []
    confirmed: list[str] = []
    for _ in range(len(definition["states"])):
        case = c.json("case", "show", reference)
        if case["state"] in active:
            break
        move = path_to(definition, case["state"], active)[0]
        actor = actor_for(move, case, officers)
        for confirmation in confirmations(move):
            # The reviewers must confirm the agreement binds no government: "no" is refused.
            args = [*fields_for(move, tmp_path / "docs"), "-f", f"{confirmation}=no"]
            message = c.refused("case", "advance", reference, move["trigger"], *args, as_=actor)
            assert confirmation in message
            confirmed.append(move["trigger"])
        record = c.json(
            "case",
            "advance",
            reference,
            move["trigger"],
            *fields_for(move, tmp_path / "docs"),
            as_=actor,
        )
        assert (record["source"], record["dest"]) == (case["state"], move["dest"])
        walked.append((move["trigger"], case["state"], move["dest"]))
        taken.append(move)
    assert c.json("case", "show", reference)["state"] in active
    assert any("establish" in m["effects"] for m in taken), "the walk never signed anything"
    # Only agreements that bind no government: two reviews (DLA's, the ministry's) confirm it.
    assert len(confirmed) >= 2, confirmed

    # An activity with the partner, through the follow-up command.
    (activity,) = (
        t
        for t in definition["transitions"]
        if "activity" in t["effects"]
        and c.json("case", "show", reference)["state"] in t["sources"]
    )
    kinds = next(f["choices"] for f in activity["fields"] if f["name"] == "activity_kind")
    recorder = actor_for(activity, c.json("case", "show", reference), officers)
    evidence = document(tmp_path / "docs", "photo.jpg")
    before = c.json("case", "show", reference)["state"]
    c.ok(
        "activity",
        "add",
        reference,
        "--date",
        "2567-02-10",
        "--kind",
        kinds[0],
        "--title",
        "เทศกาลสงกรานต์เชียงรุ่ง",
        "--evidence",
        str(evidence),
        as_=recorder,
    )
    after = c.json("case", "show", reference)
    assert after["state"] in active
    walked.append((activity["trigger"], before, activity["dest"]))
    listed = c.json("activity", "list", reference)
    assert [a["title"] for a in listed] == ["เทศกาลสงกรานต์เชียงรุ่ง"]

    history = c.json("case", "history", reference)
    assert history[0]["kind"] == "open"
    assert history[0]["fields"]["thai_party_name"] == PARTY_NAME
    moves = [(r["trigger"], r["source"], r["dest"]) for r in history if r["kind"] == "transition"]
    assert moves == walked
    assert [r["kind"] for r in history] == ["open"] + ["transition"] * len(walked)
    assert c.run("audit", "verify").exit_code == 0


@pytest.mark.parametrize(
    ("party", "says"),
    [
        ([], "level is missing"),
        (["--party-level", "LEVEL"], "name is missing"),
        (["--party-name", PARTY_NAME], "level is missing"),
        (["--party-level", "canton", "--party-name", PARTY_NAME], "'canton' is not one of"),
    ],
    ids=["neither", "no-name", "no-level", "unknown-level"],
)
def test_a_local_case_needs_its_thai_party(sqlite_url: str, party: list[str], says: str) -> None:
    c = Cli(sqlite_url)
    definition = c.json("procedure", "show", "--procedure", "local")
    officers = register_officers(c, definition)
    opener = officers[definition["actions"]["open"][0]][0]
    level = definition["thai_party"]["levels"][0]["id"]
    party = [level if arg == "LEVEL" else arg for arg in party]
    before = c.json("audit", "log")

    message = c.refused("case", "open", *OPEN, *party, as_=opener)

    assert says in message
    assert c.json("case", "list") == []
    assert c.json("audit", "log") == before
    assert c.run("audit", "verify").exit_code == 0
