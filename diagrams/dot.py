"""Draw a :class:`Diagram` with Graphviz: DOT source needs nothing, images need ``dot``.

Labels are HTML-like so small print (dates, days, roles) can be smaller and coloured; every
piece of text is escaped, so a definition can never inject markup. The font is set on graph,
nodes and edges alike because Graphviz's default (Times) has no Thai glyphs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import graphviz

from diagrams import kept
from diagrams.errors import GraphvizNotFound, RenderFailed, UnknownFormat
from diagrams.model import Diagram, Edge, Node
from states.i18n import N_

FORMATS: tuple[str, ...] = ("svg", "png", "pdf", "dot")
#: Binary formats are worth refusing on a terminal.
BINARY_FORMATS = frozenset({"png", "pdf"})
#: A Thai-capable sans-serif from fonts-thai-tlwg that also covers Latin text.
DEFAULT_FONT = "Loma"

_CASE_COLOUR = "#1f4e9c"
_FADED_LINE = "#d0d0d0"
_FADED_TEXT = "#a8a8a8"
_EDGE_STYLES: dict[str, dict[str, str]] = {
    "start": {"color": "#333333"},
    "step": {"color": "#333333"},
    "revision": {"color": "#d35400", "fontcolor": "#d35400", "style": "dashed"},
    "branch": {"color": "#b03a2e", "fontcolor": "#b03a2e"},
    "resume": {"color": "#8e44ad", "fontcolor": "#8e44ad", "style": "dashed"},
    "amendment": {"color": "#2874a6", "fontcolor": "#2874a6", "style": "dotted"},
    "follow_up": {"color": "#1e8449", "fontcolor": "#1e8449"},
    "system": {"color": "#7f8c8d", "fontcolor": "#7f8c8d", "style": "dotted"},
    "history": {"color": _CASE_COLOUR, "style": "bold"},
}
_LEGEND: tuple[tuple[str, str, str], ...] = (
    ("revision", "— — ส่งกลับแก้ไข", "— — revision loop"),
    ("branch", "—— ทางแยก (ไม่อนุมัติ ระงับ ถอน ยกเลิก)", "—— branch (reject, suspend, end)"),
    ("resume", "— — ดำเนินการต่อ", "— — resume"),
    ("follow_up", "—— การติดตามผล", "—— follow-up"),
    ("system", "····· ระบบดำเนินการ", "····· done by the system"),
)


@dataclass(frozen=True)
class Style:
    """Choices a reader may want to change without touching the picture's content."""

    fontname: str = DEFAULT_FONT
    fontsize: float = 11.0
    #: Top to bottom: the procedure reads like the ministry's step list, and wide two-line
    #: Thai/English labels fit side by side better than stacked.
    rankdir: str = "TB"


#: What ``html.escape(text, quote=True)`` replaces, without importing ``html`` (its table of
#: named entities costs a millisecond at every start).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _esc(text: str) -> str:
    return text.translate(_ESCAPES)


def _html(parts: Iterable[str]) -> str:
    return "<" + "".join(parts) + ">"


def _node_label(node: Node, faded: bool, show_roles: bool) -> str:
    parts = [_esc(node.lines[0])]
    parts += [f'<BR/><FONT POINT-SIZE="10">{_esc(line)}</FONT>' for line in node.lines[1:]]
    for fan in node.fan_in:
        for line in fan.lines:
            parts.append(f'<BR/><FONT POINT-SIZE="8"><I>{_esc(line)}</I></FONT>')
        if show_roles and fan.roles:
            parts.append(f'<BR/><FONT POINT-SIZE="8"><I>[{_esc(", ".join(fan.roles))}]</I></FONT>')
    for line in node.details:
        colour = (
            "" if faded else (' COLOR="#c0392b"' if node.overdue else f' COLOR="{_CASE_COLOUR}"')
        )
        parts.append(f'<BR/><FONT POINT-SIZE="9"{colour}><B>{_esc(line)}</B></FONT>')
    return _html(parts)


def _edge_label(edge: Edge, show_roles: bool) -> str | None:
    parts: list[str] = []
    for label in edge.labels:
        if label.fan_in:
            continue
        if parts:
            parts.append("<BR/>")
        parts.append("<BR/>".join(_esc(line) for line in label.lines))
        if show_roles and label.roles:
            roles = _esc(", ".join(label.roles))
            parts.append(f'<BR/><FONT POINT-SIZE="8"><I>[{roles}]</I></FONT>')
    for step in edge.steps:
        parts.append(
            ("<BR/>" if parts else "")
            + f'<FONT COLOR="{_CASE_COLOUR}"><B>{step.number} · {_esc(step.date)}</B></FONT>'
        )
    return _html(parts) if parts else None


def _title_label(diagram: Diagram) -> str:
    rows = [f"<B>{_esc(diagram.title[0])}</B>"]
    rows += [_esc(line) for line in diagram.title[1:]]
    rows += [f'<FONT POINT-SIZE="9">• {_esc(line)}</FONT>' for line in diagram.notes]
    for kind, th, en in _LEGEND:
        text = {"th": th, "en": en}.get(diagram.lang, f"{th} / {en}")
        colour = _EDGE_STYLES[kind]["color"]
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{colour}">{_esc(text)}</FONT>')
    rows += [f'<FONT POINT-SIZE="8">{_esc(line)}</FONT>' for line in diagram.roles_legend]
    return _html(row + '<BR ALIGN="LEFT"/>' for row in rows)


