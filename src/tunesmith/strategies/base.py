"""The strategy contract: propose parameter sets from the history, in the unit cube.

A strategy never touches storage and never runs an objective. A study works on its own copy of
the strategy it is given (``for_directions``), so one instance can serve many studies. The
study tags every trial with the ``batch`` it was proposed in (the number of the first trial of
that ``propose`` call), so a strategy can tell its generations apart without keeping state of
its own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from tunesmith.ranking import completed, sign
from tunesmith.space import Distribution, Space
from tunesmith.trial import FrozenTrial
from tunesmith.validation import Constraint

__all__ = [
    "Strategy",
    "refuse_several_objectives",
    "signed_values",
    "params_key",
    "completed",
    "encode",
    "decode",
    "sample_unit",
]


class Strategy:
    """Base class: ``propose(history, space, n, rng) -> list[dict]``.

    Returning fewer than ``n`` dicts (or none) is allowed: an empty list while trials are still
    running means "wait for them"; an empty list with nothing running means "exhausted".
    """

    name = "strategy"
    directions: tuple[str, ...] = ("minimize",)
    # False for strategies that learn nothing from the values of the history (random search):
    # they get only the declared space, and define-by-run parameters are drawn per trial and
    # name, so the same seed gives the same trials however many run at once.
    learns_space = True
    # The constructor's parameters, name -> rule, checked by ``check_params`` in ``__init__``.
    _parameters: ClassVar[Mapping[str, Constraint]] = {}

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """Propose up to ``n`` parameter sets from the history (the strategy contract).

        Args:
            history: Every trial of the study so far, by number, with its ``batch``.
            space: Parameter name -> distribution (the declared or the inferred space).
            n: The most parameter sets wanted.
            rng: The study's random stream for this call.

        Returns:
            Up to ``n`` parameter dicts; [] means "wait" while trials run, else "exhausted".
        """
        raise NotImplementedError

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """Raise ValueError, naming the strategy and the rule, when it cannot run on ``space``.

        The base class accepts every space and any number of directions.

        Args:
            space: The study's space (empty: define-by-run, the objective suggests its
                parameters).
            directions: The study's directions, one per objective.

        Raises:
            ValueError: The strategy cannot run on this space or these directions.
        """
        return None

    def for_directions(self, directions: Sequence[str]) -> Strategy:
        """A copy of this strategy set up for a study's ``directions``; ``self`` is unchanged.

        Args:
            directions: The study's directions, one per objective.

        Returns:
            The copy.
        """
        own = copy.deepcopy(self)
        own.directions = tuple(directions)
        return own

    def plan(self, n_trials: int | None) -> None:
        """Hear the budget of the coming ``optimize`` call (optional; most ignore it).

        Args:
            n_trials: The ``n_trials`` of the coming ``optimize`` call; None for no limit.
        """
        return None

    def __repr__(self) -> str:
        fields = {
            k: v for k, v in vars(self).items() if not k.startswith("_") and k != "directions"
        }
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({args})"


def refuse_several_objectives(name: str, directions: Sequence[str]) -> None:
    """The rule of the single-objective strategies: exactly one direction."""
    if len(directions) != 1:
        raise ValueError(
            f"Strategy {name!r} optimizes one objective; this study has {len(directions)} "
            "directions: use 'nsga2', 'tpe' or 'random'."
        )


def signed_values(trial: FrozenTrial, directions: Sequence[str]) -> tuple[float, ...]:
    """The trial's values turned into losses (maximized objectives negated)."""
    assert trial.values is not None
    return tuple(sign(d) * v for v, d in zip(trial.values, directions))


def params_key(params: dict[str, Any]) -> str:
    """A canonical text form of a parameter set, for duplicate detection."""
    return json.dumps(params, sort_keys=True, default=str)


def encode(params: dict[str, Any], space: Space) -> np.ndarray:
    """Parameters to a point of the unit cube (names in the space's order)."""
    return np.array([dist.to_unit(params[name]) for name, dist in space.items()], dtype=float)


def decode(u: np.ndarray, space: Space) -> dict[str, Any]:
    """A point of the unit cube to parameters (integers rounded, choices binned)."""
    return {name: dist.from_unit(float(x)) for (name, dist), x in zip(space.items(), u)}


def sample_unit(space: Space, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """``n`` uniform draws in the unit cube, decoded (log-uniform for log parameters)."""
    return [decode(row, space) for row in rng.random((n, len(space)))]


def usable(trial: FrozenTrial, space: Space) -> bool:
    """Whether a trial has a value for every parameter of ``space``, each inside its range."""
    return all(
        name in trial.params and _fits(dist, trial.params[name]) for name, dist in space.items()
    )


def _fits(dist: Distribution, value: Any) -> bool:
    return dist.contains(value)
