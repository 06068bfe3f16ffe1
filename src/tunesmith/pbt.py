"""``PBT``: population-based training over a training loop the user owns.

The user gives ``step(state, config) -> state`` (one training step), ``evaluate(state) ->
float`` (the score ranked at ready points) and, optionally, ``copy(state) -> state`` and
``init(config) -> state``. Members run one by one or side by side (``run(n_jobs=...,
executor=...)``: threads, processes, Ray or the user's executor; the same result); every
``ready_every`` steps they are ranked, worse members restart from a copy of a better member's
state and config (exploit: ``truncation``, the bottom ``quantile`` copies members drawn from the
top ``quantile``; ``tournament``, each member meets one other drawn at random and copies it when
it is better), and the copied config moves (explore: ``perturb``, numbers ×0.8 or ×1.2 clipped
into the space, Int rounded, Choice drawn again with ``resample_probability``; ``resample``,
each value drawn again with ``resample_probability``, else perturbed; ``pb2``, the numbers of
highest upper confidence bound of a Gaussian process over the score gains of the segments so
far, ``strategies.pb2``). Every value stays inside the space. With a study, each member
segment (one member between two ready points) is one COMPLETE trial whose user attributes name
its member, segment and parent trial, so the lineage can be reloaded. Torch is never imported
here: the default copy clones a dict of tensors through their methods.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy as _copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunesmith.execution.executors import bounded_executor, resolve_jobs
from tunesmith.exploration import exploit_pairs
from tunesmith.exploration import explore as explore_config
from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.strategies.pb2 import pb2_explore, require_scipy, segment_observations
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import (
    N_JOBS,
    Integer,
    IsCallable,
    NoneOr,
    OneOf,
    Real,
    check_params,
    param_error,
)

__all__ = ["PBT", "PBTRunResult", "default_copy", "explore_config", "exploit_pairs"]

EXPLOITS = ("truncation", "tournament")
EXPLORES = ("perturb", "resample", "pb2")
_TABLE = {
    "step": IsCallable(), "evaluate": IsCallable(), "members": Integer(2),
    "ready_every": Integer(1), "steps": Integer(1), "exploit": OneOf(*EXPLOITS),
    "explore": OneOf(*EXPLORES), "quantile": Real(0, 0.5, closed="right"),
    "resample_probability": Real(0, 1), "direction": OneOf("minimize", "maximize"),
    "copy": NoneOr(IsCallable()), "init": NoneOr(IsCallable()), "seed": Integer(0),
}  # fmt: skip


@dataclass
class PBTRunResult:
    """What a PBT run found: the best member at the end (its state, score and config), every
    member's final score and config, ``schedules[m]`` (first step of each segment -> member
    m's config from then on), ``lineage`` (every copy: {"step", "member", "source"}) and
    ``segments`` (one record per member segment; ``trial`` is its number when a study keeps it).

    Attributes:
        best_member: The member of best final score (ties: the lowest number).
        best_state: That member's final state.
        best_score: That member's final score.
        best_config: That member's final config.
        scores: Every member's final score, by member.
        configs: Every member's final config, by member.
        schedules: ``schedules[m][step]``: member m's config from ``step`` on (0, then each
            ready point).
        lineage: Every copy at a ready point: {"step", "member" (the one replaced), "source"
            (the one copied)}.
        segments: One record per member segment: "member", "segment", "start", "end",
            "config", "score", "parent" (the member whose state it continued),
            "exploited_from" (the member copied, or None) and "trial" when a study keeps it.
    """

    best_member: int
    best_state: Any
    best_score: float
    best_config: dict[str, Any]
    scores: list[float]
    configs: list[dict[str, Any]]
    schedules: dict[int, dict[int, dict[str, Any]]]
    lineage: list[dict[str, int]]
    segments: list[dict[str, Any]] = field(default_factory=list)


def default_copy(state: Any) -> Any:
    """An independent copy (rule: a dict of tensors is cloned tensor by tensor, the rest deep-
    copied), without importing torch."""
    if isinstance(state, Mapping) and state and all(_is_tensor(v) for v in state.values()):
        return {k: v.detach().clone() for k, v in state.items()}
    return _copy.deepcopy(state)


def _is_tensor(value: Any) -> bool:
    """A torch tensor, told by its type's module (rule: torch stays optional)."""
    module = type(value).__module__ or ""
    return module.split(".")[0] == "torch" and callable(getattr(value, "clone", None))


