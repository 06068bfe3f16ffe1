"""The pruner contract: ``prune(trial, history, directions) -> bool``, plus shared helpers.

A pruner is asked from ``trial.should_prune()`` in the objective, with a snapshot of the trial
(its ``intermediate`` dict, step -> value, holds its reports so far) and the study's trials,
whose finished ones carry their own intermediate values. It keeps no state between calls: the
answer is a function of what it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from tunesmith.trial import FrozenTrial
from tunesmith.validation import Constraint

__all__ = ["Pruner", "single_direction"]


class Pruner:
    """Base class: ``prune(trial, history, directions)`` says whether to stop ``trial`` now."""

    # The constructor's parameters, name -> rule, checked by ``check_params`` in ``__init__``.
    _parameters: ClassVar[Mapping[str, Constraint]] = {}

    def prune(
        self, trial: FrozenTrial, history: Sequence[FrozenTrial], directions: Sequence[str]
    ) -> bool:
        """Whether to stop ``trial`` now (the pruner contract).

        Args:
            trial: A snapshot of the running trial, its reports in ``intermediate``.
            history: The study's trials; finished ones carry their intermediate values.
            directions: The study's directions.

        Returns:
            True to prune the trial.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({args})"


def single_direction(owner: str, directions: Sequence[str]) -> str:
    """The study's one direction; pruning several objectives at once has no single order."""
    if len(directions) != 1:
        raise ValueError(
            f"{owner} pruning needs a single-objective study; this one has "
            f"{len(directions)} directions."
        )
    return directions[0]
