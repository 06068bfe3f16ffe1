"""Parzen estimators in the unit cube: truncated Gaussian and categorical product kernels.

Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization", with one kernel per
observation over all dimensions at once (the multivariate form of Falkner et al. 2018, "BOHB").
Numeric dimensions use Gaussians truncated to [0, 1]; a discrete numeric dimension (an ``Int``
or a ``Float`` with ``step``) scores a point by the kernel's mass over the point's bin, so that
sampling (draw, then snap to the bin) and scoring agree. A ``Choice`` uses a categorical kernel
smoothed towards uniform by the prior weight. A broad prior kernel keeps every density positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tunesmith.space import Choice, Distribution, Float, Int

__all__ = ["Axes", "Parzen", "fit", "snap"]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-300
_SCOTT = 0.2  # about the standard deviation of a uniform spread over [0, 1] (0.29), rounded down
_ERFC_COEFFS = (  # highest power of t first
    0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807,
    -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
)  # fmt: skip


def _tail(z: np.ndarray) -> np.ndarray:
    """Standard normal mass beyond ``z >= 0``, i.e. erfc(z / sqrt 2) / 2, relative error
    < 1.2e-7 (Press et al., "Numerical Recipes", 2nd ed., section 6.2, Chebyshev fit)."""
    x = z / _SQRT2
    t = 1.0 / (1.0 + 0.5 * x)
    poly = np.full_like(t, _ERFC_COEFFS[0])
    for c in _ERFC_COEFFS[1:]:
        poly *= t
        poly += c
    x *= x
    poly -= x
    np.exp(poly, out=poly)
    poly *= t
    poly *= 0.5
    return poly


def _log_mass(lo: np.ndarray, hi: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """(m, k): log mass of kernel N(mu_k, sigma_k) over bin [lo_i, hi_i], from the tails so
    neither end cancels; the tails are computed once per distinct bin edge."""
    m = len(lo)
    edges, inverse = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    z = (edges[:, None] - mu) / sigma
    q = _tail(np.abs(z))
    ql, qh = q[inverse[:m]], q[inverse[m:]]
    mass = 1.0 - ql - qh  # lo below the centre, hi above
    above, below = z[inverse[:m]] >= 0, z[inverse[m:]] <= 0
    np.subtract(ql, qh, out=mass, where=above)
    np.subtract(qh, ql, out=mass, where=below)
    return np.log(np.maximum(mass, _TINY, out=mass), out=mass)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.sum(np.exp(a - top), axis=axis)) + np.squeeze(top, axis=axis)


@dataclass(frozen=True)
class Axes:
    """How each dimension of a group is modelled: its distributions and their kinds."""

    dists: tuple[Distribution, ...]
    numeric: np.ndarray  # bool per dimension: Float or Int (kernel is a truncated Gaussian)
    discrete: np.ndarray  # bool per dimension: numeric and binned (Int, Float with step)
    n_options: np.ndarray  # options of each Choice, 0 elsewhere

    @staticmethod
    def of(dists: tuple[Distribution, ...]) -> Axes:
        numeric = np.array([not isinstance(d, Choice) for d in dists], dtype=bool)
        discrete = np.array(
            [isinstance(d, Int) or (isinstance(d, Float) and d.step is not None) for d in dists],
            dtype=bool,
        )
        n_options = np.array([len(d.options) if isinstance(d, Choice) else 0 for d in dists])
        return Axes(tuple(dists), numeric, discrete, n_options)


def _bins(dist: Distribution, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For unit points ``u``: the unit point of the value each decodes to (``to_unit`` of
    ``from_unit``), and the low and high ends of that value's bin."""
    if isinstance(dist, Choice):
        c = len(dist.options)
        i = np.minimum(np.floor(u * c), c - 1)
        return (i + 0.5) / c, i / c, (i + 1) / c
    if isinstance(dist, Int) and dist.log:
        a, b = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        v = np.clip(np.rint(np.exp(a + u * (b - a))), dist.low, dist.high)
        return tuple((np.log(v + h) - a) / (b - a) for h in (0.0, -0.5, 0.5))  # type: ignore[return-value]
    if isinstance(dist, Int):
        m = dist.size
        i = np.minimum(np.floor(u * m), m - 1)
        return (i + 0.5) / m, i / m, (i + 1) / m
    if isinstance(dist, Float) and dist.step is not None:
        n = dist._n_steps()
        k = np.rint(u * n)
        return k / n, np.maximum((k - 0.5) / n, 0.0), np.minimum((k + 0.5) / n, 1.0)
    return u, u, u


def snap(points: np.ndarray, axes: Axes) -> np.ndarray:
    """Move each coordinate to the unit point of the value it decodes to (bin centre, option)."""
    out = np.clip(points, 0.0, 1.0)
    for j, dist in enumerate(axes.dists):
        if axes.discrete[j] or not axes.numeric[j]:
            out[:, j] = _bins(dist, out[:, j])[0]
    return out


