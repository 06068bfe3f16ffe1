"""Evolutionary operators over points of the unit cube: selection, crossover, mutation.

Plain functions, shared by the genetic strategies. Arrays hold one individual per row (shape
``(m, d)``; a single ``(d,)`` row works too) and every value lies in [0, 1]. ``n_options[j]`` is
the number of options of gene ``j`` when it is categorical, 0 when it is numeric: categorical
genes are never averaged, only copied whole from a parent or resampled among their options, and
their unit value is always the centre of an option's bin, ``(k + 0.5) / n_options[j]``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "tournament_select",
    "crossover_uniform",
    "crossover_sbx",
    "crossover_blend",
    "mutate_gaussian",
    "mutate_polynomial",
    "resample_categorical",
    "reflect",
]

_EPS = 1e-14


def tournament_select(keys: np.ndarray, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Tournament selection: Goldberg & Deb 1991.

    Returns the indices of ``n`` winners, each the best of ``size`` contestants drawn with
    replacement. ``keys`` is ``(m,)`` or ``(m, k)``; lower wins,
    rows compared lexicographically (e.g. Pareto rank, then minus crowding distance), ties won
    by the lower index.
    """
    keys = np.asarray(keys, dtype=float)
    if keys.ndim == 1:
        keys = keys[:, None]
    order = np.lexsort(keys.T[::-1])  # stable: equal keys keep index order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    contestants = rng.integers(0, len(rank), size=(n, size))
    best = np.argmin(rank[contestants], axis=1)
    return contestants[np.arange(n), best]


def _categorical(n_options: np.ndarray | None, d: int) -> np.ndarray:
    if n_options is None:
        return np.zeros(d, dtype=bool)
    return np.asarray(n_options) > 0


