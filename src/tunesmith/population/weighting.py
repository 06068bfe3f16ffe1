"""Per-sample training weights from ``sample_weight`` and ``class_weight``.

Sample i weighs w_i = s_i · c_{y_i} (a missing factor is 1), and a batch's training loss is
Σ w_i l_i / Σ w_i: the weighted mean that a class-weighted cross-entropy (Σ c_{y_i} l_i /
Σ c_{y_i}) and a weighted squared error define.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["mean_loss", "training_weights", "weighted_loss"]


def _sample_weight(value: Any, n: int, owner: str) -> np.ndarray:
    """The checked sample weights: n finite floats >= 0, not all 0."""
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    good = array.ndim == 1 and array.shape[0] == n and array.dtype.kind in "biuf"
    if not good or not np.isfinite(array).all() or (array < 0).any() or not array.sum() > 0:
        shape = getattr(array, "shape", None)
        raise ValueError(
            f"The 'sample_weight' parameter of {owner} must be a 1-D array of {n} finite "
            f"floats >= 0 (one per training sample), not all 0. Got an array of shape {shape} "
            f"and dtype {array.dtype} instead."
        )
    return array.astype(np.float64)


def _class_weight(value: Any, labels: np.ndarray, classes: np.ndarray, owner: str) -> np.ndarray:
    """Each training sample's class weight: "balanced" n / (n_classes · count of its class),
    or the dict's weight of its class (1 for a class the dict does not name)."""
    if isinstance(value, str):  # "balanced"
        counts = np.bincount(labels, minlength=len(classes)).astype(np.float64)
        per_class = len(labels) / (len(classes) * np.maximum(counts, 1.0))
        return per_class[labels]
    assert isinstance(value, Mapping)
    known = set(classes.tolist())
    unknown = [k for k in value if k not in known]
    if unknown:
        raise ValueError(
            f"The 'class_weight' parameter of {owner} must name classes of y "
            f"{sorted(known)}. Got {unknown[0]!r} instead."
        )
    per_class = np.array([float(value.get(c, 1.0)) for c in classes.tolist()])
    return per_class[labels]


def training_weights(
    sample_weight: Any,
    class_weight: Any,
    task: str,
    labels: Tensor,
    classes: np.ndarray | None,
    owner: str,
) -> np.ndarray | None:
    """The training samples' weights w_i = s_i · c_{y_i}, or None when neither is given.

    ``labels`` are the training targets as class indices (classification); ``class_weight``
    is refused for a regression model.
    """
    if sample_weight is None and class_weight is None:
        return None
    n = labels.shape[0]
    out = np.ones(n) if sample_weight is None else _sample_weight(sample_weight, n, owner)
    if class_weight is not None:
        if task != "classification" or classes is None:
            raise ValueError(
                f"The 'class_weight' parameter of {owner} must be None for a {task} model. "
                f"Got {class_weight!r} instead."
            )
        out = out * _class_weight(class_weight, labels.cpu().numpy(), classes, owner)
        if not out.sum() > 0:
            raise ValueError(
                f"The 'class_weight' parameter of {owner} must leave some training sample a "
                f"weight > 0. Got {class_weight!r} instead."
            )
    return out


def weighted_loss(task: str, out: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """Σ w_i l_i / Σ w_i per member (0 for a batch whose weights are all 0); ``weight`` is
    (B,) for every member, or (P, B) with one row per member."""
    members = out.shape[0]
    if task == "regression":
        per_sample = (out - target.T).square().mean(dim=1)
    elif out.shape[1] == 1:
        labels = target.to(out.dtype).expand(members, -1)
        per_sample = F.binary_cross_entropy_with_logits(out[:, 0], labels, reduction="none")
    else:
        per_sample = F.cross_entropy(out, target.expand(members, -1), reduction="none")
    total = weight.sum(-1)  # weights (B,) shared by every member, or (P, B) one row each
    return (per_sample * weight).sum(1) / torch.where(total > 0, total, 1.0)


def mean_loss(task: str, out: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Each member's mean loss over the batch from outputs (P, K, B): cross-entropy over the
    K classes, logistic loss for one output, or squared error for regression; with ``weight``
    (B,) or (P, B), the weighted mean Σ w_i l_i / Σ w_i."""
    members = out.shape[0]
    if weight is not None:
        return weighted_loss(task, out, target, weight)
    if task == "regression":
        return (out - target.T).square().mean(dim=(1, 2))
    if out.shape[1] == 1:
        labels = target.to(out.dtype).expand(members, -1)
        return F.binary_cross_entropy_with_logits(out[:, 0], labels, reduction="none").mean(1)
    return F.cross_entropy(out, target.expand(members, -1), reduction="none").mean(1)
