"""scikit-learn's GridSearchCV and RandomizedSearchCV as comparison runners.

They search an estimator, not a black box, so they run only on an objective that says what it
cross-validates (an :class:`SklearnObjective`, or any object with the same attributes): the
estimator, ``X``, ``y``, the ``cv`` splitter, ``scoring`` and ``value_of_score(score)``. Both
then score the very same folds the objective does.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from tunesmith.compare import Task, grid_points_for_budget
from tunesmith.space import Choice, Distribution, Float, Int

from ._space import missing, snap_all

NEEDS = ("estimator", "X", "y", "cv", "scoring", "value_of_score")


class SklearnObjective:
    """The cross-validated score of ``estimator`` with the trial's parameters, as a value.

    value = offset + scale * mean score, e.g. offset 1, scale -1 turns accuracy into the
    error rate (minimized)."""

    def __init__(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        cv: Any,
        scoring: str,
        offset: float = 0.0,
        scale: float = 1.0,
    ):
        self.estimator, self.X, self.y, self.cv, self.scoring = estimator, X, y, cv, scoring
        self.offset, self.scale = float(offset), float(scale)

    def value_of_score(self, score: float) -> float:
        return self.offset + self.scale * float(score)

    def __call__(self, trial: Any) -> float:
        from sklearn.base import clone
        from sklearn.model_selection import cross_val_score

        model = clone(self.estimator).set_params(**trial.params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notices of cheap, capped fits
            scores = cross_val_score(model, self.X, self.y, cv=self.cv, scoring=self.scoring)
        return self.value_of_score(scores.mean())


def _distribution(dist: Distribution) -> Any:
    from scipy import stats

    if isinstance(dist, Choice):
        return list(dist.options)
    if isinstance(dist, Float) and dist.step is None:
        if dist.log:
            return stats.loguniform(dist.low, dist.high)
        return stats.uniform(dist.low, dist.high - dist.low)
    if isinstance(dist, Int) and not dist.log and dist.step == 1:
        return stats.randint(dist.low, dist.high + 1)
    return dist.grid()  # stepped floats, log and stepped ints: their values, drawn uniformly


class SklearnSearchRunner:
    """``GridSearchCV`` on the grid closest to the budget, or ``RandomizedSearchCV``."""

    def __init__(self, kind: str = "random"):
        if kind not in ("grid", "random"):
            raise ValueError(f"kind must be 'grid' or 'random'. Got {kind!r} instead.")
        self.kind = kind
        self.name = f"sklearn-{kind}"

    def unavailable(self) -> str | None:
        return missing("sklearn", "scipy")

    def _search(self, task: Task) -> Any:
        from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

        obj = task.objective
        common = {"cv": obj.cv, "scoring": obj.scoring, "refit": False, "n_jobs": 1}
        if self.kind == "grid":
            m = grid_points_for_budget(task.space, task.budget)
            grid = {k: d.grid(m) for k, d in task.space.items()}
            return GridSearchCV(obj.estimator, grid, **common)
        dists = {k: _distribution(d) for k, d in task.space.items()}
        return RandomizedSearchCV(
            obj.estimator, dists, n_iter=task.budget, random_state=task.seed, **common
        )

    def run(self, task: Task) -> None:
        obj = task.objective
        lacking = [a for a in NEEDS if not hasattr(obj, a)]
        if lacking:
            raise TypeError(
                f"{self.name} needs an objective that says what it cross-validates "
                f"(an SklearnObjective); this one lacks {', '.join(lacking)}."
            )
        search = self._search(task)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(obj.X, obj.y)
        wall = (time.perf_counter() - start) / max(len(search.cv_results_["params"]), 1)
        res, splits = search.cv_results_, search.n_splits_
        for i, params in enumerate(res["params"][: task.budget]):
            score = res["mean_test_score"][i]
            value = None if score != score else obj.value_of_score(score)  # NaN: a failed fit
            seconds = (res["mean_fit_time"][i] + res["mean_score_time"][i]) * splits
            task.record(snap_all(task.space, params), value, seconds, wall)
