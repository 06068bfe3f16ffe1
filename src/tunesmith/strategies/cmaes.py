"""CMA-ES over the numeric parameters, in the unit cube, with IPOP or BIPOP restarts.

The CMA state is never stored: it is rebuilt by telling the finished generations of the history
to a fresh optimizer, so a study reloaded from storage continues exactly as it would have. The
optimizer is cached with the number of the next trial to read, so a normal call tells one
generation; any other history is replayed from scratch.
"""

from __future__ import annotations

import copy
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.space import Choice, Space
from tunesmith.strategies._batches import RunBudget, extends, next_batch, trial_key
from tunesmith.strategies.base import (
    Strategy,
    decode,
    encode,
    params_key,
    refuse_several_objectives,
    sample_unit,
    signed_values,
    usable,
)
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import Integer, NoneOr, OneOf, Real, check_params

__all__ = ["CMAES"]

_MIN_POPSIZE = 4  # the smallest population whose recombination weights are all defined


def _load_cma() -> type:
    try:
        from cmaes import CMA
    except ImportError as exc:
        raise ImportError(
            'CMAES needs the cmaes package; install it with pip install "tunesmith[cmaes]".'
        ) from exc
    return CMA


def default_popsize(d: int) -> int:
    """The default population 4 + floor(3 ln d) (Hansen 2016, "The CMA Evolution Strategy")."""
    return max(_MIN_POPSIZE, 4 + math.floor(3 * math.log(d)))


@dataclass
class _Replay:
    """The CMA state after the generations before trial ``pos``; a cache, never authoritative."""

    signature: Any
    mean: np.ndarray  # where the next run starts
    sigma: float  # and its step size
    popsize: int | None  # and its population (None: the first generation will set it)
    base: int | None  # the first run's population, which restarts grow
    pos: int = 0
    anchor: tuple[int, str] | None = None  # trial_key of the last trial told
    cma: Any = None  # None: the next generation starts a run
    runs: int = 0  # runs ended so far
    large_runs: int = 0  # IPOP doublings (BIPOP: runs in the large-population regime)
    small: bool = False  # whether the current run is in BIPOP's small-population regime
    evals: dict[bool, int] = field(default_factory=lambda: {False: 0, True: 0})


