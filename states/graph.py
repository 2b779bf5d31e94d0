"""Structural checks over the procedure graph, on plain ids so they need no models to test.

A broken procedure must fail when it is loaded, with the offending ids named, not months later
when a province's case reaches the step that has no way out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

Edge = tuple[str, tuple[str, ...], str, bool]
"""(trigger, sources, destination, guarded)."""


def _successors(
    edges: Iterable[Edge], return_token: str, *, returns: bool = True
) -> dict[str, set[str]]:
    """Next states of each state; a return move leads back to any state that enters its source.

    With ``returns=False`` return moves lead nowhere new: a case can only return to a state it
    was already in, so they never make a state reachable.
    """
    edges = list(edges)
    into: dict[str, set[str]] = defaultdict(set)
    for _, sources, dest, _ in edges:
        for s in sources:
            if s != dest:
                into[dest].add(s)
    succ: dict[str, set[str]] = defaultdict(set)
    for _, sources, dest, _ in edges:
        for s in sources:
            if dest != return_token:
                succ[s].add(dest)
            elif returns:
                succ[s] |= into[s]
    return succ


def check_graph(
    *,
    states: list[str],
    finals: set[str],
    initial: str,
    edges: list[Edge],
    return_token: str,
) -> list[str]:
    """Return one message per class of problem found; an empty list means the graph is sound."""
    succ = _successors(edges, return_token)
    forward = _successors(edges, return_token, returns=False)
    problems: list[str] = []

    reached = {initial}
    todo = [initial]
    while todo:
        for nxt in forward[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    unreachable = [s for s in states if s not in reached]
    if unreachable:
        problems.append(f"unreachable states: {', '.join(unreachable)}")

    leaving_finals = sorted(s for s in finals if succ[s])
    if leaving_finals:
        problems.append(f"final states with outgoing transitions: {', '.join(leaving_finals)}")

    traps = [s for s in states if s not in finals and not succ[s]]
    if traps:
        problems.append(f"non-final states with no way out: {', '.join(traps)}")

    pred: dict[str, set[str]] = defaultdict(set)
    for s, nexts in succ.items():
        for n in nexts:
            pred[n].add(s)
    can_finish = set(finals)
    todo = list(finals)
    while todo:
        for p in pred[todo.pop()]:
            if p not in can_finish:
                can_finish.add(p)
                todo.append(p)
    stuck = [s for s in states if s not in can_finish and s not in traps]
    if stuck:
        problems.append(f"states with no path to a final state: {', '.join(stuck)}")

    unguarded: dict[tuple[str, str], int] = defaultdict(int)
    for trigger, sources, _, guarded in edges:
        if not guarded:
            for s in sources:
                unguarded[(s, trigger)] += 1
    ambiguous = sorted(f"{t} from {s}" for (s, t), n in unguarded.items() if n > 1)
    if ambiguous:
        problems.append(f"ambiguous unguarded transitions: {', '.join(ambiguous)}")
    return problems
