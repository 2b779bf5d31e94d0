"""What every shipped procedure must satisfy together, and the wording a procedure may choose.

Officers hold roles across procedures (one ``province_officer`` acts in the provincial and the
local track), so a role id shared by two procedures must mean the same kind of role in both.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import cli
from diagrams import procedure_diagram
from states import PHASE_LABELS, LoadedDefinition, available_procedures, load_procedure
from workflow.engine import ProcedureEngine

SHIPPED = [(p, v) for p, versions in available_procedures().items() for v in versions]


def _loaded() -> list[LoadedDefinition]:
    return [load_procedure(p, v) for p, v in SHIPPED]


@pytest.mark.parametrize(("procedure", "version"), SHIPPED)
def test_every_shipped_version_passes_the_engine_checks(procedure: str, version: int) -> None:
    engine = ProcedureEngine(load_procedure(procedure, version))  # effects and guards checked
    assert engine.triggers


def test_a_role_shared_by_procedures_has_the_same_scope_and_kind_in_each() -> None:
    seen: dict[str, tuple[bool, bool, str]] = {}
    for loaded in _loaded():
        d = loaded.definition
        for role in d.roles:
            flags = (role.scoped, role.system)
            first = seen.setdefault(role.id, (*flags, d.procedure))
            assert first[:2] == flags, (
                f"role '{role.id}': scoped/system {flags} in {d.procedure}, "
                f"{first[:2]} in {first[2]}"
            )


def test_every_relationship_procedure_declares_every_action() -> None:
    """A procedure of relationships (its cases are followed up) names who takes each action that
    is not a step; a procedure of another kind (the yearly report) declares only its own."""
    for loaded in _loaded():
        d = loaded.definition
        if not d.states_counting_as("follow_up"):
            continue
        assert set(d.actions) >= {
            "open",
            "import",
            "plan",
            "mechanism",
            "head_export",
            "officers",
            "sweep",
            "migrate",
        }, d.procedure


def test_a_procedure_names_its_own_phases_and_keeps_the_others() -> None:
    local = load_procedure("local", 1)
    d = local.definition
    assert d.phase_labels, "the local track names its proposal and review phases"
    clusters = {c.id: c.lines for c in procedure_diagram(local, "en").clusters}
    for phase, lines in clusters.items():
        expected = d.phase_labels.get(phase) or PHASE_LABELS[phase]  # type: ignore[call-overload]
        assert lines == (expected.en,)
    assert clusters["proposal"] != (PHASE_LABELS["proposal"].en,)
    assert clusters["closed"] == (PHASE_LABELS["closed"].en,)

    shown = json.loads(
        CliRunner().invoke(cli, ["procedure", "show", "--procedure", "local", "--json"]).stdout
    )
    assert shown["phase_labels"]["proposal"] == d.phase_labels["proposal"].model_dump()


def test_a_procedure_without_a_cabinet_step_says_so() -> None:
    d = load_procedure("local", 1).definition
    assert d.settings.cabinet_mode == "no_cabinet_step"
    assert d.settings.describe()[0].en == "No Cabinet step"
    assert all(s.phase != "cabinet" for s in d.active_states)
    provincial = load_procedure("provincial", 1).definition
    assert provincial.settings.describe()[0].en == "Cabinet approves before signing"
