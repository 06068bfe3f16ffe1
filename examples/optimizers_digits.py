"""Train one small MLP on scikit-learn's digits with each tunesmith optimizer, side by side.

The digits set ships inside scikit-learn (no download). Every optimizer starts from the same
weights and sees the same mini-batches; the script prints test accuracy and training loss
per epoch, then a summary. Needs: pip install "tunesmith[torch,sklearn]". Runs in seconds.
"""

from __future__ import annotations

import os
import time

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

import tunesmith.optim as ts_optim

SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI
EPOCHS = 1 if SMALL else 8
BATCH_SIZE = 64
OPTIMIZERS = {
    "SGD (momentum 0.9)": lambda ps: ts_optim.SGD(ps, lr=0.05, momentum=0.9),
    "SGD (Nesterov)": lambda ps: ts_optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "RMSprop": lambda ps: ts_optim.RMSprop(ps, lr=1e-3),
    "Adam": lambda ps: ts_optim.Adam(ps, lr=1e-3),
    "AdamW": lambda ps: ts_optim.AdamW(ps, lr=1e-3, weight_decay=1e-2),
    "Adagrad": lambda ps: ts_optim.Adagrad(ps, lr=0.05),
    "SGDHD (from lr 1e-3)": lambda ps: ts_optim.SGDHD(ps, lr=1e-3, hypergrad_lr=1e-3, momentum=0.9),
    "AdamHD (from lr 1e-4)": lambda ps: ts_optim.AdamHD(ps, lr=1e-4, hypergrad_lr=1e-5),
}


def load_data() -> tuple[torch.Tensor, ...]:
    """Digits (8x8 images, 10 classes), standardized, split 75/25 with a fixed seed."""
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(x_train)
    as_float = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return (
        as_float(scaler.transform(x_train)),
        torch.tensor(y_train),
        as_float(scaler.transform(x_test)),
        torch.tensor(y_test),
    )


def make_model() -> nn.Module:
    """The same 64-64-10 MLP (same initial weights) for every optimizer."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def train(name: str, make_optimizer, data: tuple[torch.Tensor, ...]) -> tuple[float, float]:
    """Train for EPOCHS epochs, printing loss and accuracy; return final accuracy and loss."""
    x_train, y_train, x_test, y_test = data
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    shuffler = torch.Generator().manual_seed(1)
    print(f"\n{name}")
    for epoch in range(1, EPOCHS + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=shuffler)
        total = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        lr = optimizer.param_groups[0]["lr"]
        print(
            f"  epoch {epoch}: train loss {total / len(order):.4f}  test accuracy "
            f"{accuracy:.3f}  lr {lr:.3g}"
        )
    return accuracy, total / len(order)


def main() -> None:
    start = time.perf_counter()
    data = load_data()
    results = {name: train(name, make, data) for name, make in OPTIMIZERS.items()}
    print(f"\n{'optimizer':24s} {'test accuracy':>13s} {'train loss':>11s}")
    for name, (accuracy, loss) in sorted(results.items(), key=lambda item: -item[1][0]):
        print(f"{name:24s} {accuracy:13.3f} {loss:11.4f}")
    print(
        f"\n{len(OPTIMIZERS)} optimizers x {EPOCHS} epochs in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
