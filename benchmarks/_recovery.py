"""A killed driver's trials running again, and what default heartbeats cost (scale.py).

Same host: a driver process claims a trial and is SIGKILLed; another driver's next claim finds
the owner process gone and queues the trial again at once. Another "host": the killed driver
recorded another host, so only its stopped heartbeat tells; the trial runs again once the
heartbeat is older than the grace period.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import statistics
import tempfile
import threading
import time

import tunesmith as ts
from tunesmith.trial import TrialState

SPACE = {"x": ts.Float(-1, 1), "n": ts.Int(1, 64)}


def _claim_and_hang(url: str, host: str | None, ready) -> None:
    if host is not None:  # this process plays a driver on another machine
        import tunesmith.owner

        tunesmith.owner._host = lambda: host
    study = ts.load_study("rec", storage=url)
    ready.put(study.ask().number)
    threading.Event().wait(600)


def killed_driver_recovery(other_host: bool, heartbeat: float = 1.0) -> dict:
    """Seconds from SIGKILL of a driver to its trial running again in another driver."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{os.path.join(folder, 'rec.db')}"
        ts.create_study(name="rec", storage=url, space=SPACE, seed=0, heartbeat=heartbeat)
        ctx = mp.get_context("fork")
        ready = ctx.Queue()
        host = "another-host/boot/ns" if other_host else None
        proc = ctx.Process(target=_claim_and_hang, args=(url, host, ready))
        proc.start()
        number = ready.get(timeout=60)
        study = ts.load_study("rec", storage=url)
        killed = time.perf_counter()
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        rerun_at = None
        while rerun_at is None:  # a driver that keeps running trials until the lost one reruns
            study.optimize(lambda t: t.params["x"], n_trials=1)
            if any(t.system_attrs.get("retry_of") == number for t in study.trials):
                rerun_at = time.perf_counter()
            elif time.perf_counter() - killed > 120:
                raise RuntimeError("the killed driver's trial never ran again")
        lost = study.trials[number]
        assert lost.state is TrialState.FAIL and lost.system_attrs.get("lost")
    out = {
        "host": "other" if other_host else "same",
        "heartbeat_s": heartbeat,
        "grace_s": 4 * heartbeat,
        "seconds_to_rerun": round(rerun_at - killed, 3),
    }
    print(f"Killed driver, {out['host']} host: {out}", flush=True)
    return out


def _per_trial_ms(url: str, name: str, heartbeat: float | None, n: int) -> float:
    study = ts.create_study(name=name, storage=url, space=SPACE, seed=0, heartbeat=heartbeat)
    start = time.perf_counter()
    study.optimize(lambda t: t.params["x"], n_trials=n)
    return (time.perf_counter() - start) / n * 1e3


def heartbeat_cost(n: int, rounds: int = 3) -> dict:
    """Per-trial cost through optimize on SQLite: heartbeats off, default, and every 50 ms."""
    settings = {"off": 0.0, "default (10 s)": None, "every 0.05 s": 0.05}
    times: dict[str, list[float]] = {k: [] for k in settings}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{os.path.join(folder, 'hb.db')}"
        for r in range(rounds):  # interleaved, so drift of the machine hits each alike
            for label, beat in settings.items():
                times[label].append(_per_trial_ms(url, f"{label}-{r}", beat, n))
    medians = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "trials": n,
        "ms_per_trial": {k: round(v, 3) for k, v in medians.items()},
        "default_over_off": round(medians["default (10 s)"] / medians["off"], 3),
        "every_50ms_over_off": round(medians["every 0.05 s"] / medians["off"], 3),
    }
    print(f"Heartbeat cost on SQLite through optimize: {out}", flush=True)
    return out
