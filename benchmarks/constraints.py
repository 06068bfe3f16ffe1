"""Constrained search: tunesmith's TPE and GP against Optuna's, each told the constraint.

Problems (two parameters each, minimized subject to c(x) <= 0), the classic constrained tests:

- Gardner et al. (2014), "Bayesian Optimization with Inequality Constraints", section 5.1:
  f = cos(2 x) cos(y) + sin(x), c = cos(x) cos(y) - sin(x) sin(y) - 0.5, on [0, 6]^2;
- Townsend's modified function: f = -cos((x - 0.1) y)^2 - x sin(3 x + y) inside a cardioid;
- Simionescu's function: f = 0.1 x y inside a rose-shaped boundary;
- Gomez and Levy's function: a six-hump-like f with -sin(4 pi x) + 2 sin(2 pi y)^2 <= 1.5.

f_opt is the least feasible value on a 1,500 x 1,500 grid (a run may end a little below it;
regret is clipped at 0). Every method gets the same seeds and budget; Optuna's samplers get
the constraint through ``trial.set_constraint`` (Optuna 5's replacement for
``constraints_func``).

    python benchmarks/constraints.py --seeds 10 --budget 50
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import cache  # noqa: E402

import numpy as np  # noqa: E402

import tunesmith as ts  # noqa: E402

Problem = tuple[tuple[float, float], tuple[float, float], Callable, Callable]


def _townsend_limit(x, y):
    t = np.arctan2(x, y)
    r = (2 * np.cos(t) - 0.5 * np.cos(2 * t) - 0.25 * np.cos(3 * t) - 0.125 * np.cos(4 * t)) ** 2
    return x * x + y * y - r - (2 * np.sin(t)) ** 2


PROBLEMS: dict[str, Problem] = {  # name -> (x range, y range, f, c)
    "gardner": (
        (0.0, 6.0),
        (0.0, 6.0),
        lambda x, y: np.cos(2 * x) * np.cos(y) + np.sin(x),
        lambda x, y: np.cos(x) * np.cos(y) - np.sin(x) * np.sin(y) - 0.5,
    ),
    "townsend": (
        (-2.25, 2.25),
        (-2.5, 1.75),
        lambda x, y: -(np.cos((x - 0.1) * y) ** 2) - x * np.sin(3 * x + y),
        _townsend_limit,
    ),
    "simionescu": (
        (-1.25, 1.25),
        (-1.25, 1.25),
        lambda x, y: 0.1 * x * y,
        lambda x, y: x * x + y * y - (1 + 0.2 * np.cos(8 * np.arctan2(x, y))) ** 2,
    ),
    "gomez-levy": (
        (-1.0, 0.75),
        (-1.0, 1.0),
        lambda x, y: 4 * x**2 - 2.1 * x**4 + x**6 / 3 + x * y - 4 * y**2 + 4 * y**4,
        lambda x, y: -np.sin(4 * np.pi * x) + 2 * np.sin(2 * np.pi * y) ** 2 - 1.5,
    ),
}
METHODS = ("ts-tpe", "ts-gp", "ts-random", "optuna-tpe", "optuna-gp", "optuna-random")
CHECKPOINTS = (25, 50, 100)


@cache
def f_opt(name: str) -> float:
    """The least feasible value on a 1,500 x 1,500 grid."""
    (x0, x1), (y0, y1), f, c = PROBLEMS[name]
    x, y = np.meshgrid(np.linspace(x0, x1, 1500), np.linspace(y0, y1, 1500))
    return float(np.min(np.where(c(x, y) <= 0, f(x, y), np.inf)))


def evaluate(name: str, x: float, y: float) -> tuple[float, float]:
    _, _, f, c = PROBLEMS[name]
    return float(f(x, y)), float(c(x, y))


def run_tunesmith(name: str, strategy: str, seed: int, budget: int) -> list[tuple[float, float]]:
    (x0, x1), (y0, y1), _, _ = PROBLEMS[name]
    out = []

    def objective(trial: ts.Trial) -> float:
        value, limit = evaluate(name, trial.params["x"], trial.params["y"])
        trial.set_constraints([limit])
        out.append((value, limit))
        return value

    study = ts.create_study(
        space={"x": ts.Float(x0, x1), "y": ts.Float(y0, y1)}, strategy=strategy, seed=seed
    )
    study.optimize(objective, n_trials=budget)
    return out


def run_optuna(name: str, sampler: str, seed: int, budget: int) -> list[tuple[float, float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    (x0, x1), (y0, y1), _, _ = PROBLEMS[name]
    study = optuna.create_study(sampler=getattr(optuna.samplers, sampler)(seed=seed))
    out = []
    for _ in range(budget):
        trial = study.ask()
        value, limit = evaluate(
            name, trial.suggest_float("x", x0, x1), trial.suggest_float("y", y0, y1)
        )
        trial.set_constraint("c", limit)
        study.tell(trial, value)
        out.append((value, limit))
    return out


def run_one(task: tuple[str, str, int, int]) -> tuple[str, str, int, dict[int, float], float]:
    """One method, problem and seed: the regret of the best feasible value at each checkpoint."""
    name, method, seed, budget = task
    t0 = time.perf_counter()
    if method.startswith("ts-"):
        history = run_tunesmith(name, method[3:], seed, budget)
    else:
        sampler = {"tpe": "TPESampler", "gp": "GPSampler", "random": "RandomSampler"}
        history = run_optuna(name, sampler[method.split("-")[1]], seed, budget)
    regrets = {}
    for checkpoint in (c for c in CHECKPOINTS if c <= budget):
        feasible = [v for v, c in history[:checkpoint] if c <= 0]
        regrets[checkpoint] = max(min(feasible) - f_opt(name), 0.0) if feasible else math.inf
    return name, method, seed, regrets, time.perf_counter() - t0


def report(results: list, budget: int) -> str:
    from scipy.stats import binomtest, rankdata

    cells: dict[tuple[str, int], dict[str, float]] = {}
    seconds: dict[str, list[float]] = {m: [] for m in METHODS}
    for name, method, seed, regrets, secs in results:
        cells.setdefault((name, seed), {})[method] = regrets[budget]
        seconds[method].append(secs)
    lines = [f"Budget {budget}: median regret of the best feasible value, mean rank of 6", ""]
    lines += ["| problem | " + " | ".join(METHODS) + " |", "|---|" + "---:|" * len(METHODS)]
    ranks = {k: dict(zip(METHODS, rankdata([v[m] for m in METHODS]))) for k, v in cells.items()}
    for name in [*PROBLEMS, "all (mean rank)"]:
        keys = [k for k in cells if k[0] == name or name.startswith("all")]
        if name.startswith("all"):
            row = [f"{statistics.mean(ranks[k][m] for k in keys):.2f}" for m in METHODS]
        else:
            row = [f"{statistics.median(cells[k][m] for k in keys):.3g}" for m in METHODS]
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    lines += [
        "",
        "| tunesmith | Optuna | wins / ties / losses | sign-test p |",
        "|---|---|---|---:|",
    ]
    for ours, theirs in (("ts-tpe", "optuna-tpe"), ("ts-gp", "optuna-gp")):
        w = sum(v[ours] < v[theirs] for v in cells.values())
        lo = sum(v[ours] > v[theirs] for v in cells.values())
        p = binomtest(w, w + lo).pvalue if w + lo else float("nan")
        lines.append(f"| {ours} | {theirs} | {w} / {len(cells) - w - lo} / {lo} | {p:.3g} |")
    never = {m: sum(math.isinf(v[m]) for v in cells.values()) for m in METHODS}
    lines += ["", "Runs with no feasible point: " + ", ".join(f"{m} {n}" for m, n in never.items())]
    lines += ["Median seconds per run: " + ", ".join(
        f"{m} {statistics.median(s):.2f}" for m, s in seconds.items() if s
    )]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    tasks = [(n, m, s, args.budget) for s in range(args.seeds) for n in PROBLEMS for m in METHODS]
    print(", ".join(f"{n} f_opt {f_opt(n):.6g}" for n in PROBLEMS), flush=True)
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_one, tasks))
    for checkpoint in (c for c in CHECKPOINTS if c <= args.budget):
        print(report(results, checkpoint) + "\n", flush=True)


if __name__ == "__main__":
    main()
