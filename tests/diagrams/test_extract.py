"""The intermediate model: what is drawn, independent of Graphviz."""

from __future__ import annotations

import datetime as dt

import pytest

from diagrams import (
    START,
    DiagramError,
    InvalidHistory,
    case_diagram,
    format_day,
    procedure_diagram,
)
from diagrams.extract import FAN_IN_SOURCES
from diagrams.model import previous_id
from states import PHASES, RETURN, LoadedDefinition
from tests.diagrams.diagram_support import Row, utc


def test_every_state_is_a_node_in_its_phase(provincial: LoadedDefinition) -> None:
    d = procedure_diagram(provincial, "both")
    definition = provincial.definition
    states = [n for n in d.nodes if n.kind in ("state", "final")]
    assert [n.id for n in states] == [s.id for s in definition.states]
    for node in states:
        spec = definition.state(node.id)
        assert node.lines == (spec.label.th, spec.label.en)
        assert node.kind == ("final" if spec.final else "state")
    assert [c.id for c in d.clusters] == list(PHASES)
    for cluster in d.clusters:
        for node_id in cluster.node_ids:
            assert d.node(node_id).phase == cluster.id


def test_one_edge_per_pair_with_every_active_transition(provincial: LoadedDefinition) -> None:
    d = procedure_diagram(provincial, "en")
    pairs = [(e.source, e.dest) for e in d.edges]
    assert len(pairs) == len(set(pairs))
    drawn = {(e.source, e.dest, label.trigger) for e in d.edges for label in e.labels}
    for t in provincial.definition.active_transitions:
        for source in t.source:
            if t.dest == RETURN:
                assert (source, previous_id(source), t.trigger) in drawn
            else:
                assert (source, t.dest, t.trigger) in drawn
    inactive = {t.trigger for t in provincial.definition.transitions} - {
        t.trigger for t in provincial.definition.active_transitions
    }
    assert inactive, "v1 has setting-dependent transitions; they must not be drawn"
    assert not {label.trigger for e in d.edges for label in e.labels} & inactive


def test_revision_loops_and_start_are_distinct(provincial: LoadedDefinition) -> None:
    d = procedure_diagram(provincial, "en")
    assert d.edge("provincial_committee_review", "provincial_revision").kind == "revision"
    assert d.edge("suitability_study", "provincial_committee_review").kind == "step"
    start = d.edge(START, provincial.definition.initial)
    assert start.kind == "start" and d.node(START).kind == "start"


def test_from_any_step_moves_are_described_once_on_their_destination(
    provincial: LoadedDefinition,
) -> None:
    d = procedure_diagram(provincial, "en")
    suspend = next(t for t in provincial.definition.transitions if t.trigger == "suspend")
    assert len(suspend.source) > FAN_IN_SOURCES
    assert [f.trigger for f in d.node("suspended").fan_in] == ["suspend"]
    assert d.edge("active", "suspended").fan_in


def test_many_return_targets_become_one_note(provincial: LoadedDefinition) -> None:
    d = procedure_diagram(provincial, "th")
    note = d.node(previous_id("suspended"))
    assert note.kind == "previous"
    resumes = [e for e in d.edges if any(label.trigger == "resume" for label in e.labels)]
    assert [(e.source, e.dest) for e in resumes] == [("suspended", note.id)]


def test_few_return_targets_get_one_dashed_edge_each(tiny: LoadedDefinition) -> None:
    d = procedure_diagram(tiny, "en")
    resumes = {
        (e.source, e.dest): e.kind
        for e in d.edges
        if any(label.trigger == "resume" for label in e.labels)
    }
    assert resumes == {("on_hold", "draft"): "resume", ("on_hold", "review"): "resume"}


def test_title_names_version_hash_and_settings(provincial: LoadedDefinition) -> None:
    d = procedure_diagram(provincial, "en", show_roles=True)
    assert d.title[0] == "Provincial sister-city relationship"
    assert f"procedure provincial v1 · sha256 {provincial.sha256[:12]}" in d.title[1]
    assert d.notes == tuple(s.en for s in provincial.definition.settings.describe())
    assert any(line.startswith("governor: ") for line in d.roles_legend)
    assert not procedure_diagram(provincial, "en").roles_legend


