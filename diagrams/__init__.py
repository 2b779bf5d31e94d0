"""Graphviz pictures of a procedure and of one case's path.

Typical use (what ``sistercity diagram`` does)::

    loaded = states.load_procedure("provincial", 1)
    picture = procedure_diagram(loaded, lang="both", show_roles=True)
    write_output(render(picture, "svg"), "procedure.svg", force=False)

Every failure is a :class:`DiagramError` with a one-line message. A picture ``dot`` drew once is
kept in the user's cache folder and served again without running it (``diagrams.kept``).
"""

from diagrams.dot import (
    BINARY_FORMATS,
    DEFAULT_FONT,
    FORMATS,
    Style,
    check_format,
    render,
    to_digraph,
    to_source,
)
from diagrams.errors import (
    DiagramError,
    GraphvizNotFound,
    InvalidHistory,
    OutputExists,
    RenderFailed,
    UnknownFormat,
)
from diagrams.extract import (
    MOVE_KINDS,
    HistoryItem,
    case_diagram,
    check_lang,
    format_day,
    procedure_diagram,
)
from diagrams.model import LANGS, START, Cluster, Diagram, Edge, Node, Step, TriggerLabel
from diagrams.output import STDOUT, check_destination, write_output

__all__ = [
    "BINARY_FORMATS",
    "DEFAULT_FONT",
    "FORMATS",
    "LANGS",
    "MOVE_KINDS",
    "START",
    "STDOUT",
    "Cluster",
    "Diagram",
    "DiagramError",
    "Edge",
    "GraphvizNotFound",
    "HistoryItem",
    "InvalidHistory",
    "Node",
    "OutputExists",
    "RenderFailed",
    "Step",
    "Style",
    "TriggerLabel",
    "UnknownFormat",
    "case_diagram",
    "check_destination",
    "check_format",
    "check_lang",
    "format_day",
    "procedure_diagram",
    "render",
    "to_digraph",
    "to_source",
    "write_output",
]
