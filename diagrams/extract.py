"""Turn a procedure definition, and optionally a case's history, into a :class:`Diagram`.

The picture is built from the versioned definition rather than from a live state machine, so it
is exactly the document officers and auditors refer to, and needs no engine or database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Protocol

from diagrams.errors import DiagramError, InvalidHistory
from diagrams.model import (
    LANGS,
    START,
    Cluster,
    Diagram,
    Edge,
    EdgeKind,
    Emphasis,
    Lang,
    Node,
    NodeKind,
    Step,
    TriggerLabel,
    previous_id,
)
from states import PHASES, RETURN, Label, LoadedDefinition, ProcedureDefinition
from states.i18n import N_

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

#: Audit kinds that move a case; ``denied`` rows and officer events leave it where it was.
MOVE_KINDS = frozenset({"open", "transition", "import", "migrate"})

#: Up to this many return targets get one dashed edge each; beyond that a single note reads
#: better than a fan of arrows (the provincial "resume" can return to fifteen steps).
MAX_RETURN_EDGES = 3

#: A transition with more sources than this ("suspend", "withdraw" from any step) is described
#: once on its destination; labelling fifteen arrows alike only hides the main path.
FAN_IN_SOURCES = 5

#: When an edge carries transitions of several kinds, it is drawn as the first kind listed here,
#: so a revision loop is never hidden behind an ordinary step.
_KIND_PRIORITY: tuple[EdgeKind, ...] = (
    "revision",
    "branch",
    "resume",
    "amendment",
    "system",
    "follow_up",
    "step",
    "start",
    "history",
)

_BE_OFFSET = 543
_THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


class HistoryItem(Protocol):
    """What a drawing needs from an audit row; the store's records fit without adapters."""

    @property
    def kind(self) -> str: ...

    @property
    def trigger(self) -> str | None: ...

    @property
    def source(self) -> str | None: ...

    @property
    def dest(self) -> str | None: ...

    @property
    def occurred_at(self) -> dt.datetime: ...


def check_lang(lang: str) -> Lang:
    """Validate a language choice early, with the one-line message the CLI shows."""
    for known in LANGS:
        if lang == known:
            return known
    raise DiagramError(N_("unknown language '{lang}' (choose th, en or both)"), lang=lang)


