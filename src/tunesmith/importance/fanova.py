"""Functional ANOVA over a random forest (Hutter, Hoos and Leyton-Brown, ICML 2014), main
effects only: per tree, the variance of each parameter's exact marginal over the tree's leaf
boxes, as a share of the tree's total variance; averaged over the trees.

Measure: the uniform one on the unit cube, where a discrete parameter (a Choice, an Int without
log, a stepped Float) weighs each of its values the same (``data.cells_of``). Choice parameters
enter the forest as ordinal codes (their ``to_unit`` bin centres), not one-hot columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunesmith.importance.data import Encoded, cells_of

__all__ = ["forest_shares", "tree_shares", "N_TREES", "MAX_SAMPLES"]

N_TREES = 32
MAX_SAMPLES = 2000  # trials one tree draws (with replacement): bounds the cost of big studies


def _regressor() -> Any:
    """The forest class; a missing scikit-learn names the extra that brings it."""
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:
        raise ImportError(
            'importance(method="fanova") fits a random forest with scikit-learn: '
            'pip install "tunesmith[sklearn]" (or use method="ped", which needs numpy only).'
        ) from None
    return RandomForestRegressor


def _leaf_boxes(tree: Any, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each leaf's box (lo, hi: a point p of axis j is inside when lo < p <= hi) and value,
    built one depth at a time (a split's threshold always lies inside its node's box)."""
    left, right = tree.children_left, tree.children_right
    lo = np.full((len(left), d), -np.inf)
    hi = np.full((len(left), d), np.inf)
    frontier = np.array([0])
    while frontier.size:
        split = frontier[left[frontier] != -1]
        j, t = tree.feature[split], tree.threshold[split]
        for child, bound in ((left[split], hi), (right[split], lo)):
            lo[child], hi[child] = lo[split], hi[split]
            bound[child, j] = t
        frontier = np.concatenate([left[split], right[split]])
    leaves = np.flatnonzero(left == -1)
    return lo[leaves], hi[leaves], tree.value[leaves].reshape(len(leaves), -1)[:, 0]


def _axis_cells(
    tree: Any, j: int, points: np.ndarray | None, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axis j cut where this tree's marginal is constant: each cell's weight, and for each
    leaf the cells it covers (first, one past the last)."""
    if points is not None:
        # the forest compares float32 inputs with its thresholds: place the points alike
        where = np.sort(points.astype(np.float32).astype(float))
        first = np.searchsorted(where, lo, side="right")
        return np.full(len(where), 1.0 / len(where)), first, np.searchsorted(where, hi, "right")
    cuts = tree.threshold[(tree.children_left != -1) & (tree.feature == j)]
    edges = np.unique(np.clip(np.concatenate([[0.0, 1.0], cuts]), 0.0, 1.0))
    first = np.searchsorted(edges, np.clip(lo, 0.0, 1.0))
    return np.diff(edges), first, np.searchsorted(edges, np.clip(hi, 0.0, 1.0))


def tree_shares(tree: Any, points: list[np.ndarray | None]) -> np.ndarray | None:
    """Each parameter's main-effect variance over the tree's total variance; None for a tree
    that predicts one value (no variance to share). Costs O(leaves x parameters²)."""
    d = len(points)
    lo, hi, value = _leaf_boxes(tree, d)
    axes, weights = [], np.empty((len(value), d))
    for j in range(d):
        width, first, end = _axis_cells(tree, j, points[j], lo[:, j], hi[:, j])
        cumulative = np.concatenate([[0.0], np.cumsum(width)])
        weights[:, j] = cumulative[end] - cumulative[first]
        axes.append((width, first, end))
    volume = weights.prod(axis=1)
    mean = volume @ value / volume.sum()
    total = volume @ (value - mean) ** 2
    if total <= 1e-12 * max(1.0, mean**2):
        return None
    out = np.empty(d)
    for j, (width, first, end) in enumerate(axes):
        mass = value * np.prod(np.delete(weights, j, axis=1), axis=1)
        step = np.zeros(len(width) + 1)  # each leaf adds its mass on cells first ... end - 1
        np.add.at(step, first, mass)
        np.add.at(step, end, -mass)
        marginal = np.cumsum(step)[:-1]
        out[j] = width @ (marginal - mean) ** 2 / total
    return out


def forest_shares(encoded: Encoded, seed: int, n_trees: int = N_TREES) -> np.ndarray:
    """Main-effect shares of one fitted forest: the mean over its trees, summing to 1."""
    forest = _regressor()(
        n_estimators=n_trees,
        max_features=1.0,
        min_samples_leaf=1,
        bootstrap=True,
        max_samples=min(len(encoded.values), MAX_SAMPLES),
        random_state=seed,
    )
    forest.fit(encoded.x, encoded.values)
    points = [cells_of(d) for d in encoded.dists]
    per_tree = [tree_shares(est.tree_, points) for est in forest.estimators_]
    kept = [s for s in per_tree if s is not None]
    if not kept:
        raise ValueError(
            "importance cannot share the variance: the objective takes one value in every "
            "COMPLETE trial."
        )
    mean = np.mean(kept, axis=0)
    return mean / mean.sum() if mean.sum() > 0 else np.full(len(mean), 1.0 / len(mean))
