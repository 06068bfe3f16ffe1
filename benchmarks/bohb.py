"""Strategy 'bohb' under Hyperband against TPE and random search under the same Hyperband, at
equal compute in epochs.

Every technique runs with ``Hyperband(min_resource=1, max_resource=MAX_EPOCHS,
reduction_factor=3)`` on two multi-fidelity tasks, reporting after every epoch:

- ``synthetic``: a 4-D shifted quadratic whose low budgets are biased (the bias shrinks as
  1/epoch and moves the apparent optimum) and noisy (noise / sqrt(epoch)). Quality is the
  noise-free value of the incumbent (the complete trial with the best reported final value).
- ``digits``: a one-hidden-layer MLP (scikit-learn's ``MLPClassifier``, one ``partial_fit`` per
  epoch) on the digits data; learning rate, L2, width and batch size are tuned; the value is
  the validation error. Quality is the best validation error of a complete trial.

A run stops once its trials have used ``--budget`` epochs (the sum of every trial's last step;
the last trial may overshoot by a few). The table gives, per task and technique, the mean and
median quality after half and all of the budget, over ``--seeds`` seeds, and how many seeds
BOHB beat (strictly) each other technique at the full budget. "bohb+pruned" is
``BOHB(pruned_as_bad=True)``. BLAS runs one thread.

    python benchmarks/bohb.py                      # both tasks, 10 seeds: 10 minutes, loaded
    python benchmarks/bohb.py --task synthetic --seeds 20
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tunesmith as ts  # noqa: E402
from tunesmith.strategies.bohb import BOHB  # noqa: E402

MAX_EPOCHS = 27
# name -> what create_study gets; "bohb+pruned" is tunesmith's addition (pruned trials in g(x))
TECHNIQUES: dict[str, Callable[[], Any]] = {
    "bohb": lambda: "bohb",
    "bohb+pruned": lambda: BOHB(pruned_as_bad=True),
    "tpe": lambda: "tpe",
    "random": lambda: "random",
}
OPTIMUM = np.array([0.25, 0.7, 0.4, 0.55])
SYNTHETIC_SPACE = {f"x{i}": ts.Float(0.0, 1.0) for i in range(4)}
DIGITS_SPACE = {
    "lr": ts.Float(1e-4, 1.0, log=True),
    "alpha": ts.Float(1e-6, 1e-1, log=True),
    "units": ts.Int(8, 64, log=True),
    "batch": ts.Choice([64, 128, 256]),
}


def true_value(params: dict) -> float:
    """The synthetic task's noise-free value at the full budget."""
    x = np.array([params[f"x{i}"] for i in range(4)])
    return float(np.sum((x - OPTIMUM) ** 2))


def synthetic(trial: ts.Trial) -> float:
    """Bias 0.5 * (x0 - 0.9)^2 / epoch and noise 0.05 / sqrt(epoch) on top of ``true_value``."""
    noise = np.random.default_rng(trial.number)
    base, bias = true_value(trial.params), 0.5 * (trial.params["x0"] - 0.9) ** 2
    value = math.inf
    for epoch in range(1, MAX_EPOCHS + 1):
        value = base + bias / epoch + 0.05 * noise.standard_normal() / math.sqrt(epoch)
        trial.report(value, epoch)
        if trial.should_prune():
            raise ts.TrialPruned()
    return value


def digits_objective() -> Callable[[ts.Trial], float]:
    """The MLP task: validation error after each epoch, on a fixed 70/30 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x = StandardScaler().fit_transform(x)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=0)

    def objective(trial: ts.Trial) -> float:
        p = trial.params
        model = MLPClassifier(
            hidden_layer_sizes=(p["units"],), learning_rate_init=p["lr"], alpha=p["alpha"],
            batch_size=p["batch"], random_state=trial.number,
        )  # fmt: skip
        error = 1.0
        for epoch in range(1, MAX_EPOCHS + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(x_train, y_train, classes=np.arange(10))
            error = 1.0 - model.score(x_val, y_val)
            trial.report(error, epoch)
            if trial.should_prune():
                raise ts.TrialPruned()
        return error

    return objective


def run(technique: str, task: str, seed: int, budget: int, objective: Callable) -> list:
    """One study until its trials used ``budget`` epochs; its trials, in order."""
    space = SYNTHETIC_SPACE if task == "synthetic" else DIGITS_SPACE
    pruner = ts.pruners.Hyperband(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3)
    strategy = TECHNIQUES[technique]()
    study = ts.create_study(space=space, strategy=strategy, seed=seed, pruner=pruner)
    used = 0
    while used < budget:
        study.optimize(objective, n_trials=1, progress=False)
        used += study.trials[-1].last_step or 0
    return study.trials


def quality(trials: list, task: str, budget: float) -> float:
    """The incumbent's quality among the trials finished within ``budget`` epochs."""
    used, best, incumbent = 0, math.inf, None
    for t in trials:
        used += t.last_step or 0
        if used > budget:
            break
        if t.state is ts.TrialState.COMPLETE and t.value < best:
            best, incumbent = t.value, t
    if incumbent is None:
        return math.inf
    return true_value(incumbent.params) if task == "synthetic" else best


def measure(task: str, seeds: int, budget: int) -> dict[str, list[tuple[float, float, int]]]:
    """Per technique, per seed: (quality at half the budget, at the budget, trials run)."""
    objective = synthetic if task == "synthetic" else digits_objective()
    out: dict[str, list[tuple[float, float, int]]] = {k: [] for k in TECHNIQUES}
    for seed in range(seeds):
        for technique in TECHNIQUES:  # interleaved, so machine load hits all alike
            trials = run(technique, task, seed, budget, objective)
            half, full = quality(trials, task, budget / 2), quality(trials, task, budget)
            out[technique].append((half, full, len(trials)))
    return out


def report(task: str, results: dict, budget: int, seconds: float) -> None:
    """One table per task: mean and median quality at half and all of the budget, wins."""
    print(f"\n{task}: budget {budget} epochs, {len(results['bohb'])} seeds ({seconds:.0f} s)")
    print("| technique | mean @ half | median @ half | mean @ full | median @ full | trials |")
    print("|---|---|---|---|---|---|")
    for technique, rows in results.items():
        half, full, n = (list(c) for c in zip(*rows))
        print(
            f"| {technique} | {statistics.fmean(half):.4f} | {statistics.median(half):.4f} | "
            f"{statistics.fmean(full):.4f} | {statistics.median(full):.4f} | "
            f"{statistics.fmean(n):.0f} |"
        )
    for mine, other in (("bohb", "tpe"), ("bohb", "random"), ("bohb+pruned", "tpe"),
                        ("bohb+pruned", "random"), ("bohb+pruned", "bohb")):  # fmt: skip
        ours, theirs = [r[1] for r in results[mine]], [r[1] for r in results[other]]
        wins = sum(a < b for a, b in zip(ours, theirs))
        ties = sum(a == b for a, b in zip(ours, theirs))
        print(f"{mine} beats {other} on {wins} of {len(ours)} seeds ({ties} ties) at full budget")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("synthetic", "digits", "both"), default="both")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=None, help="epochs per run")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores")
    tasks = ("synthetic", "digits") if args.task == "both" else (args.task,)
    for task in tasks:
        budget = args.budget or (40 if task == "synthetic" else 12) * MAX_EPOCHS
        start = time.perf_counter()
        results = measure(task, args.seeds, budget)
        report(task, results, budget, time.perf_counter() - start)


if __name__ == "__main__":
    main()
