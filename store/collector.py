"""The cyclic garbage collector paused around a bulk read.

A national report or a long list builds ~10^5 rows and small objects that live until it is done
and form no reference cycles. Each of them counts towards the collector's next pass, and every
few thousand the collector walks the whole heap again, now holding them all: at national scale
that was a third of the KPI report's time. Reference counting still frees what the read drops;
cycles made meanwhile are collected once the outermost pause ends. Pauses nest, across threads.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (unless it was off already, nothing changes
    after it)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
