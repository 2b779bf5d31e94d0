"""A definition as plain JSON-ready data, so that other tools can drive the procedure.

Only what exists under the version's settings is listed as ``transitions`` (``@previous`` is
spelt out as ``resume_to``: the states a case may return to); every field a step records comes
with its type, choices and whether it is required.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from states.loader import LoadedDefinition
from states.schema import PHASES, RETURN, ProcedureDefinition, TransitionSpec


def _field(d: ProcedureDefinition, name: str, required: bool) -> dict[str, Any]:
    spec = d.field(name)
    return {
        "name": name,
        "type": spec.type,
        "choices": list(spec.choices),
        "required": required,
        "label": spec.label.as_dict(),
    }


def _transition(d: ProcedureDefinition, t: TransitionSpec) -> dict[str, Any]:
    returns = t.dest == RETURN
    return {
        "trigger": t.trigger,
        "sources": list(t.source),
        "dest": None if returns else t.dest,
        "resume_to": sorted({s for src in t.source for s in d.return_targets(src)})
        if returns
        else [],
        "kind": t.kind,
        "label": t.label.as_dict(),
        "roles": list(t.roles),
        "fields": [_field(d, n, True) for n in t.requires]
        + [_field(d, n, False) for n in t.optional],
        "note_required": t.note_required,
        "guards": list(t.guards),
        "separate_from": list(t.separate_from),
        "effects": list(t.effects),
    }


def definition_dict(loaded: LoadedDefinition) -> dict[str, Any]:
    """The whole definition: states, transitions, roles, actions, settings, Thai party levels."""
    d = loaded.definition
    active = {s.id for s in d.active_states}
    return {
        "procedure": d.procedure,
        "version": d.version,
        "sha256": loaded.sha256,
        "supersedes_sha256": list(d.supersedes_sha256),
        "effective_from": d.effective_from.isoformat(),
        "title": d.title.as_dict(),
        "changes": d.changes,
        "subject": d.subject,
        "initial": d.initial,
        "settings": asdict(d.settings),
        "roles": [asdict(r) for r in d.roles],
        "actions": {name: list(spec.roles) for name, spec in d.actions.items()},
        "thai_party": asdict(d.thai_party) if d.thai_party else None,
        "phase_labels": {p: d.phase_label(p).as_dict() for p in PHASES},
        "states": [
            {
                "id": s.id,
                "label": s.label.as_dict(),
                "phase": s.phase,
                "final": s.final,
                "expected_days": s.expected_days,
                "counts_as": list(s.counts_as),
                "exists": s.id in active,
            }
            for s in d.states
        ],
        "transitions": [_transition(d, t) for t in d.active_transitions],
    }
