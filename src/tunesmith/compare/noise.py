"""Which differences between techniques are larger than the seed-to-seed noise: a rank test.

Two techniques differ *clearly* when a two-sided rank test (Mann-Whitney) of their per-seed
results gives p < ``ALPHA``; otherwise they are *tied*. The test's null distribution is exact
(every split of the pooled results) when there are at most ``EXACT_LIMIT`` splits, and else
``PERMUTATIONS`` random splits drawn from a fixed seed, so the same runs always give the same
verdict. Equal results share their mean rank; ``inf`` (a run that never got there) ranks last.
With fewer than 4 seeds per technique no difference can be clear: the smallest p of 3 seeds
against 3 is 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = ["ALPHA", "Standing", "rank_test", "standings"]

ALPHA = 0.05  # a difference is clear when the rank test's p is below this
EXACT_LIMIT = 20_000  # up to this many splits the null distribution is enumerated
PERMUTATIONS = 10_000  # random splits beyond that (seeded: the verdict is reproducible)


@dataclass(frozen=True)
class Standing:
    """One technique against the others on one measure (lower is better), by the rank test."""

    ahead_of: tuple[str, ...] = ()  # clearly better than these
    behind: tuple[str, ...] = ()  # clearly worse than these
    tied: tuple[str, ...] = ()  # within the noise of these

    def rank(self, count: int) -> tuple[int, int]:
        """The ranks (1 = best) this technique may hold among ``count``: 1 + the techniques
        clearly better, to ``count`` - the techniques clearly worse."""
        return 1 + len(self.behind), count - len(self.ahead_of)


def _midranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, equal values sharing their mean rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        same = x == value
        ranks[same] = ranks[same].mean()
    return ranks


def rank_test(a: Sequence[float], b: Sequence[float]) -> tuple[float, int]:
    """(p, side) of the two-sided rank test of ``a`` against ``b``: side -1 when ``a`` ranks
    lower (better), +1 higher, 0 equal. p is 1 when either side is empty."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return 1.0, 0
    ranks = _midranks(np.asarray([*a, *b], dtype=float))
    center = n * (n + m + 1) / 2
    observed = float(ranks[:n].sum()) - center
    if math.comb(n + m, n) <= EXACT_LIMIT:
        splits = np.array(list(combinations(range(n + m), n)))
    else:
        rng = np.random.default_rng(0)
        splits = np.argsort(rng.random((PERMUTATIONS, n + m)), axis=1)[:, :n]
    spread = np.abs(ranks[splits].sum(axis=1) - center)
    p = float(np.mean(spread >= abs(observed) - 1e-9))
    return p, int(np.sign(round(observed, 9)))


def standings(samples: Mapping[str, Sequence[float]]) -> dict[str, Standing]:
    """Each technique's standing against every other, from per-seed results (lower is better)."""
    names = list(samples)
    ahead: dict[str, list[str]] = {k: [] for k in names}
    behind: dict[str, list[str]] = {k: [] for k in names}
    tied: dict[str, list[str]] = {k: [] for k in names}
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            p, side = rank_test(samples[x], samples[y])
            if p < ALPHA and side < 0:
                ahead[x].append(y), behind[y].append(x)
            elif p < ALPHA and side > 0:
                ahead[y].append(x), behind[x].append(y)
            else:
                tied[x].append(y), tied[y].append(x)
    return {k: Standing(tuple(ahead[k]), tuple(behind[k]), tuple(tied[k])) for k in names}
