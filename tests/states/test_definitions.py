"""Broken procedure definitions are refused when loaded, naming the ids at fault.

Each test starts from the released provincial v1 file, breaks one thing, writes it back as TOML
and loads it with ``parse_definition`` (and through ``sistercity procedure check``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from states import InvalidDefinition, load_procedure, parse_definition

V1 = Path(load_procedure("provincial", 1).path)
Raw = dict[str, Any]


def to_toml(data: Raw) -> str:
    """A small TOML writer for definition-shaped data (scalars, inline tables, table arrays)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(type(v))

    lines = []
    tables: list[tuple[str, list[Raw]]] = []
    for key, v in data.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((key, v))
        else:
            lines.append(f"{key} = {value(v)}")
    for key, rows in tables:
        for row in rows:
            lines.append(f"\n[[{key}]]")
            lines.extend(f"{k} = {value(x)}" for k, x in row.items())
    return "\n".join(lines) + "\n"


def v1() -> Raw:
    return tomllib.loads(V1.read_text(encoding="utf-8"))


def label(text: str) -> Raw:
    return {"th": text, "en": text}


def transition(trigger: str, source: list[str], dest: str, **extra: Any) -> Raw:
    return {
        "trigger": trigger,
        "source": source,
        "dest": dest,
        "roles": ["province_officer"],
        "label": label(trigger),
        **extra,
    }


def state(state_id: str, final: bool = False) -> Raw:
    return {"id": state_id, "phase": "proposal", "final": final, "label": label(state_id)}


def find(rows: list[Raw], **match: Any) -> Raw:
    return next(r for r in rows if all(r.get(k) == v for k, v in match.items()))


# ---------------------------------------------------------------------- the breakages
def unknown_state(d: Raw) -> None:
    find(d["transitions"], trigger="begin_study")["dest"] = "study_ghost"


def unknown_source_state(d: Raw) -> None:
    find(d["transitions"], trigger="accept_for_review")["source"] = ["submited_to_moi"]


def unreachable_state(d: Raw) -> None:
    d["states"].append(state("forgotten_archive", final=True))


def reachable_only_by_resume(d: Raw) -> None:
    # A resume returns only to a state the case was in: it cannot make a state reachable.
    d["states"].append(state("orphan_review"))
    d["transitions"].append(
        transition("park", ["orphan_review"], "suspended", roles=["moi_director"])
    )


def no_way_out(d: Raw) -> None:
    d["states"].append(state("legal_opinion"))
    d["transitions"].append(transition("ask_legal", ["moi_review"], "legal_opinion"))


def cycle_without_exit(d: Raw) -> None:
    d["states"] += [state("ping_review"), state("pong_review")]
    d["transitions"] += [
        transition("start_ping", ["provincial_revision"], "ping_review"),
        transition("ping", ["ping_review"], "pong_review"),
        transition("pong", ["pong_review"], "ping_review"),
    ]


def ambiguous(d: Raw) -> None:
    d["transitions"].append(transition("begin_study", ["proposal_draft"], "provincial_revision"))


def unknown_role(d: Raw) -> None:
    find(d["transitions"], trigger="committee_approve")["roles"] = ["province_janitor"]


def unknown_field(d: Raw) -> None:
    find(d["transitions"], trigger="submit_to_moi")["requires"].append("governors_horoscope")


def final_with_way_out(d: Raw) -> None:
    d["transitions"].append(
        transition("reconsider", ["rejected"], "moi_review", roles=["moi_director"])
    )


def variant_for_another_role(d: Raw) -> None:
    # Told apart by the head's guard alone: when it fails, the officer's unguarded variant would
    # move the case, and an officer holding the head's role would be refused by the other one.
    d["transitions"].append(
        transition("committee_approve", ["provincial_committee_review"], "provincial_endorsed")
    )


def guarded_variants_for_different_roles(d: Raw) -> None:
    d["transitions"].append(
        transition(
            "committee_approve",
            ["provincial_committee_review"],
            "provincial_endorsed",
            guards=["deputy_has_delegation"],
            requires=["committee_resolution_no", "committee_resolution_date"],
        )
    )


def when_of_the_wrong_type(d: Raw) -> None:
    find(d["transitions"], trigger="consult_mfa")["when"] = {"mfa_consultation": "yes"}


def when_of_no_choice(d: Raw) -> None:
    find(d["transitions"], trigger="propose_to_cabinet")["when"] = {"cabinet_mode": "first"}


def action_for_unknown_role(d: Raw) -> None:
    d["actions"]["plan"] = {"roles": ["province_janitor"]}


