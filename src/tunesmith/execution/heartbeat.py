"""Heartbeats: while this process holds RUNNING trials, it tells the storage they are alive.

A trial whose heartbeat is older than the study's grace period belongs to a process that was
killed or a host that vanished; whoever asks next marks it FAIL and, with retries, queues it
again with the same parameters.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any


class Heartbeat:
    """A daemon thread that beats every ``interval`` seconds while there are live trials.

    ``live_ids()`` gives the ids of the trials this process runs; ``beat(ids, now)`` tells the
    storage. The thread ends by itself when ``live_ids()`` is empty and restarts on demand.
    """

    def __init__(
        self,
        interval: float,
        live_ids: Callable[[], Sequence[int]],
        beat: Callable[[Sequence[int], float], None],
    ):
        self.interval = interval
        self._live_ids = live_ids
        self._beat = beat
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="tunesmith-heartbeat", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            ids = list(self._live_ids())
            if not ids:
                with self._lock:
                    self._thread = None
                return
            try:
                self._beat(ids, time.time())
            except Exception:  # noqa: BLE001 - a missed beat is retried on the next tick
                pass

    def stop(self) -> None:
        self._wake.set()


def weakly(method: Callable[..., Any], gone: Any) -> Callable[..., Any]:
    """``method`` (a bound method) called through a weak reference to its object; ``gone``
    once the object has been collected. A heartbeat must not keep its study alive."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> Any:
        bound = ref()
        return gone if bound is None else bound(*args)

    return call
