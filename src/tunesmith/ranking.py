"""How trials rank: directions, losses, the best trial and the Pareto front (one home each)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.records import SystemKey
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import DIRECTIONS

__all__ = [
    "DIRECTIONS",
    "sign",
    "signs",
    "loss",
    "losses",
    "completed",
    "eligible",
    "total_violation",
    "violation_of",
    "settle_violations",
    "violations",
    "best_trial",
    "best_trials",
    "pareto_front",
    "nondominated_ranks",
    "first_front",
]


def sign(direction: str) -> float:
    """+1 for "minimize", -1 for "maximize": a value times its sign is a loss."""
    return -1.0 if direction == "maximize" else 1.0


def signs(directions: Sequence[str]) -> np.ndarray:
    """One sign per objective, as an array (see ``sign``)."""
    return np.array([sign(d) for d in directions], dtype=float)


def loss(value: Any, direction: str) -> float:
    """A value as a loss, lower is better; a missing or NaN value is +inf, worse than any."""
    if value is None:
        return math.inf
    v = float(value)
    if math.isnan(v):
        return math.inf
    return sign(direction) * v


def losses(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> np.ndarray:
    """The trials' values as a (trials, objectives) array of losses."""
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1)
    return values * signs(directions)


def completed(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The trials that finished COMPLETE with values."""
    return [t for t in trials if t.state is TrialState.COMPLETE and t.values is not None]


def nondominated_ranks(loss_rows: np.ndarray) -> np.ndarray:
    """Front index of each row, 0 = not dominated (fast non-dominated sort, Deb et al. 2002)."""
    loss_rows = np.asarray(loss_rows, dtype=float)
    n = len(loss_rows)
    le = np.all(loss_rows[:, None, :] <= loss_rows[None, :, :], axis=2)
    lt = np.any(loss_rows[:, None, :] < loss_rows[None, :, :], axis=2)
    dominates = le & lt  # dominates[i, j]: i dominates j
    count = dominates.sum(axis=0)  # how many dominate j
    ranks = np.full(n, -1, dtype=np.int64)
    front = np.flatnonzero(count == 0)
    level = 0
    while front.size:
        ranks[front] = level
        count = count - dominates[front].sum(axis=0)
        count[ranks >= 0] = -1
        front = np.flatnonzero(count == 0)
        level += 1
    return ranks


def total_violation(constraints: Sequence[float]) -> float:
    """How far constraint values are from all holding: the sum of the positive ones."""
    return float(sum(max(c, 0.0) for c in constraints))


def violation_of(t: FrozenTrial) -> float:
    """A trial's total violation (0 when feasible), NaN when it set no constraints."""
    values = t.system_attrs.get(SystemKey.CONSTRAINTS)
    return np.nan if values is None else total_violation(values)


def settle_violations(raw: np.ndarray) -> np.ndarray:
    """Total violations with NaN for "none set", settled by one rule: all zeros when no row
    set constraints, else infinite where a row set none (it is not known to be feasible)."""
    raw = np.asarray(raw, dtype=float)
    if np.all(np.isnan(raw)):
        return np.zeros(len(raw))
    return np.where(np.isnan(raw), np.inf, raw)


def violations(trials: Sequence[FrozenTrial]) -> np.ndarray:
    """Each trial's settled total violation (see ``settle_violations``)."""
    return settle_violations(np.array([violation_of(t) for t in trials], dtype=float))


def eligible(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The completed trials that can be best: all of them, or once any has set constraints,
    those whose constraints are all satisfied (a trial that set none is not known to be)."""
    done = completed(trials)
    if not any(SystemKey.CONSTRAINTS in t.system_attrs for t in done):
        return done  # the common case, without building arrays
    return [t for t, v in zip(done, violations(done)) if v == 0.0]


def pareto_front(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The eligible trials (see ``eligible``) no other beats in every objective."""
    done = eligible(trials)
    if not done:
        return []
    ranks = nondominated_ranks(losses(done, directions))
    return [t for t, r in zip(done, ranks) if r == 0]


def best_trial(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> FrozenTrial | None:
    """The eligible trial (see ``eligible``) with the lowest loss (one objective; the first on
    ties), or None."""
    done = eligible(trials)
    if not done:
        return None
    return min(done, key=lambda t: loss(t.values[0], directions[0]))  # type: ignore[index]


def best_trials(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The best completed trial (one objective) or the Pareto front (several); [] if none."""
    if len(directions) == 1:
        best = best_trial(trials, directions)
        return [] if best is None else [best]
    return pareto_front(trials, directions)


def _dominated_pairs(losses: np.ndarray) -> np.ndarray:
    """Two objectives in one sweep: sorted by (first, second), a row is dominated when a row
    of a smaller first loss has a second loss at most its own, or a row of the same first loss
    a smaller second one (equal rows do not dominate each other)."""
    order = np.lexsort((losses[:, 1], losses[:, 0]))
    first, second = losses[order, 0], losses[order, 1]
    new_first = np.concatenate([[True], first[1:] != first[:-1]])
    starts, group = np.flatnonzero(new_first), np.cumsum(new_first) - 1
    running = np.minimum.accumulate(second)
    before = running[np.maximum(starts - 1, 0)]  # least second loss of the earlier groups
    dominated = ((group > 0) & (before[group] <= second)) | (second > second[starts][group])
    out = np.empty(len(losses), dtype=bool)
    out[order] = dominated
    return out


def first_front(losses: np.ndarray, block: int = 256) -> np.ndarray:
    """Mask of the rows no other row dominates (<= everywhere, < somewhere); equal rows do not
    dominate each other. In lexicographic order a row can only be dominated by an earlier one:
    two objectives are one sweep (a running minimum in lexicographic order); more compare each
    block of rows with the front so far and the block itself (O(n x front))."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 2 or not len(losses):
        return np.zeros(len(losses), dtype=bool)
    if losses.shape[1] == 2:
        return ~_dominated_pairs(losses)
    order = np.lexsort(losses.T[::-1])
    on = np.zeros(len(losses), dtype=bool)
    front = np.empty((0, losses.shape[1]))
    for begin in range(0, len(order), block):
        rows = order[begin : begin + block]
        chunk = losses[rows]
        judges = np.vstack([front, chunk])
        le = (judges[:, None, :] <= chunk[None, :, :]).all(axis=2)
        lt = (judges[:, None, :] < chunk[None, :, :]).any(axis=2)
        keep = ~(le & lt).any(axis=0)  # a later row of the block never dominates an earlier
        on[rows[keep]] = True
        front = np.vstack([front, chunk[keep]])
    return on
