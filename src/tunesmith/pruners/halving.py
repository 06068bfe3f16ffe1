"""Successive halving and Hyperband: keep the top 1/eta of trials at each rung of resource."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunesmith.pruners.base import Pruner, single_direction
from tunesmith.ranking import loss
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import AnyOf, Integer, OneOf, check_params, param_error

__all__ = ["SuccessiveHalving", "Hyperband"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class SuccessiveHalving(Pruner):
    """Asynchronous successive halving (Li et al. 2018, "A System for Massively Parallel
    Hyperparameter Tuning", ASHA).

    Rung k sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    When a report first reaches a rung, the trial's value there (at its first step at or past
    the rung) is ranked among the values of the finished trials that reached the rung; the trial
    goes on iff it is in the top ``max(1, n // reduction_factor)`` of those ``n`` values (its own
    included), else it is pruned. Call ``should_prune()`` after every report: a rung is judged
    once, at the report that reaches it.

    Args:
        min_resource: The step of the first rung (with ``min_early_stopping_rate=0``).
        reduction_factor: eta: the top 1/eta of a rung goes on (at least 2).
        min_early_stopping_rate: Rungs skipped at the start.
    """

    _parameters = {
        "min_resource": Integer(1),
        "reduction_factor": Integer(2),
        "min_early_stopping_rate": Integer(0),
    }

    def __init__(
        self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0
    ):
        check_params("SuccessiveHalving", self._parameters, locals())
        self.min_resource = int(min_resource)
        self.reduction_factor = int(reduction_factor)
        self.min_early_stopping_rate = int(min_early_stopping_rate)

    def rung(self, k: int) -> int:
        """The step of rung ``k``.

        Args:
            k: The rung, from 0.

        Returns:
            ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
        """
        return self.min_resource * self.reduction_factor ** (self.min_early_stopping_rate + k)

    def prune(
        self, trial: FrozenTrial, history: Sequence[FrozenTrial], directions: Sequence[str]
    ) -> bool:
        direction = single_direction("SuccessiveHalving", directions)
        steps = sorted(trial.intermediate)
        if not steps:
            return False
        previous = steps[-2] if len(steps) > 1 else -1
        k = 0
        while (resource := self.rung(k)) <= steps[-1]:
            if resource > previous:  # this report reached rung k
                value = loss(_value_at(trial, resource), direction)
                others = [
                    loss(_value_at(t, resource), direction)
                    for t in history
                    if t.state in _FINISHED
                    and t.number != trial.number
                    and (t.last_step or -1) >= resource
                ]
                if not _promotable(value, others, self.reduction_factor):
                    return True
            k += 1
        return False


def _value_at(trial: FrozenTrial, resource: int) -> float:
    """The trial's value at its first reported step at or past ``resource``."""
    if resource in trial.intermediate:
        return trial.intermediate[resource]
    return trial.intermediate[min(s for s in trial.intermediate if s >= resource)]


def _promotable(value: float, others: list[float], eta: int) -> bool:
    """Whether loss ``value`` is in the top ``max(1, n // eta)`` of itself and ``others``."""
    if math.isinf(value) and value > 0:
        return False
    ranked = sorted([*others, value])
    keep = max(1, len(ranked) // eta)
    return value <= ranked[keep - 1]


class Hyperband(Pruner):
    """Hyperband (Li et al. 2017, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
    Optimization") as brackets of asynchronous successive halving.

    There are ``floor(log_eta(max_resource / min_resource)) + 1`` brackets; bracket s starts
    halving at ``min_resource * eta ** s``. Trial number i belongs to a fixed bracket, cycling
    through them in proportion to Hyperband's bracket sizes ``ceil(B / (s' + 1) * eta ** s')``
    (s' halvings), and competes only with trials of its bracket. ``max_resource="auto"`` takes
    the largest last step of the completed trials; nothing is pruned before one completes.

    Args:
        min_resource: The step at which the most aggressive bracket first halves.
        max_resource: The largest step a trial reaches, or ``"auto"``.
        reduction_factor: eta: the top 1/eta of a rung goes on (at least 2).

    Raises:
        ValueError: ``max_resource`` is below ``min_resource``, or an argument breaks its rule.
    """

    _parameters = {
        "min_resource": Integer(1),
        "max_resource": AnyOf(OneOf("auto"), Integer(1)),
        "reduction_factor": Integer(2),
    }

    def __init__(
        self, min_resource: int = 1, max_resource: Any = "auto", reduction_factor: int = 3
    ):
        check_params("Hyperband", self._parameters, locals())
        if max_resource != "auto" and max_resource < min_resource:
            rule = f"'auto' or an int >= min_resource ({min_resource})"
            raise param_error("Hyperband", "max_resource", rule, max_resource)
        self.min_resource = int(min_resource)
        self.max_resource = max_resource if max_resource == "auto" else int(max_resource)
        self.reduction_factor = int(reduction_factor)
        self._layouts: dict[int, tuple[list[SuccessiveHalving], list[int]]] = {}

    def n_brackets(self, max_resource: int) -> int:
        """``floor(log_eta(max_resource / min_resource)) + 1``, in exact integer steps.

        Args:
            max_resource: The largest step a trial reaches.

        Returns:
            The number of brackets.
        """
        n, resource = 1, self.min_resource * self.reduction_factor
        while resource <= max_resource:
            n, resource = n + 1, resource * self.reduction_factor
        return n

    def bracket(self, number: int, max_resource: int) -> int:
        """The bracket of trial ``number``.

        Args:
            number: The trial's number.
            max_resource: The largest step a trial reaches.

        Returns:
            The bracket, from 0.
        """
        cycle = self._layout(max_resource)[1]
        return cycle[number % len(cycle)]

    def prune(
        self, trial: FrozenTrial, history: Sequence[FrozenTrial], directions: Sequence[str]
    ) -> bool:
        single_direction("Hyperband", directions)
        history = list(history)
        max_resource = self._max_resource(history)
        if max_resource is None:
            return False
        halvings, cycle = self._layout(max_resource)
        mine = self.bracket(trial.number, max_resource)
        peers = [t for t in history if cycle[t.number % len(cycle)] == mine]
        return halvings[mine].prune(trial, peers, directions)

    def _max_resource(self, history: list[FrozenTrial]) -> int | None:
        if self.max_resource != "auto":
            return int(self.max_resource)
        steps = [
            t.last_step
            for t in history
            if t.state is TrialState.COMPLETE and t.last_step is not None
        ]
        return max(max(steps), self.min_resource) if steps else None

    def _layout(self, max_resource: int) -> tuple[list[SuccessiveHalving], list[int]]:
        """The brackets' pruners and the cycle of bracket ids that trial numbers index."""
        if max_resource not in self._layouts:
            n, eta = self.n_brackets(max_resource), self.reduction_factor
            halvings = [SuccessiveHalving(self.min_resource, eta, s) for s in range(n)]
            sizes = [math.ceil(n / (n - s) * eta ** (n - 1 - s)) for s in range(n)]
            slots = sorted(
                ((i + 0.5) / size, s) for s, size in enumerate(sizes) for i in range(size)
            )
            self._layouts[max_resource] = (halvings, [s for _, s in slots])
        return self._layouts[max_resource]
