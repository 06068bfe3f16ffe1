"""Strategy 'gp': proposal time at 50/100/300 trials in 2/5/10 parameters, and a short quality
check, with Optuna's GPSampler as the peer in the same run.

Speed: both get the same random trials on a shifted sphere (tunesmith through enqueue + ask/tell
in memory, Optuna through enqueue_trial + ask/tell), then each asks ``--timed`` more, the asks
interleaved so machine load hits both alike; the median seconds of ``ask()`` are printed.
Quality: the best value after ``--trials`` trials over ``--seeds`` seeds on shifted sphere,
Rosenbrock and Rastrigin in 2 and 5 dimensions (x in [-5, 5]^d, optimum value 0), for
tunesmith's gp, tpe and random and Optuna's GPSampler: mean and median best per problem, and the
mean rank of each over all problems and seeds (1 = best).

BLAS and torch run one thread each (set before numpy loads), so neither side gains from the
other's threads and the numbers hold on a loaded machine.

    python benchmarks/gp_speed.py                 # 3 seeds: about 4 minutes on 2 idle cores
    python benchmarks/gp_speed.py --seeds 10      # the reported run: about 10 minutes idle
    python benchmarks/gp_speed.py --skip-quality  # the speed table only
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import tunesmith as ts  # noqa: E402

LOW, HIGH = -5.0, 5.0


def shift(d: int) -> np.ndarray:
    """The problems' optimum: a fixed point away from the centre of the box."""
    return np.random.default_rng(1234).uniform(-3.0, 3.0, d)


def sphere(z: np.ndarray) -> float:
    return float(np.sum(z * z))


def rosenbrock(z: np.ndarray) -> float:
    z = z + 1.0  # the classic optimum at (1, ..., 1), moved to z = 0
    return float(np.sum(100.0 * (z[1:] - z[:-1] ** 2) ** 2 + (z[:-1] - 1.0) ** 2))


def rastrigin(z: np.ndarray) -> float:
    return float(10.0 * len(z) + np.sum(z * z - 10.0 * np.cos(2 * np.pi * z)))


PROBLEMS: dict[str, tuple[Callable[[np.ndarray], float], int]] = {
    f"{f.__name__}-{d}d": (f, d) for f in (sphere, rosenbrock, rastrigin) for d in (2, 5)
}


def value(f: Callable[[np.ndarray], float], params: dict, d: int) -> float:
    x = np.array([params[f"x{i}"] for i in range(d)])
    return f(x - shift(d))


def ts_space(d: int) -> dict:
    return {f"x{i}": ts.Float(LOW, HIGH) for i in range(d)}


def optuna_space(d: int) -> dict:
    from optuna.distributions import FloatDistribution

    return {f"x{i}": FloatDistribution(LOW, HIGH) for i in range(d)}


def quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    return optuna


# -- speed -------------------------------------------------------------------------------------
def timed(ask: Callable[[], object], tell: Callable[[object], None]) -> float:
    t0 = time.perf_counter()
    trial = ask()
    elapsed = time.perf_counter() - t0
    tell(trial)
    return elapsed


def speed_row(n: int, d: int, timed_asks: int, peer: bool) -> tuple[float, float | None]:
    """Median seconds per ask after ``n`` random trials in ``d`` parameters: (gp, GPSampler)."""
    rng = np.random.default_rng(n * 100 + d)
    history = [
        {f"x{i}": float(v) for i, v in enumerate(row)} for row in rng.uniform(LOW, HIGH, (n, d))
    ]
    ours = ts.create_study(space=ts_space(d), strategy="gp", seed=0)
    for p in history:
        ours.enqueue(p)
        trial = ours.ask()
        ours.tell(trial, value(sphere, trial.params, d))
    rounds = [(ours.ask, lambda t: ours.tell(t, value(sphere, t.params, d)))]
    if peer:
        optuna = quiet_optuna()
        theirs = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
        dists = optuna_space(d)
        for p in history:
            theirs.enqueue_trial(p)
            trial = theirs.ask(dists)
            theirs.tell(trial, value(sphere, trial.params, d))
        rounds.append(
            (lambda: theirs.ask(dists), lambda t: theirs.tell(t, value(sphere, t.params, d)))
        )
    times: list[list[float]] = [[] for _ in rounds]
    for _ in range(timed_asks):  # interleaved
        for k, (ask, tell) in enumerate(rounds):
            times[k].append(timed(ask, tell))
    medians = [statistics.median(t) for t in times]
    return medians[0], (medians[1] if peer else None)


