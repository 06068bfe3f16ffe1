"""A trial's timeout counts from when its own process starts the call, not from the fork."""

from __future__ import annotations

import concurrent.futures as cf
import time

from tunesmith.execution.isolated import IsolatedProcessExecutor
from tunesmith.execution.local import _trial_end


def _double(x: int) -> int:
    return 2 * x


def test_a_process_future_records_when_its_call_started():
    executor = IsolatedProcessExecutor(1)
    before = time.monotonic()
    future = executor.submit(_double, 21)
    assert future.result(timeout=30) == 42
    assert future.started is not None and future.started >= before
    executor.shutdown()


def test_the_end_moves_with_the_start_and_waits_for_it():
    future: cf.Future = cf.Future()
    future.started = None  # submitted at 100.0 with a 0.5 s timeout
    assert _trial_end(future, 100.0, 0.5) is None  # still starting: not expired, however late
    future.started = 102.0  # a fork that took 2 s on a busy machine
    assert _trial_end(future, 100.0, 0.5) == 102.5
    assert _trial_end(cf.Future(), 100.0, 0.5) == 100.5  # threads: from the submit
    assert _trial_end(future, 100.0, None) is None  # no timeout