def _check_space(space: Any) -> dict[str, Distribution]:
    """The space as a dict (rule: a non-empty dict of names to Float, Int or Choice)."""
    rule = "a non-empty dict of names to tunesmith Float, Int or Choice"
    if not isinstance(space, Mapping) or not space:
        raise param_error("PBT", "space", rule, space)
    for name, dist in space.items():
        if not isinstance(name, str) or not isinstance(dist, (Float, Int, Choice)):
            raise param_error("PBT", "space", rule, {name: dist})
    return dict(space)


def _losses(scores: Sequence[float], direction: str) -> list[float]:
    """Scores as losses, lower is better (rule: NaN and infinities rank last)."""
    sign = 1.0 if direction == "minimize" else -1.0
    return [sign * float(s) if math.isfinite(s) else math.inf for s in scores]


class PBT:
    """Population-based training of ``members`` states of the user's own training loop
    (rules: see the module docstring; arguments checked at construction).

    The starting configs are drawn uniformly from ``space`` with ``seed``; ``run`` trains.

    Args:
        step: ``step(state, config) -> state``: one training step of one member.
        evaluate: ``evaluate(state) -> float``: the score ranked at ready points and at the end
            (NaN and infinities rank last).
        space: The hyperparameters, a non-empty dict of names to Float, Int or Choice.
        members: The population size, an int >= 2.
        steps: The steps each member trains in all, an int >= 1.
        ready_every: The steps between two ready points (exploit and explore), an int >= 1.
        exploit: ``"truncation"`` (the bottom ``quantile`` copies members of the top
            ``quantile``) or ``"tournament"`` (each member meets one other at random and
            copies it when it is better).
        explore: ``"perturb"`` (numbers ×0.8 or ×1.2 clipped into the space, Choice drawn again
            with ``resample_probability``), ``"resample"`` (each value drawn again with
            ``resample_probability``, else perturbed) or ``"pb2"`` (Population-Based Bandits,
            Parker-Holder et al. 2020: a Gaussian process fitted to each segment's gain in
            score, from its parent's score at the ready point to its own, against its config
            and start step; each copied member takes the numbers of highest upper confidence
            bound at the current step, a batch by kriging believer, and keeps or redraws a
            Choice as perturb does; perturb while fewer than 4 such segments, or fewer than
            the copied members, exist. A first segment, with no score at its start, is no
            observation. Needs scipy: ``pip install "tunesmith[gp]"``). See
            ``tunesmith.strategies.pb2``.
        quantile: The share of members replaced and copied by truncation, in (0, 0.5].
        resample_probability: The probability of drawing a value again, in [0, 1].
        direction: ``"minimize"`` or ``"maximize"`` the score.
        copy: ``copy(state) -> state``, an independent copy; None: a dict of tensors is cloned
            tensor by tensor, anything else deep-copied.
        init: ``init(config) -> state``, a member's starting state; needed when ``run`` gets
            no ``states``.
        seed: The seed of the starting configs and of every exploit and explore draw, an
            int >= 0.

    Raises:
        ValueError: When an argument breaks its rule (named in the message).
        ImportError: When ``explore="pb2"`` and scipy is missing.

    Examples:
        >>> from tunesmith.pbt import PBT
        >>> from tunesmith.space import Float
        >>> pbt = PBT(
        ...     lambda x, config: x - config["lr"] * 2 * x,  # a gradient step on x**2
        ...     lambda x: x * x,
        ...     space={"lr": Float(0.01, 0.5, log=True)},
        ...     members=4, steps=20, ready_every=5, init=lambda config: 1.0,
        ... )
        >>> result = pbt.run()
        >>> len(result.segments), result.best_score < 1e-4
        (16, True)
    """

    def __init__(
        self,
        step: Callable[[Any, dict[str, Any]], Any],
        evaluate: Callable[[Any], float],
        *,
        space: Mapping[str, Distribution], members: int, steps: int, ready_every: int = 1,
        exploit: str = "truncation", explore: str = "perturb", quantile: float = 0.25,
        resample_probability: float = 0.25, direction: str = "minimize",
        copy: Callable[[Any], Any] | None = None,
        init: Callable[[dict[str, Any]], Any] | None = None, seed: int = 0,
    ) -> None:  # fmt: skip
        args = dict(locals())
        check_params("PBT", _TABLE, args)
        if explore == "pb2":
            require_scipy("PBT")
        self.space = _check_space(space)
        self.step, self.evaluate, self.init = step, evaluate, init
        self.copy = copy or default_copy
        self.members, self.steps, self.ready_every, self.seed = members, steps, ready_every, seed
        self.how = (exploit, explore, quantile, resample_probability)
        self.direction = direction

    def run(
        self, study: Any = None, *, states: Sequence[Any] | None = None, n_jobs: int = 1,
        executor: Any = None,
    ) -> PBTRunResult:  # fmt: skip
        """Train every member to ``steps``, exploiting and exploring at each ready point.

        Args:
            study: a Study to add each member segment to as a trial, or None.
            states: one starting state per member; None builds them with ``init``.
            n_jobs: members trained at once within a segment (-1: every core).
            executor: ``"thread"`` (default when ``n_jobs > 1``), ``"process"`` (``step``,
                ``evaluate`` and the states must pickle), ``"ray"`` or a
                ``concurrent.futures.Executor``; the result is the same as one by one.

        Returns:
            The best member, every member's score and config, schedules and lineage.

        Raises:
            ValueError: an argument breaks its rule (named in the message).
        """
        states = self._starting_states(states)
        _check_study(study, self.space, self.direction)
        check_params("PBT.run", _RUN_TABLE, {"n_jobs": n_jobs})
        with bounded_executor(executor, resolve_jobs(n_jobs), owner="PBT.run") as pool:
            return _Run(self, states, study, pool).train().result()

    def _starting_states(self, states: Sequence[Any] | None) -> list[Any] | None:
        """The states given (rule: one per member), else None for ``init`` to build."""
        if states is None:
            if self.init is None:
                raise param_error("PBT", "init", "callable when run gets no 'states'", None)
            return None
        if isinstance(states, (str, bytes)) or len(states) != self.members:
            raise param_error("PBT.run", "states", f"a sequence of {self.members} states", states)
        return list(states)


