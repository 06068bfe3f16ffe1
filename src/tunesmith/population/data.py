"""Training data for a population: checked inputs on the device, the shared minibatch order.

Every member sees the same minibatches in the same order, drawn from the seed and the epoch
alone, and the same dropout noise stream: a member trains as it would alone, whatever the
population around it or the chunk it runs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from tunesmith.population.models import Model
from tunesmith.population.weighting import training_weights

__all__ = ["TrainingData", "cv_folds", "derive_seed", "resolve_device"]


def derive_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed for one random stream of a run (init, order, noise), from the run's seed."""
    state = np.random.SeedSequence([int(seed), *keys]).generate_state(2, np.uint32)
    return int(state[0]) << 31 ^ int(state[1])


def cv_folds(n: int, k: int, seed: int) -> Tensor:
    """Each of ``n`` samples' fold among ``k``: the samples in a seeded random order dealt
    out in turn, so fold sizes differ by at most one."""
    generator = torch.Generator().manual_seed(derive_seed(seed, 3))
    out = torch.empty(n, dtype=torch.long)
    out[torch.randperm(n, generator=generator)] = torch.arange(n) % k
    return out


def resolve_device(device: Any, owner: str = "train") -> torch.device:
    """A torch.device from "cpu", "cuda", "cuda:1" or a device; CUDA must be available."""
    try:
        out = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"The 'device' parameter of {owner} must be 'cpu', 'cuda' or a torch.device. "
            f"Got {device!r} instead."
        ) from None
    if out.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"The 'device' parameter of {owner} is {device!r}, but no CUDA device is available "
            "(torch.cuda.is_available() is False)."
        )
    if out.type not in ("cpu", "cuda"):
        raise ValueError(
            f"The 'device' parameter of {owner} must be 'cpu' or 'cuda'. Got {device!r} instead."
        )
    return out


def _numbers(name: str, value: Any, owner: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = np.asarray(value, dtype=object)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an array of numbers. "
            f"Got an array of dtype {array.dtype} instead."
        )
    if array.ndim < 2 or array.shape[0] == 0:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a 2-D array (n_samples, n_features) "
            f"with n_samples >= 1. Got an array of shape {array.shape} instead."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"The {name!r} parameter of {owner} must not contain NaN or inf.")
    return array


def _targets(name: str, value: Any, n: int, owner: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.ndim not in (1, 2) or array.shape[0] != n:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a 1-D array with one entry per sample "
            f"({n}). Got an array of shape {array.shape} instead."
        )
    return array


