"""The Gaussian process of strategy 'gp': kernel, marginal likelihood with its gradient, fit,
posterior.

The kernel is a Matérn-5/2 with one lengthscale per numeric coordinate of the unit cube (log
parameters are already log there), times ``exp(-sum_j mismatch_j / l_j)`` over the Choice
coordinates (a Choice coordinate is an option's bin centre, so two points share an option
exactly when their coordinates are equal). The mean is a constant, fitted or held at 0; the
noise variance is fitted. Hyperparameters ``theta`` are, in order: the log lengthscale of every
coordinate (space order), the log signal variance, the log noise variance and the constant
mean. Outputs are standardized by the caller.

The noise prior is the layout's: ``NOISE_SMALL`` keeps the noise near 1e-4 of the outputs'
variance and above 1e-6 (ranks of discrete spaces, constraints); ``NOISE_WEAK`` lets the
marginal likelihood choose it down to 1e-10, so a noiseless objective is interpolated and its
minimum resolved to more digits, while a noisy one still gets the noise its data shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_solve, lapack
from scipy.optimize import minimize

__all__ = [
    "NOISE_SMALL",
    "NOISE_WEAK",
    "Layout",
    "NoisePrior",
    "Posterior",
    "default_theta",
    "fit",
    "neg_log_posterior",
]

_SQRT5 = np.sqrt(5.0)
_SAME = 1e-9  # Choice coordinates closer than this are the same option
_LS_PRIOR = (3.0, 6.0)  # gamma(shape, rate) prior on a numeric lengthscale: mode 0.5 in log space
# A Choice lengthscale divides whole mismatches (0 or 1), not unit-cube distances: mode 2, so
# one differing option keeps a correlation of about 0.6 and options inform each other
_LS_PRIOR_CHOICE = (3.0, 1.5)


class NoisePrior(NamedTuple):
    """A log-normal prior on the noise variance (of the log: mean, sd), the variance's lower
    bound and where its fit starts, all in log space."""

    mean: float
    sd: float
    low: float
    start: float


NOISE_SMALL = NoisePrior(math.log(1e-4), 2.0, math.log(1e-6), math.log(1e-4))  # small, not zero
# Nearly flat from 1e-10 to 1. The fit starts high and descends: started low, it can stay in
# the mode that interpolates noisy data (seen on 40 noisy points: noise 1e-6 instead of 0.03)
NOISE_WEAK = NoisePrior(math.log(1e-6), 6.0, math.log(1e-10), math.log(1e-2))
_SIGNAL_SD = 1.0  # log-normal sd of the signal variance around 1 (the outputs' variance)
_MEAN_SD = 1.0  # normal prior of the constant mean (standardized outputs)
_BOUNDS_LS = (np.log(1e-2), np.log(1e2))
_BOUNDS_SIGNAL = (np.log(5e-2), np.log(20.0))
_BOUNDS_MEAN = (-3.0, 3.0)
_FIT_ITERATIONS = 200


@dataclass(frozen=True)
class Layout:
    """Which coordinates are numeric (Matérn) and which are Choice (mismatch), whether the
    constant mean is fitted (else held at 0), and the noise prior."""

    numeric: np.ndarray  # indices into the coordinates
    choice: np.ndarray
    fit_mean: bool = True
    noise: NoisePrior = NOISE_SMALL

    @property
    def d(self) -> int:
        return len(self.numeric) + len(self.choice)


def _ls_prior(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Per coordinate, the (shape, rate) of its lengthscale's gamma prior."""
    shape, rate = np.full(layout.d, _LS_PRIOR[0]), np.full(layout.d, _LS_PRIOR[1])
    shape[layout.choice], rate[layout.choice] = _LS_PRIOR_CHOICE
    return shape, rate


def default_theta(layout: Layout) -> np.ndarray:
    """Where a fit starts: the lengthscale priors' modes (0.5, Choice: 2), signal variance 1,
    the noise prior's start (1e-4, or 1e-2 for the weak prior), mean 0."""
    shape, rate = _ls_prior(layout)
    return np.concatenate([np.log(shape / rate), [0.0, layout.noise.start, 0.0]])


