"""How long a client should wait after a database outage: the ``Retry-After`` of every
``503 database_unavailable`` and of ``/healthz``.

Outages drilled on the real deployment lasted 1–6 s (a restart, a failover, a cut
connection), so a fixed 30 s kept every phone idle for five times the outage. The wait
starts short and grows with the outage, as each process sees it: a first 503 says 1–3 s;
while 503s keep coming, the wait is drawn between a third of the outage's length and its
length (so a client retries at most about twice as late as the outage has lasted),
capped by ``RETRY_AFTER_MAX_SECONDS``. The draw is random (jitter) so that the phones
refused together do not come back together. The outage ends when the database answers
again (:meth:`Outage.database_answered`), or when no 503 was given for twice the cap.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app

EXTENSION = "sodoan_outage"
#: The first waits: short, for the common outage of a few seconds.
FIRST_LOW, FIRST_HIGH = 1, 3


class Outage:
    """One process's view of the current database outage (threads share it).

    ``clock`` (monotonic seconds) and ``rng`` are the real ones in the app; a test passes
    its own to drive an outage of any length without waiting for it.
    """

    def __init__(
        self,
        cap: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.cap = max(cap, FIRST_HIGH)
        self.clock = clock
        self.rng = rng or random.Random()
        self.started: float | None = None
        self.last_refused: float | None = None
        self._lock = threading.Lock()

    def window(self, elapsed: float) -> tuple[int, int]:
        """The whole seconds a wait is drawn from, ``elapsed`` seconds into an outage."""
        high = min(self.cap, max(FIRST_HIGH, math.floor(elapsed)))
        low = max(FIRST_LOW, math.ceil(high / 3))
        return low, high

    def retry_after(self) -> int:
        """The wait to give with a 503 now; counts the 503 as part of the outage."""
        now = self.clock()
        with self._lock:
            quiet = self.last_refused is None or now - self.last_refused > 2 * self.cap
            if self.started is None or quiet:
                self.started = now
            self.last_refused = now
            elapsed = now - self.started
        low, high = self.window(elapsed)
        return self.rng.randint(low, high)

    def database_answered(self) -> None:
        """The database served a request: the next 503 starts a new, short, outage."""
        if self.started is not None:
            with self._lock:
                self.started = self.last_refused = None


def register(app: Flask) -> None:
    app.extensions[EXTENSION] = Outage(app.config.get("RETRY_AFTER_MAX_SECONDS", 60))


def outage() -> Outage:
    return current_app.extensions[EXTENSION]
