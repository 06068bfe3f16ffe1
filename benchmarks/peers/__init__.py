"""Peers of tunesmith as comparison runners: run them next to tunesmith's strategies.

    from benchmarks.peers import peer, PEER_NAMES
    compare.run(objective, space, strategies=["tpe", "genetic", peer("optuna-tpe")], ...)

Each runner imports its library only when it runs; ``unavailable()`` names the package to
install when it is missing, and ``compare.run`` then skips it with that message.
"""

from __future__ import annotations

from typing import Any

from .hyperopt_peer import HyperoptRunner
from .nevergrad_peer import NevergradRunner
from .optuna_peer import OptunaRunner
from .sklearn_peer import SklearnObjective, SklearnSearchRunner

__all__ = [
    "peer",
    "PEER_NAMES",
    "BLACK_BOX_PEERS",
    "SKLEARN_PEERS",
    "OptunaRunner",
    "HyperoptRunner",
    "NevergradRunner",
    "SklearnSearchRunner",
    "SklearnObjective",
]

BLACK_BOX_PEERS = (
    "optuna-tpe",
    "optuna-cmaes",
    "optuna-nsga2",
    "optuna-random",
    "optuna-grid",
    "hyperopt-tpe",
    "nevergrad-ngopt",
)
SKLEARN_PEERS = ("sklearn-grid", "sklearn-random")
PEER_NAMES = BLACK_BOX_PEERS + SKLEARN_PEERS


def peer(name: str) -> Any:
    """The runner named ``name`` (one of ``PEER_NAMES``)."""
    if name.startswith("optuna-"):
        return OptunaRunner(name.removeprefix("optuna-"))
    if name == "hyperopt-tpe":
        return HyperoptRunner()
    if name == "nevergrad-ngopt":
        return NevergradRunner("NGOpt")
    if name.startswith("sklearn-"):
        return SklearnSearchRunner(name.removeprefix("sklearn-"))
    raise ValueError(f"Unknown peer {name!r}; known: {', '.join(PEER_NAMES)}.")