def _bounds(layout: Layout) -> list[tuple[float, float]]:
    mean = _BOUNDS_MEAN if layout.fit_mean else (0.0, 0.0)
    return [_BOUNDS_LS] * layout.d + [_BOUNDS_SIGNAL, (layout.noise.low, 0.0), mean]


def _pairs(a: np.ndarray, b: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Squared differences of the numeric coordinates and mismatches of the Choice ones, each
    (len(a), len(b), coordinates)."""
    diff = a[:, None, layout.numeric] - b[None, :, layout.numeric]
    mismatch = np.abs(a[:, None, layout.choice] - b[None, :, layout.choice]) > _SAME
    return diff * diff, mismatch.astype(float)


def _kernel_parts(
    sq: np.ndarray, mis: np.ndarray, theta: np.ndarray, layout: Layout
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signal-scaled kernel, its derivative in the scaled squared distance r2, the Choice
    factor) from precomputed pairs."""
    ls = np.exp(theta[: layout.d])
    signal = np.exp(theta[layout.d])
    r2 = np.einsum("ijk,k->ij", sq, 1.0 / ls[layout.numeric] ** 2)
    r = np.sqrt(r2)
    e = np.exp(-_SQRT5 * r)
    factor = np.exp(-np.einsum("ijk,k->ij", mis, 1.0 / ls[layout.choice]))
    k = signal * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e * factor
    dk_dr2 = signal * (-5.0 / 6.0) * (1.0 + _SQRT5 * r) * e * factor
    return k, dk_dr2, factor


def _cholesky(k: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of ``k``, adding jitter (1e-10 of the mean diagonal, times 10 per
    failure) until it succeeds; (factor, jitter used)."""
    jitter = 0.0
    scale = float(np.mean(np.diag(k)))
    for _ in range(10):
        chol, info = lapack.dpotrf(k + jitter * np.eye(len(k)), lower=1, clean=1)
        if info == 0:
            return chol, jitter
        jitter = scale * 1e-10 if jitter == 0.0 else jitter * 10.0
    raise np.linalg.LinAlgError("The GP kernel matrix is not positive definite, even jittered.")


def _log_prior(theta: np.ndarray, layout: Layout) -> tuple[float, np.ndarray]:
    """Log-density of the priors over ``theta`` (in log space, Jacobian included) and its
    gradient."""
    d = layout.d
    shape, rate = _ls_prior(layout)
    ls = np.exp(theta[:d])
    grad = np.zeros_like(theta)
    value = float(np.sum(shape * theta[:d] - rate * ls))
    grad[:d] = shape - rate * ls
    value -= 0.5 * (theta[d] / _SIGNAL_SD) ** 2
    grad[d] = -theta[d] / _SIGNAL_SD**2
    mean, sd = layout.noise.mean, layout.noise.sd
    value -= 0.5 * ((theta[d + 1] - mean) / sd) ** 2
    grad[d + 1] = -(theta[d + 1] - mean) / sd**2
    value -= 0.5 * (theta[d + 2] / _MEAN_SD) ** 2
    grad[d + 2] = -theta[d + 2] / _MEAN_SD**2
    return value, grad


def neg_log_posterior(
    theta: np.ndarray, sq: np.ndarray, mis: np.ndarray, y: np.ndarray, layout: Layout,
    prior: bool = True,
) -> tuple[float, np.ndarray]:  # fmt: skip
    """Minus (log marginal likelihood + log prior) of ``y`` and its analytic gradient in
    ``theta``; ``sq`` and ``mis`` are the pairs of the training points with themselves."""
    n, d = len(y), layout.d
    k, dk_dr2, _ = _kernel_parts(sq, mis, theta, layout)
    noise = np.exp(theta[d + 1])
    chol, _ = _cholesky(k + noise * np.eye(n))
    resid = y - theta[d + 2]
    alpha = cho_solve((chol, True), resid)
    lml = -0.5 * resid @ alpha - np.sum(np.log(np.diag(chol))) - 0.5 * n * np.log(2 * np.pi)
    inv, _ = lapack.dpotri(chol, lower=1)
    inv = np.tril(inv) + np.tril(inv, -1).T
    w = np.outer(alpha, alpha) - inv  # d lml / d K = w / 2
    grad = np.empty_like(theta)
    ls = np.exp(theta[:d])
    grad[layout.numeric] = -np.einsum("ij,ijk->k", w * dk_dr2, sq) / ls[layout.numeric] ** 2
    h = w * k
    grad[layout.choice] = 0.5 * np.einsum("ij,ijk->k", h, mis) / ls[layout.choice]
    grad[d] = 0.5 * np.sum(h)
    grad[d + 1] = 0.5 * noise * np.trace(w)
    grad[d + 2] = np.sum(alpha)
    if prior:
        lp, lp_grad = _log_prior(theta, layout)
        lml, grad = lml + lp, grad + lp_grad
    return -float(lml), -grad


def fit(
    x: np.ndarray, y: np.ndarray, layout: Layout, start: np.ndarray | None = None
) -> np.ndarray:
    """The maximum a posteriori ``theta`` for standardized ``y`` at points ``x`` (L-BFGS-B with
    the analytic gradient, from ``start`` or ``default_theta``)."""
    sq, mis = _pairs(x, x, layout)
    theta0 = default_theta(layout) if start is None else start
    bounds = _bounds(layout)
    theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
    result = minimize(
        neg_log_posterior,
        theta0,
        args=(sq, mis, y, layout),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": _FIT_ITERATIONS},
    )
    return result.x if np.all(np.isfinite(result.x)) else theta0


class Posterior:
    """The GP given ``theta`` and the observations (x, y): mean, latent variance and their
    gradients in the numeric coordinates."""

    def __init__(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray, layout: Layout):
        self.theta, self.x, self.y, self.layout = theta, x, y, layout
        d = layout.d
        self.signal = float(np.exp(theta[d]))
        self.mean = float(theta[d + 2])
        sq, mis = _pairs(x, x, layout)
        k, _, _ = _kernel_parts(sq, mis, theta, layout)
        self.chol, _ = _cholesky(k + np.exp(theta[d + 1]) * np.eye(len(x)))
        self.alpha = cho_solve((self.chol, True), y - self.mean)

    def _cross(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sq, mis = _pairs(q, self.x, self.layout)
        k, dk_dr2, _ = _kernel_parts(sq, mis, self.theta, self.layout)
        return k, dk_dr2, sq

    def predict(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and latent variance at the rows of ``q``."""
        k, _, _ = self._cross(q)
        mu = self.mean + k @ self.alpha
        v = cho_solve((self.chol, True), k.T)
        var = self.signal - np.einsum("ij,ji->i", k, v)
        return mu, np.maximum(var, 1e-12 * self.signal)

    def predict_grad(self, q: np.ndarray) -> tuple[np.ndarray, ...]:
        """Mean, variance and their gradients (rows of ``q`` by numeric coordinates)."""
        k, dk_dr2, _ = self._cross(q)
        mu = self.mean + k @ self.alpha
        v = cho_solve((self.chol, True), k.T).T
        var = self.signal - np.sum(k * v, axis=1)
        ls = np.exp(self.theta[self.layout.numeric])
        diff = q[:, None, self.layout.numeric] - self.x[None, :, self.layout.numeric]
        dk = 2.0 * dk_dr2[:, :, None] * diff / ls**2  # d k(q, x_i) / d q_j
        dmu = np.einsum("qij,i->qj", dk, self.alpha)
        dvar = -2.0 * np.einsum("qij,qi->qj", dk, v)
        floor = 1e-12 * self.signal
        dvar[var < floor] = 0.0
        return mu, np.maximum(var, floor), dmu, dvar

    def believe(self, points: np.ndarray) -> Posterior:
        """This posterior conditioned on its own mean at ``points`` (kriging believer): the mean
        stays, the variance there and nearby shrinks."""
        if not len(points):
            return self
        mu, _ = self.predict(points)
        x = np.vstack([self.x, points])
        return Posterior(self.theta, x, np.concatenate([self.y, mu]), self.layout)
