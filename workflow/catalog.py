"""Engines are built once per procedure version per process and checked against case hashes."""

from __future__ import annotations

import datetime as dt
import os
from functools import cache

from states import PROCEDURES_ENV, available_procedures, load_procedure
from states.i18n import N_
from workflow.engine import ProcedureEngine
from workflow.errors import DefinitionMismatch
from workflow.model import Case


@cache
def engine_for(procedure: str, version: int | None = None) -> ProcedureEngine:
    """The shared engine of a procedure version (``None``: the newest)."""
    return ProcedureEngine(load_procedure(procedure, version))


def engine_in_force(procedure: str, version: int | None, day: dt.date) -> ProcedureEngine:
    """The engine of *version*, or when none is named, of the newest version in force on *day*
    (its ``effective_from`` reached; before the first one, the first)."""
    if version is not None:
        return engine_for(procedure, version)
    versions = _in_force(procedure, os.environ.get(PROCEDURES_ENV, ""))
    if not versions:
        return engine_for(procedure)  # refuses, naming the known procedures
    chosen = versions[0][1]
    for effective_from, v in versions:
        if effective_from <= day:
            chosen = v
    return engine_for(procedure, chosen)


@cache
def _in_force(procedure: str, folders: str) -> tuple[tuple[dt.date, int], ...]:
    """Each version of *procedure* with the day it takes effect, oldest first: read once per
    process and procedures folder (*folders*, ``SISTERCITY_PROCEDURES``), like the engines."""
    del folders  # the cache key: another folder may hold other versions
    return tuple(
        (load_procedure(procedure, v).definition.effective_from, v)
        for v in available_procedures().get(procedure, ())
    )


def engine_for_case(case: Case) -> ProcedureEngine:
    """The engine of the version the case was opened under, refusing an edited released file."""
    engine = engine_for(case.procedure, case.version)
    accepted = (engine.loaded.sha256, *engine.definition.supersedes_sha256)
    if case.definition_sha256 not in accepted:
        raise DefinitionMismatch(
            N_(
                "case {reference} was opened under {procedure} v{version} with SHA-256 "
                "{opened}…, but the file now hashes to {now}…; released definitions must not "
                "change"
            ),
            reference=case.reference,
            procedure=case.procedure,
            version=case.version,
            opened=case.definition_sha256[:12],
            now=engine.loaded.sha256[:12],
        )
    return engine