class TrainingData:
    """Inputs and targets on the device, the epoch's minibatches, the dropout noise stream."""

    def __init__(
        self,
        model: Model,
        X: Any,
        y: Any,
        X_val: Any,
        y_val: Any,
        batch_size: int | None,
        seed: int,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
        owner: str = "train",
        sample_weight: Any = None,
        class_weight: Any = None,
        cv: int | None = None,
    ):
        if (X_val is None) != (y_val is None):
            raise ValueError(f"Give both 'X_val' and 'y_val' to {owner}, or neither.")
        self.seed, self.device, self.dtype = seed, device, dtype
        x = _numbers("X", X, owner)
        targets = _targets("y", y, x.shape[0], owner)
        self.input_shape = model.input_shape(x.shape)
        x_val, val_targets = x, targets
        if X_val is not None:
            x_val = _numbers("X_val", X_val, owner)
            if model.input_shape(x_val.shape) != self.input_shape:
                raise ValueError(
                    f"The 'X_val' parameter of {owner} must have the features of X "
                    f"{x.shape[1:]}. Got shape {x_val.shape} instead."
                )
            val_targets = _targets("y_val", y_val, x_val.shape[0], owner)
        self.task = model.task
        self.target_ndim = targets.ndim
        self.classes: np.ndarray | None = None
        if self.task == "classification":
            y_t, yv_t, n_targets = self._labels(targets, val_targets, X_val is not None, owner)
        else:
            y_t, yv_t, n_targets = self._values(targets, val_targets, owner)
        self.n_outputs = model.n_outputs(n_targets)
        self.n = x.shape[0]
        self.batch_size = self.n if batch_size is None else min(int(batch_size), self.n)
        shape = (-1, *self.input_shape)
        self.X = torch.as_tensor(x, dtype=dtype).reshape(shape).to(device)
        self.y = y_t.to(device)
        self.X_val = self.X if X_val is None else torch.as_tensor(x_val, dtype=dtype)
        self.X_val = self.X_val.reshape(shape).to(device)
        self.y_val = yv_t.to(device)
        self._epoch_cache: tuple[int, Tensor, Tensor] | None = None
        self._set_weights(sample_weight, class_weight, y_t, owner)
        self._set_folds(cv, X_val is not None, owner)

    def _set_folds(self, cv: int | None, validation: bool, owner: str) -> None:
        """Each training sample's fold under k-fold cross-validation (None without)."""
        self.fold_of: Tensor | None = None
        if cv is None:
            return
        if validation:
            raise ValueError(f"Give 'X_val' and 'y_val' to {owner}, or 'cv', not both.")
        if cv > self.n:
            raise ValueError(
                f"The 'cv' parameter of {owner} must be at most the number of training "
                f"samples ({self.n}). Got {cv!r} instead."
            )
        self.fold_of = cv_folds(self.n, cv, self.seed).to(self.device)

    def _set_weights(self, sample_weight: Any, class_weight: Any, y: Tensor, owner: str) -> None:
        """Each training sample's weight in the training loss (None: all alike), weighting.py."""
        weights = training_weights(sample_weight, class_weight, self.task, y, self.classes, owner)
        self.weights = None
        if weights is not None:
            self.weights = torch.as_tensor(weights, dtype=self.dtype).to(self.device)
        self._weight_cache: tuple[int, Tensor | None, Tensor | None] | None = None

    def _labels(
        self, y: np.ndarray, y_val: np.ndarray, separate: bool, owner: str
    ) -> tuple[Tensor, Tensor, int]:
        if y.ndim != 1 or y_val.ndim != 1:
            raise ValueError(
                f"The 'y' parameter of {owner} must be a 1-D array of class labels. "
                f"Got an array of shape {y.shape} instead."
            )
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError(
                f"The 'y' parameter of {owner} must hold class labels for classification; "
                "got continuous values (use Linear, or MLP(task='regression'))."
            )
        classes = np.unique(np.concatenate([y, y_val]) if separate else y)
        if len(classes) < 2:
            raise ValueError(
                f"The 'y' parameter of {owner} must hold at least 2 classes. "
                f"Got {classes.tolist()!r} instead."
            )
        self.classes = classes
        as_index = lambda a: torch.as_tensor(np.searchsorted(classes, a), dtype=torch.long)  # noqa: E731
        return as_index(y), as_index(y_val), len(classes)

    def _values(self, y: np.ndarray, y_val: np.ndarray, owner: str) -> tuple[Tensor, Tensor, int]:
        for name, a in (("y", y), ("y_val", y_val)):
            if a.dtype.kind not in "biuf" or not np.isfinite(a).all():
                raise ValueError(
                    f"The {name!r} parameter of {owner} must hold finite numbers for regression."
                )
        if y.shape[1:] != y_val.shape[1:]:
            raise ValueError(f"The 'y_val' parameter of {owner} must have the columns of y.")
        column = lambda a: torch.as_tensor(a, dtype=self.dtype).reshape(a.shape[0], -1)  # noqa: E731
        return column(y), column(y_val), 1 if y.ndim == 1 else y.shape[1]

    def order(self, epoch: int) -> Tensor:
        """The permutation of the training samples for ``epoch``: a function of seed and epoch."""
        generator = torch.Generator().manual_seed(derive_seed(self.seed, 1, epoch))
        return torch.randperm(self.n, generator=generator)

    def batches(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        """The epoch's minibatches (the last one may be smaller), in the shared order."""
        if self._epoch_cache is None or self._epoch_cache[0] != epoch:
            perm = self.order(epoch).to(self.device)
            self._epoch_cache = (epoch, self.X[perm], self.y[perm])
        _, x, y = self._epoch_cache
        for start in range(0, self.n, self.batch_size):
            yield x[start : start + self.batch_size], y[start : start + self.batch_size]

    def weighted_batches(
        self, epoch: int, folds: Tensor | None = None
    ) -> Iterator[tuple[Tensor, Tensor, Tensor | None]]:
        """The epoch's minibatches with each sample's training weight (None without weights);
        with ``folds`` (one per member), weights (P, B) that are 0 in a member's own fold."""
        if self._weight_cache is None or self._weight_cache[0] != epoch:
            perm = self.order(epoch).to(self.device)
            weights = self.weights if self.weights is None else self.weights[perm]
            fold_of = self.fold_of if self.fold_of is None else self.fold_of[perm]
            self._weight_cache = (epoch, weights, fold_of)
        _, weights, fold_of = self._weight_cache
        for start, (x, y) in zip(range(0, self.n, self.batch_size), self.batches(epoch)):
            stop = start + self.batch_size
            w = None if weights is None else weights[start:stop]
            if folds is not None and fold_of is not None:
                outside = (fold_of[start:stop].unsqueeze(0) != folds.unsqueeze(1)).to(x.dtype)
                w = outside if w is None else outside * w
            yield x, y, w

    def in_fold(self, folds: Tensor) -> Tensor:
        """(P, n) bool: whether each training sample lies in each member's fold."""
        assert self.fold_of is not None
        return self.fold_of.unsqueeze(0) == folds.unsqueeze(1)

    def total_weight(self, folds: Tensor | None) -> Tensor:
        """The training samples' total weight, per member outside its fold with ``folds``."""
        weights = torch.ones(self.n, dtype=self.dtype, device=self.device)
        weights = weights if self.weights is None else self.weights
        if folds is None:
            return weights.sum()
        return (~self.in_fold(folds) * weights).sum(1)

    def noise(self, epoch: int) -> torch.Generator:
        """The generator of the epoch's dropout noise, on the device."""
        return torch.Generator(device=self.device).manual_seed(derive_seed(self.seed, 2, epoch))

    def init_generator(self) -> torch.Generator:
        """The generator of the initial weights (CPU, so every device starts alike)."""
        return torch.Generator().manual_seed(derive_seed(self.seed, 0))
