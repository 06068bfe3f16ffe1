"""A custom population model: a residual MLP, tuned on digits, its best member kept and loaded.

A model family subclasses ``population.Model``: ``params`` lists one member's weights as
``ParamSpec``s and ``forward`` runs every member at once, each weight carrying a leading
population axis P. Here an input layer maps to ``width`` units, ``blocks`` residual blocks
compute h + W2 relu(W1 h), and an output layer gives the class logits; ``width`` and ``blocks``
may differ between trials (``structure_keys``), and members of equal shape train together.
Needs: pip install "tunesmith[torch,sklearn]". Runs in a few seconds on a laptop CPU.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population import Model, ParamSpec

SMALL = os.environ.get("TUNESMITH_EXAMPLE_SMALL") == "1"  # a tiny budget, for CI


def dense(name: str, n_in: int, n_out: int) -> list[ParamSpec]:
    """A dense layer's weight (out, in; penalized) and bias, started as torch.nn.Linear's."""
    return [
        ParamSpec(f"{name}.weight", (n_out, n_in), n_in, penalized=True),
        ParamSpec(f"{name}.bias", (n_out,), n_in, penalized=False),
    ]


def linear(h: torch.Tensor, w: Mapping[str, torch.Tensor], name: str) -> torch.Tensor:
    """W_p h_p + b_p for every member p: h (P, in, B) -> (P, out, B)."""
    return torch.baddbmm(w[f"{name}.bias"].unsqueeze(2), w[f"{name}.weight"], h)


class ResidualMLP(Model):
    """input -> width units, ``blocks`` residual blocks h + W2 relu(W1 h), -> logits."""

    structure_keys = frozenset({"width", "blocks"})
    has_hidden = True  # dropout applies to the hidden units

    def __init__(self, width: int = 64, blocks: int = 2):
        self.width, self.blocks = width, blocks

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        out = copy.copy(self)
        out.width = int(structure.get("width", self.width))
        out.blocks = int(structure.get("blocks", self.blocks))
        return out

    def key(self) -> tuple:
        return ("ResidualMLP", self.width, self.blocks)

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        specs = dense("stem", input_shape[0], self.width)
        for i in range(self.blocks):
            specs += dense(f"block{i}.inner", self.width, self.width)
            specs += dense(f"block{i}.outer", self.width, self.width)
        return specs + dense("head", self.width, n_outputs)

    def forward(self, w: Mapping[str, torch.Tensor], x: torch.Tensor, dropout: Any) -> torch.Tensor:
        members = w["stem.weight"].shape[0]
        h = torch.relu(linear(x.T.expand(members, -1, -1), w, "stem"))  # (P, width, B)
        for i in range(self.blocks):
            inner = torch.relu(linear(h, w, f"block{i}.inner"))
            if dropout is not None:
                inner = dropout(inner)
            h = h + linear(inner, w, f"block{i}.outer")
        return linear(h, w, "head")  # (P, classes, B)

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        return 4 * self.width * (1 + 2 * self.blocks) + 2 * n_outputs


def main(folder: Path) -> float:
    """Search width, blocks and the learning rate; load the best member and score it."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, random_state=0)
    space = {
        "width": ts.Choice([32, 64]),
        "blocks": ts.Int(1, 2),
        "lr": ts.Float(1e-3, 3e-2, log=True),
    }
    study = ts.create_study(
        direction="maximize", space=space, seed=0, storage=f"sqlite:///{folder / 'study.db'}"
    )
    objective = pop.objective(
        ResidualMLP(), x_train, y_train, X_val=x_val, y_val=y_val, epochs=1 if SMALL else 5,
        store=folder / "models", keep=2,
    )  # fmt: skip
    study.optimize(objective, n_trials=4 if SMALL else 16, batch_size=4 if SMALL else 8)
    best = pop.load_best(study, ResidualMLP())  # a torch.nn.Module
    accuracy = float((best.predict(x_val) == y_val).mean())
    print(f"best trial {study.best_trial.number}: {study.best_params}")
    print(f"validation accuracy {study.best_value:.4f}; the loaded model scores {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(Path(tmp))
