"""SearchCV against GridSearchCV, in the same run: SVC on digits, a 6 x 6 C x gamma grid, 5-fold.

(a) Speed: SearchCV(strategy="grid") against GridSearchCV on the same grid, folds and n_jobs,
    runs taking turns at going first; the ratio should stay under 1.1. SearchCV also times its
    own work (study, asks, tells: everything outside the fits), which noise cannot blur.
(b) Quality per fit: genetic search (and TPE when it is registered, and random search as the
    baseline) with 12 candidates, a third of the grid's 36 fits per fold, over several seeds:
    how often it reaches GridSearchCV's best mean CV accuracy, and after how many candidates.

    python benchmarks/sklearn_search.py            # full run (about 10 minutes on 2 cores)
    python benchmarks/sklearn_search.py --quick    # one repeat, three seeds
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC

from tunesmith.sklearn import SearchCV
from tunesmith.strategies import Genetic, resolve

GRID = {"C": list(np.logspace(-1, 4, 6)), "gamma": list(np.logspace(-5, 0, 6))}
N_GRID = 36
BUDGET = N_GRID // 3  # candidates for the learning strategies: a third of the fits
CV = StratifiedKFold(5)


class TimedSearchCV(SearchCV):
    """SearchCV that also measures its own overhead: time in the search outside the fits."""

    def _run_search(self, evaluate_candidates):
        inside = 0.0

        def timed_evaluate(*args, **kwargs):
            nonlocal inside
            start = time.perf_counter()
            try:
                return evaluate_candidates(*args, **kwargs)
            finally:
                inside += time.perf_counter() - start

        start = time.perf_counter()
        super()._run_search(timed_evaluate)
        self.overhead_ = time.perf_counter() - start - inside


def timed(search, X, y) -> float:
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start


def speed(X, y, n_jobs: int, repeats: int) -> dict[str, object]:
    """Wall times of GridSearchCV and SearchCV(grid), taking turns at going first."""
    ours, theirs, overhead = [], [], []
    reference = None
    for i in range(repeats):
        reference = GridSearchCV(SVC(), GRID, cv=CV, n_jobs=n_jobs)
        search = TimedSearchCV(SVC(), GRID, strategy="grid", cv=CV, n_jobs=n_jobs)
        if i % 2:
            ours.append(timed(search, X, y))
            theirs.append(timed(reference, X, y))
        else:
            theirs.append(timed(reference, X, y))
            ours.append(timed(search, X, y))
        overhead.append(search.overhead_)
        same = all(
            np.array_equal(search.cv_results_[k], reference.cv_results_[k])
            for k in reference.cv_results_
            if "test" in k
        )
        assert same and search.cv_results_["params"] == reference.cv_results_["params"]
    return {"theirs": theirs, "ours": ours, "overhead": overhead, "reference": reference}


def strategies() -> dict[str, object]:
    out: dict[str, object] = {"genetic": Genetic(population_size=4)}
    try:
        out["tpe"] = resolve("tpe")
    except ValueError:
        pass  # not registered in this build
    out["random"] = resolve("random")
    return out


def reach(X, y, strategy, seed: int, best: float, n_jobs: int) -> tuple[int | None, float]:
    """Candidates until the grid's best score is reached (None: not within the budget)."""
    search = SearchCV(
        SVC(), GRID, strategy=strategy, n_trials=BUDGET, cv=CV, n_jobs=n_jobs, seed=seed
    )
    seconds = timed(search, X, y)
    scores = search.cv_results_["mean_test_score"]
    hits = np.flatnonzero(scores >= best - 1e-12)
    return (int(hits[0]) + 1 if hits.size else None), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, three seeds")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats, seeds = (1, 3) if args.quick else (args.repeats, args.seeds)

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    print(
        f"{datetime.date.today()}  {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    GridSearchCV(SVC(), {"C": [1.0]}, cv=2, n_jobs=-1).fit(X[:200], y[:200])  # start workers

    print(f"\n(a) grid: {N_GRID} candidates x 5 folds, {repeats} runs each, taking turns")
    reference = None
    for n_jobs in (1, -1):
        run = speed(X, y, n_jobs, repeats)
        theirs, ours, reference = run["theirs"], run["ours"], run["reference"]
        median_ratio = statistics.median(ours) / statistics.median(theirs)
        print(
            f"  n_jobs={n_jobs:>2}: GridSearchCV median {statistics.median(theirs):6.2f} s "
            f"(min {min(theirs):6.2f})   SearchCV(grid) median {statistics.median(ours):6.2f} s "
            f"(min {min(ours):6.2f})   ratio of medians {median_ratio:.3f}, of minima "
            f"{min(ours) / min(theirs):.3f}; tunesmith's own time {max(run['overhead']):.3f} s "
            f"per fit ({max(run['overhead']) / min(ours):.2%}); same cv_results_: yes"
        )

    scores = reference.cv_results_["mean_test_score"]
    best = float(scores.max())
    n_best = int((scores >= best - 1e-12).sum())
    print(
        f"\n(b) GridSearchCV best mean CV accuracy {best:.4f} ({n_best} of {N_GRID} grid points "
        f"reach it); each strategy gets {BUDGET} candidates ({BUDGET * 5} fits, "
        f"{BUDGET / N_GRID:.2f} of the grid's), {seeds} seeds"
    )
    for name, strategy in strategies().items():
        found, times = [], []
        for seed in range(seeds):
            n, seconds = reach(X, y, strategy, seed, best, n_jobs=-1)
            found.append(n)
            times.append(seconds)
        hits = [n for n in found if n is not None]
        median = statistics.median(hits) if hits else float("nan")
        print(
            f"  {name:>8}: reached the grid's best in {len(hits)}/{seeds} seeds; median "
            f"candidates to reach it {median:.1f} (fits ratio {median * 5 / (N_GRID * 5):.2f}); "
            f"median time {statistics.median(times):.1f} s; per seed {found}"
        )


if __name__ == "__main__":
    main()
