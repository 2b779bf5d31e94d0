"""Errors raised while drawing; each message is one line an officer can act on.

Hierarchy::

    DiagramError
     ├── UnknownFormat       the output format is not one we can produce
     ├── GraphvizNotFound    the ``dot`` program is missing
     ├── RenderFailed        ``dot`` ran and refused the graph
     ├── OutputExists        the output file exists and overwriting was not asked for
     └── InvalidHistory      the case history names states the definition does not have
"""

from typing import Any


class DiagramError(Exception):
    """Base of every drawing problem, so the CLI needs a single ``except``.

    Raised with a message id and named parameters (as ``workflow.errors.WorkflowError``), so
    ``states.i18n.render`` shows it in the chosen language.
    """

    def __init__(self, msgid: str = "", /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


class UnknownFormat(DiagramError):
    """The requested output format is not supported."""


class GraphvizNotFound(DiagramError):
    """Graphviz's ``dot`` is not on PATH; only DOT source can be produced without it."""


class RenderFailed(DiagramError):
    """``dot`` exited with an error."""


class OutputExists(DiagramError):
    """Refused to replace an existing file without ``force``."""


class InvalidHistory(DiagramError):
    """The history or current state does not fit the procedure definition given."""