def crossover_uniform(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, swap_prob: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform crossover, each gene exchanged with probability ``swap_prob``: Syswerda 1989."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    swap = rng.random(a.shape) < swap_prob
    return np.where(swap, b, a), np.where(swap, a, b)


def _sbx_betaq(rand: np.ndarray, beta: np.ndarray, eta: float) -> np.ndarray:
    alpha = 2.0 - np.power(beta, -(eta + 1.0))
    low = rand <= 1.0 / alpha
    # beta >= 1, so alpha lies in [1, 2) and 2 - rand * alpha > 0 for rand in [0, 1).
    inner = np.where(low, rand * alpha, 1.0 / np.maximum(2.0 - rand * alpha, _EPS))
    return np.power(inner, 1.0 / (eta + 1.0))


def crossover_sbx(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    eta: float = 15.0,
    n_options: np.ndarray | None = None,
    gene_prob: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated binary crossover (SBX), bounded to [0, 1]: Deb & Agrawal 1995, Deb 2001.

    For parents y1 < y2 the children are ``(y1 + y2 -/+ beta_q (y2 - y1)) / 2`` with
    ``beta_q = (u alpha)^(1/(eta+1))`` if ``u <= 1/alpha`` else ``(1/(2 - u alpha))^(1/(eta+1))``,
    ``alpha = 2 - beta^-(eta+1)`` and ``beta = 1 + 2 (distance to the nearer bound) / (y2 - y1)``,
    so no child leaves [0, 1]; larger ``eta`` keeps children closer to their parents. Each
    numeric gene is crossed with probability ``gene_prob`` (else copied) and the children are
    exchanged gene by gene with probability 0.5. Categorical genes are only exchanged.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cat = _categorical(n_options, a.shape[-1])
    y1, y2 = np.minimum(a, b), np.maximum(a, b)
    gap = y2 - y1
    cross = (rng.random(a.shape) < gene_prob) & (gap > _EPS) & ~cat
    rand = rng.random(a.shape)
    safe_gap = np.where(gap > _EPS, gap, 1.0)
    bq1 = _sbx_betaq(rand, 1.0 + 2.0 * y1 / safe_gap, eta)
    bq2 = _sbx_betaq(rand, 1.0 + 2.0 * (1.0 - y2) / safe_gap, eta)
    c1 = np.clip(0.5 * (y1 + y2 - bq1 * gap), 0.0, 1.0)
    c2 = np.clip(0.5 * (y1 + y2 + bq2 * gap), 0.0, 1.0)
    swap = rng.random(a.shape) < 0.5
    x1 = np.where(cross, np.where(swap, c2, c1), a)
    x2 = np.where(cross, np.where(swap, c1, c2), b)
    cat_swap = swap & cat
    return np.where(cat_swap, b, x1), np.where(cat_swap, a, x2)


def crossover_blend(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    alpha: float = 0.5,
    n_options: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Blend crossover BLX-alpha: Eshelman & Schaffer 1993.

    Each numeric gene is drawn uniformly from the parents' interval widened by ``alpha`` times
    its length on both sides, clipped to [0, 1]. Categorical genes are exchanged whole with
    probability 0.5.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cat = _categorical(n_options, a.shape[-1])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    width = hi - lo
    lo, hi = lo - alpha * width, hi + alpha * width
    c1 = np.clip(lo + rng.random(a.shape) * (hi - lo), 0.0, 1.0)
    c2 = np.clip(lo + rng.random(a.shape) * (hi - lo), 0.0, 1.0)
    swap = rng.random(a.shape) < 0.5
    return np.where(cat, np.where(swap, b, a), c1), np.where(cat, np.where(swap, a, b), c2)


def reflect(x: np.ndarray) -> np.ndarray:
    """Fold values back into [0, 1] by mirror reflection at the bounds (period 2)."""
    y = np.mod(np.asarray(x, dtype=float), 2.0)
    return np.where(y > 1.0, 2.0 - y, y)


def resample_categorical(
    x: np.ndarray, mask: np.ndarray, n_options: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Random resetting of categorical genes: another option, drawn uniformly, where ``mask``.

    A single-option gene stays as it is.
    """
    x = np.array(x, dtype=float)
    if not mask.any():
        return x
    k = np.broadcast_to(np.asarray(n_options, dtype=np.int64), x.shape)
    mask = mask & (k > 1)
    k_m = k[mask]
    current = np.minimum((x[mask] * k_m).astype(np.int64), k_m - 1)
    shift = 1 + (rng.random(k_m.shape) * (k_m - 1)).astype(np.int64)  # 1 .. k - 1
    x[mask] = ((current + shift) % k_m + 0.5) / k_m
    return x


def _gene_mask(shape: tuple[int, ...], prob: float, rng: np.random.Generator) -> np.ndarray:
    return rng.random(shape) < prob


def mutate_gaussian(
    x: np.ndarray,
    rng: np.random.Generator,
    prob: float,
    sigma: float = 0.1,
    n_options: np.ndarray | None = None,
) -> np.ndarray:
    """Gaussian mutation, reflected into [0, 1]: Schwefel 1981, Baeck 1996.

    Each gene, with probability ``prob``, moves by N(0, sigma^2). Categorical genes are
    resampled among their other options instead.
    """
    x = np.asarray(x, dtype=float)
    hit = _gene_mask(x.shape, prob, rng)
    noise = rng.normal(0.0, sigma, x.shape)
    cat = _categorical(n_options, x.shape[-1])
    y = np.where(hit & ~cat, reflect(x + noise), x)
    return resample_categorical(y, hit & cat, _options(n_options, x), rng)


def mutate_polynomial(
    x: np.ndarray,
    rng: np.random.Generator,
    prob: float,
    eta: float = 20.0,
    n_options: np.ndarray | None = None,
) -> np.ndarray:
    """Polynomial mutation, bounded to [0, 1]: Deb & Goyal 1996.

    Each gene, with probability ``prob``, moves by a polynomially distributed step of index
    ``eta`` (larger: smaller steps) that never leaves the bounds. Categorical genes are
    resampled among their other options instead.
    """
    x = np.asarray(x, dtype=float)
    hit = _gene_mask(x.shape, prob, rng)
    rand = rng.random(x.shape)
    power = 1.0 / (eta + 1.0)
    d1, d2 = x, 1.0 - x  # distance to the lower and upper bound over the unit range
    low = rand < 0.5
    val_low = 2.0 * rand + (1.0 - 2.0 * rand) * np.power(1.0 - d1, eta + 1.0)
    val_high = 2.0 * (1.0 - rand) + 2.0 * (rand - 0.5) * np.power(1.0 - d2, eta + 1.0)
    deltaq = np.where(
        low,
        np.power(np.maximum(val_low, 0.0), power) - 1.0,
        1.0 - np.power(np.maximum(val_high, 0.0), power),
    )
    cat = _categorical(n_options, x.shape[-1])
    y = np.where(hit & ~cat, np.clip(x + deltaq, 0.0, 1.0), x)
    return resample_categorical(y, hit & cat, _options(n_options, x), rng)


def _options(n_options: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    if n_options is None:
        return np.zeros(x.shape[-1], dtype=np.int64)
    return np.asarray(n_options, dtype=np.int64)
