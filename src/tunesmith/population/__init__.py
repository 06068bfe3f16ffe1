"""Many models, each with its own hyperparameters, trained as one batched computation.

Every weight carries a leading population axis P; forward and backward passes are batched
matrix products, autograd gives every member its gradient from one backward pass of the summed
member losses, and members are updated by ``tunesmith.optim.functional`` rules with per-member
hyperparameters. ``train`` runs a population; ``objective`` turns it into a batched study
objective; both take their training options as keyword arguments or one ``TrainingOptions``.
Needs PyTorch: ``pip install "tunesmith[torch]"``.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only where torch is absent
    raise ImportError(
        'tunesmith.population needs PyTorch; install it with: pip install "tunesmith[torch]"'
    ) from exc

from tunesmith.population.cnn import CNN
from tunesmith.population.config import HYPERPARAMETERS, OPTIMIZERS
from tunesmith.population.memory import available_memory, estimate_bytes
from tunesmith.population.models import MLP, Linear, Logistic, Model
from tunesmith.population.objective import PopulationObjective, objective
from tunesmith.population.options import TrainingOptions
from tunesmith.population.results import MemberResult
from tunesmith.population.train import train

__all__ = [
    "CNN",
    "HYPERPARAMETERS",
    "Linear",
    "Logistic",
    "MLP",
    "MemberResult",
    "Model",
    "OPTIMIZERS",
    "PopulationObjective",
    "TrainingOptions",
    "available_memory",
    "estimate_bytes",
    "objective",
    "train",
]
