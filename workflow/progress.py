"""How a long library call reports how far it has got, without knowing who shows it.

A ``Progress`` is called with (done, total) as work proceeds; the CLI draws a bar on a terminal,
other callers pass nothing. The library never imports click.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Progress = Callable[[int, int], None]
T = TypeVar("T")
#: Report at most once per this many items (and at the end).
EVERY = 500


def reporting(items: Iterable[T], total: int, progress: Progress | None) -> Iterator[T]:
    """*items* unchanged; *progress* told every ``EVERY`` items and once at the end."""
    if progress is None:
        yield from items
        return
    done = 0
    for item in items:
        yield item
        done += 1
        if done % EVERY == 0:
            progress(done, max(total, done))
    progress(done, max(total, done))