def speed_table(timed_asks: int, peer: bool) -> None:
    print("| trials | params | tunesmith gp (s/ask) | optuna GPSampler (s/ask) |")
    print("|---:|---:|---:|---:|")
    for n in (50, 100, 300):
        for d in (2, 5, 10):
            ours, theirs = speed_row(n, d, timed_asks, peer)
            other = "-" if theirs is None else f"{theirs:.3f}"
            print(f"| {n} | {d} | {ours:.3f} | {other} |", flush=True)


# -- quality -----------------------------------------------------------------------------------
def best_tunesmith(name: str, f: Callable, d: int, seed: int, trials: int) -> float:
    study = ts.create_study(space=ts_space(d), strategy=name, seed=seed)
    study.optimize(lambda t: value(f, t.params, d), n_trials=trials, progress=False)
    return float(study.best_value)


def best_optuna(f: Callable, d: int, seed: int, trials: int) -> float:
    optuna = quiet_optuna()
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    dists = optuna_space(d)

    def objective(trial) -> float:
        return value(f, {k: trial.suggest_float(k, v.low, v.high) for k, v in dists.items()}, d)

    study.optimize(objective, n_trials=trials)
    return float(study.best_value)


def quality_table(seeds: int, trials: int, peer: bool, problems: list[str]) -> None:
    methods = ["gp", "tpe", "random"] + (["optuna GPSampler"] if peer else [])
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    print(f"best value after {trials} trials, {seeds} seeds: mean / median (optimum 0)\n")
    print("| problem | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for label in problems:
        f, d = PROBLEMS[label]
        best = {m: [] for m in methods}
        for seed in range(seeds):
            for m in methods:
                if m == "optuna GPSampler":
                    best[m].append(best_optuna(f, d, seed, trials))
                else:
                    best[m].append(best_tunesmith(m, f, d, seed, trials))
            order = np.array([best[m][-1] for m in methods])
            for m, r in zip(methods, _ranks(order)):
                ranks[m].append(r)
        cells = [f"{np.mean(best[m]):.3g} / {np.median(best[m]):.3g}" for m in methods]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    print("| mean rank | " + " | ".join(f"{np.mean(ranks[m]):.2f}" for m in methods) + " |")


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1 (lowest value), ties sharing their mean rank."""
    out = np.empty(len(values))
    for i, v in enumerate(values):
        out[i] = 1 + np.sum(values < v) + 0.5 * (np.sum(values == v) - 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timed", type=int, default=3, help="timed asks per speed cell")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument(
        "--problems", default=",".join(PROBLEMS), help="comma-separated, of " + ", ".join(PROBLEMS)
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--no-peer", action="store_true", help="leave Optuna out")
    args = parser.parse_args()
    peer = not args.no_peer
    if peer:
        try:
            optuna = quiet_optuna()
        except ImportError:
            peer = False
            print("optuna is not installed: tunesmith only")
    versions = f"python {platform.python_version()}, numpy {np.__version__}"
    if peer:
        versions += f", optuna {optuna.__version__}"
    print(f"{versions}; {os.cpu_count()} CPUs ({platform.machine()}), one BLAS thread\n")
    started = time.perf_counter()
    if not args.skip_speed:
        speed_table(args.timed, peer)
        print()
    if not args.skip_quality:
        problems = args.problems.split(",")
        unknown = [p for p in problems if p not in PROBLEMS]
        if unknown:
            parser.error(f"--problems must name some of {', '.join(PROBLEMS)}; got {unknown}")
        quality_table(args.seeds, args.trials, peer, problems)
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
