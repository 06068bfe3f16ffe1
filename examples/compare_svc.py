"""Which search tunes an RBF SVC best on scikit-learn's digits? Five techniques, measured.

The objective is the 5-fold cross-validated accuracy of ``SVC(C, gamma)`` on a fixed third of
the bundled digits (about 0.1 s an evaluation), maximized. The space is 2-D, so the report also
shows where each technique looked.

    python examples/compare_svc.py                          # 5 techniques x 3 seeds x 40
    tunesmith compare examples/compare_svc.py --budget 40 --seeds 3 --report svc-report

The objective says what it cross-validates (``estimator``, ``X``, ``y``, ``cv``, ``scoring``,
``value_of_score``), so scikit-learn's own GridSearchCV and RandomizedSearchCV can be put next
to tunesmith on exactly the same folds (``benchmarks/peers``). Needs scikit-learn.
"""

from __future__ import annotations

import argparse
import os
import warnings
from functools import cached_property
from typing import Any

import tunesmith as ts

space = {
    "C": ts.Float(1e-2, 1e3, log=True),
    "gamma": ts.Float(1e-5, 1e-1, log=True),
}
direction = "maximize"
SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI

N_SAMPLES = 600  # a stratified third of the 1,797 digits


class CrossValidatedSVC:
    """Mean 5-fold accuracy of an RBF SVC with the trial's C and gamma."""

    scoring = "accuracy"

    @cached_property
    def _data(self) -> tuple[Any, Any]:
        from sklearn.datasets import load_digits
        from sklearn.utils import resample

        X, y = load_digits(return_X_y=True)
        return resample(X / 16.0, y, n_samples=N_SAMPLES, replace=False, stratify=y, random_state=0)

    @property
    def X(self) -> Any:
        return self._data[0]

    @property
    def y(self) -> Any:
        return self._data[1]

    @property
    def estimator(self) -> Any:
        from sklearn.svm import SVC

        return SVC(kernel="rbf")

    @property
    def cv(self) -> Any:
        from sklearn.model_selection import StratifiedKFold

        return StratifiedKFold(5, shuffle=True, random_state=0)

    def value_of_score(self, score: float) -> float:
        return float(score)

    def __call__(self, trial: ts.Trial) -> float:
        from sklearn.base import clone
        from sklearn.model_selection import cross_val_score

        model = clone(self.estimator).set_params(**trial.params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_val_score(model, self.X, self.y, cv=self.cv, scoring=self.scoring)
        return self.value_of_score(scores.mean())


objective = CrossValidatedSVC()


def main() -> None:
    from tunesmith import compare

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=8 if SMALL else 40)
    parser.add_argument("--seeds", type=int, default=1 if SMALL else 3)
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///svc.db to resume")
    parser.add_argument("--report", default="svc-report")
    args = parser.parse_args()
    result = compare.run(
        objective,
        space,
        strategies=["grid", "random", "genetic", "gradient", "tpe"],
        budget=args.budget,
        seeds=args.seeds,
        storage=args.storage,
        direction=direction,
        name="svc-digits",
    )
    result.print_summary()
    print(f"report: {result.report(args.report).html}")


if __name__ == "__main__":
    main()
