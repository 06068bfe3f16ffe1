"""A model-free importance of the PED-ANOVA kind (Watanabe et al., IJCAI 2023): how far each
parameter's distribution among the best ``gamma`` of the trials is from its distribution over
all of them, as a Pearson divergence of 1-D histograms in the unit cube. numpy only.

A parameter that does nothing has its best trials spread like all trials (divergence ~0); the
divergence expected from sampling alone is subtracted, so such a parameter gets ~0 and not a
share that shrinks only as the study grows.
"""

from __future__ import annotations

import math

import numpy as np

from tunesmith.importance.data import Encoded, cells_of

__all__ = ["GAMMA", "divergence", "ped_shares"]

GAMMA = 0.1  # the share of trials counted as the best
MIN_TOP = 10  # fewer best trials than this say more about chance than about the parameter
MIN_BINS = 4  # with two bins a best region in the middle of the range splits evenly, unseen


def _bins(u: np.ndarray, points: np.ndarray | None, n_top: int) -> np.ndarray:
    """Each trial's histogram bin: its value for a discrete parameter, an equal-width bin of
    the unit interval (about sqrt of the best trials' count of them, at least ``MIN_BINS``) for
    a continuous one."""
    if points is not None:
        edges = (points[:-1] + points[1:]) / 2
    else:
        n_bins = int(min(16, max(MIN_BINS, round(math.sqrt(n_top)))))
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return np.searchsorted(edges, u)


def divergence(bins: np.ndarray, top: np.ndarray) -> float:
    """Pearson divergence of the best trials' histogram from all trials', less what a random
    draw of as many trials would show (hypergeometric expectation); never below 0."""
    n, m = len(bins), int(top.sum())
    labels, counts = np.unique(bins, return_counts=True)
    everyone = counts / n
    best = np.array([np.count_nonzero(bins[top] == b) for b in labels]) / m
    pearson = float(np.sum((best - everyone) ** 2 / everyone))
    chance = (len(labels) - 1) / m * (n - m) / max(n - 1, 1)
    return max(pearson - chance, 0.0)


def ped_shares(encoded: Encoded, rows: np.ndarray, gamma: float = GAMMA) -> np.ndarray:
    """Shares of the divergence over the trials at ``rows`` (indices; repeats allowed), summing
    to 1; equal shares when no parameter's best trials stand out."""
    x, losses = encoded.x[rows], encoded.losses[rows]
    n = len(rows)
    n_top = min(n // 2, max(MIN_TOP, int(math.ceil(gamma * n))))
    order = np.argsort(losses, kind="stable")
    top = np.zeros(n, dtype=bool)
    top[order[:n_top]] = True
    raw = np.array(
        [
            divergence(_bins(x[:, j], cells_of(dist), n_top), top)
            for j, dist in enumerate(encoded.dists)
        ]
    )
    total = raw.sum()
    return raw / total if total > 0 else np.full(len(raw), 1.0 / len(raw))
