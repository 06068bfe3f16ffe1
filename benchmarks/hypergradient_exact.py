"""Gradient descent on hyperparameters with exact hypergradients, against SPSA and random search.

One objective for all three: an MLP (64 → 32 → 10, tanh) trained on 600 digits with SGD and
momentum 0.9 (minibatches of 100, a few epochs), measured by its cross-entropy on 300 held-out
digits; tuned: the learning rate and weight decay on log scales (``--wide`` adds momentum and
the L2 strength). ``GradientDescent(estimator="exact")`` reads the hypergradients of
``population.hypergradient_objective`` (one trial per step); ``estimator="spsa"`` estimates them
from two perturbed trials per step; ``Random`` draws uniformly. SPSA and random search run on
``population.objective(metric="val_loss")``, the same training (tests hold the two equal),
without the derivatives' cost. For each seed (the study's seed; the training seed is fixed) the
table gives the trials until the best loss first reaches ``--target`` (the budget + 1 when it
never does) and the best loss after the budget, medians over the seeds, the time per trial and
the failed (diverged) trials; then a sign test of exact against each other method (wins,
losses, ties, two-sided binomial p).
Run: python benchmarks/hypergradient_exact.py [--seeds 10] [--trials 30] [--target 0.23] [--wide]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from scipy.stats import binomtest
from sklearn.datasets import load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.strategies import GradientDescent, Random

SPACE = {"lr": ts.Float(1e-3, 3.0, log=True), "weight_decay": ts.Float(1e-6, 1e-1, log=True)}
WIDE = {"momentum": ts.Float(0.0, 0.99), "l2": ts.Float(1e-6, 1e-1, log=True)}
METHODS = ("exact", "spsa", "random")


def objectives(space: dict, epochs: int) -> dict:
    """The exact-gradient objective and the plain one, over the same training."""
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    order = np.random.default_rng(0).permutation(len(x))
    train, val = order[:600], order[600:900]
    model = pop.MLP(hidden=(32,), activation="tanh")
    common = {"X_val": x[val], "y_val": y[val], "epochs": epochs, "batch_size": 100, "seed": 0}
    exact = pop.hypergradient_objective(
        model, x[train], y[train], optimizer="momentum", space=space, **common
    )

    def config(trial: ts.Trial) -> dict:
        suggested = {k: trial.suggest_float(k, d.low, d.high, log=d.log) for k, d in space.items()}
        return {"optimizer": "momentum", **suggested}

    plain = pop.objective(model, x[train], y[train], metric="val_loss", space=config, **common)
    return {"exact": exact, "spsa": plain, "random": plain}


def run(method: str, objective, seed: int, trials: int) -> list[float]:
    """The loss of each trial in order (inf for a failed one)."""
    strategy = {
        "exact": GradientDescent(estimator="exact"),
        "spsa": GradientDescent(estimator="spsa"),
        "random": Random(),
    }[method]
    study = ts.create_study(strategy=strategy, seed=seed)
    study.optimize(objective, n_trials=trials, batch_size=8, catch=(Exception,))
    return [t.value if t.value is not None else float("inf") for t in study.trials][:trials]


def reach(losses: list[float], target: float) -> int:
    """Trials until the best loss is <= target; len + 1 when it never is."""
    hits = [i + 1 for i, v in enumerate(losses) if v <= target]
    return hits[0] if hits else len(losses) + 1


def sign_test(ours: list[float], theirs: list[float]) -> str:
    """Wins (ours lower), losses, ties, and the two-sided binomial p over the non-ties."""
    wins = sum(a < b for a, b in zip(ours, theirs))
    losses = sum(a > b for a, b in zip(ours, theirs))
    ties = len(ours) - wins - losses
    p = binomtest(wins, wins + losses).pvalue if wins + losses else float("nan")
    return f"{wins}/{losses}/{ties}, p = {p:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--target", type=float, default=0.23)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--wide", action="store_true", help="also tune momentum and l2")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    space = SPACE | (WIDE if args.wide else {})
    objs = objectives(space, args.epochs)
    needed = {m: [] for m in METHODS}
    best = {m: [] for m in METHODS}
    seconds = dict.fromkeys(METHODS, 0.0)
    failed = dict.fromkeys(METHODS, 0)
    for seed in range(args.seeds):
        for method in METHODS:
            start = time.perf_counter()
            losses = run(method, objs[method], seed, args.trials)
            seconds[method] += time.perf_counter() - start
            needed[method].append(reach(losses, args.target))
            best[method].append(min(losses))
            failed[method] += sum(v == float("inf") for v in losses)
        print(f"seed {seed}: " + ", ".join(f"{m} {needed[m][-1]}" for m in METHODS), flush=True)
    print(
        f"\n{len(space)} hyperparameters, {args.epochs} epochs, target loss {args.target}, "
        f"{args.trials} trials, {args.seeds} seeds"
    )
    print(
        f"{'method':8} {'trials to target':>17} {'reached':>8} {'best loss':>10} "
        f"{'s/trial':>8} {'failed':>7}"
    )
    for m in METHODS:
        reached = sum(n <= args.trials for n in needed[m])
        per_trial = seconds[m] / (args.seeds * args.trials)
        print(
            f"{m:8} {statistics.median(needed[m]):>17} {reached:>5}/{args.seeds:<2} "
            f"{statistics.median(best[m]):>10.4f} {per_trial:>8.3f} {failed[m]:>7}"
        )
    for other in ("spsa", "random"):
        print(
            f"exact vs {other}: trials to target {sign_test(needed['exact'], needed[other])}; "
            f"best loss {sign_test(best['exact'], best[other])}"
        )


if __name__ == "__main__":
    main()
