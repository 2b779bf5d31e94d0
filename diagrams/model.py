"""The picture as plain data, between reading a definition and drawing it.

Keeping this layer free of Graphviz lets the case logic (steps, dwell times, overdue marks) be
tested without a renderer, and lets another renderer reuse it. Text is already resolved to the
chosen language here, because dates and units differ per language too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Lang = Literal["th", "en", "both"]
LANGS: tuple[Lang, ...] = ("th", "en", "both")

NodeKind = Literal["start", "state", "final", "previous"]
EdgeKind = Literal[
    "start", "step", "revision", "branch", "amendment", "follow_up", "system", "resume", "history"
]
#: How a node is emphasised in a case picture; procedure pictures use ``plain`` only.
Emphasis = Literal["plain", "current", "visited", "faded"]

#: Node id of the start point; state ids cannot begin with ``_`` so it never collides.
START = "__start__"


def previous_id(state_id: str) -> str:
    """Node id of the "back to where it was" note attached to *state_id*."""
    return f"__previous_{state_id}__"


@dataclass(frozen=True)
class TriggerLabel:
    """One transition drawn on an edge; an edge can carry several."""

    trigger: str
    lines: tuple[str, ...]
    roles: tuple[str, ...]
    kind: str
    #: A move allowed "from any step": its label goes on the destination, not on every arrow.
    fan_in: bool = False


@dataclass(frozen=True)
class Node:
    """A state, the start point, or a note standing for ``@previous``."""

    id: str
    kind: NodeKind
    lines: tuple[str, ...]
    phase: str | None = None
    #: Small print under the label: visits, days spent, overdue time.
    details: tuple[str, ...] = ()
    emphasis: Emphasis = "plain"
    overdue: bool = False
    #: Moves allowed from many steps into this one, described once here instead of per arrow.
    fan_in: tuple[TriggerLabel, ...] = ()


@dataclass(frozen=True)
class Step:
    """One move the case actually made, numbered from 1 in history order."""

    number: int
    trigger: str
    source: str
    dest: str
    occurred_at: dt.datetime
    date: str


@dataclass(frozen=True)
class Edge:
    """Every transition between one source and one destination, drawn once."""

    source: str
    dest: str
    kind: EdgeKind
    labels: tuple[TriggerLabel, ...]
    steps: tuple[Step, ...] = ()
    faded: bool = False

    @property
    def fan_in(self) -> bool:
        """Whether every transition here is a "from any step" move (drawn light, unlabelled)."""
        return bool(self.labels) and all(label.fan_in for label in self.labels)

    @property
    def taken(self) -> bool:
        """Whether the case's history went along this edge."""
        return bool(self.steps)


@dataclass(frozen=True)
class Cluster:
    """The states of one phase, drawn in a box."""

    id: str
    lines: tuple[str, ...]
    node_ids: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    """Everything a renderer needs; nothing here refers back to the definition."""

    name: str
    lang: Lang
    title: tuple[str, ...]
    notes: tuple[str, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...]
    show_roles: bool = False
    roles_legend: tuple[str, ...] = ()
    current: str | None = None
    steps: tuple[Step, ...] = ()

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError if absent)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def edge(self, source: str, dest: str) -> Edge:
        """The edge from *source* to *dest* (KeyError if absent)."""
        for edge in self.edges:
            if (edge.source, edge.dest) == (source, dest):
                return edge
        raise KeyError((source, dest))
