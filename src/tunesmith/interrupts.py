"""Ctrl-C and SIGTERM as graceful stops that never land in the middle of a storage write.

Python raises KeyboardInterrupt in the main thread between any two bytecodes. Landing inside a
storage transaction, it can leave a connection holding SQLite's write lock (the put-back that
follows then waits on that lock), or between a trial's commit and the bookkeeping after it (the
trial is then told twice). Code that writes runs inside ``deferred()``: a signal that arrives
there takes effect when the block ends. A second signal while one is pending takes effect at
once, so a block that blocks (an unreachable server, say) can still be left.

SIGTERM (sent by SLURM, ``timeout`` and ``kill``) becomes ``Terminated`` while
``graceful_signals()`` is active, so a run puts its unfinished trials back before it ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Terminated",
    "graceful_signals",
    "deferred",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(SystemExit):
    """The process received SIGTERM during ``optimize``; uncaught, it exits with code 143."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)


class _Deferral:
    """The main thread's critical sections: how deep, and the signal that waits for their end."""

    depth = 0
    pending: int | None = None


def _interruption(signum: int) -> BaseException:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _on_signal(signum: int, frame: Any) -> None:
    """Raise the interruption now, or after the current critical section (first signal)."""
    if _Deferral.depth > 0 and _Deferral.pending is None:
        _Deferral.pending = signum
        return
    _Deferral.pending = None
    raise _interruption(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _handling(signum: int, default: Any) -> Iterator[None]:
    """``_on_signal`` handles ``signum`` in the block, where its handler is still ``default``
    (a program's own handler is left alone)."""
    try:
        previous = signal.getsignal(signum)
    except (ValueError, OSError):  # no such signal on this platform
        previous = None
    if previous is not default:
        yield
        return
    signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextmanager
def graceful_signals() -> Iterator[None]:
    """In the block, SIGTERM raises ``Terminated`` and both it and Ctrl-C wait for the end of
    any critical section (``deferred``). Only in the main thread; a no-op elsewhere."""
    if not _in_main_thread():
        yield
        return
    with _handling(signal.SIGINT, signal.default_int_handler):
        with _handling(signal.SIGTERM, signal.SIG_DFL):
            yield


@contextmanager
def deferred() -> Iterator[None]:
    """A critical section: an interruption arriving inside takes effect when it ends.

    Reentrant; a no-op outside the main thread (signals are handled there only)."""
    if not _in_main_thread():
        yield
        return
    if _Deferral.depth == 0:
        with _handling(signal.SIGINT, signal.default_int_handler):
            with _section():
                yield
    else:
        with _section():
            yield


@contextmanager
def _section() -> Iterator[None]:
    _Deferral.depth += 1
    try:
        yield
    finally:
        _Deferral.depth -= 1
        if _Deferral.depth == 0 and _Deferral.pending is not None:
            signum, _Deferral.pending = _Deferral.pending, None
            raise _interruption(signum)
