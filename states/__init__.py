"""Procedure definitions as data: the ministry's steps, roles and documents, versioned."""

from states.errors import DefinitionError, InvalidDefinition, UnknownProcedure
from states.loader import (
    DEFAULT_PROCEDURE,
    LoadedDefinition,
    available_procedures,
    load_file,
    load_procedure,
    parse_definition,
)
from states.schema import (
    PHASE_LABELS,
    PHASES,
    RETURN,
    FieldSpec,
    ProcedureDefinition,
    RoleSpec,
    Settings,
    StateSpec,
    TransitionSpec,
)
from states.text import Label, nfc

__all__ = [
    "DEFAULT_PROCEDURE",
    "PHASES",
    "PHASE_LABELS",
    "RETURN",
    "DefinitionError",
    "FieldSpec",
    "InvalidDefinition",
    "Label",
    "LoadedDefinition",
    "ProcedureDefinition",
    "RoleSpec",
    "Settings",
    "StateSpec",
    "TransitionSpec",
    "UnknownProcedure",
    "available_procedures",
    "load_file",
    "load_procedure",
    "nfc",
    "parse_definition",
]
