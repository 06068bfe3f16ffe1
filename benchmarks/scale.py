"""Beyond one machine: PostgreSQL throughput with many drivers, Ray with short trials, and
how fast a killed driver's trials run again.

    python benchmarks/scale.py            # 16 drivers on PostgreSQL; 2,000 x 50 ms on Ray
    python benchmarks/scale.py --quick    # fewer trials
    python benchmarks/scale.py --only recovery   # killed drivers and heartbeat cost only

PostgreSQL is a throwaway server on a loopback port (tests/_postgres.py); Ray is a local
2-CPU instance listening on loopback.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.dirname(__file__))

import tunesmith as ts  # noqa: E402

SPACE = {"x": ts.Float(-1, 1), "k": ts.Choice(["a", "b", "c"]), "n": ts.Int(1, 64)}


def trivial(trial):
    return trial.params["x"] ** 2 + trial.params["n"]


def _driver(url: str, n: int, queue) -> None:
    try:
        study = ts.load_study("scale", storage=url)
        t0 = time.perf_counter()
        study.optimize(trivial, n_trials=n, catch=())
        queue.put((None, time.perf_counter() - t0))
    except BaseException as exc:
        queue.put((repr(exc), 0.0))


def postgres_throughput(n_procs: int, per_proc: int) -> dict:
    from _postgres import postgres_server
    from conftest import _fresh_database

    with postgres_server() as (server, _handle):
        url = _fresh_database(server)
        ts.create_study(name="scale", storage=url, space=SPACE, strategy="random", seed=0)
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        procs = [ctx.Process(target=_driver, args=(url, per_proc, queue)) for _ in range(n_procs)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join()
        trials = ts.load_study("scale", storage=url).trials
        # the same drivers, one at a time, to separate database time from contention
        single = ts.create_study(name="single", storage=url, space=SPACE, seed=1)
        t1 = time.perf_counter()
        single.optimize(trivial, n_trials=500)
        per_trial_ms = (time.perf_counter() - t1) / 500 * 1e3
    errors = [e for e, _ in results if e]
    out = {
        "drivers": n_procs,
        "trials": len(trials),
        "complete": sum(t.state is ts.TrialState.COMPLETE for t in trials),
        "errors": len(errors),
        "seconds": round(elapsed, 2),
        "trials_per_second": round(len(trials) / elapsed, 1),
        "one_driver_ms_per_trial": round(per_trial_ms, 3),
    }
    print(f"PostgreSQL, {n_procs} driver processes: {out}", flush=True)
    return out


def sleepy(trial):
    time.sleep(0.05)  # a 50 ms trial
    return trial.params["x"]


def ray_overhead(n_trials: int, cpus: int = 2) -> dict:
    import ray

    ray.init(
        num_cpus=cpus, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1"
    )
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        study = ts.create_study(space=SPACE, seed=0)
        warm = ts.create_study(space=SPACE, seed=0)
        # Twice as many in flight as CPUs: Ray queues the extra tasks, so a CPU never waits for
        # the driver to tell one trial and ask the next.
        executor = ts.RayExecutor(max_concurrent=2 * cpus)
        warm.optimize(sleepy, n_trials=2 * cpus, executor=executor)
        t0 = time.perf_counter()
        study.optimize(sleepy, n_trials=n_trials, executor=executor)
        elapsed = time.perf_counter() - t0
    finally:
        ray.shutdown()
    ideal = n_trials * 0.05 / cpus
    out = {
        "trials": n_trials,
        "cpus": cpus,
        "seconds": round(elapsed, 2),
        "ideal_seconds": ideal,
        "overhead": f"{(elapsed / ideal - 1) * 100:.1f}%",
    }
    print(f"Ray, {n_trials} trials of 50 ms on {cpus} CPUs: {out}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["recovery"])
    args = parser.parse_args()
    print(
        f"# {time.strftime('%Y-%m-%d')} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    if args.only is None:
        postgres_throughput(16, 50 if args.quick else 250)
        ray_overhead(400 if args.quick else 2000)
    from _recovery import heartbeat_cost, killed_driver_recovery

    for _ in range(3 if args.quick else 5):
        killed_driver_recovery(other_host=False)
    for _ in range(2 if args.quick else 3):
        killed_driver_recovery(other_host=True)
    heartbeat_cost(500 if args.quick else 2000)


if __name__ == "__main__":
    main()
