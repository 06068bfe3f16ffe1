"""Each member's validation metric and loss, measured in slices without dropout.

The metric is the accuracy (classification) or the mean squared error (regression); the loss
is the mean cross-entropy, logistic loss or squared error, unweighted. With a mask (P, n), a
member is measured on its own samples only (the held-out fold of cross-validation).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from tunesmith.population.weighting import mean_loss

__all__ = ["measure_members"]

_EVAL_FLOATS = 1 << 22  # activations per evaluation slice, unless a training batch is larger


def _scores(task: str, out: Tensor, target: Tensor) -> Tensor:
    """Per member and sample (P, B): 1 for a right class, else the summed squared error."""
    if task == "regression":
        return (out - target.T).square().sum(dim=1).double()
    if out.shape[1] == 1:
        return ((out[:, 0] > 0).long() == target).double()
    return (out.argmax(1) == target).double()


@torch.no_grad()
def measure_members(
    run: Any, X: Tensor | None, y: Tensor | None, with_loss: bool, mask: Tensor | None = None
) -> tuple[Tensor, Tensor | None]:
    """(metric, loss or None) of every member of ``run`` on (X, y), default the validation
    data (the training data under ``mask``, a (P, n) float64 of each member's samples)."""
    data = run.data
    X = data.X_val if X is None else X
    y = data.y_val if y is None else y
    weights = run.weights()
    per_row = len(run) * run.model.activation_size(data.input_shape, data.n_outputs)
    rows = max(data.batch_size, _EVAL_FLOATS // max(1, per_row))
    total = torch.zeros(len(run), dtype=torch.float64, device=X.device)
    losses = torch.zeros_like(total) if with_loss else None
    for start in range(0, X.shape[0], rows):
        out = run.model.forward(weights, X[start : start + rows], None)
        target = y[start : start + rows]
        part = None if mask is None else mask[:, start : start + rows]
        if losses is not None and part is None:
            losses += mean_loss(data.task, out, target).double() * target.shape[0]
        elif losses is not None:
            losses += mean_loss(data.task, out, target, part.to(out.dtype)).double() * part.sum(1)
        if part is not None:
            total += (_scores(data.task, out, target) * part).sum(1)
        elif data.task == "regression":
            total += (out - target.T).square().sum(dim=(1, 2)).double()
        elif out.shape[1] == 1:
            total += ((out[:, 0] > 0).long() == target).sum(1).double()
        else:
            total += (out.argmax(1) == target).sum(1).double()
    count = torch.full_like(total, X.shape[0]) if mask is None else mask.sum(1)
    scale = count * (y.shape[1] if data.task == "regression" else 1)
    return total / scale, None if losses is None else losses / count
