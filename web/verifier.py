"""The audit chain verified in the background, so the audit page shows the last result at once.

``audit verify`` takes seconds per million records: far too long for a page view, so the server
verifies when it starts and then every ``--verify-every`` minutes, one run at a time, and keeps
the outcome with the time it finished.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from store.verify import VerifyResult
from web.queries import Library


@dataclass(frozen=True)
class Verification:
    """One finished run: its result, or the one-line reason it could not run."""

    finished_at: dt.datetime
    result: VerifyResult | None
    error: str | None = None


class Verifier:
    """Runs ``verify_database`` on demand or every *interval* seconds in a daemon thread."""

    def __init__(
        self, library: Library, interval: float, clock: Callable[[], dt.datetime]
    ) -> None:
        self.library = library
        self.interval = interval
        self.clock = clock
        self._latest: Verification | None = None
        self._run_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def latest(self) -> Verification | None:
        """The last finished run, if any."""
        return self._latest

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._run_lock.locked()

    def run_once(self) -> Verification:
        """Verify now (waiting for a run in progress to finish first)."""
        with self._run_lock:
            try:
                result = self.library.verify()
                outcome = Verification(self.clock(), result)
            except Exception as exc:  # reported on the page, never raised into a request
                first = str(exc).strip().splitlines()
                outcome = Verification(
                    self.clock(), None, first[0] if first else type(exc).__name__
                )
            self._latest = outcome
            return outcome

    def start(self) -> None:
        """Verify now and then every *interval* seconds, until ``stop``."""
        if self.interval <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                self.run_once()
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=loop, name="sistercity-verify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the background loop to end after the current run."""
        self._stop.set()