@cache
def _bangkok() -> ZoneInfo:
    """Bangkok's time zone, loaded when a moment is first placed in it: a procedure picture
    shows dates only, and need not import ``zoneinfo``."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Bangkok")


def format_day(moment: dt.datetime, lang: Lang) -> str:
    """The Bangkok calendar date: Buddhist Era for Thai readers, ISO for everyone else."""
    return _format_date(moment.astimezone(_bangkok()).date(), lang)


def _format_date(day: dt.date, lang: Lang) -> str:
    thai = f"{day.day} {_THAI_MONTHS_SHORT[day.month - 1]} {day.year + _BE_OFFSET}"
    if lang == "th":
        return thai
    if lang == "en":
        return day.isoformat()
    return f"{thai} / {day.isoformat()}"


def _lines(label: Label, lang: Lang) -> tuple[str, ...]:
    if lang == "th":
        return (label.th,)
    if lang == "en":
        return (label.en,)
    return (label.th, label.en)


def _say(lang: Lang, th: str, en: str) -> str:
    if lang == "th":
        return th
    if lang == "en":
        return en
    return f"{th} / {en}"


def _days(lang: Lang, days: int) -> str:
    return _say(lang, f"{days} วัน", f"{days} day{'s' if days != 1 else ''}")


def procedure_diagram(
    loaded: LoadedDefinition, lang: str = "both", show_roles: bool = False
) -> Diagram:
    """The whole procedure: phases as boxes, every active transition, settings in the title."""
    chosen = check_lang(lang)
    d = loaded.definition
    return Diagram(
        name=f"{d.procedure}-v{d.version}",
        lang=chosen,
        title=_title(loaded, chosen),
        notes=tuple(label.text(chosen) for label in d.settings.describe()),
        nodes=_nodes(d, chosen),
        edges=_edges(d, chosen),
        clusters=_clusters(d, chosen),
        show_roles=show_roles,
        roles_legend=_roles_legend(d, chosen) if show_roles else (),
    )


def _title(loaded: LoadedDefinition, lang: Lang) -> tuple[str, ...]:
    d = loaded.definition
    meta = (
        f"procedure {d.procedure} v{d.version} · sha256 {loaded.sha256[:12]} · "
        + _say(lang, "มีผลตั้งแต่", "effective")
        + f" {_format_date(d.effective_from, lang)}"
    )
    return (*_lines(d.title, lang), meta)


def _roles_legend(d: ProcedureDefinition, lang: Lang) -> tuple[str, ...]:
    return tuple(f"{r.id}: {r.label.text(lang)}" for r in d.roles)


def _nodes(d: ProcedureDefinition, lang: Lang) -> tuple[Node, ...]:
    nodes = [Node(id=START, kind="start", lines=())]
    for s in d.active_states:
        fans = tuple(
            TriggerLabel(
                trigger=t.trigger,
                lines=(
                    f"← {t.label.text(lang)} " + _say(lang, f"(จาก {n} ขั้น)", f"(from {n} steps)"),
                ),
                roles=tuple(t.roles),
                kind=t.kind,
                fan_in=True,
            )
            for t in d.active_transitions
            if t.dest == s.id and (n := len(t.source)) > FAN_IN_SOURCES
        )
        kind: NodeKind = "final" if s.final else "state"
        nodes.append(
            Node(id=s.id, kind=kind, lines=_lines(s.label, lang), phase=s.phase, fan_in=fans)
        )
    for source in _note_returns(d):
        text = _say(lang, "↩ กลับไปขั้นที่มา", "↩ back to the step it came from")
        nodes.append(
            Node(
                id=previous_id(source),
                kind="previous",
                lines=(text,),
                phase=d.state(source).phase,
            )
        )
    return tuple(nodes)


def _note_returns(d: ProcedureDefinition) -> list[str]:
    """Sources of ``@previous`` moves with too many targets to draw one arrow each."""
    found: list[str] = []
    for t in d.active_transitions:
        if t.dest == RETURN:
            found.extend(
                s
                for s in t.source
                if len(d.return_targets(s)) > MAX_RETURN_EDGES and s not in found
            )
    return found


def _edges(d: ProcedureDefinition, lang: Lang) -> tuple[Edge, ...]:
    grouped: dict[tuple[str, str], list[tuple[EdgeKind, TriggerLabel]]] = {}

    def add(source: str, dest: str, kind: EdgeKind, label: TriggerLabel) -> None:
        grouped.setdefault((source, dest), []).append((kind, label))

    open_label = TriggerLabel(
        trigger="open",
        lines=(_say(lang, "เปิดเรื่อง", "open"),),
        roles=d.action_roles("open"),
        kind="start",
    )
    add(START, d.initial, "start", open_label)
    notes = set(_note_returns(d))
    for t in d.active_transitions:
        label = TriggerLabel(
            trigger=t.trigger,
            lines=_lines(t.label, lang),
            roles=tuple(t.roles),
            kind=t.kind,
            fan_in=len(t.source) > FAN_IN_SOURCES,
        )
        for source in t.source:
            if t.dest != RETURN:
                add(source, t.dest, t.kind, label)
            elif source in notes:
                add(source, previous_id(source), "resume", label)
            else:
                for target in d.return_targets(source):
                    add(source, target, "resume", label)
    return tuple(
        Edge(source=s, dest=t, kind=_strongest(k for k, _ in items), labels=_unique(items))
        for (s, t), items in grouped.items()
    )


def _strongest(kinds: Iterable[str]) -> EdgeKind:
    present = set(kinds)
    for kind in _KIND_PRIORITY:
        if kind in present:
            return kind
    return "step"


def _unique(items: list[tuple[EdgeKind, TriggerLabel]]) -> tuple[TriggerLabel, ...]:
    seen: list[TriggerLabel] = []
    for _, label in items:
        if label not in seen:
            seen.append(label)
    return tuple(seen)


def _clusters(d: ProcedureDefinition, lang: Lang) -> tuple[Cluster, ...]:
    notes = _note_returns(d)
    clusters = []
    for phase in PHASES:
        members = [s.id for s in d.active_states if s.phase == phase]
        members += [previous_id(s) for s in notes if d.state(s).phase == phase]
        if members:
            lines = _lines(d.phase_label(phase), lang)
            clusters.append(Cluster(id=phase, lines=lines, node_ids=tuple(members)))
    return tuple(clusters)


# ---------------------------------------------------------------------------------------- cases


@dataclass
class _Visit:
    state: str
    entered: dt.datetime
    left: dt.datetime | None = None


def case_diagram(
    loaded: LoadedDefinition,
    history: Iterable[HistoryItem],
    current_state: str,
    now: dt.datetime,
    lang: str = "both",
    show_roles: bool = False,
    reference: str | None = None,
    earlier: Sequence[LoadedDefinition] = (),
) -> Diagram:
    """The procedure with one case's path: numbered dated steps, dwell times, overdue marks.

    *loaded* is the definition version the case follows now; *history* is its audit rows in
    order. Rows that did not move the case (``denied``, officer events) are ignored. A case
    migrated from another version may have passed through states this one lacks: they are
    looked up in *earlier* (the other versions) and drawn as extra, visited nodes, and the
    migration is drawn as one more step.
    """
    chosen = check_lang(lang)
    if now.tzinfo is None:
        raise DiagramError(N_("'now' must be a timezone-aware time"))
    d = loaded.definition
    state_ids = {s.id for s in d.active_states}
    if current_state not in state_ids:
        raise InvalidHistory(
            N_("current state '{state}' is not a state of procedure {procedure} v{version}"),
            state=current_state,
            procedure=d.procedure,
            version=d.version,
        )
    base = procedure_diagram(loaded, chosen, show_roles)
    old_states = {
        s.id: (s, x.definition.version)
        for x in earlier
        for s in x.definition.states
        if s.id not in state_ids
    }
    steps = _steps(d, history, state_ids | set(old_states), chosen)
    visits = _visits(steps, now)
    edges = _taken_edges(d, base.edges, steps, chosen)
    passed = {v.state for v in visits}
    extra = tuple(
        Node(
            state,
            "state",
            (*_lines(spec.label, chosen), _say(chosen, f"(ฉบับ {version})", f"(v{version})")),
            phase=spec.phase,
        )
        for state, (spec, version) in old_states.items()
        if state in passed
    )
    nodes = _case_nodes(d, (*base.nodes, *extra), visits, current_state, now, chosen)
    current_label = d.state(current_state).label.text(chosen)
    case_lines = (
        _say(chosen, "เรื่อง", "case") + f" {reference}" if reference else None,
        _say(chosen, "ขั้นปัจจุบัน", "current step") + f": {current_label}",
        _say(chosen, "ณ วันที่", "as of") + f" {format_day(now, chosen)}",
    )
    return replace(
        base,
        name=reference or base.name,
        title=(*base.title, *(line for line in case_lines if line)),
        nodes=nodes,
        edges=edges,
        current=current_state,
        steps=tuple(steps),
    )


def _steps(
    d: ProcedureDefinition, history: Iterable[HistoryItem], state_ids: set[str], lang: Lang
) -> list[Step]:
    steps: list[Step] = []
    for item in history:
        if item.kind not in MOVE_KINDS or item.dest is None:
            continue
        if item.occurred_at.tzinfo is None:
            raise InvalidHistory(
                N_("history time {time} has no timezone"), time=str(item.occurred_at)
            )
        for state in (item.source, item.dest):
            if state is not None and state not in state_ids:
                raise InvalidHistory(
                    N_(
                        "history names state '{state}', which procedure {procedure} v{version} "
                        "does not have"
                    ),
                    state=state,
                    procedure=d.procedure,
                    version=d.version,
                )
        moved = _say(lang, "ย้ายไปใช้ขั้นตอนฉบับใหม่", "moved to a new version")
        steps.append(
            Step(
                number=len(steps) + 1,
                trigger=moved if item.kind == "migrate" else item.trigger or item.kind,
                source=item.source if item.source is not None else START,
                dest=item.dest,
                occurred_at=item.occurred_at,
                date=format_day(item.occurred_at, lang),
            )
        )
    return steps


def _visits(steps: list[Step], now: dt.datetime) -> list[_Visit]:
    """Stays in each state, in order; a self-loop (a minor amendment) is not a new stay."""
    visits: list[_Visit] = []
    for step in steps:
        if visits and visits[-1].left is None:
            if visits[-1].state == step.dest:
                continue
            visits[-1].left = step.occurred_at
        visits.append(_Visit(step.dest, step.occurred_at))
    if visits and visits[-1].left is None:
        visits[-1].left = now
    return visits


def _taken_edges(
    d: ProcedureDefinition, edges: tuple[Edge, ...], steps: list[Step], lang: Lang
) -> tuple[Edge, ...]:
    by_pair: dict[tuple[str, str], Edge] = {(e.source, e.dest): e for e in edges}
    taken: dict[tuple[str, str], list[Step]] = {}
    for step in steps:
        pair = (step.source, step.dest)
        taken.setdefault(pair, []).append(step)
        if pair not in by_pair:
            by_pair[pair] = _unexpected_edge(d, step, lang)
    return tuple(
        replace(edge, steps=tuple(taken.get(pair, ())), faded=pair not in taken)
        for pair, edge in by_pair.items()
    )


def _unexpected_edge(d: ProcedureDefinition, step: Step, lang: Lang) -> Edge:
    """An edge the procedure picture lacks: a resume drawn as a note, an import, an old rule."""
    for t in d.transitions:
        if t.trigger == step.trigger and step.source in t.source:
            label = TriggerLabel(t.trigger, _lines(t.label, lang), tuple(t.roles), t.kind)
            kind: EdgeKind = "resume" if t.dest == RETURN else _strongest([t.kind])
            return Edge(step.source, step.dest, kind, (label,))
    label = TriggerLabel(step.trigger, (step.trigger,), (), "history")
    return Edge(step.source, step.dest, "history", (label,))


def _case_nodes(
    d: ProcedureDefinition,
    nodes: tuple[Node, ...],
    visits: list[_Visit],
    current: str,
    now: dt.datetime,
    lang: Lang,
) -> tuple[Node, ...]:
    counts: dict[str, int] = {}
    spent: dict[str, dt.timedelta] = {}
    for v in visits:
        counts[v.state] = counts.get(v.state, 0) + 1
        spent[v.state] = spent.get(v.state, dt.timedelta()) + ((v.left or now) - v.entered)
    result = []
    for node in nodes:
        if node.kind == "start":
            result.append(node)
            continue
        if node.kind == "previous":
            result.append(replace(node, emphasis="faded"))
            continue
        details: list[str] = []
        if node.id in counts:
            days = max(spent[node.id], dt.timedelta()).days
            times = f"×{counts[node.id]} · " if counts[node.id] > 1 else ""
            details.append(times + _days(lang, days))
        overdue = False
        emphasis: Emphasis
        if node.id == current:
            late = _overdue_days(d, visits, current, now)
            if late is not None:
                overdue = True
                expected = d.state(current).expected_days
                details.append(
                    _say(
                        lang,
                        f"เกินกำหนด {late} วัน (กำหนด {expected} วัน)",
                        f"overdue by {late} days (expected {expected})",
                    )
                )
            emphasis = "current"
        elif node.id in counts:
            emphasis = "visited"
        else:
            emphasis = "faded"
        result.append(replace(node, details=tuple(details), emphasis=emphasis, overdue=overdue))
    return tuple(result)


def _overdue_days(
    d: ProcedureDefinition, visits: list[_Visit], current: str, now: dt.datetime
) -> int | None:
    """Days beyond ``expected_days`` of the stay in progress, or None when on time."""
    expected = d.state(current).expected_days
    if expected is None or not visits or visits[-1].state != current:
        return None
    elapsed = (now - visits[-1].entered).days
    return elapsed - expected if elapsed > expected else None
