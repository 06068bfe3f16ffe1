"""Each parameter's share of the objective's variance, summing to 1, and how much it moves
over repeated fits (the rule: one estimate per repeat, reported as mean and standard deviation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.importance.data import MIN_TRIALS, encode
from tunesmith.importance.fanova import forest_shares
from tunesmith.importance.ped import GAMMA, ped_shares
from tunesmith.validation import Integer, OneOf, Real, check_params

__all__ = ["METHODS", "importance", "importance_with_spread"]

METHODS = ("fanova", "ped")
N_REPEATS = 3
SUBSAMPLE = 0.8  # the share of the trials one "ped" repeat draws

_PARAMETERS = {
    "method": OneOf(*METHODS),
    "n_repeats": Integer(1),
    "seed": Integer(0),
    "gamma": Real(0, 1, closed="neither"),
}


def _subsample(n: int) -> int:
    """How many trials one "ped" repeat draws (without replacement, so that its correction for
    chance holds): 80%, and never fewer than the minimum a study needs."""
    return max(MIN_TRIALS, int(round(SUBSAMPLE * n)))


def importance_with_spread(
    study: Any,
    method: str = "fanova",
    *,
    params: Sequence[str] | None = None,
    target: int | None = None,
    n_repeats: int = N_REPEATS,
    seed: int = 0,
    gamma: float = GAMMA,
) -> dict[str, tuple[float, float]]:
    """Each parameter's share of the variance, and its spread over ``n_repeats`` fits.

    Args:
        study: A Study, or a ``StudyData`` of stored trials; its COMPLETE trials that set every
            parameter of ``params`` count.
        method: "fanova" (a random forest's functional ANOVA, main effects; a repeat is a
            forest of another seed) or "ped" (model-free; a repeat draws 80% of the trials
            without replacement, one repeat uses them all).
        params: The parameters to share the variance among; None for the whole space.
        target: The objective's index, needed when the study has several.
        n_repeats: How many fits the mean and spread are taken over.
        seed: Seed of the forests and of the draws.
        gamma: The share of trials "ped" counts as the best, in (0, 1).

    Returns:
        {parameter: (mean share, standard deviation over the repeats)}, by mean share, largest
        first; the mean shares sum to 1.

    Raises:
        ValueError: An argument breaks its rule, or too few trials count.
        ImportError: "fanova" without scikit-learn.
    """
    check_params("importance", _PARAMETERS, locals())
    encoded = encode(study, target, params)
    rng = np.random.default_rng(seed)
    n = len(encoded.values)
    runs = []
    for r in range(n_repeats):
        if method == "fanova":
            runs.append(forest_shares(encoded, seed=seed + r))
        else:
            rows = np.arange(n) if n_repeats == 1 else rng.permutation(n)[: _subsample(n)]
            runs.append(ped_shares(encoded, rows, gamma))
    table = np.array(runs)
    mean, std = table.mean(axis=0), table.std(axis=0)
    mean = mean / mean.sum()
    order = sorted(range(len(mean)), key=lambda j: (-mean[j], encoded.names[j]))
    return {encoded.names[j]: (float(mean[j]), float(std[j])) for j in order}


def importance(
    study: Any,
    method: str = "fanova",
    *,
    params: Sequence[str] | None = None,
    target: int | None = None,
    n_repeats: int = N_REPEATS,
    seed: int = 0,
    gamma: float = GAMMA,
) -> dict[str, float]:
    """Each parameter's share of the objective's variance, the mean over ``n_repeats`` fits.

    Args:
        study: A Study, or a ``StudyData`` of stored trials; its COMPLETE trials that set every
            parameter of ``params`` count.
        method: "fanova" (a random forest's functional ANOVA) or "ped" (model-free).
        params: The parameters to share the variance among; None for the whole space.
        target: The objective's index, needed when the study has several.
        n_repeats: How many fits the mean is taken over.
        seed: Seed of the forests and of the draws.
        gamma: The share of trials "ped" counts as the best, in (0, 1).

    Returns:
        {parameter: share}, summing to 1, largest first (``importance_with_spread`` adds the
        spread).

    Raises:
        ValueError: An argument breaks its rule, or too few trials count.
        ImportError: "fanova" without scikit-learn.

    Examples:
        >>> import tunesmith as ts
        >>> from tunesmith.importance import importance
        >>> space = {"x": ts.Float(-1, 1), "noise": ts.Float(-1, 1)}
        >>> study = ts.create_study(space=space, seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2 + 0.01 * t.params["noise"], n_trials=40)
        >>> shares = importance(study)
        >>> max(shares, key=shares.get)
        'x'
    """
    spread = importance_with_spread(
        study,
        method,
        params=params,
        target=target,
        n_repeats=n_repeats,
        seed=seed,
        gamma=gamma,
    )
    return {name: mean for name, (mean, _) in spread.items()}
