"""``TrainingOptions``: how a population trains, declared and checked in one place.

``train`` and ``objective`` take these as keyword arguments (``epochs=5, schedule="cosine"``)
or as one ``options=TrainingOptions(...)``; either way the values are checked once, against
``TABLE``, and a bad one raises ``ValueError`` naming the argument, the function it was given
to and the rule (``The 'epochs' parameter of train must be an int >= 1. Got 0 instead.``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass
from typing import Any

import torch

from tunesmith.population.data import resolve_device
from tunesmith.validation import (
    Constraint,
    Integer,
    NoneOr,
    OneOf,
    Satisfies,
    check_params,
    is_int,
)

__all__ = ["TABLE", "TrainingOptions", "halving_rungs", "lr_schedule"]

# name -> rule, in the order they are checked; ``device`` is checked by resolve_device after
TABLE: dict[str, Constraint] = {
    "epochs": Integer(1),
    "batch_size": NoneOr(Integer(1)),
    "seed": Integer(),
    "memory_budget": NoneOr(Satisfies(lambda v: is_int(v) and v > 0, "an int > 0 (bytes)")),
    "early_stopping": OneOf(None, "halving"),
    "eta": Integer(2),
    "min_epochs": Integer(1),
    "schedule": OneOf(None, "cosine"),
    "dtype": OneOf(torch.float32, torch.float64),
}


@dataclass(frozen=True)
class TrainingOptions:
    """The options of one population training run (all but the model, data and configs).

    epochs: epochs to train (int >= 1). batch_size: minibatch size, None for full batches.
    device: "cpu", "cuda", "cuda:1" or a torch.device (kept as a torch.device). seed: the
    seed of the shared random streams (initial weights, minibatch order, dropout noise).
    memory_budget: bytes one chunk may use, None for a share of the free device memory.
    early_stopping: None or "halving" (successive halving at epochs ``min_epochs · eta^k``,
    keeping the best ⌈n/eta⌉). schedule: None or "cosine" (every learning rate annealed to 0
    over ``epochs``). dtype: torch.float32 or torch.float64. ``owner`` names the function the
    values were given to, in error messages; it is not kept.
    """

    epochs: int = 10
    batch_size: int | None = 32
    device: Any = "cpu"
    seed: int = 0
    memory_budget: int | None = None
    early_stopping: str | None = None
    eta: int = 3
    min_epochs: int = 1
    schedule: str | None = None
    dtype: torch.dtype = torch.float32
    owner: InitVar[str] = "TrainingOptions"

    def __post_init__(self, owner: str) -> None:
        check_params(owner, TABLE, self.as_dict())
        object.__setattr__(self, "device", resolve_device(self.device, owner))
        for name in ("epochs", "seed", "eta", "min_epochs"):
            object.__setattr__(self, name, int(getattr(self, name)))

    @classmethod
    def of(
        cls, owner: str, options: TrainingOptions | None, values: Mapping[str, Any]
    ) -> TrainingOptions:
        """``options`` (or the defaults) with ``values`` given as keyword arguments to
        ``owner`` applied and checked; an unknown keyword is a TypeError, as in any call."""
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
        """The options by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def lr_scale(self) -> Callable[[int], float] | None:
        """The learning-rate factor of each epoch under ``schedule``."""
        return lr_schedule(self.schedule, self.epochs)

    def rungs(self) -> list[int]:
        """The epochs at which successive halving ranks members; [] without early stopping."""
        if self.early_stopping != "halving":
            return []
        return halving_rungs(self.epochs, self.eta, self.min_epochs)


def lr_schedule(name: str | None, epochs: int) -> Callable[[int], float] | None:
    """The learning-rate factor of each epoch: None (constant) or "cosine" annealing,
    ½ (1 + cos(π t / epochs)) in epoch t (Loshchilov & Hutter 2017, without restarts)."""
    if name is None:
        return None
    return lambda epoch: 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def halving_rungs(epochs: int, eta: int, min_epochs: int) -> list[int]:
    """Epochs at which successive halving ranks members: min_epochs · eta^k below ``epochs``."""
    rungs, rung = [], min_epochs
    while rung < epochs:
        rungs.append(rung)
        rung *= eta
    return rungs
