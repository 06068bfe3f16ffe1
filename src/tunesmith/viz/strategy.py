"""Each strategy's own view of a study, from the stored trials alone (numbers, no matplotlib).

The rule: a generation is a proposal batch (``trial.batch``, the number of its first trial);
trials outside the batches (enqueued) belong to none. Genetic and NSGA-II: each generation's
values, its best and the elites kept after it (NSGA-II: the survivors, by the strategy's own
selection). CMA-ES: each generation's mean and spread in the unit cube (it stores no step size,
so the spread is the proxy). Gradient descent: the iterates (first trial of each batch) over the
first two numeric parameters, with step sizes. TPE: ``viz.tpe_view``. Others: no view of their
own (``strategy_view`` says so and the figure falls back to the history).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import signs, violations
from tunesmith.space import Choice
from tunesmith.strategies import Strategy, from_attrs, resolve
from tunesmith.strategies.base import encode, usable
from tunesmith.strategies.nsga2 import select_survivors
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.viz.source import ParamAxis, as_source, param_axis, values_matrix
from tunesmith.viz.tpe_view import TpeView, study_space, tpe_view

__all__ = [
    "CmaesView",
    "GenerationsView",
    "GradientView",
    "HistoryNote",
    "strategy_of",
    "strategy_view",
    "generations_view",
    "cmaes_view",
    "gradient_view",
]


@dataclass(frozen=True)
class GenerationsView:
    """Genetic or NSGA-II by generation. Per trial: ``gen`` (generation index), ``numbers``,
    ``values`` (n, objectives; NaN: none). Per generation: ``first`` (its batch number) and
    ``best`` (objective 0). ``elite_gen``/``elite_values``: the elites kept after each one.

    Attributes:
        name: The study's name.
        strategy: The strategy's name, "genetic" or "nsga2".
        directions: One direction per objective.
        first: Per generation, its batch number (the number of its first trial).
        gen: Per trial, its generation's index.
        numbers: Per trial, its number.
        values: Per trial, its values, shape (trials, objectives); NaN where it has none.
        best: Per generation, the best finite value of objective 0 (NaN: none).
        elite_gen: Per elite, the index of the generation after which it was kept.
        elite_values: Per elite, its values, shape (elites, objectives).
    """

    name: str
    strategy: str
    directions: tuple[str, ...]
    first: np.ndarray
    gen: np.ndarray
    numbers: np.ndarray
    values: np.ndarray
    best: np.ndarray
    elite_gen: np.ndarray
    elite_values: np.ndarray


@dataclass(frozen=True)
class CmaesView:
    """CMA-ES by generation: ``mean`` and ``std`` (generations, parameters) in the unit cube,
    ``spread`` the root mean square of ``std`` (the step-size proxy), ``best`` objective 0.

    Attributes:
        name: The study's name.
        direction: The direction of objective 0.
        names: The numeric parameters, the columns of ``mean`` and ``std``.
        first: Per generation shown, its batch number (generations with no usable point left
            out).
        mean: The mean of each generation's points in the unit cube, (generations, parameters).
        std: The standard deviation of each generation's points, (generations, parameters).
        spread: Per generation, the root mean square of its ``std`` row.
        best: Per generation, the best finite value of objective 0 (NaN: none).
    """

    name: str
    direction: str
    names: list[str]
    first: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    spread: np.ndarray
    best: np.ndarray


@dataclass(frozen=True)
class GradientView:
    """The iterates of gradient descent: ``x``/``y`` over ``axes`` (the first two numeric
    parameters), their ``values``, ``run`` index and ``step`` (unit-cube distance from the run's
    previous iterate; NaN at a run's start).

    Attributes:
        name: The study's name.
        direction: The direction of the study's one objective.
        axes: The axes of the first two numeric parameters (fewer when the study has fewer).
        numbers: Per iterate, its trial number.
        x: Per iterate, its coordinate on the first axis.
        y: Per iterate, its coordinate on the second axis (zeros with one axis).
        values: Per iterate, its value (NaN: none).
        run: Per iterate, the index of its run.
        step: Per iterate, its unit-cube distance from the run's previous iterate.
    """

    name: str
    direction: str
    axes: list[ParamAxis]
    numbers: np.ndarray
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    run: np.ndarray
    step: np.ndarray


@dataclass(frozen=True)
class HistoryNote:
    """No view of its own (grid, random, an unknown strategy): why, for the history figure.

    Attributes:
        name: The study's name.
        strategy: The strategy's name ("unknown" when none is known).
        reason: Why there is no view, in words.
    """

    name: str
    strategy: str
    reason: str


def strategy_of(study: Any, strategy: Any = None) -> Strategy | None:
    """The strategy to explain: ``strategy`` (a Strategy, a name, stored attrs) or the study's."""
    chosen = strategy if strategy is not None else getattr(study, "strategy", None)
    if chosen is None or isinstance(chosen, Strategy):
        return chosen
    if isinstance(chosen, Mapping):
        return from_attrs(chosen)
    return resolve(chosen, "strategy_view")


def _generations(trials: Sequence[FrozenTrial]) -> tuple[np.ndarray, list[list[int]]]:
    """Batch numbers in order and, per batch, the indices of its trials."""
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(trials):
        if t.batch is not None:
            groups.setdefault(int(t.batch), []).append(i)
    first = np.array(sorted(groups), dtype=np.int64)
    return first, [groups[b] for b in first.tolist()]


def _best(values: np.ndarray, direction: str) -> float:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return float("nan")
    return float(finite.max() if direction == "maximize" else finite.min())


def _survivors(
    losses: np.ndarray, violation: np.ndarray, size: int, nsga: bool, elitism: int
) -> np.ndarray:
    """Indices kept after a generation: NSGA-II's selection (constraints as it weighs them), or
    the ``elitism`` lowest losses compared lexicographically, best first (Genetic's elites)."""
    if nsga:
        return select_survivors(losses, size, violation)
    order = np.lexsort(losses.T[::-1])
    return order[:elitism]  # best first


def generations_view(source: Any, strategy: Strategy) -> GenerationsView:
    """Genetic and NSGA-II: each generation's values, its best, the elites kept after it."""
    trials, dirs = source.trials, source.directions
    first, groups = _generations(trials)
    values = values_matrix(trials, len(dirs))
    nsga = strategy.name == "nsga2"
    largest = 0  # NSGA-II without a population keeps as many as its largest generation
    elitism = int(getattr(strategy, "elitism", 1))
    sign = signs(dirs)
    pool: list[int] = []  # trial indices kept so far
    elite_gen, elite_rows, gen, rows, best = [], [], [], [], []
    for g, members in enumerate(groups):
        gen += [g] * len(members)
        rows += members
        best.append(_best(values[members, 0], dirs[0]))
        done = [i for i in members if trials[i].state is TrialState.COMPLETE]
        pool = [i for i in pool + done if np.isfinite(values[i]).all()]
        largest = max(largest, len(members))
        size = strategy.survivor_size(largest) if nsga else 0  # type: ignore[attr-defined]
        if pool:
            violation = violations([trials[i] for i in pool])
            kept = _survivors(values[pool] * sign, violation, size, nsga, elitism)
            pool = [pool[k] for k in kept]
        elite_gen += [g] * len(pool)
        elite_rows += pool
    return GenerationsView(
        source.name,
        strategy.name,
        tuple(dirs),
        first,
        np.array(gen, dtype=np.int64),
        np.array([trials[i].number for i in rows], dtype=np.int64),
        values[rows] if rows else np.empty((0, len(dirs))),
        np.array(best),
        np.array(elite_gen, dtype=np.int64),
        values[elite_rows] if elite_rows else np.empty((0, len(dirs))),
    )


def _numeric_space(trials: Sequence[FrozenTrial]) -> dict[str, Any]:
    return {k: d for k, d in study_space(trials).items() if not isinstance(d, Choice)}


def cmaes_view(source: Any) -> CmaesView:
    """CMA-ES: per generation the mean and standard deviation of its points in the unit cube."""
    trials = source.trials
    space = _numeric_space(trials)
    first, groups = _generations(trials)
    values = values_matrix(trials, len(source.directions))[:, 0]
    means, stds, best, kept = [], [], [], []
    for b, members in zip(first.tolist(), groups):
        points = [encode(trials[i].params, space) for i in members if usable(trials[i], space)]
        if not points:
            continue
        unit = np.clip(np.array(points), 0.0, 1.0)
        means.append(unit.mean(axis=0))
        stds.append(unit.std(axis=0))
        best.append(_best(values[members], source.directions[0]))
        kept.append(b)
    d = len(space)
    mean = np.array(means) if means else np.empty((0, d))
    std = np.array(stds) if stds else np.empty((0, d))
    spread = np.sqrt((std**2).mean(axis=1)) if d else np.zeros(len(std))
    return CmaesView(
        source.name,
        source.directions[0],
        list(space),
        np.array(kept, dtype=np.int64),
        mean,
        std,
        spread,
        np.array(best),
    )


def gradient_view(source: Any, strategy: Strategy) -> GradientView:
    """Gradient descent: the iterates (the first trial of each batch), split into runs where
    the strategy's own replay says a run began, with the unit-cube length of each step."""
    trials, dirs = source.trials, source.directions
    space = _numeric_space(trials)
    axes = [param_axis(trials, name) for name in list(space)[:2]]
    its = [t for t in trials if t.batch == t.number and usable(t, space)]
    starts = set(strategy.for_directions(dirs).run_starts(list(trials), study_space(trials)))
    unit = np.array([encode(t.params, space) for t in its]).reshape(len(its), len(space))
    run = np.cumsum([t.number in starts for t in its]) - 1 if starts else np.zeros(len(its))
    run = np.maximum(np.asarray(run, dtype=np.int64), 0)
    step = np.full(len(its), np.nan)
    if len(its) > 1:
        same = run[1:] == run[:-1]
        lengths = np.linalg.norm(np.diff(unit, axis=0), axis=1)
        step[1:] = np.where(same, lengths, np.nan)
    coords = [a.coords([t.params.get(a.name) for t in its]) for a in axes]
    empty = np.empty(0)
    return GradientView(
        source.name,
        dirs[0],
        axes,
        np.array([t.number for t in its], dtype=np.int64),
        coords[0] if coords else empty,
        coords[1] if len(coords) > 1 else np.zeros(len(its)),
        values_matrix(its, len(dirs))[:, 0],
        run,
        step,
    )


def strategy_view(
    study: Any,
    strategy: Any = None,
    directions: Sequence[str] | None = None,
    params: Sequence[str] | None = None,
) -> TpeView | GenerationsView | CmaesView | GradientView | HistoryNote:
    """The view of the study's strategy (or ``strategy``): see the module's rule; ``params``
    (TPE) names the parameters to show, in order.

    Args:
        study: A Study, a ``StudySource``, or a list of FrozenTrial.
        strategy: The strategy to explain (a Strategy, a name, or its stored attrs); None for
            the study's own.
        directions: The directions of a list of trials (default minimize).
        params: The parameters a TPE view shows, in order (a name or a list of names); None
            for its default.

    Returns:
        A TpeView, GenerationsView, CmaesView or GradientView by the strategy; a HistoryNote
        saying why when the strategy has no view of its own, the study has no finished trial,
        or none of its trials came from a proposal batch.

    Raises:
        ValueError: When ``params`` names no parameter of the study, ``study`` breaks its
            rule, or ``strategy`` names no known strategy.
    """
    source = as_source(study, directions, "strategy_view")
    if params is not None:
        params = [params] if isinstance(params, str) else list(params)
        known = {n for t in source.trials for n in t.params}
        if not params or any(p not in known for p in params):
            raise ValueError(
                f"The 'params' parameter of strategy_view must name parameters of the study "
                f"({', '.join(sorted(known)) or 'none yet'}). Got {params!r} instead."
            )
    chosen = strategy_of(source, strategy)
    name = chosen.name if chosen is not None else "unknown"
    if not any(t.state.finished for t in source.trials):
        return HistoryNote(source.name, name, "no finished trial yet")
    if name == "tpe":
        return tpe_view(source, chosen, params)
    view: Any = None
    if name in ("genetic", "nsga2"):
        view = generations_view(source, chosen)
    elif name == "cmaes":
        view = cmaes_view(source)
    elif name == "gradient" and len(source.directions) == 1:
        view = gradient_view(source, chosen)
    if view is not None and len(view.first if hasattr(view, "first") else view.numbers):
        return view
    if view is not None:
        reason = "no trial of the study came from one of its proposal batches"
        return HistoryNote(source.name, name, reason)
    reasons = {
        "grid": "grid search keeps no model: it walks the grid in order",
        "random": "random search keeps no model: every point is an independent draw",
        "unknown": "the study's strategy is not known here",
        "gradient": "gradient descent runs one objective; this study has several",
    }
    return HistoryNote(source.name, name, reasons.get(name, f"{name} has no view of its own"))
