"""The acquisition of strategy 'gp': log expected improvement, plus the log probability that each
constraint holds when there are constraints (Gardner et al. 2014, "Bayesian Optimization with
Inequality Constraints"), maximized by L-BFGS-B from many starts over the numeric coordinates,
then a local search over the discrete ones.

Int parameters and Float parameters with a step are relaxed to the interval while L-BFGS-B
runs and rounded to their values after; Choice coordinates stay fixed during L-BFGS-B and are
searched option by option in the local search, as are the neighbours of each discrete value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr

from tunesmith.space import Choice, Distribution, Float, Int
from tunesmith.strategies._gp_model import Posterior

__all__ = ["log_h", "log_ei", "Acquisition", "Searcher"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_FAR = -1e3  # below this z, log h uses the asymptotic series
_RAW = 512  # uniform candidates scored before the starts are picked
_PERTURBED = 64  # candidates near the best observed points
_STARTS = 8  # L-BFGS-B starts
_LOCAL_SEARCHES = 3  # the best results polished by the discrete local search
_ITERATIONS = 100


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z Phi(z)), the log of expected improvement per unit of standard deviation,
    accurate for every z (no cancellation for large negative z)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    log_phi = -0.5 * z * z - _LOG_SQRT_2PI
    near = z > -1.0
    out[near] = np.log(np.exp(log_phi[near]) + z[near] * ndtr(z[near]))
    mid = ~near & (z > _FAR)
    zm = z[mid]  # phi(z) (1 + z Phi(z) / phi(z)), the ratio from the scaled complement
    out[mid] = log_phi[mid] + np.log1p(zm * np.sqrt(np.pi / 2) * erfcx(-zm / np.sqrt(2)))
    far = z <= _FAR
    zf = z[far]  # 1 + z Phi/phi = 1/z^2 - 3/z^4 + ... for z -> -inf
    out[far] = log_phi[far] - 2.0 * np.log(-zf) + np.log1p(-3.0 / (zf * zf))
    return out


def log_ei(mu: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """Log expected improvement below ``best`` (minimization)."""
    sd = np.sqrt(var)
    return log_h((best - mu) / sd) + np.log(sd)


def _log_ei_grad(post: Posterior, q: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    """Log EI at the rows of ``q`` and its gradient in the numeric coordinates."""
    mu, var, dmu, dvar = post.predict_grad(q)
    sd = np.sqrt(var)
    z = (best - mu) / sd
    lh = log_h(z)
    ratio = np.exp(log_ndtr(z) - lh)  # d log h / dz = Phi(z) / h(z)
    dz = -dmu / sd[:, None] - (z / (2 * var))[:, None] * dvar
    return lh + np.log(sd), ratio[:, None] * dz + dvar / (2 * var)[:, None]


def _log_feasible_grad(
    post: Posterior, q: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """log P(c <= threshold) under a constraint's GP at the rows of ``q``, and its gradient."""
    mu, var, dmu, dvar = post.predict_grad(q)
    sd = np.sqrt(var)
    z = (threshold - mu) / sd
    log_p = log_ndtr(z)
    ratio = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_p)  # d log Phi / dz = phi(z) / Phi(z)
    dz = -dmu / sd[:, None] - (z / (2 * var))[:, None] * dvar
    return log_p, ratio[:, None] * dz


