"""Pareto tools: non-dominated sorting, crowding distance, hypervolume (all minimizing)."""

from __future__ import annotations

import numpy as np

from tunesmith.ranking import nondominated_ranks

__all__ = ["nondominated_ranks", "crowding_distance", "hypervolume"]


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """Crowding distance inside one front (Deb et al. 2002); the extremes get infinity."""
    losses = np.asarray(losses, dtype=float)
    n, m = losses.shape
    if n <= 2:
        return np.full(n, np.inf)
    dist = np.zeros(n)
    for k in range(m):
        order = np.argsort(losses[:, k], kind="stable")
        span = losses[order[-1], k] - losses[order[0], k]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (losses[order[2:], k] - losses[order[:-2], k]) / span
    return dist


def hypervolume(losses: np.ndarray, reference: np.ndarray) -> float:
    """Volume dominated by ``losses`` and bounded by ``reference`` (minimizing every column).

    Two objectives: an exact sweep. More: exact slicing over the first objective (Hypervolume
    by Slicing Objectives, While et al. 2006), fine for the front sizes a study produces.

    Args:
        losses: The points, shape (n, m), one column per objective (lower is better).
        reference: The bounding point, shape (m,); points not below it in every column add
            nothing.

    Returns:
        The hypervolume (0.0 when no point is below ``reference``).

    Raises:
        ValueError: ``losses`` is not (n, m) with m the length of ``reference``.

    Examples:
        >>> import numpy as np
        >>> from tunesmith.strategies import hypervolume
        >>> hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([3.0, 3.0]))
        3.0
    """
    pts = np.asarray(losses, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != ref.shape[0]:
        raise ValueError(
            f"The 'losses' parameter of hypervolume must be (n, {ref.shape[0]}). "
            f"Got shape {pts.shape} instead."
        )
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[nondominated_ranks(pts) == 0]
    return _hv(pts, ref)


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    if pts.shape[1] == 1:
        return float(ref[0] - pts[:, 0].min())
    if pts.shape[1] == 2:
        order = np.argsort(pts[:, 0], kind="stable")
        volume, best_y = 0.0, ref[1]
        for x, y in pts[order]:
            if y < best_y:
                volume += (ref[0] - x) * (best_y - y)
                best_y = y
        return float(volume)
    order = np.argsort(pts[:, 0], kind="stable")
    pts = pts[order]
    volume = 0.0
    for i in range(len(pts)):
        upper = pts[i + 1, 0] if i + 1 < len(pts) else ref[0]
        width = upper - pts[i, 0]
        if width > 0:
            rest = pts[: i + 1, 1:]
            rest = rest[nondominated_ranks(rest) == 0]
            volume += width * _hv(rest, ref[1:])
    return float(volume)
