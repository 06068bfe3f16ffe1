"""k-fold cross-validation as a population axis: one config's k fold members, one result.

Each config is trained as k members that differ only in the fold of the training data they
hold out (sample weights 0 there, in the training loss) and are measured on (``data.cv_folds``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tunesmith.population.results import MemberResult

__all__ = ["combine_folds"]


def _mean(values: list[float | None]) -> float | None:
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return float(np.mean([float(v) for v in values if v is not None]))


def combine_folds(folds: list[MemberResult]) -> MemberResult:
    """One config's result from its fold members: accuracy / mse and val_loss the mean over
    the folds (``cv_scores`` each fold's), the loss curve the mean over the epochs every fold
    trained; failed if a fold failed; pruned if one was; weights and model of fold 0."""
    first = folds[0]
    scores = [f.accuracy if f.accuracy is not None else f.mse for f in folds]
    length = min(len(f.loss_curve) for f in folds)
    curve = np.mean([f.loss_curve[:length] for f in folds], axis=0) if length else []
    failed = [(i, f) for i, f in enumerate(folds) if f.failed]
    out = dataclasses.replace(
        first,
        loss_curve=[float(v) for v in curve],
        cv_scores=scores,
        folds=list(folds),
        pruned=any(f.pruned for f in folds),
        epochs=max(f.epochs for f in folds),
        val_loss=_mean([f.val_loss for f in folds]),
        best_epoch=None,
        stopped_epoch=None,
        intermediate={},
    )
    if failed:
        index, fold = failed[0]
        out.failed, out.error = True, f"Fold {index}: {fold.error}"
        out.accuracy = out.mse = out.val_loss = None
    elif first.accuracy is not None:
        out.accuracy = _mean(scores)
    else:
        out.mse = _mean(scores)
    return out