class Acquisition:
    """Log EI below ``best`` (None: no feasible point yet, so no EI term) plus, for each
    constraint's GP and its threshold (0 in the GP's standardized units), log P(c <= threshold).
    """

    def __init__(
        self,
        post: Posterior,
        best: float | None,
        constraints: Sequence[tuple[Posterior, float]] = (),
    ):
        self.post, self.best, self.constraints = post, best, tuple(constraints)

    def __call__(self, q: np.ndarray) -> np.ndarray:
        """The acquisition at the rows of ``q``."""
        out = np.zeros(len(q))
        if self.best is not None:
            out += log_ei(*self.post.predict(q), self.best)
        for post, threshold in self.constraints:
            mu, var = post.predict(q)
            out += log_ndtr((threshold - mu) / np.sqrt(var))
        return out

    def with_grad(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The acquisition and its gradient in the numeric coordinates."""
        value = np.zeros(len(q))
        grad = np.zeros((len(q), len(self.post.layout.numeric)))
        terms = [_log_feasible_grad(post, q, t) for post, t in self.constraints]
        if self.best is not None:
            terms.append(_log_ei_grad(self.post, q, self.best))
        for v, g in terms:
            value, grad = value + v, grad + g
        return value, grad


class Searcher:
    """Snapping, neighbours and the search over one space's unit cube."""

    def __init__(self, dists: Sequence[Distribution]):
        self.dists = tuple(dists)
        self.numeric = np.array([j for j, d in enumerate(dists) if not isinstance(d, Choice)], int)
        self.choice = np.array([j for j, d in enumerate(dists) if isinstance(d, Choice)], int)
        self.discrete = [j for j, d in enumerate(dists) if _is_discrete(d)]

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Each row moved to the unit point of the value it decodes to."""
        out = np.clip(np.array(u, dtype=float), 0.0, 1.0)
        for j in self.discrete:
            out[:, j] = _snap_column(self.dists[j], out[:, j])
        return out

    def sample(
        self, m: int, rng: np.random.Generator, box: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """``m`` uniform points (in ``box``, lower and upper corners, when given), snapped."""
        u = rng.random((m, len(self.dists)))
        if box is not None:
            u = box[0] + (box[1] - box[0]) * u
        return self.snap(u)

    def neighbours(self, point: np.ndarray) -> np.ndarray:
        """The points one discrete move away: the next value up or down of an Int or stepped
        Float, any other option of a Choice."""
        rows = []
        for j in self.discrete:
            for value in _neighbour_units(self.dists[j], float(point[j])):
                row = point.copy()
                row[j] = value
                rows.append(row)
        return np.array(rows).reshape(-1, len(point))

    def perturb(self, centres: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` points near ``centres`` (numeric coordinates moved by N(0, 0.05), each Choice
        redrawn with probability 1 / d), snapped."""
        picks = centres[rng.integers(len(centres), size=m)]
        d = len(self.dists)
        noise = rng.normal(0.0, 0.05, size=(m, d))
        noise[:, self.choice] = 0.0
        redraw = rng.random((m, d)) < 1.0 / d
        redraw[:, self.numeric] = False
        out = np.where(redraw, rng.random((m, d)), picks + noise)
        return self.snap(out)

    def maximize(
        self,
        acquisition: Acquisition,
        centres: np.ndarray,
        rng: np.random.Generator,
        box: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate points, best first, with their acquisition values: the raw candidates, the
        L-BFGS-B results and the local search's, so a caller can skip the ones it cannot use.
        With ``box`` (lower and upper corners), the continuous search stays inside it."""
        near = self.perturb(centres, _PERTURBED, rng)
        if box is not None:
            near = self.snap(np.clip(near, *box))
        raw = np.vstack([self.sample(_RAW, rng, box), near])
        score = acquisition(raw)
        starts = raw[np.argsort(-score)[:_STARTS]]
        polished = self.snap(self._lbfgsb(acquisition, starts, box))
        found = acquisition(polished)
        order = np.argsort(-found)[:_LOCAL_SEARCHES]
        local = [self._local_search(acquisition, polished[i], found[i]) for i in order]
        points = np.vstack([raw, polished, *(p for p, _ in local)])
        values = np.concatenate([score, found, [s for _, s in local]])
        order = np.argsort(-values, kind="stable")
        return points[order], values[order]

    def _lbfgsb(
        self,
        acquisition: Acquisition,
        starts: np.ndarray,
        box: tuple[np.ndarray, np.ndarray] | None,
    ) -> np.ndarray:
        """Every start climbed at once, inside ``box`` (the unit cube when None): one L-BFGS-B
        over the sum of their acquisition values."""
        if not len(self.numeric):
            return starts
        shape = (len(starts), len(self.numeric))
        low, high = (
            box if box is not None else (np.zeros(len(self.dists)), np.ones(len(self.dists)))
        )
        low, high = low[self.numeric], high[self.numeric]

        def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
            q = starts.copy()
            q[:, self.numeric] = flat.reshape(shape)
            value, grad = acquisition.with_grad(q)
            return -float(np.sum(value)), -grad.reshape(-1)

        result = minimize(
            objective,
            starts[:, self.numeric].reshape(-1),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(low, high)) * shape[0],
            options={"maxiter": _ITERATIONS},
        )
        out = starts.copy()
        out[:, self.numeric] = np.clip(result.x.reshape(shape), low, high)
        return out

    def _local_search(
        self, acquisition: Acquisition, point: np.ndarray, value: float
    ) -> tuple[np.ndarray, float]:
        """Best-improvement moves over the discrete coordinates until none improves."""
        for _ in range(4 * len(self.dists) + 4):
            near = self.neighbours(point)
            if not len(near):
                break
            scores = acquisition(near)
            i = int(np.argmax(scores))
            if not scores[i] > value:
                break
            point, value = near[i], float(scores[i])
        return point, value


def _is_discrete(dist: Distribution) -> bool:
    return isinstance(dist, (Int, Choice)) or (isinstance(dist, Float) and dist.step is not None)


def _snap_column(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Unit values moved to the unit point of the value each decodes to."""
    if isinstance(dist, Choice) or (isinstance(dist, Int) and not dist.log):
        size = len(dist.options) if isinstance(dist, Choice) else dist.size
        return (np.minimum(np.floor(u * size), size - 1) + 0.5) / size
    if isinstance(dist, Float) and dist.step is not None and not dist.log:
        steps = int(round((dist.high - dist.low) / dist.step))
        return np.array([dist.to_unit(dist.low + round(v * steps) * dist.step) for v in u])
    return np.array([dist.to_unit(dist.from_unit(v)) for v in u])


def _neighbour_units(dist: Distribution, u: float) -> list[float]:
    """Unit points of the values next to the one ``u`` decodes to (every other option for a
    Choice)."""
    if isinstance(dist, Choice):
        k = len(dist.options)
        here = min(int(u * k), k - 1)
        return [(i + 0.5) / k for i in range(k) if i != here]
    value = dist.from_unit(u)
    step = dist.step if isinstance(dist, Int) or dist.step is not None else 0
    near = [value - step, value + step]
    return [dist.to_unit(v) for v in near if dist.low <= v <= dist.high]
