"""Procedure definitions as data: the ministry's steps, roles and documents, versioned.

The names below are loaded on first use, not when the package is imported: the CLI's help reads
its messages from ``states.i18n`` and must not pay for pydantic."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from states.errors import DefinitionError, InvalidDefinition, UnknownProcedure
    from states.loader import (
        DEFAULT_PROCEDURE,
        PROCEDURES_ENV,
        LoadedDefinition,
        available_procedures,
        load_all,
        load_file,
        load_procedure,
        newest_definitions,
        parse_definition,
    )
    from states.schema import (
        ACTIONS,
        MEANINGS,
        PHASE_LABELS,
        PHASES,
        RETURN,
        ActionName,
        ActionSpec,
        FieldSpec,
        Meaning,
        ProcedureDefinition,
        RoleSpec,
        Settings,
        StateSpec,
        Subject,
        TransitionSpec,
    )
    from states.text import Label, nfc

_LAZY = {
    "ACTIONS": "states.schema",
    "DEFAULT_PROCEDURE": "states.loader",
    "MEANINGS": "states.schema",
    "PHASES": "states.schema",
    "PHASE_LABELS": "states.schema",
    "PROCEDURES_ENV": "states.loader",
    "RETURN": "states.schema",
    "ActionName": "states.schema",
    "ActionSpec": "states.schema",
    "DefinitionError": "states.errors",
    "FieldSpec": "states.schema",
    "InvalidDefinition": "states.errors",
    "Label": "states.text",
    "LoadedDefinition": "states.loader",
    "Meaning": "states.schema",
    "ProcedureDefinition": "states.schema",
    "RoleSpec": "states.schema",
    "Settings": "states.schema",
    "StateSpec": "states.schema",
    "Subject": "states.schema",
    "TransitionSpec": "states.schema",
    "UnknownProcedure": "states.errors",
    "available_procedures": "states.loader",
    "load_all": "states.loader",
    "load_file": "states.loader",
    "load_procedure": "states.loader",
    "newest_definitions": "states.loader",
    "nfc": "states.text",
    "parse_definition": "states.loader",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines *name* the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'states' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ACTIONS",
    "DEFAULT_PROCEDURE",
    "MEANINGS",
    "PHASES",
    "PHASE_LABELS",
    "PROCEDURES_ENV",
    "RETURN",
    "ActionName",
    "ActionSpec",
    "DefinitionError",
    "FieldSpec",
    "InvalidDefinition",
    "Label",
    "LoadedDefinition",
    "Meaning",
    "ProcedureDefinition",
    "RoleSpec",
    "Settings",
    "StateSpec",
    "Subject",
    "TransitionSpec",
    "UnknownProcedure",
    "available_procedures",
    "load_all",
    "load_file",
    "load_procedure",
    "newest_definitions",
    "nfc",
    "parse_definition",
]
