"""Gradient descent on the hyperparameters themselves, in the unit cube, with random restarts.

The optimizer's state (iterate, moments, learning rate, run) is never stored: it is replayed from
the finished batches of the history, so a study reloaded from storage continues exactly as it
would have. The replay is cached and extended batch by batch, so a normal call reads only the
batch that just finished.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tunesmith.space import Choice, Space
from tunesmith.strategies import _spsa
from tunesmith.strategies._batches import extends, next_batch, trial_key
from tunesmith.strategies.base import (
    Strategy,
    decode,
    encode,
    refuse_several_objectives,
    sample_unit,
    usable,
)
from tunesmith.trial import FrozenTrial
from tunesmith.validation import Integer, OneOf, Real, check_params

__all__ = ["GradientDescent"]

_GAMMA = 0.101  # decay exponent of the perturbation size c_k = c / (k + 1)^gamma (Spall 1998)


@dataclass(frozen=True)
class _Run:
    """One descent from a random start: the next iterate and what the steps so far learned."""

    x: np.ndarray  # the iterate the next batch evaluates (around)
    lr: float
    steps: int  # batches consumed in this run
    moments: Any  # optimizer state
    prev_loss: float  # the loss at the iterate of the last step taken
    best: float
    stall: int  # steps since ``best`` last improved by more than tol
    cats: dict[str, Any]  # Choice values held during the run


@dataclass
class _Replay:
    """The state after the finished batches before trial ``pos``; a cache, never authoritative."""

    signature: Any
    pos: int = 0
    run: _Run | None = None  # None: the next batch starts a run
    anchor: tuple[int, str] | None = None  # trial_key of the last trial consumed
    starts: list[int] = field(default_factory=list)  # first trial of every run so far


class GradientDescent(Strategy):
    """Multi-start gradient descent over the numeric parameters (Spall 1992 for SPSA).

    Each numeric parameter is a coordinate of the unit cube (log parameters are already log
    there); Int and stepped Float values are rounded when decoded. The gradient of the loss is
    estimated by SPSA, ``estimator="spsa"`` (one pair ``x ± c_k Δ``, Rademacher Δ, per step), by
    central differences, ``"central"`` (2d points per step), or read from the objective with
    ``"exact"``: the objective records ``trial.set_user_attr("gradient", {name: d value /
    d param})`` and the strategy turns it into a unit-cube gradient by the chain rule (d param /
    d u numerically from ``from_unit``, over one value's bin for discrete parameters), one point
    per step. Names left out of the mapping have derivative 0. Perturbations are
    ``c_k = perturbation / (k + 1)^0.101`` (Spall 1998), at least one value's bin wide.

    Steps follow ``optimizer="adam"`` (Kingma & Ba 2015, ``beta1 = momentum``) or heavy-ball
    ``"momentum"`` (Polyak 1964; its steps scale with the objective, Adam's do not). Every batch
    evaluates the iterate itself, so the loss compared between steps is measured, not estimated,
    and every iterate is a trial. When the loss got worse than at the previous iterate the
    direction was wrong: the learning rate halves and the moments start afresh (bold driver,
    Vogl et al. 1988). After ``patience`` steps without improving the run's best loss by more
    than ``tol`` (relative) the run ends, and the next starts from a uniform
    random point with fresh moments and ``lr`` (multi-start: one descent stops at the first local
    minimum). Choice parameters are drawn with the start point and held fixed for the run.

    Each call proposes one batch, to be evaluated together in population mode: the iterate (a
    run's random start point first), then its 2 (SPSA) or 2d (central) perturbations, none with
    ``"exact"``; it returns [] while the batch is unfinished. Failed and pruned trials are
    missing data: a batch without the iterate's loss or without a gradient (a failed or pruned
    member, an ``"exact"`` iterate with no usable gradient) is proposed again around the same
    iterate with new perturbations, and counts as a step without improvement, so an iterate that
    keeps failing ends its run after ``patience`` tries; a start point that fails starts another
    run at once. Trials outside the strategy's batches (enqueued, other strategies, retries) are
    ignored. One objective only; a space of Choice parameters only is searched at random.

    Args:
        lr: The first learning rate of each run, in the unit cube (> 0).
        estimator: ``"spsa"``, ``"central"`` or ``"exact"``.
        optimizer: ``"adam"`` or ``"momentum"``.
        momentum: Adam's beta1, or the heavy-ball momentum, in [0, 1).
        beta2: Adam's beta2, in [0, 1).
        perturbation: c, the size of the first perturbation, in (0, 0.5].
        patience: Steps without improving the run's best loss by more than ``tol`` that end it.
        tol: The relative improvement that counts.

    Examples:
        >>> import tunesmith as ts
        >>> gd = ts.strategies.GradientDescent(lr=0.05, estimator="central")
        >>> study = ts.create_study(space={"x": ts.Float(-2, 2)}, strategy=gd, seed=0)
        >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2, n_trials=30)
    """

    name = "gradient"
    _parameters = {
        "lr": Real(0, closed="right"),
        "estimator": OneOf("spsa", "central", "exact"),
        "optimizer": OneOf("adam", "momentum"),
        "momentum": Real(0, 1, closed="left"),
        "beta2": Real(0, 1, closed="left"),
        "perturbation": Real(0, 0.5, closed="right"),
        "patience": Integer(1),
        "tol": Real(0),
    }

    def __init__(
        self,
        lr: float = 0.1,
        estimator: str = "spsa",
        optimizer: str = "adam",
        momentum: float = 0.9,
        beta2: float = 0.999,
        perturbation: float = 0.05,
        patience: int = 10,
        tol: float = 1e-4,
    ):
        check_params("GradientDescent", self._parameters, locals())
        self.lr = float(lr)
        self.estimator = str(estimator)
        self.optimizer = str(optimizer)
        self.momentum = float(momentum)
        self.beta2 = float(beta2)
        self.perturbation = float(perturbation)
        self.patience = int(patience)
        self.tol = float(tol)
        self._cache: _Replay | None = None

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """One objective only; any space (define-by-run included) is searched.

        Args:
            space: The study's space (empty: define-by-run); every space is accepted.
            directions: The study's directions, one per objective.

        Raises:
            ValueError: When there is more than one direction.
        """
        refuse_several_objectives(self.name, directions)

    # -- proposing ------------------------------------------------------------------------
    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        self.check(space, self.directions)
        if not space:  # define-by-run, nothing complete yet: the trial draws its own params
            return [{}]
        ordered = dict(sorted(space.items()))  # inferred spaces list names in finishing order
        numeric = {k: d for k, d in ordered.items() if not isinstance(d, Choice)}
        if not numeric:
            return sample_unit(space, n, rng)
        replay, waiting = self._replay(history, ordered, numeric)
        if waiting:
            return []
        if replay.run is None:
            batch = self._start_batch(ordered, numeric, rng)
        else:
            batch = self._step_batch(replay.run, numeric, rng)
        return [{name: params[name] for name in space} for params in batch]

    def _start_batch(
        self, space: Space, numeric: Space, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """A uniform random start point, then its perturbations."""
        start = decode(rng.random(len(space)), space)
        cats = {k: v for k, v in start.items() if k not in numeric}
        points = self._perturbations(encode(start, numeric), 0, numeric, rng)
        return [start] + [{**decode(p, numeric), **cats} for p in points]

    def _step_batch(
        self, run: _Run, numeric: Space, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """The iterate, then its perturbations."""
        points = [run.x, *self._perturbations(run.x, run.steps, numeric, rng)]
        return [{**decode(p, numeric), **run.cats} for p in points]

    def _perturbations(
        self, x: np.ndarray, step: int, numeric: Space, rng: np.random.Generator
    ) -> list[np.ndarray]:
        if self.estimator == "exact":
            return []
        c = self.perturbation / (step + 1) ** _GAMMA
        widths = np.array([_spsa.resolution(d, float(u)) for d, u in zip(numeric.values(), x)])
        if self.estimator == "central":
            return _spsa.central_points(x, c, widths)
        return _spsa.spsa_points(x, c, widths, rng)

    def run_starts(self, history: Sequence[FrozenTrial], space: Space) -> list[int]:
        """Numbers of the trials where the runs began (their start points), from the history.

        The history is replayed as :meth:`propose` replays it: a run begins with the first
        batch, and again after a run ends (``patience`` steps without improvement) or a start
        point has no loss.

        Args:
            history: The study's trials, as :meth:`propose` receives them.
            space: The study's space; the runs descend over its numeric parameters.

        Returns:
            The number of each run's first trial (its start point, which got a loss), in
            order; [] for a space of Choice parameters only.
        """
        ordered = dict(sorted(space.items()))
        numeric = {k: d for k, d in ordered.items() if not isinstance(d, Choice)}
        if not numeric:
            return []
        return list(self._replay(history, ordered, numeric)[0].starts)

    # -- replaying the history ------------------------------------------------------------
    def _replay(
        self, history: Sequence[FrozenTrial], space: Space, numeric: Space
    ) -> tuple[_Replay, bool]:
        """The state after the finished batches, and whether a batch is still unfinished."""
        signature = (tuple(space.items()), tuple(self.directions))
        cache = self._cache
        if (
            cache is None
            or cache.signature != signature
            or not extends(history, cache.pos, cache.anchor)
        ):
            cache = self._cache = _Replay(signature)
        while True:
            members, end, waiting = next_batch(history, cache.pos)
            if waiting or members is None:
                cache.pos = end
                return cache, waiting
            starting = cache.run is None
            cache.run = self._consume(cache.run, members, space, numeric)
            if starting and cache.run is not None:
                cache.starts.append(members[0].number)
            cache.pos = end
            cache.anchor = trial_key(members[-1])

    def _batch_size(self, d: int) -> int:
        return 1 + {"spsa": 2, "central": 2 * d, "exact": 0}[self.estimator]

    def _consume(
        self, run: _Run | None, members: list[FrozenTrial], space: Space, numeric: Space
    ) -> _Run | None:
        """The run after one finished batch (unchanged when the batch is not one of ours)."""
        if len(members) != self._batch_size(len(numeric)):
            return run
        if not all(usable(m, space) for m in members):
            return run
        if run is None:
            return self._begin(members, space, numeric)
        return self._advance(run, *self._estimate(members, numeric, run.x))

    def _begin(self, members: list[FrozenTrial], space: Space, numeric: Space) -> _Run | None:
        """A run from its start batch; None (start again) when the start point has no loss."""
        x0 = encode(members[0].params, numeric)
        loss, g = self._estimate(members, numeric, x0)
        if loss is None:
            return None
        run = _Run(
            x=x0,
            lr=self.lr,
            steps=0,
            moments=_spsa.init_moments(self.optimizer, len(x0)),
            prev_loss=math.inf,
            best=math.inf,
            stall=0,
            cats={k: members[0].params[k] for k in space if k not in numeric},
        )
        return self._advance(run, loss, g)

    def _advance(self, run: _Run, loss: float | None, g: np.ndarray | None) -> _Run | None:
        """The run after one batch; None once it has gone ``patience`` steps without improving.

        Loss worse than at the previous iterate: the direction was wrong, so the learning rate
        halves and the moments start afresh (bold driver, Vogl et al. 1988). A batch without a
        loss or a gradient is missing data: the same iterate again, with new perturbations.
        """
        if g is None or loss is None:
            retry = replace(run, steps=run.steps + 1, stall=run.stall + 1)
            return self._checked(retry if loss is None else self._scored(retry, loss, run.stall))
        worse = loss > run.prev_loss
        lr = run.lr / 2 if worse else run.lr
        moments = _spsa.init_moments(self.optimizer, len(g)) if worse else run.moments
        direction, moments = _spsa.descent_direction(
            self.optimizer, g, moments, self.momentum, self.beta2
        )
        new = replace(
            run,
            x=np.clip(run.x - lr * direction, 0.0, 1.0),
            lr=lr,
            steps=run.steps + 1,
            moments=moments,
            prev_loss=loss,
        )
        return self._checked(self._scored(new, loss, run.stall))

    def _scored(self, run: _Run, loss: float, stall: int) -> _Run:
        """The run with ``loss`` counted: the stall count resets when it beats the best by tol."""
        improved = not math.isfinite(run.best) or loss < run.best - self.tol * abs(run.best)
        return replace(run, best=min(run.best, loss), stall=0 if improved else stall + 1)

    def _checked(self, run: _Run) -> _Run | None:
        return None if run.stall >= self.patience else run

    def _estimate(
        self, members: Sequence[FrozenTrial], numeric: Space, x: np.ndarray
    ) -> tuple[float | None, np.ndarray | None]:
        return _spsa.batch_estimate(members, numeric, x, self.directions, self.estimator)
