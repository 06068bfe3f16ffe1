"""The objective's values as strategy 'gp' models them: several objectives scalarized, and
the losses standardized, power-transformed or turned into normal scores."""

from __future__ import annotations

import numpy as np

__all__ = ["scalarize", "standardize", "power_transformed", "normal_scores"]

_RHO = 0.05  # weight of the sum in the augmented Chebyshev scalarization


def scalarize(losses: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One objective's losses as they are; several, each scaled to [0, 1], by an augmented
    Chebyshev function with weights drawn from the simplex (Knowles 2006, "ParEGO")."""
    if losses.shape[1] == 1:
        return losses[:, 0]
    low, high = losses.min(axis=0), losses.max(axis=0)
    scaled = (losses - low) / np.where(high > low, high - low, 1.0)
    w = rng.dirichlet(np.ones(losses.shape[1]))
    return np.max(w * scaled, axis=1) + _RHO * scaled @ w


def standardize(y: np.ndarray) -> np.ndarray:
    """``y`` to mean 0 and standard deviation 1 (constant values to 0)."""
    sd = float(np.std(y))
    return (y - np.mean(y)) / (sd if sd > 0 else 1.0)


def power_transformed(y: np.ndarray) -> np.ndarray:
    """Standardized losses through a Yeo-Johnson power transform fitted by maximum likelihood,
    standardized again (Cowen-Rivers et al. 2022, "HEBO"): skewed losses become closer to
    normal, so the few largest do not set the scale the good ones are modelled on."""
    from scipy.stats import yeojohnson

    z = standardize(y)
    if not np.any(z):
        return z
    return standardize(yeojohnson(z)[0])


def normal_scores(y: np.ndarray) -> np.ndarray:
    """The losses' ranks (ties averaged) through the normal quantile function, standardized: a
    copula transform (Salinas et al. 2020, "A Quantile-based Approach for Hyperparameter
    Transfer Learning"), so a few huge losses do not flatten the differences among good ones."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    return standardize(ndtri((rankdata(y) - 0.5) / len(y)))
