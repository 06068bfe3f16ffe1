"""SIGTERM as a graceful stop: the signal SLURM, ``timeout`` and ``kill`` send becomes an
exception in the driver, so the run puts its unfinished trials back before the process ends."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Terminated", "terminate_gracefully", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM during ``optimize``; uncaught, it exits with code 143."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def terminate_gracefully() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``Terminated`` in the main thread; only where the
    handler is still the default (a program's own handler is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):  # no SIGTERM on this platform
        yield
        return
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
