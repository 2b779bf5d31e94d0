"""Errors raised while reading procedure definitions.

Hierarchy::

    DefinitionError
     ├── InvalidDefinition   the file parses but breaks a rule (ids are named)
     └── UnknownProcedure    no such procedure or version is shipped
"""


class DefinitionError(Exception):
    """Base of every definition problem; its message is one line meant for an officer."""


class InvalidDefinition(DefinitionError):
    """The definition is malformed or its graph is broken."""


class UnknownProcedure(DefinitionError):
    """The procedure name or version does not exist."""
