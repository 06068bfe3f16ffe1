"""Gaussian-process Bayesian optimization: a Matérn-5/2 GP over the unit cube, proposals by log
expected improvement (Jones et al. 1998, "Efficient Global Optimization of Expensive Black-Box
Functions"; log EI as in Ament et al. 2023, "Unexpected Improvements to Expected Improvement
for Bayesian Optimization").

Everything is a function of the history and the call's ``rng``: the hyperparameters are fitted
from the prior's mode on every call (a fit is reused only for the same finished trials), so a
study reloaded from storage proposes exactly what one that was never closed would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from tunesmith.space import Space
from tunesmith.strategies import _gp_trust_region as trust
from tunesmith.strategies._gp_outputs import normal_scores, power_transformed, scalarize
from tunesmith.strategies.base import Strategy, decode, encode, params_key, usable
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import Boolean, Integer, NoneOr, check_params

__all__ = ["GP"]

_MIN_STARTUP = 10  # the default start-up: this many, or the dimension + 1 if larger
_CENTRES = 5  # best observed points whose neighbourhoods seed the acquisition search
_REDRAWS = 64  # uniform draws tried for a proposal when every candidate is taken
_BLAS = threading.Lock()  # one proposal at a time holds the BLAS thread limit


def _load_scipy() -> tuple[Any, Any]:
    """The model and acquisition modules, which need scipy."""
    try:
        from tunesmith.strategies import _gp_acquisition, _gp_model
    except ImportError as exc:
        raise ImportError(
            "Strategy 'gp' needs scipy; install it with pip install \"tunesmith[gp]\"."
        ) from exc
    return _gp_model, _gp_acquisition


class GP(Strategy):
    """Bayesian optimization with a Gaussian process and log expected improvement.

    The kernel is a Matérn-5/2 with one lengthscale per numeric parameter (Float and Int, in
    the unit cube, so log parameters are modelled in log space) times a Choice kernel
    ``exp(-sum of mismatches / lengthscale)``. The GP models the standardized losses after a
    Yeo-Johnson power transform (fitted to them, as HEBO does), with a fitted constant mean; on
    a space whose parameters are all discrete (Int, Choice, stepped Float) it models their
    normal scores (ranks through the normal quantile function, mean 0), so a few huge losses
    do not flatten the differences among good ones. The noise variance is
    fitted with the kernel, by maximizing the marginal likelihood plus priors (gamma on
    lengthscales; on the noise, when every parameter is continuous a nearly flat log-normal
    down to 1e-10 of the standardized variance, so a noiseless objective is interpolated and
    its minimum resolved to more digits, else one keeping it near 1e-4) with L-BFGS-B. Log EI
    is maximized by L-BFGS-B from the best of many random and near-the-best starts, Int and
    stepped Float values rounded, then a local search over the discrete values and the Choice
    options.

    With one objective, no constraints, a continuous parameter and no Int or stepped Float,
    the search for the next point stays in a trust region (TuRBO's, Eriksson et al. 2019): a
    box around the best point whose sides follow the lengthscales, 0.8 of the unit cube at
    first, doubled after 3 improvements in a row and halved after max(4, number of parameters)
    failures in a row, starting over once smaller than 1/128. Once the box is smaller than
    its first size, the GP that searches it is fitted to the points in and near it (within
    half a side, at least 2 (d + 1) of them), in the box's own coordinates and on their own
    standardized losses, so a small box is modelled at its own scale. The box is replayed from
    the finished losses in trial order, so it depends on the history alone.

    The first ``n_startup_trials`` finished trials (default None: 10, or the number of
    parameters + 1 if larger) are uniform draws, as random search makes them. Pruned trials
    count as the worst complete value (one objective; with several they are left out), failed
    ones are ignored. Trials running or waiting
    elsewhere, and the proposals made earlier in the same call, are fantasies: the GP is
    conditioned on its own mean there (kriging believer, the improvement counted from the best
    of the observed and fantasy values), so the points of a batch and of parallel workers
    differ; no proposal repeats a running point or another of its batch while others exist.

    Constraints (``Trial.set_constraints``): one GP per constraint, and the acquisition adds
    the log probability that each holds to log EI over the best feasible value (Gardner et
    al. 2014); before any feasible point, the probability alone.

    Several objectives: each proposal scalarizes the losses, each scaled to [0, 1] over the
    finished trials, by an augmented Chebyshev function with weights drawn uniformly from the
    simplex by the call's ``rng`` (Knowles 2006, "ParEGO"), the GP keeping the hyperparameters
    fitted for the call's first weights. Needs ``pip install "tunesmith[gp]"`` (scipy).

    Args:
        n_startup_trials: Finished trials drawn uniformly before the GP proposes; None for 10
            or the number of parameters + 1, whichever is larger.
        trust_region: Search for each proposal in the trust region (where it applies, see
            above); False searches the whole space every time.

    Raises:
        ImportError: scipy is not installed.

    Examples:
        >>> import tunesmith as ts
        >>> space = {"x": ts.Float(-2, 2), "y": ts.Float(-2, 2)}
        >>> study = ts.create_study(space=space, strategy=ts.strategies.GP(), seed=0)
        >>> study.optimize(lambda t: t.params["x"] ** 2 + t.params["y"] ** 2, n_trials=15)
        >>> study.best_value < 0.5
        True
    """

    name = "gp"
    _parameters = {"n_startup_trials": NoneOr(Integer(1)), "trust_region": Boolean()}

    def __init__(self, n_startup_trials: int | None = None, trust_region: bool = True):
        check_params("GP", self._parameters, locals())
        _load_scipy()
        self.n_startup_trials = None if n_startup_trials is None else int(n_startup_trials)
        self.trust_region = bool(trust_region)
        self._fitted: dict[bytes, np.ndarray] = {}  # data key -> theta: the last call's fits

    def startup(self, d: int) -> int:
        """The number of finished trials drawn uniformly before the GP proposes.

        Args:
            d: The number of parameters.

        Returns:
            ``n_startup_trials``, or by default the larger of 10 and ``d + 1``.
        """
        if self.n_startup_trials is not None:
            return self.n_startup_trials
        return max(_MIN_STARTUP, d + 1)

    def propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        if not space:
            return [{} for _ in range(n)]
        with _one_blas_thread():
            return self._propose(history, space, n, rng)

    def _propose(
        self, history: Sequence[FrozenTrial], space: Space, n: int, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        model, acquisition = _load_scipy()
        x, losses, limits, pending, complete = self._data(history, space)
        searcher = acquisition.Searcher(tuple(space.values()))
        startup = self.startup(len(space))
        fits: dict[bytes, np.ndarray] = {}
        if len(x) < max(startup, 2):
            picks = self._uniform(searcher, pending, n, rng)
        elif (
            self.trust_region
            and _boxable(searcher)
            and losses.shape[1] == 1
            and not limits.shape[1]
        ):
            length = trust.side_length(losses[:complete, 0], startup, len(space))
            picks = self._in_trust_region(
                model, searcher, (x, losses), pending, n, rng, length, fits
            )
        else:
            picks = self._guided(model, searcher, (x, losses, limits), pending, n, rng, fits)
        self._fitted = fits
        return [decode(row, space) for row in picks]

    def _data(
        self, history: Sequence[FrozenTrial], space: Space
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """Finished points, their losses (pruned ones at the worst complete loss of each
        objective, for one objective only, after the complete ones) and constraint values (NaN
        where unknown), the points running or waiting, and the number of complete points (the
        first rows, in trial order)."""
        signs = np.array([-1.0 if d == "maximize" else 1.0 for d in self.directions])
        done, values, limits, pruned, pending = [], [], [], [], []
        for t in history:
            if not usable(t, space):
                continue
            if t.state is TrialState.COMPLETE and t.values is not None:
                row = np.asarray(t.values, dtype=float)
                if len(row) == len(signs) and np.all(np.isfinite(row)):
                    done.append(encode(t.params, space))
                    values.append(signs * row)
                    limits.append(t.constraints)
            elif t.state is TrialState.PRUNED and len(signs) == 1:
                pruned.append(encode(t.params, space))
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                pending.append(encode(t.params, space))
        d, m = len(space), len(signs)
        losses = np.array(values, dtype=float).reshape(-1, m)
        if pruned and len(values):
            losses = np.vstack([losses, np.full((len(pruned), m), losses.max(axis=0))])
            done += pruned
            limits += [None] * len(pruned)
        x = np.array(done).reshape(-1, d)
        pending_x = np.array(pending).reshape(-1, d)
        return x, losses, _constraint_matrix(limits), pending_x, len(values)

    def _uniform(
        self, searcher: Any, pending: np.ndarray, n: int, rng: np.random.Generator
    ) -> np.ndarray:
        """``n`` uniform draws (the start-up phase), each off the running points and the draws
        before it while a free one is found within a few redraws."""
        picks = searcher.snap(rng.random((n, len(searcher.dists))))
        for i in range(n):
            taken = _keys(np.vstack([pending, picks[:i]]))
            if _key(picks[i]) in taken:
                picks[i] = _first_free(searcher.sample(_REDRAWS, rng), taken, picks[i])
        return picks

    def _in_trust_region(
        self,
        model: Any,
        searcher: Any,
        data: tuple[np.ndarray, np.ndarray],
        pending: np.ndarray,
        n: int,
        rng: np.random.Generator,
        length: float,
        fits: dict,
    ) -> np.ndarray:
        """``n`` proposals in the trust region: the box of side ``length`` around the best point,
        shaped by the lengthscales of a fit to every point. Once the box has shrunk, it is
        searched with a GP fitted to the points in and near it, in the box's own coordinates
        and on their own standardized losses, so the model resolves the differences inside it;
        until then with the fit to every point."""
        x, losses = data
        y = power_transformed(losses[:, 0])
        layout = _objective_layout(model, searcher, ranked=False)
        theta = self._fit(model, x, y, layout, fits)
        best = x[int(np.argmin(y))]
        low, high = trust.box(best, length, np.exp(theta[searcher.numeric]), searcher.numeric)
        if not trust.shrunk(length):  # the whole data's model, searched in the box
            whole = (x, losses, np.empty((len(x), 0)))
            return self._guided(model, searcher, whole, pending, n, rng, fits, (low, high))
        near = trust.near(x, low, high, minimum=2 * (x.shape[1] + 1))
        span = high - low
        local = ((x[near] - low) / span, losses[near], np.empty((int(near.sum()), 0)))
        picks = self._guided(model, searcher, local, (pending - low) / span, n, rng, fits)
        return np.clip(low + span * picks, 0.0, 1.0)

    def _guided(
        self,
        model: Any,
        searcher: Any,
        data: tuple[np.ndarray, np.ndarray, np.ndarray],
        pending: np.ndarray,
        n: int,
        rng: np.random.Generator,
        fits: dict,
        box: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """``n`` proposals from the GP, each conditioned on the running points and the
        proposals before it (kriging believer); with constraints, weighed by the probability
        that each holds and improving on the best feasible point. With ``box`` (lower and
        upper corners), the acquisition is maximized inside it."""
        x, losses, limits = data
        acquisition = _load_scipy()[1]
        ranked = len(searcher.discrete) == x.shape[1]  # every coordinate discrete: normal scores
        transform = normal_scores if ranked else power_transformed
        layout = _objective_layout(model, searcher, ranked)
        feasible = np.all(limits <= 0.0, axis=1)  # NaN compares False: not known feasible
        constraint_layout = model.Layout(searcher.numeric, searcher.choice)
        constraints = [
            self._constraint_posterior(model, x, c, constraint_layout, fits) for c in limits.T
        ]
        constraints = [c for c in constraints if c is not None]
        theta = post = None
        picks = np.empty((n, x.shape[1]))
        for i in range(n):
            if post is None or losses.shape[1] > 1:  # one objective: the same model for all n
                y = transform(scalarize(losses, rng))
                if theta is None:
                    theta = self._fit(model, x, y, layout, fits)
                post = model.Posterior(theta, x, y, layout)
                centres = x[np.lexsort((y, ~feasible))[:_CENTRES]]
            believed = post.believe(np.vstack([pending, picks[:i]]))
            if limits.shape[1]:  # the best feasible observation, or none yet
                best = float(np.min(y[feasible])) if feasible.any() else None
            else:
                best = float(np.min(believed.y))  # a fantasy below the best observed counts
            scorer = acquisition.Acquisition(believed, best, constraints)
            candidates, _ = searcher.maximize(scorer, centres, rng, box)
            taken = _keys(np.vstack([pending, picks[:i]]))
            fallback = searcher.sample(_REDRAWS, rng)
            picks[i] = _first_free(np.vstack([candidates, fallback]), taken, candidates[0])
        return picks

    def _fit(self, model: Any, x: np.ndarray, y: np.ndarray, layout: Any, fits: dict) -> np.ndarray:
        """The hyperparameters for (x, y), fitted from the prior's mode; a fit of this call or
        the previous one is reused when the data is the same (a function of the data either
        way). ``fits`` collects this call's fits, which become the cache when the call ends."""
        key = x.tobytes() + y.tobytes()
        theta = fits.get(key, self._fitted.get(key))
        if theta is None:
            theta = model.fit(x, y, layout)
        fits[key] = theta
        return theta

    def _constraint_posterior(
        self, model: Any, x: np.ndarray, values: np.ndarray, layout: Any, fits: dict
    ) -> tuple[Any, float] | None:
        """One constraint's GP over the points that reported it, standardized, with the
        threshold 0 in its units; None with fewer than two such points."""
        known = np.isfinite(values)
        if known.sum() < 2:
            return None
        c = values[known]
        sd = float(np.std(c)) or 1.0
        z = (c - np.mean(c)) / sd
        theta = self._fit(model, x[known], z, layout, fits)
        return model.Posterior(theta, x[known], z, layout), float(-np.mean(c) / sd)


def _objective_layout(model: Any, searcher: Any, ranked: bool) -> Any:
    """The objective's GP layout: mean 0 over normal scores when ``ranked``; with every
    parameter continuous the weak noise prior (the noise is the data's to choose: a noiseless
    minimum resolved to more digits), else the small one (where it was measured)."""
    noise = model.NOISE_SMALL if searcher.discrete else model.NOISE_WEAK
    return model.Layout(searcher.numeric, searcher.choice, fit_mean=not ranked, noise=noise)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while a proposal is made (when threadpoolctl is installed): the GP's
    matrices are small, so threads only add overhead, several times the work on a busy CPU."""
    with _BLAS:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            yield
            return
        with threadpool_limits(limits=1, user_api="blas"):
            yield


def _boxable(searcher: Any) -> bool:
    """Whether the trust region applies to the space: a continuous parameter and no Int or
    stepped Float. Measured on the Bayesmark-style spaces with an Int (dt, rf, mlp, 10 seeds):
    the box lost 2 / 15 / 13 to the whole-space search (plateaus between integer steps count
    as failures and shrink it); on those without one (svm, linear) it won 7 / 8 / 5."""
    numeric_steps = set(searcher.discrete) & set(searcher.numeric.tolist())
    return len(searcher.numeric) > 0 and not numeric_steps


def _constraint_matrix(rows: list[tuple[float, ...] | None]) -> np.ndarray:
    """Constraint values, one row per finished point; NaN where a trial set none or a number
    of values other than the first trial that set any. No column when none did."""
    width = next((len(r) for r in rows if r is not None), 0)
    out = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        if row is not None and len(row) == width:
            out[i] = row
    return out


def _key(row: np.ndarray) -> str:
    return params_key({str(j): round(float(v), 9) for j, v in enumerate(row)})


def _keys(rows: np.ndarray) -> set[str]:
    return {_key(r) for r in rows}


def _first_free(candidates: np.ndarray, taken: set[str], default: np.ndarray) -> np.ndarray:
    """The first candidate no other point holds; ``default`` when every one is held."""
    for row in candidates:
        if _key(row) not in taken:
            return row
    return default
