"""Engines are built once per procedure version per process and checked against case hashes."""

from __future__ import annotations

from functools import cache

from states import load_procedure
from workflow.engine import ProcedureEngine
from workflow.errors import DefinitionMismatch
from workflow.model import Case


@cache
def engine_for(procedure: str, version: int | None = None) -> ProcedureEngine:
    """The shared engine of a procedure version (``None``: the newest)."""
    return ProcedureEngine(load_procedure(procedure, version))


def engine_for_case(case: Case) -> ProcedureEngine:
    """The engine of the version the case was opened under, refusing an edited released file."""
    engine = engine_for(case.procedure, case.version)
    accepted = (engine.loaded.sha256, *engine.definition.supersedes_sha256)
    if case.definition_sha256 not in accepted:
        raise DefinitionMismatch(
            f"case {case.reference} was opened under {case.procedure} v{case.version} "
            f"with SHA-256 {case.definition_sha256[:12]}…, but the file now hashes to "
            f"{engine.loaded.sha256[:12]}…; released definitions must not change"
        )
    return engine
