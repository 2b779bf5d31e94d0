"""The cyclic garbage collector: paced for a command, paused around a bulk read.

A command is a short process whose allocations are mostly its imports (modules, classes, tables,
mappings), which live until it ends: looking for cycles among them at the default pace costs about
a quarter of importing the store, for nothing. ``pace_for_a_command`` has the collector run a tenth
as often; a long command (a verify, an import) still collects. And when the command is done, the
interpreter's last collection would walk every object it still holds, only to hand the memory back
to the system with the process: they are frozen first (``gc.freeze``), which spares a read about a
twentieth of its time. The command has closed its database connections by then (the CLI disposes
of its engine); what it leaves in cycles is let go with the process, not finalised.

A national report or a long list builds ~10^5 rows and small objects that live until it is done
and form no reference cycles. Each of them counts towards the collector's next pass, and every
few thousand the collector walks the whole heap again, now holding them all: at national scale
that was a third of the KPI report's time. Reference counting still frees what the read drops;
cycles made meanwhile are collected once the outermost pause ends. Pauses nest, across threads.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: The collector's thresholds for a command (the default is 700, 10, 10).
COMMAND_THRESHOLDS = (10_000, 10, 10)

_lock = threading.Lock()
_depth = 0
_was_enabled = False


def pace_for_a_command() -> None:
    """Collect cycles at a command's pace (``COMMAND_THRESHOLDS``), and not at all once the
    interpreter exits; the CLI calls it once."""
    gc.set_threshold(*COMMAND_THRESHOLDS)
    atexit.register(gc.freeze)


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
