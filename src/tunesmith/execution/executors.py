"""Where trials run: threads, processes, Ray or a user's executor, and stopping them on Ctrl-C."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
from collections.abc import Callable
from typing import Any

from tunesmith.execution.isolated import DaemonThreadExecutor, IsolatedProcessExecutor

__all__ = ["bounded_executor", "executor_factory", "resolve_jobs", "stop_workers", "ignore_sigint"]


def resolve_jobs(n_jobs: int) -> int:
    """``n_jobs``, with -1 meaning every core."""
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the driver, which decides what happens to their trials
    (a terminal sends SIGINT to the whole process group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def executor_factory(
    kind: Any, n_jobs: int, trial_timeout: float | None
) -> Callable[[], cf.Executor]:
    """A maker of executors for ``kind``: "thread", "process", "ray", or an Executor.

    Threads are daemons: a trial abandoned after Ctrl-C or a timeout does not keep the
    process alive after the driver has put it back."""
    if isinstance(kind, cf.Executor):
        return lambda: _Borrowed(kind)
    if kind == "ray" or type(kind).__name__ == "RayExecutor":
        from tunesmith.execution.ray import as_executor

        return lambda: as_executor(kind, n_jobs)
    if kind in (None, "thread"):
        return DaemonThreadExecutor
    if kind == "process":
        if trial_timeout is not None:
            return lambda: IsolatedProcessExecutor(n_jobs)
        return lambda: cf.ProcessPoolExecutor(max_workers=n_jobs, initializer=ignore_sigint)
    raise ValueError(
        "The 'executor' parameter of optimize must be 'thread', 'process', 'ray', "
        f"a RayExecutor or a concurrent.futures.Executor. Got {kind!r} instead."
    )


class SerialExecutor(cf.Executor):
    """Runs each call at once in the caller's thread (rule: one by one, no thread at all)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def bounded_executor(kind: Any, n_jobs: int, *, owner: str) -> cf.Executor:
    """An executor running at most ``n_jobs`` calls at once (rule: in the caller's thread for
    ``n_jobs == 1`` and no ``kind``; "thread" or None: a pool of ``n_jobs`` threads; else as
    ``executor_factory``); a bad ``kind`` is named as ``owner``'s 'executor' argument."""
    if kind is None and n_jobs == 1:
        return SerialExecutor()
    if kind in (None, "thread"):
        return cf.ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="tunesmith")
    try:
        return executor_factory(kind, n_jobs, None)()
    except ValueError:
        raise ValueError(
            f"The 'executor' parameter of {owner} must be 'thread', 'process', 'ray', a "
            f"RayExecutor or a concurrent.futures.Executor. Got {kind!r} instead."
        ) from None


def stop_workers(executor: cf.Executor) -> None:
    """End the trials still running on ``executor`` where it can (processes, Ray tasks)."""
    terminate = getattr(executor, "terminate_workers", None)
    if terminate is not None:
        terminate()
    elif isinstance(executor, cf.ProcessPoolExecutor):
        # No public way before Python 3.14 to end a pool's busy workers (and shutdown forgets
        # them, so they are killed first).
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


class _Borrowed(cf.Executor):
    """A user's executor: used, never shut down by tunesmith."""

    def __init__(self, inner: cf.Executor):
        self._inner = inner

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None