def test_unknown_language_is_refused(provincial: LoadedDefinition) -> None:
    with pytest.raises(DiagramError, match="unknown language 'fr'"):
        procedure_diagram(provincial, "fr")


def test_buddhist_era_dates_in_bangkok_time() -> None:
    evening = utc("2024-03-30T20:00")
    assert format_day(evening, "th") == "31 มี.ค. 2567"
    assert format_day(evening, "en") == "2024-03-31"
    assert format_day(evening, "both") == "31 มี.ค. 2567 / 2024-03-31"


def test_case_steps_follow_moves_only(
    provincial: LoadedDefinition, provincial_history: list[Row]
) -> None:
    d = case_diagram(
        provincial,
        provincial_history,
        "provincial_committee_review",
        utc("2024-04-30T03:00"),
        "th",
    )
    moves = [r for r in provincial_history if r.kind != "denied"]
    assert [(s.number, s.trigger) for s in d.steps] == [
        (i, r.trigger) for i, r in enumerate(moves, 1)
    ]
    assert d.steps[0].source == START
    assert d.steps[4].date == "31 มี.ค. 2567"
    taken = {(e.source, e.dest) for e in d.edges if e.taken}
    assert taken == {(s.source, s.dest) for s in d.steps}
    assert all(e.faded for e in d.edges if not e.taken)
    # the resume drawn as a note in the procedure gets a real edge for this case
    assert d.edge("suspended", "provincial_committee_review").kind == "resume"


def test_case_nodes_show_visits_days_and_fading(
    provincial: LoadedDefinition, provincial_history: list[Row]
) -> None:
    now = utc("2024-04-30T03:00")
    d = case_diagram(provincial, provincial_history, "provincial_committee_review", now, "en")
    current = d.node("provincial_committee_review")
    assert current.emphasis == "current"
    # 1 Mar→10 Mar (9 d) + 30 Mar 20:00→10 Apr (10 d 7 h) + 20 Apr→30 Apr (10 d)
    assert current.details == ("×3 · 29 days",)
    assert not current.overdue
    assert d.node("suitability_study").details == ("41 days",)
    assert d.node("suitability_study").emphasis == "visited"
    assert d.node("moi_review").emphasis == "faded"
    assert d.node("moi_review").details == ()


def test_overdue_counts_from_the_latest_entry(
    provincial: LoadedDefinition, provincial_history: list[Row]
) -> None:
    # entered again 20 Apr; expected 60 days; on 1 Aug that is 103 days, 43 over
    d = case_diagram(
        provincial,
        provincial_history,
        "provincial_committee_review",
        utc("2024-08-01T03:00"),
        "en",
    )
    node = d.node("provincial_committee_review")
    assert node.overdue
    assert node.details[-1] == "overdue by 43 days (expected 60)"
    on_time = case_diagram(
        provincial,
        provincial_history,
        "provincial_committee_review",
        utc("2024-06-19T03:00"),
        "en",
    )
    assert not on_time.node("provincial_committee_review").overdue


def test_self_loop_is_not_a_revisit(tiny: LoadedDefinition) -> None:
    rows = [
        Row("import", "import", None, "review", utc("2024-01-01T00:00")),
        Row("transition", "hold", "review", "on_hold", utc("2024-01-03T00:00")),
        Row("transition", "resume", "on_hold", "review", utc("2024-01-04T00:00")),
    ]
    d = case_diagram(tiny, rows, "review", utc("2024-01-20T00:00"), "en")
    assert d.node("review").details[0] == "×2 · 18 days"
    assert d.node("review").overdue
    assert d.edge(START, "review").taken  # an imported case starts where it was imported
    assert not d.edge(START, "draft").taken


def test_case_refusals(provincial: LoadedDefinition, provincial_history: list[Row]) -> None:
    now = utc("2024-04-30T03:00")
    with pytest.raises(InvalidHistory, match="current state 'nowhere'"):
        case_diagram(provincial, provincial_history, "nowhere", now)
    with pytest.raises(DiagramError, match="timezone-aware"):
        case_diagram(provincial, provincial_history, "suspended", dt.datetime(2024, 4, 30))  # noqa: DTZ001
    bad = [Row("transition", "x", "proposal_draft", "limbo", now)]
    with pytest.raises(InvalidHistory, match="state 'limbo'"):
        case_diagram(provincial, bad, "proposal_draft", now)