BROKEN: list[tuple[Callable[[Raw], None], list[str]]] = [
    (unknown_state, ["transition 'begin_study'", "unknown destination state 'study_ghost'"]),
    (unknown_source_state, ["transition 'accept_for_review'", "'submited_to_moi'"]),
    (unreachable_state, ["unreachable states: forgotten_archive"]),
    (reachable_only_by_resume, ["unreachable states: orphan_review"]),
    (no_way_out, ["non-final states with no way out: legal_opinion"]),
    (cycle_without_exit, ["states with no path to a final state: ping_review, pong_review"]),
    (ambiguous, ["ambiguous unguarded transitions: begin_study from proposal_draft"]),
    (unknown_role, ["transition 'committee_approve'", "unknown role 'province_janitor'"]),
    (unknown_field, ["transition 'submit_to_moi'", "unknown field 'governors_horoscope'"]),
    (final_with_way_out, ["final states with outgoing transitions: rejected"]),
    (
        variant_for_another_role,
        [
            "'committee_approve' from 'provincial_committee_review' is declared 2 times; "
            "every variant needs guards",
            "variants allow different roles (province_head / province_officer)",
        ],
    ),
    (
        guarded_variants_for_different_roles,
        ["'committee_approve' from 'provincial_committee_review': variants allow different roles"],
    ),
    (
        when_of_the_wrong_type,
        ["transition 'consult_mfa': 'when' value 'yes' is not a valid mfa_consultation (bool)"],
    ),
    (
        when_of_no_choice,
        [
            "transition 'propose_to_cabinet': 'when' value 'first' is not a valid cabinet_mode "
            "(one of approve_before_signing, acknowledge_after_signing, no_cabinet_step)"
        ],
    ),
    (action_for_unknown_role, ["action 'plan': unknown role 'province_janitor'"]),
]
IDS = [fn.__name__ for fn, _ in BROKEN]


def broken(fn: Callable[[Raw], None]) -> str:
    d = copy.deepcopy(v1())
    fn(d)
    return to_toml(d)


def test_the_writer_round_trips_the_released_file() -> None:
    released = load_procedure("provincial", 1).definition
    again = parse_definition(to_toml(v1()).encode("utf-8"), "roundtrip.toml").definition
    assert again == released


@pytest.mark.parametrize(("breakage", "named"), BROKEN, ids=IDS)
def test_broken_definition_is_refused_naming_ids(
    breakage: Callable[[Raw], None], named: list[str]
) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(broken(breakage).encode("utf-8"), "broken.toml")
    message = str(refused.value)
    assert message.startswith("broken.toml: ")
    assert "\n" not in message
    for part in named:
        assert part in message


@pytest.mark.parametrize(("breakage", "named"), BROKEN, ids=IDS)
def test_procedure_check_refuses_broken_files(
    breakage: Callable[[Raw], None], named: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "v2.toml"
    path.write_text(broken(breakage), encoding="utf-8")
    result = CliRunner().invoke(cli, ["procedure", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith(f"Error: {path}: ") and "\n" not in line
    for part in named:
        assert part in line


def test_procedure_check_accepts_the_released_file() -> None:
    result = CliRunner().invoke(cli, ["procedure", "check", str(V1)])
    assert result.exit_code == 0, result.output
    assert re.search(
        r": ok — provincial v1, 20 states, \d+ transitions, sha256 [0-9a-f]{12}", result.stdout
    )


def test_procedure_check_on_unreadable_or_not_toml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("procedure = [unclosed", encoding="utf-8")
    result = CliRunner().invoke(cli, ["procedure", "check", str(bad)])
    assert result.exit_code == 1
    assert "not valid UTF-8 TOML" in result.stderr
    result = CliRunner().invoke(cli, ["procedure", "check", str(tmp_path / "absent.toml")])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr


def test_several_problems_are_all_named() -> None:
    d = v1()
    unknown_role(d)
    unknown_field(d)
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(to_toml(d).encode("utf-8"), "two.toml")
    assert "province_janitor" in str(refused.value)
    assert "governors_horoscope" in str(refused.value)


def test_released_file_is_sound_and_names_every_phase() -> None:
    d = load_procedure("provincial", 1).definition
    finals = {s.id for s in d.states if s.final}
    assert finals == {"expired", "terminated", "rejected", "withdrawn"}
    assert d.initial == "proposal_draft"
    assert d.settings.cabinet_mode == "approve_before_signing"
    assert d.settings.mfa_consultation is True


@pytest.mark.parametrize(
    ("effects", "named"),
    [
        (["levitate"], "transition 'begin_study': unknown effect 'levitate'"),
        (["establish"], "transition 'begin_study': effect 'establish' needs required field(s) "
         "signed_on"),
    ],
)  # fmt: skip
def test_effects_are_checked_when_the_engine_is_built(effects: list[str], named: str) -> None:
    """Effects are named like guards: only the catalogue's exist, with the fields they read."""
    from workflow.engine import ProcedureEngine
    from workflow.errors import InvalidInput

    d = copy.deepcopy(v1())
    find(d["transitions"], trigger="begin_study")["effects"] = effects
    loaded = parse_definition(to_toml(d).encode("utf-8"), "effects.toml")
    with pytest.raises(InvalidInput, match=re.escape(named)):
        ProcedureEngine(loaded)


def test_procedure_check_refuses_effects_and_guards_the_code_lacks(tmp_path: Path) -> None:
    """A ministry's own file cannot pass the check and then fail when a case uses it."""
    d = copy.deepcopy(v1())
    find(d["transitions"], trigger="begin_study")["effects"] = ["levitate"]
    find(d["transitions"], trigger="begin_study")["guards"] = ["moon_is_full"]
    path = tmp_path / "v9.toml"
    path.write_text(to_toml(d), encoding="utf-8")
    result = CliRunner().invoke(cli, ["procedure", "check", str(path)])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "guards this version lacks: moon_is_full" in line
    assert "unknown effect 'levitate'" in line and "\n" not in line