_RUN_TABLE = {"n_jobs": N_JOBS}


def _train_member(
    step: Callable[[Any, dict[str, Any]], Any], evaluate: Callable[[Any], float], state: Any,
    config: dict[str, Any], n_steps: int,
) -> tuple[Any, float]:  # fmt: skip
    """One member's segment: ``n_steps`` steps from ``state``, then its score."""
    for _ in range(n_steps):
        state = step(state, dict(config))
    return state, float(evaluate(state))


def _check_study(study: Any, space: dict[str, Distribution], direction: str) -> None:
    """A study must hold one value in PBT's direction and declare the space alike, if at all."""
    if study is None:
        return
    if not hasattr(study, "add_trials") or tuple(study.directions) != (direction,):
        rule = f"None or a tunesmith Study with the one direction {direction!r}"
        raise param_error("PBT.run", "study", rule, study)
    differ = [n for n in space if study.space and study.space.get(n) != space[n]]
    if differ:
        rule = f"a study whose space declares {differ} as the 'space' of PBT does"
        raise param_error("PBT.run", "study", rule, study)


class _Run:
    """One PBT run: the members' states and configs, the records so far."""

    def __init__(self, pbt: PBT, states: list[Any] | None, study: Any, pool: cf.Executor) -> None:
        self.pbt, self.study, self.pool, n = pbt, study, pool, pbt.members
        rng = np.random.default_rng([pbt.seed, 0])
        self.configs = [
            {k: d.from_unit(float(rng.random())) for k, d in pbt.space.items()} for _ in range(n)
        ]
        self.states = states if states is not None else [pbt.init(dict(c)) for c in self.configs]
        self.schedules = {m: {0: dict(self.configs[m])} for m in range(n)}
        self.lineage: list[dict[str, int]] = []
        self.segments: list[dict[str, Any]] = []
        self.parents, self.exploited = list(range(n)), [False] * n
        self.trials: dict[int, int] = {}  # member -> trial of its last segment
        self.scores: list[float] = []

    def train(self) -> _Run:
        """Train segment after segment (rule: a ready point after each but the last)."""
        pbt = self.pbt
        ends = [*range(pbt.ready_every, pbt.steps, pbt.ready_every), pbt.steps]
        start, scores = 0, []
        for k, end in enumerate(ends):
            scores = self._segment(k, start, end)
            if k + 1 < len(ends):
                self._ready(scores, k + 1, end)
            start = end
        self.scores = scores
        return self

    def _segment(self, k: int, start: int, end: int) -> list[float]:
        """Train every member from ``start`` to ``end``, score it, record the segment."""
        pbt, n_steps = self.pbt, end - start
        futures = [
            self.pool.submit(_train_member, pbt.step, pbt.evaluate, state, dict(config), n_steps)
            for state, config in zip(self.states, self.configs)
        ]
        done = [f.result() for f in futures]
        self.states = [state for state, _ in done]
        scores = [score for _, score in done]
        new = [
            {
                "member": m, "segment": k, "start": start, "end": end,
                "config": dict(self.configs[m]), "score": scores[m], "parent": self.parents[m],
                "exploited_from": self.parents[m] if self.exploited[m] else None,
            }
            for m in range(self.pbt.members)
        ]  # fmt: skip
        if self.study is not None:
            self._record(new)
        self.segments += new
        return scores

    def _ready(self, scores: list[float], k: int, at: int) -> None:
        """Exploit and explore before segment ``k``, which starts at step ``at``."""
        exploit, explore, quantile, p = self.pbt.how
        rng = np.random.default_rng([self.pbt.seed, k])
        pairs = exploit_pairs(_losses(scores, self.pbt.direction), exploit, quantile, rng)
        source = dict(pairs)
        copies = {m: self.pbt.copy(self.states[s]) for m, s in pairs}  # before any is replaced
        space, old = self.pbt.space, self.configs
        if explore == "pb2":
            sign = 1.0 if self.pbt.direction == "minimize" else -1.0
            seen = segment_observations(self.segments, config="config", value="score", sign=sign)
            new = pb2_explore(space, seen, [old[s] for _, s in pairs], rng, now=at, p=p)
            moved = {m: v for (m, _), v in zip(pairs, new)}
        else:
            moved = {m: explore_config(space, old[s], rng, explore, p) for m, s in pairs}
        self.states = [copies.get(m, state) for m, state in enumerate(self.states)]
        self.configs = [moved.get(m, dict(c)) for m, c in enumerate(self.configs)]
        self.parents = [source.get(m, m) for m in range(self.pbt.members)]
        self.exploited = [m in source for m in range(self.pbt.members)]
        self.lineage += [{"step": at, "member": d, "source": s} for d, s in pairs]
        for m in range(self.pbt.members):
            self.schedules[m][at] = dict(self.configs[m])

    def _record(self, segments: list[dict[str, Any]]) -> None:
        """Add the member segments that just ended to the study, in one transaction."""
        trials = []
        for s in segments:
            attrs = {
                "pbt_member": s["member"], "pbt_segment": s["segment"],
                "pbt_start_step": s["start"], "pbt_end_step": s["end"],
                "pbt_parent_trial": self.trials.get(s["parent"]),
                "pbt_exploited_from": s["exploited_from"],
            }  # fmt: skip
            ok = math.isfinite(s["score"])
            trials.append(FrozenTrial(
                -1, TrialState.COMPLETE if ok else TrialState.FAIL, dict(s["config"]),
                dict(self.pbt.space), values=(s["score"],) if ok else None, user_attrs=attrs,
                error=None if ok else "The member's score is not finite.",
            ))  # fmt: skip
        added = self.study.add_trials(trials)
        for s, t in zip(segments, added):
            s["trial"] = t.number
        self.trials = {s["member"]: t.number for s, t in zip(segments, added)}

    def result(self) -> PBTRunResult:
        """The run's result: the member of best final score (ties: lowest id) is best."""
        losses = _losses(self.scores, self.pbt.direction)
        best = min(range(len(losses)), key=lambda i: (losses[i], i))
        return PBTRunResult(
            best, self.states[best], self.scores[best], dict(self.configs[best]),
            list(self.scores), [dict(c) for c in self.configs], self.schedules, self.lineage,
            self.segments,
        )  # fmt: skip
