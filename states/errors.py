"""Errors raised while reading procedure definitions.

Hierarchy::

    DefinitionError
     ├── InvalidDefinition   the file parses but breaks a rule (ids are named)
     └── UnknownProcedure    no such procedure or version is shipped
"""

from typing import Any


class DefinitionError(Exception):
    """Base of every definition problem; its message is one line meant for an officer.

    Raised, like ``workflow.errors.WorkflowError``, with a message id (the English text with
    ``{name}`` placeholders) and the values as named parameters; ``str()`` is the English, and
    ``states.i18n.render`` gives it in the chosen language.
    """

    def __init__(self, msgid: str = "", /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


class InvalidDefinition(DefinitionError):
    """The definition is malformed or its graph is broken."""


class UnknownProcedure(DefinitionError):
    """The procedure name or version does not exist."""
