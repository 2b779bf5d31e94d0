"""The engine alone: roles, segregation, refusal order, settings variants. No storage at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from states import LoadedDefinition, load_procedure, parse_definition
from store.demo import OFFICERS, STEPS
from workflow.catalog import engine_for, engine_for_case
from workflow.engine import ProcedureEngine
from workflow.errors import (
    DefinitionMismatch,
    GuardRejected,
    MissingFields,
    PermissionDenied,
    SegregationOfDuties,
    TransitionNotAllowed,
    UnknownTrigger,
)
from workflow.model import Actor, Case

NOW = dt.datetime(2025, 1, 15, 3, 0, tzinfo=dt.UTC)
ACTORS = {o.id: o for o in OFFICERS}
PHUKET = Actor("pk", "Phuket officer", frozenset({"province_officer"}), "TH-83")
FIELDS: dict[str, dict[str, Any]] = {trigger: fields for _d, _o, trigger, fields, _n in STEPS}
NOTES = {trigger: note for _d, _o, trigger, _f, note in STEPS}
V1 = load_procedure("provincial", 1)


def case(state: str, loaded: LoadedDefinition = V1, **changes: Any) -> Case:
    base = Case(
        reference="SC-2568-0001",
        procedure="provincial",
        version=1,
        definition_sha256=loaded.sha256,
        state=state,
        province="TH-50",
        partner_name="Guangzhou",
        partner_country="CN",
        partner_level="city",
        instrument="LOI",
        label="friendship",
        opened_at=NOW,
        opened_by="somchai",
        state_since=NOW,
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def engine() -> ProcedureEngine:
    return ProcedureEngine(V1)


def triggers(engine: ProcedureEngine, c: Case, actor: Actor) -> list[str]:
    return [a.trigger for a in engine.available_actions(c, actor)]


def test_available_actions_per_role(engine: ProcedureEngine) -> None:
    draft = case("proposal_draft")
    assert triggers(engine, draft, ACTORS["somchai"]) == ["begin_study"]
    assert triggers(engine, draft, ACTORS["governor-cm"]) == ["suspend", "withdraw"]
    assert triggers(engine, draft, ACTORS["director-fad"]) == ["suspend"]
    for nobody in ("malee", "anong", "permsec", "auditor", "admin"):
        assert triggers(engine, draft, ACTORS[nobody]) == []
    # A provincial role acts in its own province only; a national role anywhere.
    assert triggers(engine, draft, PHUKET) == []
    assert triggers(engine, replace(draft, province="TH-83"), PHUKET) == ["begin_study"]
    assert triggers(engine, replace(draft, province="TH-83"), ACTORS["director-fad"]) == [
        "suspend"
    ]

    review = case("provincial_committee_review")
    actions = {a.trigger: a for a in engine.available_actions(review, ACTORS["malee"])}
    assert sorted(actions) == ["committee_approve", "committee_return"]
    approve = actions["committee_approve"]
    assert (approve.dest, approve.role, approve.note_required) == (
        "provincial_endorsed",
        "province_head",
        False,
    )
    assert [(f.name, f.type, f.required) for f in approve.fields] == [
        ("committee_resolution_no", "reference", True),
        ("committee_resolution_date", "date", True),
    ]
    assert actions["committee_return"].note_required

    signing = engine.available_actions(case("approved_for_signing"), ACTORS["governor-cm"])
    sign = next(a for a in signing if a.trigger == "record_signing")
    assert {f.name for f in sign.fields if not f.required} == {"delegation_order", "term_years"}

    suspended = case("suspended", previous_state="moi_review")
    resume = next(
        a
        for a in engine.available_actions(suspended, ACTORS["governor-cm"])
        if a.trigger == "resume"
    )
    assert resume.dest == "moi_review"
    assert triggers(engine, case("rejected"), ACTORS["director-fad"]) == []


def test_segregation_of_duties(engine: ProcedureEngine) -> None:
    head = ACTORS["malee"]
    fields = FIELDS["committee_approve"]
    review = case("provincial_committee_review")
    # Whoever opened the case, or made the submission, may not also approve it.
    for c in (
        replace(review, opened_by="malee"),
        replace(review, trigger_actors={"submit_to_committee": "malee"}),
        replace(review, trigger_actors={"resubmit_to_committee": "malee"}),
    ):
        assert "committee_approve" not in triggers(engine, c, head)
        assert "committee_return" in triggers(engine, c, head)
        with pytest.raises(SegregationOfDuties):
            engine.fire(c, "committee_approve", head, fields, "", NOW)
    fired = engine.fire(
        replace(review, trigger_actors={"submit_to_committee": "somchai"}),
        "committee_approve",
        head,
        fields,
        "",
        NOW,
    )
    assert fired.dest == "provincial_endorsed"
    assert fired.case.trigger_actors == {
        "submit_to_committee": "somchai",
        "committee_approve": ("malee",),
    }
    # Every earlier officer of a separated step counts, not only the last.
    twice = replace(review, trigger_actors={"submit_to_committee": ("malee", "somchai")})
    with pytest.raises(SegregationOfDuties):
        engine.fire(twice, "committee_approve", head, fields, "", NOW)

    mfa = case("mfa_consultation", trigger_actors={"consult_mfa": "anong"})
    with pytest.raises(SegregationOfDuties, match="made 'consult_mfa'"):
        engine.fire(
            mfa, "record_mfa_opinion", ACTORS["anong"], FIELDS["record_mfa_opinion"], "", NOW
        )
    # Segregation is a kind of permission refusal (recorded as ``denied`` by the use case).
    assert issubclass(SegregationOfDuties, PermissionDenied)


def test_fire_refuses_in_the_documented_order(engine: ProcedureEngine) -> None:
    review = case("provincial_committee_review", opened_by="malee")
    future = {"committee_resolution_no": "4/2567", "committee_resolution_date": "2099-01-01"}
    # unknown trigger before anything else, even for an officer without any role here
    with pytest.raises(UnknownTrigger):
        engine.fire(review, "approve_everything", ACTORS["auditor"], {"x": "y"}, "", NOW)
    # a trigger that exists but not from here, before role
    with pytest.raises(TransitionNotAllowed, match="allowed: committee_approve, committee_return"):
        engine.fire(review, "begin_study", ACTORS["auditor"], {}, "", NOW)
    # role before fields
    with pytest.raises(PermissionDenied):
        engine.fire(review, "committee_approve", ACTORS["somchai"], {}, "", NOW)
    # segregation before fields
    with pytest.raises(SegregationOfDuties):
        engine.fire(review, "committee_approve", ACTORS["malee"], {}, "", NOW)
    review = replace(review, opened_by="somchai")
    # fields before guards: a future date with a missing field is a field refusal
    with pytest.raises(MissingFields) as missing:
        engine.fire(
            review,
            "committee_approve",
            ACTORS["malee"],
            {"committee_resolution_date": "2099-01-01"},
            "",
            NOW,
        )
    assert missing.value.problems == [
        "committee_resolution_no: required (Provincial committee resolution no.)"
    ]
    # note is checked with the fields, before guards
    with pytest.raises(MissingFields, match="note: required"):
        engine.fire(review, "committee_return", ACTORS["malee"], future, "", NOW)
    # guards last
    with pytest.raises(GuardRejected) as guard:
        engine.fire(review, "committee_approve", ACTORS["malee"], future, "", NOW)
    assert guard.value.failed == [
        "dates_not_in_future: dates in the future: committee_resolution_date"
    ]


def test_dates_are_compared_in_bangkok(engine: ProcedureEngine) -> None:
    review = case("provincial_committee_review")
    # 17:30 UTC on 30 Sep is already 1 Oct in Bangkok: a resolution dated 1 Oct is not future.
    late_evening = dt.datetime(2024, 9, 30, 17, 30, tzinfo=dt.UTC)
    fields = {"committee_resolution_no": "4/2567", "committee_resolution_date": "2024-10-01"}
    fired = engine.fire(review, "committee_approve", ACTORS["malee"], fields, "", late_evening)
    assert fired.dest == "provincial_endorsed"
    with pytest.raises(GuardRejected):
        engine.fire(
            review,
            "committee_approve",
            ACTORS["malee"],
            {**fields, "committee_resolution_date": "2024-10-02"},
            "",
            late_evening,
        )
    # A Buddhist Era year is read as such and stored in the common era.
    be = {"committee_resolution_no": "4/2567", "committee_resolution_date": "2567-03-31"}
    fired = engine.fire(review, "committee_approve", ACTORS["malee"], be, "", NOW)
    assert fired.fields["committee_resolution_date"] == "2024-03-31"


def test_machine_never_holds_models_and_has_no_back_doors(engine: ProcedureEngine) -> None:
    machine = engine._machine
    assert machine.models == []
    assert not any(name.startswith("to_") for name in machine.events)
    assert set(machine.events) == engine.triggers
    c = case("proposal_draft")
    for _ in range(50):
        c = case("proposal_draft")
        for _day, officer, trigger, fields, note in STEPS:
            c = engine.fire(c, trigger, ACTORS[officer], fields, note, NOW).case
        assert c.state == "active"
        suspended = engine.fire(c, "suspend", ACTORS["governor-cm"], {}, "why", NOW).case
        c = engine.fire(suspended, "resume", ACTORS["governor-cm"], {}, "why", NOW).case
        assert c.state == "active"
    assert machine.models == []


def test_resume_returns_to_the_state_it_left(engine: ProcedureEngine) -> None:
    governor = ACTORS["governor-cm"]
    for state in ("proposal_draft", "moi_review", "approved_for_signing", "dormant"):
        suspended = engine.fire(case(state), "suspend", governor, {}, "รอ", NOW)
        assert (suspended.source, suspended.dest) == (state, "suspended")
        assert suspended.case.previous_state == state
        resumed = engine.fire(suspended.case, "resume", governor, {}, "ต่อ", NOW)
        assert resumed.dest == state
    with pytest.raises(GuardRejected, match="no recorded state to return to"):
        engine.fire(case("suspended"), "resume", governor, {}, "ต่อ", NOW)


def test_final_states_absorb(engine: ProcedureEngine) -> None:
    for final in ("expired", "terminated", "rejected", "withdrawn"):
        assert engine.allowed_triggers(final) == []
        with pytest.raises(TransitionNotAllowed, match=r"none \(final state\)"):
            engine.fire(case(final), "resume", ACTORS["governor-cm"], {}, "x", NOW)


def test_released_definition_hash_mismatch() -> None:
    good = case("proposal_draft")
    assert engine_for_case(good) is engine_for("provincial", 1)
    edited = replace(good, definition_sha256="0" * 64)
    with pytest.raises(DefinitionMismatch, match="released definitions must not change"):
        engine_for_case(edited)


# ---------------------------------------------------------------------- settings variants
def variant(**settings: Any) -> LoadedDefinition:
    text = Path(V1.path).read_text(encoding="utf-8")
    head, sep, rest = text.partition("[settings]\n")
    block, sep2, tail = rest.partition("\n\n")
    lines = dict(line.split(" = ", 1) for line in block.splitlines())
    for key, value in settings.items():
        lines[key] = f'"{value}"' if isinstance(value, str) else str(value).lower()
    new_block = "\n".join(f"{k} = {v}" for k, v in lines.items())
    return parse_definition((head + sep + new_block + sep2 + tail).encode("utf-8"), "variant")


ACK_FIELDS: dict[str, dict[str, Any]] = {
    "approve_for_signing": {
        k: v for k, v in FIELDS["propose_to_cabinet"].items() if k != "cabinet_proposal_no"
    },
    "record_signing": FIELDS["record_signing"],
    "report_signing": FIELDS["report_signing"],
    "record_cabinet_acknowledgement": FIELDS["record_cabinet_approval"],
}


def test_acknowledge_after_signing_graph() -> None:
    loaded = variant(cabinet_mode="acknowledge_after_signing")
    assert loaded.definition.settings.cabinet_mode == "acknowledge_after_signing"
    assert loaded.sha256 != V1.sha256
    engine = ProcedureEngine(loaded)
    assert "approve_for_signing" in engine.allowed_triggers("partner_negotiation")
    assert "propose_to_cabinet" not in engine.allowed_triggers("partner_negotiation")
    assert "record_cabinet_approval" not in engine.triggers
    assert engine.allowed_triggers("cabinet_pending") == [
        "record_cabinet_acknowledgement",
        "suspend",
        "withdraw",
    ]
    states: list[str] = []
    c = case("partner_negotiation", loaded)
    for officer, trigger in [
        ("director-fad", "approve_for_signing"),
        ("governor-cm", "record_signing"),
        ("somchai", "report_signing"),
        ("anong", "record_cabinet_acknowledgement"),
    ]:
        c = engine.fire(c, trigger, ACTORS[officer], ACK_FIELDS[trigger], "", NOW).case
        states.append(c.state)
    assert states == ["approved_for_signing", "signed", "cabinet_pending", "active"]
    # The approve-first engine sends the same report straight to active.
    signed = case("signed")
    fired = engine_for("provincial", 1).fire(
        signed, "report_signing", ACTORS["somchai"], FIELDS["report_signing"], "", NOW
    )
    assert fired.dest == "active"


def test_without_mfa_consultation_graph() -> None:
    loaded = variant(mfa_consultation=False)
    assert loaded.definition.settings.mfa_consultation is False
    engine = ProcedureEngine(loaded)
    assert engine.allowed_triggers("moi_review") == [
        "clear_review",
        "find_not_appropriate",
        "return_for_revision",
        "suspend",
        "withdraw",
    ]
    assert "consult_mfa" not in engine.triggers
    assert not any(t.dest == "mfa_consultation" for t in loaded.definition.active_transitions)
    fired = engine.fire(
        case("moi_review", loaded), "clear_review", ACTORS["director-fad"], {}, "", NOW
    )
    assert fired.dest == "partner_negotiation"
    with pytest.raises(UnknownTrigger):
        engine.fire(case("moi_review", loaded), "consult_mfa", ACTORS["director-fad"], {}, "", NOW)
    # v1 consults MFA and has no shortcut.
    with pytest.raises(UnknownTrigger):
        engine_for("provincial", 1).fire(
            case("moi_review"), "clear_review", ACTORS["director-fad"], {}, "", NOW
        )
