"""BOHB: early stopping by Hyperband, proposals from a density model fitted on the largest budget
that has enough results (Falkner, Klein & Hutter 2018, "BOHB: Robust and Efficient
Hyperparameter Optimization at Scale", ICML).

A budget is a step the objective reports with ``trial.report(value, step)``; the returned values
of complete trials that reported nothing sit above every step. The strategy never reads the
pruner: it sees the steps the pruner let each trial reach, so it runs over Hyperband, successive
halving or any other pruner.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.ranking import loss
from tunesmith.space import Space
from tunesmith.strategies import parzen
from tunesmith.strategies.base import Strategy, decode, encode, refuse_several_objectives, usable
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import Boolean, Integer, NoneOr, Real, check_params

__all__ = ["BOHB", "FINAL", "model_budget", "observations"]

FINAL = math.inf
"""The budget of the returned values of complete trials that reported nothing: above every step."""
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class BOHB(Strategy):
    """BOHB (Falkner et al. 2018): a TPE-like model on the largest budget with enough results,
    for studies whose objective reports intermediate values to a Hyperband pruner.

    Each proposal is a uniform draw with probability ``random_fraction`` (the paper's 1/3), and
    also whenever no budget has ``min_points + 2`` observations yet. Otherwise the model is
    fitted on the observations at the largest such budget (``model_budget``): the value each
    finished trial (complete or pruned) reported at that step, or, at ``FINAL``, the returned
    values of complete trials that reported nothing. Of the ``n`` observations, the best
    ``max(min_points, ceil(gamma * n))`` shape the density l(x) and the worst
    ``max(min_points, n - that)`` the density g(x) (the two overlap when ``n`` is small, as in
    the paper); ``n_ei_candidates`` points drawn from l(x) with kernels ``bandwidth_factor``
    times wider compete on l(x) / g(x). Points proposed earlier in the same call count as bad,
    so a batch spreads out. With ``pruned_as_bad=True`` (tunesmith's addition, not the
    paper's) g(x) also holds every trial pruned before the budget, so proposals stay out of
    regions the pruner has already stopped.

    Use it with ``pruner=ts.pruners.Hyperband()`` (or ``SuccessiveHalving()``) and an objective
    that calls ``trial.report`` and ``trial.should_prune`` each step: the pruner stops poor
    trials early and the model learns from what they reported before stopping. Without a
    pruner every trial runs in full and BOHB is a TPE with a random fraction, fitted on the
    last reported step (or on the returned values when the objective reports nothing). One
    objective only.

    Args:
        random_fraction: Share of proposals drawn uniformly even when a model exists, in
            [0, 1].
        min_points: The fewest observations each density is fitted on (an int >= 2); a
            budget needs ``min_points + 2`` observations before the model is fitted there.
            None is the number of parameters + 1 (the paper's choice).
        gamma: Share of a budget's observations counted as good, in (0, 1).
        n_ei_candidates: Candidates drawn from l(x) per model-based proposal.
        bandwidth_factor: How much wider the kernels of l(x) are when drawing candidates
            (>= 1), so candidates explore around the good points.
        prior_weight: Weight of the flat prior kernel in both densities (> 0).
        pruned_as_bad: Whether trials pruned before the model's budget join g(x).

    Raises:
        ValueError: A setting breaks its rule; the message names it.

    Examples:
        >>> pruner = ts.pruners.Hyperband(min_resource=1, max_resource=27)
        >>> study = ts.create_study(strategy="bohb", pruner=pruner, space=space)  # doctest: +SKIP
    """

    name = "bohb"
    _parameters = {
        "random_fraction": Real(0, 1),
        "min_points": NoneOr(Integer(2)),
        "gamma": Real(0, 1, closed="neither"),
        "n_ei_candidates": Integer(1),
        "bandwidth_factor": Real(1),
        "prior_weight": Real(0, closed="right"),
        "pruned_as_bad": Boolean(),
    }

    def __init__(
        self,
        random_fraction: float = 1 / 3,
        min_points: int | None = None,
        gamma: float = 0.15,
        n_ei_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        prior_weight: float = 1.0,
        pruned_as_bad: bool = False,
    ):
        check_params("BOHB", self._parameters, locals())
        self.random_fraction = float(random_fraction)
        self.min_points = None if min_points is None else int(min_points)
        self.gamma = float(gamma)
        self.n_ei_candidates = int(n_ei_candidates)
        self.bandwidth_factor = float(bandwidth_factor)
        self.prior_weight = float(prior_weight)
        self.pruned_as_bad = bool(pruned_as_bad)
        self._last_budget: float | None = None

    @property
    def last_budget(self) -> float | None:
        """The budget the last proposal's model was fitted on: a step, ``FINAL`` for the
        returned values of complete trials, or None when no budget had enough results."""
        return self._last_budget

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """The rule of the pruners it runs with: exactly one objective.

        Args:
            space: The study's declared space (any space is accepted).
            directions: The study's directions.

        Raises:
            ValueError: More than one direction; the message names the strategy.
        """
        refuse_several_objectives(self.name, directions)

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """Up to ``n`` points: uniform with probability ``random_fraction`` or while no budget
        has ``min_points + 2`` observations, else the best l(x) / g(x) of the model's
        candidates (BOHB's rule, see the class).

        Args:
            history: Every trial of the study, by number.
            space: The declared space; empty for define-by-run (parameters then drawn as
                suggested).
            n: How many points to propose.
            rng: The generator seeded by the study seed and the first trial's number.

        Returns:
            ``n`` parameter sets.
        """
        self.check(space, self.directions)
        if not space:  # define-by-run: each parameter is drawn uniformly as it is suggested
            return [{} for _ in range(n)]
        least = self.min_points or len(space) + 1
        budget = model_budget(history, space, self.directions, least + 2)
        self._last_budget = budget
        model = None if budget is None else self._fit(history, space, budget, least)
        picks: list[np.ndarray] = []
        out = []
        for _ in range(n):
            if model is None or rng.random() < self.random_fraction:
                out.append(decode(rng.random(len(space)), space))
                continue
            point = self._pick(model, picks, rng)
            picks.append(point)
            out.append(decode(point, space))
        return out

    def _fit(
        self, history: Sequence[FrozenTrial], space: Space, budget: float, least: int
    ) -> _Model:
        """l(x) over the best observations at ``budget``, g(x) over the worst, each over at
        least ``least`` of them."""
        points, losses = observations(history, space, self.directions, budget)
        axes = parzen.Axes.of(tuple(space.values()))
        points = parzen.snap(points, axes)
        order = np.argsort(losses, kind="stable")
        k = max(least, math.ceil(self.gamma * len(order)))
        bad = points[order[-max(least, len(order) - k) :]]
        if self.pruned_as_bad:
            bad = np.vstack([bad, parzen.snap(_pruned_before(history, space, budget), axes)])
        l_est = parzen.fit(points[order[:k]], np.ones(k), axes, self.prior_weight)
        wide = dataclasses.replace(l_est, sigma=np.minimum(l_est.sigma * self.bandwidth_factor, 1))
        return _Model(axes, l_est, wide, bad)

    def _pick(self, model: _Model, picks: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """The candidate with the largest l(x) / g(x); earlier picks of the call count as bad."""
        bad = np.vstack([model.bad, *picks]) if picks else model.bad
        g_est = parzen.fit(bad, np.ones(len(bad)), model.axes, self.prior_weight)
        candidates = model.wide.sample(self.n_ei_candidates, rng)
        score = model.good.log_pdf(candidates) - g_est.log_pdf(candidates)
        return candidates[int(np.argmax(score))]


@dataclasses.dataclass(frozen=True)
class _Model:
    """The fitted good density, its widened copy for drawing candidates, the bad points."""

    axes: parzen.Axes
    good: parzen.Parzen
    wide: parzen.Parzen
    bad: np.ndarray


def model_budget(
    history: Sequence[FrozenTrial], space: Space, directions: Sequence[str], needed: int
) -> float | None:
    """The largest budget with at least ``needed`` observations (BOHB's rule), or None.

    A finished trial (complete or pruned) whose parameters fit ``space`` is observed at every
    step up to its last reported one; a complete trial that reported nothing is observed at
    ``FINAL``, above every step, with its returned value. So the largest step with ``needed``
    observations is the ``needed``-th largest last step.

    Args:
        history: The study's trials; running, waiting and failed ones are not counted.
        space: The declared space; trials with a parameter outside it are not counted.
        directions: The study's one direction.
        needed: Observations a budget needs.

    Returns:
        ``FINAL`` when ``needed`` trials completed without reports, else the step as a
        float, else None.
    """
    finished = [t for t in history if t.state in _FINISHED and usable(t, space)]
    if sum(_unreported(t) for t in finished) >= needed:
        return FINAL
    steps = sorted((t.last_step for t in finished if t.last_step is not None), reverse=True)
    return float(steps[needed - 1]) if len(steps) >= needed else None


def observations(
    history: Sequence[FrozenTrial], space: Space, directions: Sequence[str], budget: float
) -> tuple[np.ndarray, np.ndarray]:
    """The unit-cube points and losses observed at ``budget`` (see ``model_budget``).

    At a step, a trial's value is the one it reported at its first step at or past the budget
    (the value a rung of successive halving judges); at ``FINAL`` it is the returned value.
    Maximized values are negated and NaN counts as the worst loss.

    Args:
        history: The study's trials.
        space: The declared space, whose order the points' columns follow.
        directions: The study's one direction.
        budget: A step, or ``FINAL``.

    Returns:
        Points (n, dimensions) and losses (n,), in trial order.
    """
    points, losses = [], []
    for t in history:
        if t.state not in _FINISHED or not usable(t, space):
            continue
        if budget == FINAL:
            if not _unreported(t):
                continue
            value = t.values[0]  # type: ignore[index]
        elif t.last_step is None or t.last_step < budget:
            continue
        else:
            value = t.intermediate[min(s for s in t.intermediate if s >= budget)]
        points.append(encode(t.params, space))
        losses.append(loss(value, directions[0]))
    return np.array(points).reshape(len(points), len(space)), np.array(losses, dtype=float)


def _unreported(t: FrozenTrial) -> bool:
    """Whether ``t`` completed with a value and reported no intermediate value."""
    return t.state is TrialState.COMPLETE and t.values is not None and not t.intermediate


def _pruned_before(history: Sequence[FrozenTrial], space: Space, budget: float) -> np.ndarray:
    """The unit-cube points of the trials pruned before reaching ``budget``."""
    rows = [
        encode(t.params, space)
        for t in history
        if t.state is TrialState.PRUNED
        and usable(t, space)
        and (t.last_step is None or t.last_step < budget)
    ]
    return np.array(rows).reshape(len(rows), len(space))