@dataclass(frozen=True)
class Parzen:
    """A weighted mixture of product kernels; the last component is the prior."""

    axes: Axes
    weights: np.ndarray  # (k,), sums to 1
    mu: np.ndarray  # (k, d) kernel centres in the unit cube (unused for a Choice)
    sigma: np.ndarray  # (k, d) Gaussian widths (unused for a Choice)
    log_cat: tuple[np.ndarray | None, ...]  # per dimension: (k, options) log-probabilities
    const: np.ndarray  # (k,) log weight less every numeric normalizer of the kernel
    precision: np.ndarray  # (k, c) 1 / sigma**2 over the continuous dimensions

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` draws in the unit cube, snapped to values (kernel chosen by weight)."""
        comp = rng.choice(len(self.weights), size=size, p=self.weights)
        d = len(self.axes.dists)
        out = np.empty((size, d))
        for j in range(d):
            if self.axes.numeric[j]:
                out[:, j] = _truncated_normal(self.mu[comp, j], self.sigma[comp, j], rng)
            else:
                probs = np.exp(self.log_cat[j][comp])  # type: ignore[index]
                cum = np.cumsum(probs, axis=1)
                u = rng.random(size)[:, None] * cum[:, -1:]
                idx = np.minimum((cum < u).sum(axis=1), cum.shape[1] - 1)
                out[:, j] = (idx + 0.5) / self.axes.n_options[j]
        return snap(out, self.axes)

    def log_pdf(self, points: np.ndarray) -> np.ndarray:
        """Log density (log mass over the bin for discrete dimensions) at snapped points."""
        total = np.broadcast_to(self.const, (len(points), len(self.const))).copy()
        continuous = self.axes.numeric & ~self.axes.discrete
        if continuous.any():  # sum of squared z-scores as matrix products
            x, mu = points[:, continuous], self.mu[:, continuous]
            a = self.precision
            sq = (x * x) @ a.T - 2.0 * x @ (mu * a).T + np.sum(mu * mu * a, axis=1)
            total -= 0.5 * np.maximum(sq, 0.0)
        for j, dist in enumerate(self.axes.dists):
            x = points[:, j]
            if not self.axes.numeric[j]:
                c = self.axes.n_options[j]
                total += self.log_cat[j][:, np.minimum((x * c).astype(int), c - 1)].T  # type: ignore[index]
            elif self.axes.discrete[j]:
                _, lo, hi = _bins(dist, x)
                total += _log_mass(lo, hi, self.mu[:, j], self.sigma[:, j])
        return _logsumexp(total, axis=1)


def _truncated_normal(mu: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws from N(mu, sigma) truncated to [0, 1], by rejection (acceptance >= 1/3 here,
    since every centre lies in [0, 1] and every width is at most 1)."""
    out = mu + sigma * rng.standard_normal(len(mu))
    bad = (out < 0.0) | (out > 1.0)
    while bad.any():
        idx = np.flatnonzero(bad)
        out[idx] = mu[idx] + sigma[idx] * rng.standard_normal(len(idx))
        bad[idx] = (out[idx] < 0.0) | (out[idx] > 1.0)
    return out


def fit(points: np.ndarray, weights: np.ndarray, axes: Axes, prior_weight: float) -> Parzen:
    """Kernels on ``points`` (n, d) with ``weights``, plus the prior (uniform for a Choice,
    N(0.5, 1) truncated elsewhere) with weight ``prior_weight``.

    A kernel's width in a continuous dimension is the larger gap to its neighbours there
    (Bergstra et al. 2011, section 4.1); in a discrete one (``Int``, ``Float`` with ``step``),
    where repeated values make those gaps zero, it is Scott's rule for a uniform spread,
    ``0.2 * n ** (-1 / (d + 4))`` (Scott 1992, "Multivariate Density Estimation", 6.3);
    every width is clipped to [1 / min(100, n + 2), 1] (the "magic clip")."""
    n, d = points.shape
    w = np.append(np.asarray(weights, dtype=float), prior_weight)
    w = w / w.sum()
    mu = np.vstack([points, np.full((1, d), 0.5)]) if n else np.full((1, d), 0.5)
    width = _gaps(points)
    if n:
        width[:, axes.discrete] = _SCOTT * n ** (-1.0 / (d + 4))
    width = np.clip(width, 1.0 / min(100, n + 2), 1.0)
    sigma = np.vstack([width, np.ones((1, d))])
    numeric, continuous = axes.numeric, axes.numeric & ~axes.discrete
    m, sd = mu[:, numeric], sigma[:, numeric]
    log_z = np.log(np.maximum(1.0 - _tail(m / sd) - _tail((1.0 - m) / sd), _TINY))
    sc = sigma[:, continuous]
    const = np.log(w) - log_z.sum(axis=1) - np.log(sc).sum(axis=1) - _LOG_SQRT_2PI * sc.shape[1]
    log_cat = tuple(
        _categorical(points[:, j], int(c), prior_weight) if c else None
        for j, c in enumerate(axes.n_options)
    )
    return Parzen(axes, w, mu, sigma, log_cat, const, 1.0 / (sc * sc))


def _gaps(points: np.ndarray) -> np.ndarray:
    """Per point and dimension, the larger gap to its neighbours; the outermost points use their
    one inner gap (a lone point its distance to the farther end of [0, 1])."""
    n, d = points.shape
    order = np.argsort(points, axis=0, kind="stable")
    srt = np.take_along_axis(points, order, axis=0)
    padded = np.vstack([np.zeros((1, d)), srt, np.ones((1, d))])
    gap = np.maximum(padded[1:-1] - padded[:-2], padded[2:] - padded[1:-1])
    if n >= 2:  # the outermost points: their one inner gap
        gap[0] = srt[1] - srt[0]
        gap[-1] = srt[-1] - srt[-2]
    out = np.empty_like(gap)
    np.put_along_axis(out, order, gap, axis=0)
    return out


def _categorical(column: np.ndarray, n_options: int, prior_weight: float) -> np.ndarray:
    """(n + 1, options) log-probabilities: each kernel puts 1 on its option plus
    ``prior_weight / (n + 1)`` on every option, then normalizes; the prior row is uniform."""
    n = len(column)
    idx = np.minimum((column * n_options).astype(int), n_options - 1)
    table = np.full((n + 1, n_options), prior_weight / (n + 1))
    table[np.arange(n), idx] += 1.0
    table[n] = 1.0
    return np.log(table / table.sum(axis=1, keepdims=True))
