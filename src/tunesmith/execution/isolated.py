"""One fresh process per trial, so a trial that hangs past its timeout can be killed alone."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import pickle
import signal
import threading
import time
from collections.abc import Callable
from typing import Any


def _child(conn: Any, fn: Callable[..., Any], args: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    conn.send(("started", None))  # a trial's timeout counts from here, not from the fork
    try:
        result: tuple[str, Any] = ("ok", fn(*args))
    except BaseException as exc:  # noqa: BLE001 - shipped back to the driver
        result = ("err", exc)
    try:
        conn.send(result)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        conn.send(("err", RuntimeError(f"the trial's result could not be sent back: {exc}")))
    conn.close()


class WorkerDied(RuntimeError):
    """The process running a trial ended without a result (killed, or crashed)."""


class IsolatedProcessExecutor(cf.Executor):
    """``submit`` forks a process for the call; ``kill(future)`` ends that process.

    Each future has ``started``: None until the call begins in its process, then the
    ``time.monotonic()`` of that moment (a trial's timeout counts from it, so a slow fork on a
    busy machine is not charged to the trial)."""

    def __init__(self, max_workers: int):
        self._ctx = (
            mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        )
        self._procs: dict[cf.Future, Any] = {}
        self._slots = threading.BoundedSemaphore(max_workers)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        if kwargs:
            raise TypeError("IsolatedProcessExecutor.submit takes positional arguments only")
        self._slots.acquire()
        future: cf.Future = cf.Future()
        future.started = None  # type: ignore[attr-defined]
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(child, fn, args), daemon=True)
        proc.start()
        child.close()
        self._procs[future] = proc
        threading.Thread(target=self._watch, args=(future, proc, parent), daemon=True).start()
        return future

    def _watch(self, future: cf.Future, proc: Any, conn: Any) -> None:
        try:
            kind, value = conn.recv()
            if kind == "started":
                future.started = time.monotonic()  # type: ignore[attr-defined]
                kind, value = conn.recv()
        except (EOFError, OSError):
            proc.join()
            kind, value = (
                "err",
                WorkerDied(f"the trial's process ended with exit code {proc.exitcode}"),
            )
        finally:
            conn.close()
            self._slots.release()
        proc.join()
        self._procs.pop(future, None)
        if kind == "ok":
            future.set_result(value)
        else:
            future.set_exception(value)

    def kill(self, future: cf.Future) -> None:
        proc = self._procs.get(future)
        if proc is not None and proc.is_alive():
            proc.kill()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for future in list(self._procs):
                self.kill(future)
        if wait:
            for proc in list(self._procs.values()):
                proc.join()


class DaemonThreadExecutor(cf.Executor):
    """One daemon thread per call: a trial that overruns its timeout is abandoned, not waited
    for (threads cannot be killed), and does not hold a slot that others need."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)

        threading.Thread(target=run, name="tunesmith-trial", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None
