"""TPE proposal time at 1000 trials, tunesmith against Optuna's TPESampler in the same run.

Both libraries get the same 1000 random trials (same params, same values) through enqueue +
ask/tell in memory, then ask 20 more trials each with their TPE (telling each one, so the
histories grow alike), the asks of the contestants interleaved so machine load hits all alike.
The time of ``ask()`` is compared, with tunesmith's bare ``TPE.propose`` beside it. Optuna runs
its default (independent) TPESampler and the multivariate one, in the same 7-parameter mixed
space.

    python benchmarks/tpe_speed.py               # 1000 trials, 20 timed proposals
    python benchmarks/tpe_speed.py --trials 200  # a quicker look
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np

import tunesmith as ts
from tunesmith.strategies.tpe import TPE

SPACE = {
    "lr": ts.Float(1e-5, 1e-1, log=True),
    "dropout": ts.Float(0.0, 0.5, step=0.05),
    "momentum": ts.Float(0.0, 1.0),
    "decay": ts.Float(-3.0, 3.0),
    "layers": ts.Int(1, 8),
    "width": ts.Int(16, 512, log=True),
    "act": ts.Choice(["relu", "tanh", "gelu"]),
}


def objective_value(p: dict) -> float:
    return (
        (np.log10(p["lr"]) + 3) ** 2
        + (p["dropout"] - 0.2) ** 2
        + (p["momentum"] - 0.9) ** 2
        + p["decay"] ** 2
        + (p["layers"] - 3) ** 2 * 0.1
        + abs(np.log2(p["width"]) - 7)
        + {"relu": 0.0, "tanh": 0.5, "gelu": 0.2}[p["act"]]
    )


def random_params(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {name: dist.from_unit(u) for (name, dist), u in zip(SPACE.items(), row)}
        for row in rng.random((n, len(SPACE)))
    ]


# -- the three contestants, each ready to ask --------------------------------------------------
def tunesmith_study(history: list[dict]) -> ts.Study:
    study = ts.create_study(space=SPACE, strategy=TPE(), seed=0)
    for p in history:
        study.enqueue(p)
        trial = study.ask()
        study.tell(trial, objective_value(trial.params))
    return study


def optuna_distributions():
    from optuna import distributions as d

    return {
        "lr": d.FloatDistribution(1e-5, 1e-1, log=True),
        "dropout": d.FloatDistribution(0.0, 0.5, step=0.05),
        "momentum": d.FloatDistribution(0.0, 1.0),
        "decay": d.FloatDistribution(-3.0, 3.0),
        "layers": d.IntDistribution(1, 8),
        "width": d.IntDistribution(16, 512, log=True),
        "act": d.CategoricalDistribution(["relu", "tanh", "gelu"]),
    }


def optuna_study(history: list[dict], multivariate: bool):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    sampler = optuna.samplers.TPESampler(seed=0, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler)
    for p in history:
        study.enqueue_trial(p)
        trial = study.ask(optuna_distributions())
        study.tell(trial, objective_value(trial.params))
    return study


def timed_ask_tell(ask, tell) -> float:
    """Seconds taken by ``ask()``; the trial is told outside the timer."""
    t0 = time.perf_counter()
    trial = ask()
    elapsed = time.perf_counter() - t0
    tell(trial)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--timed", type=int, default=20)
    args = parser.parse_args()
    import optuna

    history = random_params(args.trials, seed=0)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, optuna {optuna.__version__}"
    )
    print(f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})")
    print(f"{args.trials} random trials, then {args.timed} TPE proposals; median ms per ask\n")
    ours = tunesmith_study(history)
    bare = TPE()
    bare.directions = ours.directions
    rng = np.random.default_rng(1)
    dists = optuna_distributions()
    peers = {mv: optuna_study(history, mv) for mv in (False, True)}
    times: dict[str, list[float]] = {}
    labels = [
        "tunesmith TPE ask()",
        "tunesmith TPE.propose",
        "optuna TPESampler(multivariate=False) ask()",
        "optuna TPESampler(multivariate=True) ask()",
    ]
    for _ in range(args.timed):  # interleaved, so load on the machine hits all alike
        rounds = [
            (lambda: ours.ask(), lambda t: ours.tell(t, objective_value(t.params))),
            (lambda: bare.propose(ours.trials, SPACE, 1, rng), lambda t: None),
        ] + [
            (lambda s=s: s.ask(dists), lambda t, s=s: s.tell(t, objective_value(t.params)))
            for s in peers.values()
        ]
        for label, (ask, tell) in zip(labels, rounds):
            times.setdefault(label, []).append(timed_ask_tell(ask, tell))
    base = statistics.median(times[labels[0]])
    for label in labels:
        med = statistics.median(times[label])
        print(f"{label:<46} {1e3 * med:8.2f} ms   ratio tunesmith/this {base / med:6.3f}")


if __name__ == "__main__":
    main()
