"""``TrainingOptions``: how a population trains, declared and checked in one place.

``train`` and ``objective`` take these as keyword arguments (``epochs=5, schedule="cosine"``)
or as one ``options=TrainingOptions(...)``; either way the values are checked once, against
``TABLE``, and a bad one raises ``ValueError`` naming the argument, the function it was given
to and the rule (``The 'epochs' parameter of train must be an int >= 1. Got 0 instead.``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass
from typing import Any

import torch

from tunesmith.population.data import resolve_device
from tunesmith.population.schedules import SCHEDULE_RULE, check_schedule, is_schedule, lr_schedule
from tunesmith.validation import (
    Boolean,
    Constraint,
    Integer,
    NoneOr,
    OneOf,
    Satisfies,
    check_params,
    is_int,
    param_error,
)

__all__ = ["TABLE", "TrainingOptions", "halving_rungs", "lr_schedule"]


def _is_class_weight(value: Any) -> bool:
    """None, "balanced", or a dict class -> finite weight >= 0."""
    if value is None or (isinstance(value, str) and value == "balanced"):
        return True
    if not isinstance(value, Mapping):
        return False
    for weight in value.values():
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            return False
        if not (math.isfinite(float(weight)) and float(weight) >= 0):
            return False
    return True


# name -> rule, in the order they are checked; ``device`` is checked by resolve_device after
TABLE: dict[str, Constraint] = {
    "epochs": Integer(1),
    "batch_size": NoneOr(Integer(1)),
    "seed": Integer(),
    "memory_budget": NoneOr(Satisfies(lambda v: is_int(v) and v > 0, "an int > 0 (bytes)")),
    "early_stopping": OneOf(None, "halving", "patience"),
    "eta": Integer(2),
    "min_epochs": Integer(1),
    "schedule": Satisfies(is_schedule, SCHEDULE_RULE),
    "dtype": OneOf(torch.float32, torch.float64),
    "patience": Integer(1),
    "restore_best": Boolean(),
    "monitor": OneOf(None, "val_loss"),
    "cv": NoneOr(Integer(2)),
    "class_weight": Satisfies(
        _is_class_weight, "None, 'balanced' or a dict class -> weight (a finite float >= 0)"
    ),
}


@dataclass(frozen=True)
class TrainingOptions:
    """The options of one population training run (all but the model, data and configs).

    Args:
        epochs: Epochs to train (int >= 1).
        batch_size: Minibatch size, None for full batches.
        device: "cpu", "cuda", "cuda:1" or a torch.device (kept as a torch.device).
        seed: The seed of the shared random streams (initial weights, minibatch order,
            dropout noise).
        memory_budget: Bytes one chunk may use, None for a share of the free device memory.
        early_stopping: None, "halving" (successive halving at epochs ``min_epochs · eta^k``,
            keeping the best ⌈n/eta⌉) or "patience" (a member stops once its validation
            metric has not improved for ``patience`` epochs).
        eta: The halving factor (int >= 2).
        min_epochs: The first halving rung (int >= 1).
        schedule: None, "cosine", "step", "exponential", "onecycle", "warmup_cosine" or a
            callable epoch -> factor (see ``schedules``).
        dtype: torch.float32 or torch.float64.
        patience: Epochs without improvement before "patience" stops a member.
        restore_best: With "patience", a member's weights go back to its best epoch's.
        monitor: None for accuracy or mse, "val_loss" for the validation loss.
        cv: None or k >= 2: k-fold cross-validation, each config trained as k members, one
            per held-out fold of the training data (not with "halving", nor with X_val).
        class_weight: None, "balanced" (n / (n_classes · count)) or a dict class -> weight,
            for classification.
        owner: Names the function the values were given to, in error messages; not kept.

    Raises:
        ValueError: An option breaks its rule; the message names it and ``owner``.
    """

    epochs: int = 10
    batch_size: int | None = 32
    device: Any = "cpu"
    seed: int = 0
    memory_budget: int | None = None
    early_stopping: str | None = None
    eta: int = 3
    min_epochs: int = 1
    schedule: str | Callable[[int], float] | None = None
    dtype: torch.dtype = torch.float32
    patience: int = 5
    restore_best: bool = True
    monitor: str | None = None
    cv: int | None = None
    class_weight: str | Mapping[Any, float] | None = None
    owner: InitVar[str] = "TrainingOptions"

    def __post_init__(self, owner: str) -> None:
        check_params(owner, TABLE, self.as_dict())
        check_schedule(self.schedule, owner)
        if self.cv is not None and self.early_stopping == "halving":
            raise param_error(owner, "cv", "None with early_stopping='halving'", self.cv)
        object.__setattr__(self, "device", resolve_device(self.device, owner))
        object.__setattr__(self, "restore_best", bool(self.restore_best))
        for name in ("epochs", "seed", "eta", "min_epochs", "patience"):
            object.__setattr__(self, name, int(getattr(self, name)))
        if self.cv is not None:
            object.__setattr__(self, "cv", int(self.cv))

    @classmethod
    def of(
        cls, owner: str, options: TrainingOptions | None, values: Mapping[str, Any]
    ) -> TrainingOptions:
        """``options`` (or the defaults) with ``values`` applied and checked.

        Args:
            owner: The function the values were given to as keyword arguments.
            options: The options to start from; None for the defaults.
            values: Option name -> value.

        Returns:
            The checked options (``options`` itself when ``values`` is empty).

        Raises:
            TypeError: An unknown keyword, as in any call.
            ValueError: ``options`` is not a TrainingOptions, or a value breaks its rule.
        """
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(
                f"{owner}() got an unexpected keyword argument {unknown[0]!r}; its training "
                f"options are {[f.name for f in dataclasses.fields(cls)]}."
            )
        if options is not None and not isinstance(options, cls):
            raise ValueError(
                f"The 'options' parameter of {owner} must be a TrainingOptions or None. "
                f"Got {options!r} instead."
            )
        if options is not None and not values:
            return options
        return dataclasses.replace(options or cls(), **values, owner=owner)

    def as_dict(self) -> dict[str, Any]:
        """The options by name.

        Returns:
            Option name -> value.
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def lr_scale(self) -> Callable[[int], float] | None:
        """The learning-rate factor of each epoch under ``schedule``.

        Returns:
            epoch -> factor; None without a schedule.
        """
        return lr_schedule(self.schedule, self.epochs)

    def rungs(self) -> list[int]:
        """The epochs at which successive halving ranks members.

        Returns:
            The rungs; [] unless ``early_stopping="halving"``.
        """
        if self.early_stopping != "halving":
            return []
        return halving_rungs(self.epochs, self.eta, self.min_epochs)


def halving_rungs(epochs: int, eta: int, min_epochs: int) -> list[int]:
    """Epochs at which successive halving ranks members: min_epochs · eta^k below ``epochs``."""
    rungs, rung = [], min_epochs
    while rung < epochs:
        rungs.append(rung)
        rung *= eta
    return rungs
