"""Ranking finished trials for TPE: which are "good" (modelled by l) and which are "bad" (g).

Complete trials rank first: by loss for one objective (Bergstra et al. 2011), by non-dominated
front for several (Ozaki et al. 2020, "Multiobjective Tree-Structured Parzen Estimator for
Computationally Expensive Optimization Problems"), the last front needed cut by hypervolume
contribution (two objectives) or crowding distance (more). With constraints, Deb's (2000)
feasibility rules: feasible complete trials rank as above, then the infeasible ones by their
total violation. Pruned trials follow, those that went further first, then by their last
intermediate value.
"""

from __future__ import annotations

import math

import numpy as np

from tunesmith.ranking import first_front, settle_violations

__all__ = ["n_good", "good_rows", "forgetting_weights"]

# Kinds of history row, as TPE stores them.
COMPLETE, PRUNED, PENDING, IGNORED = 0, 1, 2, 3


def n_good(n_finished: int, gamma: float, max_good: int) -> int:
    """How many of ``n_finished`` trials are good: ``min(ceil(gamma * n), max_good)``, >= 1."""
    return max(1, min(math.ceil(gamma * n_finished), max_good))


def forgetting_weights(n: int, flat: int = 25) -> np.ndarray:
    """Weights of ``n`` observations oldest first: the newest ``flat`` weigh 1, older ones
    ramp down linearly to 1 / n (the linear forgetting of Bergstra et al. 2011's hyperopt)."""
    if n <= flat:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - flat), np.ones(flat)])


def good_rows(
    rows: np.ndarray,
    kind: np.ndarray,
    loss: np.ndarray,
    step: np.ndarray,
    last: np.ndarray,
    k: int,
    violation: np.ndarray | None = None,
) -> np.ndarray:
    """The ``k`` best of ``rows`` (finished trial numbers, ascending), as a boolean mask.

    ``kind`` holds COMPLETE or PRUNED per row, ``loss`` (rows, objectives) the signed values of
    complete rows, ``step`` the last step reached, ``last`` the signed last intermediate value
    of pruned rows and ``violation`` each row's total constraint violation (NaN: none set)."""
    complete = kind == COMPLETE
    if violation is None:
        violation = np.zeros(len(rows))
    else:  # only complete trials decide whether constraints are in play
        violation = settle_violations(np.where(complete, violation, np.nan))
    feasible = complete & (violation == 0.0)
    chosen = np.zeros(len(rows), dtype=bool)
    idx = np.flatnonzero(feasible)
    if loss.shape[1] == 1:
        best = idx[np.argsort(loss[idx, 0], kind="stable")[:k]]
    else:
        best = idx[_pareto_best(loss[idx], k)]
    chosen[best] = True
    need = k - len(best)
    if need > 0:  # infeasible complete trials, the least violation first
        infeasible = np.flatnonzero(complete & ~feasible)
        take = infeasible[np.argsort(violation[infeasible], kind="stable")[:need]]
        chosen[take] = True
        need -= len(take)
    if need > 0:
        pruned = np.flatnonzero(~complete)
        order = np.lexsort((last[pruned], -step[pruned]))
        chosen[pruned[order[:need]]] = True
    return chosen


def _pareto_best(loss: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` points by non-dominated sorting (Deb et al. 2002, NSGA-II), the last
    front cut by hypervolume contribution (2 objectives) or crowding distance (more)."""
    alive = np.arange(len(loss))
    chosen: list[int] = []
    reference = loss.max(axis=0) + 0.1 * (np.ptp(loss, axis=0) + 1e-12)
    while len(chosen) < k and len(alive):
        in_front = first_front(loss[alive])
        front = alive[in_front]
        need = k - len(chosen)
        if len(front) > need:
            spread = _spread(loss[front], reference)
            front = front[np.argsort(-spread, kind="stable")[:need]]
        chosen.extend(front.tolist())
        alive = alive[~in_front]
    return np.array(chosen, dtype=int)


def _spread(front: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """How much each point of a front adds: exclusive hypervolume (Emmerich et al. 2005) for two
    objectives, crowding distance (Deb et al. 2002) for more."""
    if front.shape[1] == 2:
        order = np.lexsort((front[:, 1], front[:, 0]))
        f1, f2 = front[order, 0], front[order, 1]
        right = np.append(f1[1:], reference[0])
        above = np.insert(f2[:-1], 0, reference[1])
        out = np.empty(len(front))
        out[order] = np.maximum(right - f1, 0.0) * np.maximum(above - f2, 0.0)
        return out
    return _crowding(front)


def _crowding(front: np.ndarray) -> np.ndarray:
    out = np.zeros(len(front))
    for m in range(front.shape[1]):
        order = np.argsort(front[:, m], kind="stable")
        col = front[order, m]
        width = col[-1] - col[0]
        out[order[[0, -1]]] = np.inf
        if width > 0 and len(front) > 2:
            out[order[1:-1]] += (col[2:] - col[:-2]) / width
    return out
