"""Population-based training against random search with the same budget, side by side.

Task: an MLP (64 hidden units, SGD with momentum 0.9, batch 64) on scikit-learn's digits, split
60/20/20 into train, validation and test; learning rate (1e-4 .. 1, log) and weight decay
(1e-6 .. 1e-2, log) searched. Each trains ``--members`` members for ``--epochs`` epochs as
one batched population, from the same initial draws of the space (same seed):

- PBT: every ``--ready-every`` epochs the bottom quarter by validation loss copies the weights
  and optimizer state of the top quarter and perturbs the copied values (×0.8 or ×1.2).
- PBT with binary tournaments and resampling (each value drawn again with probability 0.25).
- PB2 (Population-Based Bandits): truncation as PBT, the copied values chosen by a Gaussian
  process bandit over every segment's fall in validation loss (upper confidence bound, kriging
  believer for the batch); perturbed until enough segments are observed. Needs scipy.
- random search: the same members with their hyperparameters fixed (``pbt`` with
  ``ready_every=epochs``: no ready point, so no exploitation).

Each picks its member of lowest final validation loss; the table gives the median (and range)
over seeds of that member's test accuracy, and the median wall time. With ``--ray``, Ray Tune's
PBT runs the same task, members and epochs in the same run (``benchmarks/_pbt_ray.py``: one
Ray trial per member, plain PyTorch, a checkpoint per epoch), when ``ray[tune]`` imports.
Run: python benchmarks/pbt.py [--seeds 10] [--members 16] [--epochs 30] [--threads 1] [--ray].
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tunesmith as ts
from tunesmith import population

SPACE = {"lr": ts.Float(1e-4, 1.0, log=True), "weight_decay": ts.Float(1e-6, 1e-2, log=True)}
CONFIG = {"optimizer": "momentum", "momentum": 0.9}


def split() -> dict[str, np.ndarray]:
    """Digits scaled to [0, 1]: 60% train, 20% validation, 20% test, stratified, fixed seed."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    x_tr, x_val, y_tr, y_val = train_test_split(
        x_fit, y_fit, test_size=0.25, random_state=0, stratify=y_fit
    )
    return {
        "X": x_tr,
        "y": y_tr,
        "X_val": x_val,
        "y_val": y_val,
        "X_test": x_test,
        "y_test": y_test,
    }


def tunesmith_run(
    data: dict, seed: int, args: argparse.Namespace, how: tuple[str, str] | None
) -> float:
    """Test accuracy of the member of lowest validation loss: PBT with ``how`` = (exploit,
    explore), or no exploitation (None)."""
    exploit, explore = how or ("truncation", "perturb")
    result = population.pbt(
        population.MLP(hidden=(64,)), data["X"], data["y"], X_val=data["X_val"],
        y_val=data["y_val"], space=SPACE, config=CONFIG, members=args.members,
        epochs=args.epochs, ready_every=args.epochs if how is None else args.ready_every,
        exploit=exploit, explore=explore,
        seed=seed, batch_size=64,
    )  # fmt: skip
    return float((result.to_module().predict(data["X_test"]) == data["y_test"]).mean())


def ray_available() -> str | None:
    """None when ``ray[tune]`` imports, else why not."""
    try:
        import ray.tune  # noqa: F401, PLC0415
    except Exception as exc:  # noqa: BLE001 - any import failure means "not here"
        cause = exc.__cause__ or exc
        return f"{type(cause).__name__}: {str(cause).splitlines()[0]}"
    return None


def measure(run: Callable[[int], float], seeds: list[int]) -> dict[str, Any]:
    """Test accuracy and wall time of ``run(seed)`` for each seed."""
    accuracies, walls = [], []
    for seed in seeds:
        start = time.perf_counter()
        accuracies.append(run(seed))
        walls.append(time.perf_counter() - start)
    return {"acc": accuracies, "wall": walls}


def row(name: str, m: dict[str, Any]) -> str:
    acc = m["acc"]
    return (
        f"| {name} | {statistics.median(acc):.4f} | {min(acc):.4f} – {max(acc):.4f} | "
        f"{statistics.median(m['wall']):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--ready-every", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ray", action="store_true", help="also run Ray Tune's PBT (slow)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data, seeds = split(), list(range(args.seeds))
    runs = {
        "tunesmith PBT (truncation, perturb)": ("truncation", "perturb"),
        "tunesmith PBT (tournament, resample)": ("tournament", "resample"),
        "tunesmith PB2 (truncation, GP bandit)": ("truncation", "pb2"),
        "random search, same budget (no exploit)": None,
    }
    results = {
        name: measure(lambda s, how=how: tunesmith_run(data, s, args, how), seeds)
        for name, how in runs.items()
    }
    print(
        f"\n{args.members} members × {args.epochs} epochs, ready every {args.ready_every}; "
        f"{args.seeds} seeds; torch {torch.__version__}, {args.threads} thread(s), "
        f"{platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| method | median test accuracy | range | median wall (s) |")
    print("|---|---|---|---|")
    for name, m in results.items():
        print(row(name, m))
    missing = ray_available()
    if args.ray and missing is None:
        from _pbt_ray import ray_pbt  # noqa: PLC0415 - benchmark-only peer

        ray = measure(
            lambda s: ray_pbt(data, s, args.members, args.epochs, args.ready_every), seeds
        )
        print(row("Ray Tune PBT (same members, epochs, quantile, factors)", ray))
        tunesmith = statistics.median(results["tunesmith PBT (truncation, perturb)"]["wall"])
        print(
            f"\nwall time, tunesmith PBT / Ray Tune PBT: "
            f"{tunesmith / statistics.median(ray['wall']):.4f}"
        )
    else:
        reason = "add --ray" if missing is None else f"ray[tune] is not importable ({missing})"
        print(f"| Ray Tune PBT | not run: {reason} | | |")


if __name__ == "__main__":
    main()
