"""Heartbeats: while this process holds RUNNING trials, it tells the storage they are alive.

A trial whose heartbeat is older than the study's grace period belongs to a process that was
killed or a host that vanished; whoever asks next marks it FAIL and, with retries, queues it
again with the same parameters.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any


class Heartbeat:
    """A daemon thread that beats every ``interval`` seconds while the study has live trials."""

    def __init__(self, study: Any, interval: float):
        self._study = weakref.ref(study)
        self.interval = interval
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
            study = self._study()
            if study is None:
                return
            ids = study._live_trial_ids()
            if not ids:
                with self._lock:
                    self._thread = None
                return
            try:
                study._storage.heartbeat(study._info.study_id, ids, time.time())
            except Exception:  # noqa: BLE001 - a missed beat is retried on the next tick
                pass
            del study

    def stop(self) -> None:
        self._wake.set()
