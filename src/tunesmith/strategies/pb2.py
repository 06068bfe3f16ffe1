"""PB2's explore: a Gaussian-process bandit over the hyperparameters (Parker-Holder et al. 2020,
"Provably Efficient Online Hyperparameter Optimization with Population-Based Bandits").

Shared by ``population.pbt`` and ``tunesmith.PBT`` (``explore="pb2"``). Each finished member
segment after the first is one observation: its start time, its values, and its reward change
(the loss at its start, that is the loss of the member whose weights it continued at the ready
point, minus its loss at its end; a first segment has no measured start and gives none). The GP
of strategy 'gp' (Matérn-5/2 over the unit cube, a mismatch kernel for Choice) is fitted to the
newest ``MAX_OBSERVATIONS``, inputs the values in the unit cube plus the time scaled by the
current time into [0, 1] as one more numeric coordinate (a simplification of the paper's
time-varying kernel: old segments count less only through the time lengthscale), outputs
standardized after the large losses are clipped (a change below the first quartile minus 3
interquartile ranges counts as that). For each exploited member the numeric values maximize the
upper confidence bound ``mu + sqrt(beta_t) sd`` at the current time, ``beta_t = 2 log(t^2 pi^2
/ (6 delta)) / 5`` (the GP-UCB schedule of Srinivas et al. 2010, "Gaussian Process Optimization
in the Bandit Setting", scaled down by 5 as in their experiments; ``t`` the number of distinct
observation times, ``delta = 0.1``), over 1024 random candidates then L-BFGS-B from the best
4; one batch by kriging believer (each proposal conditions the GP on its own mean there), so
members get distinct proposals, though close together where the GP is sure. PB2 is for
continuous values: a Choice keeps the source's option, or is drawn again with probability ``p``;
Int and stepped Float values are snapped by ``from_unit``. With fewer than
``MIN_OBSERVATIONS`` observations (or fewer than the sources) the values are perturbed instead
(×0.8 or ×1.2, as ``explore="perturb"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.exploration import explore
from tunesmith.space import Choice, Distribution
from tunesmith.strategies.gp import _one_blas_thread

__all__ = [
    "MAX_OBSERVATIONS",
    "MIN_OBSERVATIONS",
    "pb2_explore",
    "require_scipy",
    "segment_observations",
]

MIN_OBSERVATIONS = 4
MAX_OBSERVATIONS = 256
_CANDIDATES = 1024  # random points scored before the starts are picked
_STARTS = 4  # L-BFGS-B starts: the best candidates
_ITERATIONS = 50
_DELTA = 0.1
_SCALE = 5.0  # beta_t divided by 5, as Srinivas et al. do in their experiments
_CLIP_IQR = 3.0

Observation = tuple[float, Mapping[str, Any], float]


def require_scipy(owner: str) -> tuple[Any, Any]:
    """The GP model and the optimizer (rule: scipy, from the ``gp`` extra, only for pb2).

    Args:
        owner: The function or class named in the error message.

    Returns:
        The GP model module and scipy's ``minimize``.

    Raises:
        ImportError: When scipy is missing (``pip install "tunesmith[gp]"``).
    """
    try:
        from scipy.optimize import minimize  # noqa: PLC0415 - optional extra

        from tunesmith.strategies import _gp_model  # noqa: PLC0415 - needs scipy
    except ImportError as exc:
        raise ImportError(
            f"explore='pb2' of {owner} needs scipy; install it with pip install \"tunesmith[gp]\"."
        ) from exc
    return _gp_model, minimize


def segment_observations(
    segments: Sequence[Mapping[str, Any]], *, config: str = "params", value: str = "loss",
    sign: float = 1.0,
) -> list[Observation]:  # fmt: skip
    """PB2's observations from PBT's segment records (rule: the module's reward change).

    Args:
        segments: Records with "member", "segment", "start", "parent", the values under
            ``config`` and the loss (or score) under ``value``, in any order.
        config: The key of a record's values.
        value: The key of a record's loss or score.
        sign: 1.0 when ``value`` is a loss (lower is better), -1.0 for a score to maximize.

    Returns:
        (start time, values, reward change) of every segment whose start loss is known (not a
        first segment) and whose change is finite, in the order of ``segments``.
    """
    ends = {(s["member"], s["segment"]): sign * float(s[value]) for s in segments}
    out = []
    for s in segments:
        start = ends.get((s["parent"], s["segment"] - 1))
        if start is None:
            continue
        change = start - sign * float(s[value])
        if math.isfinite(change):
            out.append((float(s["start"]), dict(s[config]), change))
    return out


def _standardized(changes: np.ndarray) -> np.ndarray:
    """Changes clipped below at Q1 - 3 IQR (a diverged member), then to mean 0, sd 1."""
    q1, q3 = np.percentile(changes, [25, 75])
    y = np.maximum(changes, q1 - _CLIP_IQR * (q3 - q1))
    sd = float(np.std(y))
    return (y - y.mean()) / (sd if sd > 1e-12 else 1.0)


def _encode(space: Mapping[str, Distribution], values: Mapping[str, Any], t: float) -> np.ndarray:
    """The values in the unit cube (space order), then the scaled time."""
    return np.array([*(d.to_unit(values[n]) for n, d in space.items()), t])


class _Bandit:
    """The fitted GP and the UCB search over the free (numeric) coordinates at time 1."""

    def __init__(self, space: Mapping[str, Distribution], obs: Sequence[Observation], now: float):
        gp, self.minimize = require_scipy("pb2_explore")
        names = list(space)
        self.free = [i for i, n in enumerate(names) if not isinstance(space[n], Choice)]
        choice = [i for i, n in enumerate(names) if isinstance(space[n], Choice)]
        layout = gp.Layout(np.array([*self.free, len(names)]), np.array(choice, dtype=int))
        x = np.array([_encode(space, v, t / now) for t, v, _ in obs])
        y = _standardized(np.array([r for _, _, r in obs]))
        self.post = gp.Posterior(gp.fit(x, y, layout), x, y, layout)
        t = len({t for t, _, _ in obs})
        self.kappa = math.sqrt(2.0 * math.log(t * t * math.pi**2 / (6.0 * _DELTA)) / _SCALE)

    def _rows(self, base: np.ndarray, z: np.ndarray) -> np.ndarray:
        q = np.tile(base, (len(z), 1))
        q[:, self.free] = z
        return q

    def _negative_ucb(self, z: np.ndarray, base: np.ndarray) -> tuple[float, np.ndarray]:
        mu, var, dmu, dvar = self.post.predict_grad(self._rows(base, z[None]))
        sd = np.sqrt(var)
        grad = dmu + self.kappa * dvar / (2.0 * sd[:, None])
        return -float(mu[0] + self.kappa * sd[0]), -grad[0, : len(self.free)]

    def best(self, base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The free coordinates of highest UCB, with the others as in ``base``."""
        if not self.free:  # Choice values only: nothing for the bandit to move
            return np.empty(0)
        z = np.vstack([base[self.free], rng.random((_CANDIDATES, len(self.free)))])
        mu, var = self.post.predict(self._rows(base, z))
        ucb = mu + self.kappa * np.sqrt(var)
        top, score = z[int(np.argmax(ucb))], float(np.max(ucb))
        for start in z[np.argsort(-ucb)[:_STARTS]]:
            res = self.minimize(
                self._negative_ucb, start, args=(base,), jac=True, method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * len(self.free), options={"maxiter": _ITERATIONS},
            )  # fmt: skip
            if np.all(np.isfinite(res.x)) and -float(res.fun) > score:
                top, score = np.clip(res.x, 0.0, 1.0), -float(res.fun)
        return top

    def believe(self, point: np.ndarray) -> None:
        """Condition on the GP's own mean at ``point`` (kriging believer)."""
        self.post = self.post.believe(point[None])


def pb2_explore(
    space: Mapping[str, Distribution], observations: Sequence[Observation],
    sources: Sequence[Mapping[str, Any]], rng: np.random.Generator, *,
    now: float | None = None, p: float = 0.25,
) -> list[dict[str, Any]]:  # fmt: skip
    """New values for each exploited member by PB2 (rule: the module's GP-UCB bandit).

    Args:
        space: The hyperparameters, names to Float, Int or Choice.
        observations: (start time, values, reward change) of the finished segments, oldest
            first (``segment_observations`` builds them); the newest ``MAX_OBSERVATIONS`` count.
        sources: The values each exploited member copied, one proposal each, in order.
        rng: The generator of the candidates and of the Choice draws.
        now: The current time (the ready point), > 0; None: the latest observation time.
        p: The probability of drawing a Choice option again, in [0, 1].

    Returns:
        One dict of values per source, every value inside the space.

    Raises:
        ImportError: When scipy is missing (``pip install "tunesmith[gp]"``).

    Examples:
        >>> import numpy as np
        >>> from tunesmith.space import Float
        >>> space = {"lr": Float(0.0, 1.0)}
        >>> obs = [(float(t), {"lr": u}, -((u - 0.7) ** 2)) for t in (1, 2) for u in
        ...        np.linspace(0, 1, 8)]
        >>> [new] = pb2_explore(space, obs, [{"lr": 0.1}], np.random.default_rng(0), now=3)
        >>> abs(new["lr"] - 0.7) < 0.15
        True
    """
    if len(observations) < max(MIN_OBSERVATIONS, len(sources)):
        return [explore(space, s, rng, "perturb", p) for s in sources]
    recent = list(observations)[-MAX_OBSERVATIONS:]
    now = float(now if now is not None else max(t for t, _, _ in recent))
    require_scipy("pb2_explore")  # loaded before the BLAS thread limit applies to it
    with _one_blas_thread():
        return _propose(space, recent, sources, rng, now if now > 0 else 1.0, p)


def _propose(
    space: Mapping[str, Distribution], recent: Sequence[Observation],
    sources: Sequence[Mapping[str, Any]], rng: np.random.Generator, now: float, p: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """One proposal per source, each believed before the next (rule: kriging believer)."""
    bandit = _Bandit(space, recent, now)
    out = []
    for source in sources:
        values = {
            n: d.from_unit(float(rng.random())) if rng.random() < p else source[n]
            for n, d in space.items()
            if isinstance(d, Choice)
        }
        base = _encode(space, {**source, **values}, 1.0)
        z = bandit.best(base, rng)
        for i, (name, dist) in enumerate(space.items()):
            if i in bandit.free:
                values[name] = dist.from_unit(float(z[bandit.free.index(i)]))
        new = {name: values[name] for name in space}
        out.append(new)
        bandit.believe(_encode(space, new, 1.0))
    return out
