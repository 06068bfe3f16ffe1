"""Per-trial framework overhead of ask + tell, tunesmith against Optuna in the same run.

A trivial objective over a 5-parameter mixed space; 1000 trials per (backend, strategy),
in memory and on SQLite, for Random, Grid and Genetic next to Optuna's RandomSampler,
GridSampler and NSGAIISampler. Also: the cost of trial 10,000 against trial 100 (it must not
grow), and 16 processes on one SQLite file (no errors, nothing lost, no duplicates).

    python benchmarks/overhead.py            # full run (a few minutes on 2 cores)
    python benchmarks/overhead.py --quick    # fewer trials
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time

import tunesmith as ts

SPACE = {
    "lr": ts.Float(1e-5, 1e-1, log=True),
    "dropout": ts.Float(0.0, 0.5, step=0.05),
    "layers": ts.Int(1, 8),
    "width": ts.Int(16, 512, log=True),
    "act": ts.Choice(["relu", "tanh", "gelu"]),
}
GRID_N = 8  # points per numeric parameter: 8 * 8 * 8 * 8 * 3 = 12,288 grid points


def objective_value(p: dict) -> float:
    return p["lr"] + p["dropout"] + p["layers"] + p["width"] * 1e-3 + len(p["act"])


# -- tunesmith ---------------------------------------------------------------------------------
def tunesmith_strategy(kind: str):
    from tunesmith.strategies import Grid, Random, resolve

    if kind == "random":
        return Random()
    if kind == "grid":
        return Grid(n_points=GRID_N)
    return resolve("genetic")


def run_tunesmith(kind: str, storage, n: int) -> list[float]:
    study = ts.create_study(storage=storage, space=SPACE, strategy=tunesmith_strategy(kind), seed=0)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        trial = study.ask()
        study.tell(trial, objective_value(trial.params))
        times.append(time.perf_counter() - t0)
    return times


# -- Optuna ------------------------------------------------------------------------------------
def optuna_sampler(kind: str):
    import optuna

    if kind == "random":
        return optuna.samplers.RandomSampler(seed=0)
    if kind == "grid":
        grid = {
            "lr": SPACE["lr"].grid(GRID_N),
            "dropout": SPACE["dropout"].grid(GRID_N),
            "layers": SPACE["layers"].grid(GRID_N),
            "width": SPACE["width"].grid(GRID_N),
            "act": ["relu", "tanh", "gelu"],
        }
        return optuna.samplers.GridSampler(grid, seed=0)
    return optuna.samplers.NSGAIISampler(seed=0)


def run_optuna(kind: str, storage, n: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, sampler=optuna_sampler(kind))
    dists = {
        "lr": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
        "dropout": optuna.distributions.FloatDistribution(0.0, 0.5, step=0.05),
        "layers": optuna.distributions.IntDistribution(1, 8),
        "width": optuna.distributions.IntDistribution(16, 512, log=True),
        "act": optuna.distributions.CategoricalDistribution(["relu", "tanh", "gelu"]),
    }
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        study.tell(trial, objective_value(trial.params))
        times.append(time.perf_counter() - t0)
    return times


def ms(times: list[float]) -> float:
    return 1e3 * statistics.fmean(times)


def table(n: int, tmp: str) -> list[tuple]:
    rows = []
    for backend in ("memory", "sqlite"):
        for kind in ("random", "grid", "genetic"):
            ts_url = None if backend == "memory" else f"sqlite:///{tmp}/ts-{kind}.db"
            op_url = None if backend == "memory" else f"sqlite:///{tmp}/optuna-{kind}.db"
            ours = ms(run_tunesmith(kind, ts_url, n))
            theirs = ms(run_optuna(kind, op_url, n))
            rows.append((backend, kind, ours, theirs, theirs / ours))
            print(
                f"{backend:7s} {kind:8s} tunesmith {ours:8.3f} ms  optuna {theirs:8.3f} ms  "
                f"optuna/tunesmith {theirs / ours:6.1f}x",
                flush=True,
            )
    return rows


def growth(tmp: str, n: int) -> list[tuple]:
    """Mean cost of trials 90-110 against trials n-20..n, per backend and strategy."""
    rows = []
    for backend in ("memory", "sqlite"):
        for kind in ("random", "grid", "genetic"):
            url = None if backend == "memory" else f"sqlite:///{tmp}/growth-{kind}.db"
            times = run_tunesmith(kind, url, n)
            early = statistics.median(times[90:110])
            late = statistics.median(times[n - 21 : n - 1])
            rows.append((backend, kind, early * 1e3, late * 1e3, late / early))
            print(
                f"{backend:7s} {kind:8s} trial 100: {early * 1e3:.3f} ms  trial {n}: "
                f"{late * 1e3:.3f} ms  ratio {late / early:.2f}",
                flush=True,
            )
    return rows


def _proc(url: str, per_proc: int, queue) -> None:
    try:
        study = ts.load_study("many", storage=url)
        study.optimize(lambda t: objective_value(t.params), n_trials=per_proc, catch=())
        queue.put(None)
    except BaseException as exc:
        queue.put(repr(exc))


def many_processes(tmp: str, n_procs: int = 16, total: int = 800) -> dict:
    url = f"sqlite:///{tmp}/many.db"
    ts.create_study(name="many", storage=url, space=SPACE, strategy="random", seed=0)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=_proc, args=(url, total // n_procs, queue)) for _ in range(n_procs)]
    for p in procs:
        p.start()
    errors = [e for e in (queue.get() for _ in procs) if e is not None]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    trials = ts.load_study("many", storage=url).trials
    numbers = [t.number for t in trials]
    out = {
        "errors": len(errors),
        "trials": len(trials),
        "complete": sum(t.state is ts.TrialState.COMPLETE for t in trials),
        "duplicate_numbers": len(numbers) - len(set(numbers)),
        "lost": total - len(trials),
        "seconds": elapsed,
    }
    print(f"{n_procs} processes on one SQLite file: {out}", flush=True)
    if errors:
        print("errors:", errors[:3])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 200 if args.quick else 1000
    n_growth = 2000 if args.quick else 10_000
    print(
        f"# {time.strftime('%Y-%m-%d')} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        table(n, tmp)
        growth(tmp, n_growth)
        many_processes(tmp)


if __name__ == "__main__":
    main()
