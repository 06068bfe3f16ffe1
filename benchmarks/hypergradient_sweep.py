"""Sweep of the hypergradient learning rate β of AdamHD and SGDHD on the digits data set.

An MLP (64 → 64 → 10, tanh) is trained on 80% of scikit-learn's digits (inputs standardized,
mini-batches of 64, a fixed shuffling per seed) for a few epochs, from several starting learning
rates η₀, with β in {0, 1e-8, ..., 1e-3} (AdamHD) or {0, 1e-5, ..., 1e-1} (SGDHD). For each
(η₀, β) the table gives the held-out accuracy, the held-out cross-entropy and the final learning
rate, each the median over the seeds (a diverged run counts as accuracy 0, loss inf); the last
rows, for each β, the mean accuracy and the median loss over the starting rates (what a default
should be good at: a good result whatever η₀ the user starts from). β = 0 is the base rule.
Run: python benchmarks/hypergradient_sweep.py [--optimizer adam|sgd] [--epochs 10] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tunesmith.optim as ts_optim

GRIDS = {
    "adam": {
        "class": "AdamHD",
        "lrs": [1e-4, 1e-3, 1e-2, 1e-1, 0.3],
        "betas": [0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3],
    },
    "sgd": {
        "class": "SGDHD",
        "lrs": [1e-3, 1e-2, 1e-1, 1.0, 3.0],
        "betas": [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
    },
}


def load_data() -> tuple[torch.Tensor, ...]:
    """Digits split 80/20 (stratified, fixed), inputs standardized on the training part."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    as_x = lambda a: torch.tensor(scaler.transform(a), dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    return as_x(X_train), as_y(y_train), as_x(X_test), as_y(y_test)


def train(data: tuple, name: str, lr: float, beta: float, epochs: int, seed: int) -> tuple:
    """Held-out accuracy, held-out cross-entropy and final learning rate of one run."""
    X_train, y_train, X_test, y_test = data
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    optimizer = getattr(ts_optim, name)(model.parameters(), lr=lr, hypergrad_lr=beta)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X_train), generator=generator)
        for start in range(0, len(order), 64):
            batch = order[start : start + 64]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        logits = model(X_test)
    accuracy = float((logits.argmax(1) == y_test).float().mean())
    loss = float(torch.nn.functional.cross_entropy(logits, y_test))
    if not np.isfinite(logits.numpy()).all():
        accuracy, loss = 0.0, float("inf")
    return accuracy, loss, float(optimizer.param_groups[0]["lr"])


def main() -> None:
    """Run the sweep and print it as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", choices=sorted(GRIDS), default="adam")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    grid, data = GRIDS[args.optimizer], load_data()
    print(
        f"{grid['class']} on digits, {args.epochs} epochs, median of {args.seeds} seeds: "
        "held-out accuracy / held-out loss / final lr\n"
    )
    print("| η₀ \\ β | " + " | ".join(f"{b:g}" for b in grid["betas"]) + " |")
    print("|---" * (len(grid["betas"]) + 1) + "|")
    accuracies: dict[float, list[float]] = {beta: [] for beta in grid["betas"]}
    losses: dict[float, list[float]] = {beta: [] for beta in grid["betas"]}
    for lr in grid["lrs"]:
        cells = []
        for beta in grid["betas"]:
            runs = [train(data, grid["class"], lr, beta, args.epochs, s) for s in range(args.seeds)]
            accuracy, loss, final_lr = (statistics.median(r[i] for r in runs) for i in range(3))
            accuracies[beta].append(accuracy)
            losses[beta].append(loss)
            cells.append(f"{accuracy:.3f} / {loss:.3f} / {final_lr:.2g}")
        print(f"| {lr:g} | " + " | ".join(cells) + " |")
    mean_accuracy = (f"{statistics.mean(a):.3f}" for a in accuracies.values())
    median_loss = (f"{statistics.median(m):.3f}" for m in losses.values())
    print("| mean accuracy | " + " | ".join(mean_accuracy) + " |")
    print("| median loss | " + " | ".join(median_loss) + " |")


if __name__ == "__main__":
    main()