class CMAES(Strategy):
    """Covariance matrix adaptation evolution strategy (Hansen & Ostermeier 2001) via ``cmaes``.

    Int, Float and log parameters are coordinates of the unit cube (log ones already log there);
    Int and stepped Float values are rounded when decoded, and the optimizer is told the rounded
    points. Choice parameters are not adapted: every member draws them uniformly, so each
    option keeps being tried while the numeric part converges (a space of Choice parameters
    only is searched at random). The first run starts at the
    centre of the cube with step size ``sigma0`` (default 1/6 of each range: the box spans
    ±3 sigma) and ``population_size`` (default 4 + floor(3 ln d)). A run ends when the
    optimizer's own termination tests fire or a whole generation decodes to one point; with
    ``restart="ipop"`` the next run starts at a uniform random point with the population
    multiplied by ``inc_popsize`` (Auger & Hansen 2005); with
    ``"bipop"`` it alternates that regime with small populations and step sizes, whichever has
    used fewer evaluations (Hansen 2009); with None the run never ends. The random draws of a
    restart come from a generator seeded by the last generation's parameters, a function of the
    history, so reloading a study replays them.

    Without a ``population_size`` the population follows the batch: the first generation of a
    call for ``n`` trials (a batch of ``optimize(..., batch_size=n)``, or ``ask_batch(n)``) has
    ``n`` members when ``n`` exceeds the default (a smaller batch keeps the default, split over
    batches, and changes no trial), and the study keeps that size: read back from the history,
    it is the base that restarts grow, so a batched objective gets whole batches of its size
    (IPOP's larger populations span several batches; BIPOP's small ones give smaller batches).
    One batch never holds several generations: each needs the ranking of the one before.

    Generational: each call proposes a whole generation, sampled from a generator seeded by the
    study's rng, and returns [] while a member is unfinished. In a batched ``optimize`` call
    (one that asked for more than one trial at once) the last generation is cut to what is left
    of its budget (never below ``n``), so the run leaves no trial WAITING; a cut generation is
    evaluated but never told. One trial at a time, the rest of the last generation stays WAITING
    and the next run evaluates it first, so the generation is told whole. Failed and pruned
    members are ranked after every complete one (failed last); a generation without a complete
    member is skipped and sampled again. Trials outside the strategy's generations (enqueued, other
    strategies, retries) are ignored. One objective only. Needs ``pip install
    "tunesmith[cmaes]"``.

    Args:
        sigma0: The first step size, as a fraction of each range, in (0, 1].
        population_size: Members per generation (at least 4); None follows the batch.
        restart: ``"ipop"``, ``"bipop"`` or None (the run never ends).
        inc_popsize: The factor IPOP multiplies the population by at each restart (>= 1).

    Raises:
        ImportError: The ``cmaes`` package is not installed.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Float(-3, 3), "y": ts.Float(-3, 3)}
        >>> cma = ts.strategies.CMAES(sigma0=0.3)
        >>> study = ts.create_study(space=space, strategy=cma, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2 + t.params["y"] ** 2, n_trials=60)
        >>> study.best_value < 0.1
        True
    """

    name = "cmaes"
    _parameters = {
        "sigma0": Real(0, 1, closed="right"),
        "population_size": NoneOr(Integer(_MIN_POPSIZE)),
        "restart": OneOf("ipop", "bipop", None),
        "inc_popsize": Real(1),
    }

    def __init__(
        self,
        sigma0: float = 1 / 6,
        population_size: int | None = None,
        restart: str | None = "ipop",
        inc_popsize: float = 2.0,
    ):
        _load_cma()
        check_params("CMAES", self._parameters, locals())
        self.sigma0 = float(sigma0)
        self.population_size = None if population_size is None else int(population_size)
        self.restart = restart
        self.inc_popsize = float(inc_popsize)
        self._cache: _Replay | None = None
        self._run = RunBudget()

    def plan(self, n_trials: int | None) -> None:
        """Hear the budget of the coming ``optimize`` call: its last generation is cut to fit.

        Args:
            n_trials: The ``n_trials`` of the coming ``optimize`` call; None for no limit.
        """
        self._run.plan(n_trials)

    def check(self, space: Space, directions: Sequence[str]) -> None:
        """One objective only; any space (define-by-run included) is searched.

        Args:
            space: The study's space.
            directions: The study's directions.

        Raises:
            ValueError: The study has more than one direction.
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
        state = self._replay(history, ordered, numeric)
        if state is None:
            return []
        if state.cma is None:
            # a batch below the default keeps it (split over batches): it changes no trial
            popsize = state.popsize or max(n, default_popsize(len(numeric)))
            sampler = self._new_cma(state.mean, state.sigma, popsize)
        else:
            sampler = copy.deepcopy(state.cma)
        sampler.reseed_rng(int(rng.integers(2**32 - 1)))
        points = [sampler.ask() for _ in range(sampler.population_size)]
        points = points[: self._run.cut(history, len(points), n, batched_only=True)]
        choices = {k: d for k, d in ordered.items() if k not in numeric}
        members = [
            {**decode(x, numeric), **decode(rng.random(len(choices)), choices)} for x in points
        ]
        return [{name: params[name] for name in space} for params in members]

    def _new_cma(self, mean: np.ndarray, sigma: float, popsize: int) -> Any:
        bounds = np.tile([0.0, 1.0], (len(mean), 1))
        return _load_cma()(mean=mean, sigma=sigma, bounds=bounds, population_size=popsize, seed=0)

    # -- replaying the history ------------------------------------------------------------
    def _replay(
        self, history: Sequence[FrozenTrial], space: Space, numeric: Space
    ) -> _Replay | None:
        """The state after every finished generation; None while one is unfinished."""
        signature = (tuple(space.items()), tuple(self.directions))
        state = self._cache
        if (
            state is None
            or state.signature != signature
            or not extends(history, state.pos, state.anchor)
        ):
            d = len(numeric)
            base = self.population_size
            state = _Replay(signature, np.full(d, 0.5), self.sigma0, base, base)
            self._cache = state
        while True:
            members, end, waiting = next_batch(history, state.pos)
            if waiting:
                return None
            state.pos = end
            if members is None:
                return state
            self._tell(state, members, space, numeric)
            state.anchor = trial_key(members[-1])

    def _tell(
        self, state: _Replay, members: list[FrozenTrial], space: Space, numeric: Space
    ) -> None:
        """Tell one finished generation (ignore a batch that is not one), then maybe restart.

        With the population following the batch, the first generation of at least the default
        size sets it (a smaller first batch was cut to a budget, and is not one)."""
        size = state.popsize if state.cma is None else state.cma.population_size
        if size is None and len(members) >= default_popsize(len(numeric)):
            size = len(members)
        if len(members) != size or not all(usable(m, space) for m in members):
            return
        if state.base is None:
            state.base = state.popsize = size
        if state.cma is None:
            state.cma = self._new_cma(state.mean, state.sigma, state.popsize)
        state.evals[state.small] += len(members)
        solutions = self._solutions(members, numeric)
        if solutions is None:
            return
        state.cma.tell(solutions)
        stuck = len({params_key({k: m.params[k] for k in numeric}) for m in members}) == 1
        if self.restart is not None and (stuck or state.cma.should_stop()):
            self._restart(state, members)

    def _solutions(
        self, members: list[FrozenTrial], numeric: Space
    ) -> list[tuple[np.ndarray, float]] | None:
        """(point, loss) pairs, failed and pruned members ranked after the complete ones."""
        rank = {TrialState.COMPLETE: 0, TrialState.PRUNED: 1}
        ordered = sorted(members, key=lambda m: rank.get(m.state, 2))  # stable: keeps order
        losses = [
            signed_values(m, self.directions)[0] if m.state is TrialState.COMPLETE else None
            for m in ordered
        ]
        if losses[0] is None:
            return None
        worst = max(f for f in losses if f is not None)
        return [
            (encode(m.params, numeric), worst if f is None else f) for m, f in zip(ordered, losses)
        ]

    def _restart(self, state: _Replay, members: list[FrozenTrial]) -> None:
        """Plan the next run: IPOP (Auger & Hansen 2005) or BIPOP (Hansen 2009)."""
        state.runs += 1
        seed = zlib.crc32(params_key({"g": [m.params for m in members]}).encode())
        draw = np.random.default_rng([state.runs, seed])
        base = state.base
        assert base is not None  # set by the first generation told
        state.cma = None
        state.mean = draw.random(len(state.mean))
        small = self.restart == "bipop" and state.evals[True] < state.evals[False]
        if small:
            u = draw.random()
            large = base * self.inc_popsize**state.large_runs
            popsize = math.floor(base * (0.5 * large / base) ** (u * u))
            state.popsize = max(_MIN_POPSIZE, popsize)
            state.sigma = self.sigma0 * 10 ** (-2 * u)
        else:
            state.large_runs += 1
            state.popsize = max(_MIN_POPSIZE, round(base * self.inc_popsize**state.large_runs))
            state.sigma = self.sigma0
        state.small = small