def _node_attrs(node: Node) -> dict[str, str]:
    if node.kind == "start":
        return {"shape": "point", "width": "0.18", "class": "start"}
    if node.kind == "previous":
        tint = _FADED_LINE if node.emphasis == "faded" else _EDGE_STYLES["resume"]["color"]
        return {
            "shape": "note",
            "style": "dashed",
            "color": tint,
            "fontcolor": _FADED_TEXT if node.emphasis == "faded" else tint,
            "fontsize": "9",
            "class": f"previous {node.emphasis}",
        }
    attrs = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "white",
        "color": "#555555",
        "class": f"{node.kind} {node.emphasis}",
    }
    if node.kind == "final":
        attrs.update(peripheries="2", fillcolor="#eeeeee")
    if node.emphasis == "current":
        attrs.update(fillcolor="#ffd866", color=_CASE_COLOUR, penwidth="3")
    elif node.emphasis == "visited":
        attrs.update(fillcolor="#dce9f8", color=_CASE_COLOUR, penwidth="1.5")
    elif node.emphasis == "faded":
        attrs.update(color=_FADED_LINE, fontcolor=_FADED_TEXT, fillcolor="white")
    if node.overdue:
        attrs.update(color="#c0392b", penwidth="3.5", **{"class": attrs["class"] + " overdue"})
    return attrs


def _edge_attrs(edge: Edge) -> dict[str, str]:
    attrs = dict(_EDGE_STYLES[edge.kind])
    state = "taken" if edge.taken else ("faded" if edge.faded else "plain")
    attrs["class"] = f"{edge.kind} {state}"
    if edge.fan_in:
        attrs.update(penwidth="0.6", arrowsize="0.5")
    if edge.taken:
        attrs.update(color=_CASE_COLOUR, fontcolor=_CASE_COLOUR, penwidth="2.6")
    elif edge.faded:
        attrs.update(color=_FADED_LINE, fontcolor=_FADED_TEXT)
    return attrs


def to_digraph(diagram: Diagram, style: Style | None = None) -> graphviz.Digraph:
    """Build the Graphviz graph; nothing runs until it is rendered."""
    style = style or Style()
    font = {"fontname": style.fontname}
    graph = graphviz.Digraph(
        name=diagram.name,
        graph_attr={
            **font,
            "fontsize": str(style.fontsize + 1),
            "rankdir": style.rankdir,
            "label": _title_label(diagram),
            "labelloc": "t",
            "labeljust": "l",
            "newrank": "true",
            "nodesep": "0.35",
            "ranksep": "0.45",
            "pad": "0.3",
        },
        node_attr={**font, "fontsize": str(style.fontsize), "margin": "0.12,0.05"},
        edge_attr={**font, "fontsize": str(style.fontsize - 2), "arrowsize": "0.7"},
    )
    nodes = {node.id: node for node in diagram.nodes}
    clustered: set[str] = set()
    for cluster in diagram.clusters:
        with graph.subgraph(name=f"cluster_{cluster.id}") as sub:
            sub.attr(
                label=_html([f"<B>{'<BR/>'.join(_esc(x) for x in cluster.lines)}</B>"]),
                style="rounded,filled",
                fillcolor="#f7f7f4",
                color="#c8c8c0",
                fontsize=str(style.fontsize),
                **{"class": "phase", "id": f"phase__{cluster.id}"},
            )
            for node_id in cluster.node_ids:
                _add_node(sub, nodes[node_id], diagram.show_roles)
                clustered.add(node_id)
    for node in diagram.nodes:
        if node.id not in clustered:
            _add_node(graph, node, diagram.show_roles)
    for edge in diagram.edges:
        graph.edge(
            edge.source,
            edge.dest,
            label=_edge_label(edge, diagram.show_roles),
            **{"id": f"edge__{edge.source}__{edge.dest}"},
            **_edge_attrs(edge),
        )
    return graph


def _add_node(graph: graphviz.Digraph, node: Node, show_roles: bool) -> None:
    label = _node_label(node, node.emphasis == "faded", show_roles) if node.lines else ""
    graph.node(node.id, label=label, **{"id": f"node__{node.id}"}, **_node_attrs(node))


def to_source(diagram: Diagram, style: Style | None = None) -> str:
    """DOT source text; needs no Graphviz binary, so it is what the freshness test compares."""
    source: str = to_digraph(diagram, style).source
    return source


def check_format(fmt: str) -> str:
    """Refuse an unknown format before any work, with the list of known ones."""
    if fmt not in FORMATS:
        raise UnknownFormat(
            N_("unknown diagram format '{format}' (choose {formats})"),
            format=fmt,
            formats=", ".join(FORMATS),
        )
    return fmt


def render(
    diagram: Diagram, fmt: str = "svg", style: Style | None = None, *, keep: bool = True
) -> bytes:
    """The picture as bytes in *fmt*; raster and PDF output go through cairo for Thai shaping.

    A picture drawn before comes from the user's cache (``diagrams.kept``), and a new one is
    kept there, unless *keep* is false.
    """
    check_format(fmt)
    if fmt == "dot":
        return to_source(diagram, style).encode("utf-8")
    graph = to_digraph(diagram, style)
    renderer = "cairo" if fmt in BINARY_FORMATS else None

    def draw() -> bytes:
        try:
            data: bytes = graph.pipe(format=fmt, renderer=renderer, quiet=True)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(
                N_("Graphviz 'dot' not found: install it with 'apt-get install graphviz'")
            ) from None
        except graphviz.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {exc.returncode}"
            raise RenderFailed(N_("Graphviz 'dot' failed: {reason}"), reason=reason) from None
        return data

    if not keep:
        return draw()
    return kept.rendered(graph.source, fmt, graph.engine, renderer, draw)
