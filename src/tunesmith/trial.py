"""Trials: the live handle an objective receives, and the frozen record the storage keeps."""

from __future__ import annotations

import enum
import math
import zlib
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import numpy as np

from tunesmith.records import SystemKey
from tunesmith.space import Choice, Distribution, Float, Int

__all__ = ["TrialState", "TrialPruned", "FrozenTrial", "Trial", "canonical_params"]


class TrialState(str, enum.Enum):
    """Life cycle of a trial: WAITING (queued) -> RUNNING -> COMPLETE, PRUNED or FAIL."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"

    @property
    def finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class TrialPruned(Exception):
    """Raise inside an objective to stop a trial that ``trial.should_prune()`` gave up on."""


@dataclass(frozen=True)
class FrozenTrial:
    """What storage keeps of one trial; plain JSON-able fields only.

    ``user_attrs`` hold what the user set; ``system_attrs`` tunesmith's own data, read through
    the properties below (keys in ``records.SystemKey``).

    Attributes:
        number: The trial's number in its study, from 0 in the order trials were created.
        state: Where the trial is in its life cycle.
        params: Parameter values by name (a Choice value read back as a list is given as its
            tuple option).
        distributions: The distribution of each parameter, by name.
        values: The objective values, one per direction; None until the trial completes.
        intermediate: The values reported with ``Trial.report``, by step.
        user_attrs: What the objective attached with ``Trial.set_user_attr``.
        system_attrs: tunesmith's own data about the trial (keys in ``records.SystemKey``).
        error: The error message of a trial that failed, else None.
        started: When the trial started running (seconds since the epoch), or None.
        finished: When the trial finished (seconds since the epoch), or None.
        trial_id: The storage's id of the trial's row; -1 for a trial never stored.
    """

    number: int
    state: TrialState
    params: dict[str, Any]
    distributions: dict[str, Distribution]
    _: KW_ONLY
    values: tuple[float, ...] | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    trial_id: int = -1

    def __post_init__(self) -> None:
        """A Choice value read back as a JSON list is given as its tuple option (storage keeps
        lists, every reader gets what was suggested); a value outside the options stays."""
        if any(type(v) is list for v in self.params.values()):
            object.__setattr__(self, "params", canonical_params(self.params, self.distributions))

    @property
    def value(self) -> float | None:
        """The objective value; for several objectives use ``values``."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError("This trial has several objective values; read 'values' instead.")
        return self.values[0]

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate) if self.intermediate else None

    @property
    def batch(self) -> int | None:
        """Number of the first trial of the proposal batch this trial came from."""
        return self.system_attrs.get(SystemKey.BATCH)

    @property
    def retry_of(self) -> int | None:
        """Number of the trial whose parameters this one runs again, or None."""
        return self.system_attrs.get(SystemKey.RETRY_OF)

    @property
    def traceback(self) -> str | None:
        """The objective's traceback, for a trial that raised."""
        return self.system_attrs.get(SystemKey.TRACEBACK)

    @property
    def gradient(self) -> dict[str, float] | None:
        """{name: d value / d param} returned by the objective (or set as a user attribute)."""
        return self.system_attrs.get(SystemKey.GRADIENT, self.user_attrs.get("gradient"))

    @property
    def constraints(self) -> tuple[float, ...] | None:
        """The values given to ``Trial.set_constraints`` (each <= 0 when satisfied), or None."""
        values = self.system_attrs.get(SystemKey.CONSTRAINTS)
        return None if values is None else tuple(float(v) for v in values)

    @property
    def feasible(self) -> bool | None:
        """Whether every constraint is satisfied (<= 0); None when none were set."""
        values = self.constraints
        return None if values is None else all(v <= 0.0 for v in values)


def canonical_params(params: dict[str, Any], dists: dict[str, Distribution]) -> dict[str, Any]:
    """``params`` with each Choice value as its option (a stored list -> its tuple).

    Args:
        params: Parameter values by name, as stored (JSON: tuples read back as lists).
        dists: The distributions by name; names without one, or not a Choice, are kept as is.

    Returns:
        A new dict; a value that is no option of its Choice is kept as is.

    Examples:
        >>> canonical_params({"h": [64, 64]}, {"h": Choice([(64, 64), (128,)])})
        {'h': (64, 64)}
    """
    out = dict(params)
    for name, value in params.items():
        dist = dists.get(name)
        if isinstance(dist, Choice) and dist.contains(value):
            out[name] = dist.canonical(value)
    return out


def _same_kind(a: Distribution, b: Distribution) -> bool:
    return type(a) is type(b)


class Trial:
    """The handle an objective gets: proposed ``params``, ``suggest_*``, ``report``, user attrs.

    Values not proposed by the strategy (define-by-run parameters it has not seen yet) are drawn
    uniformly from a generator seeded by the study seed, the trial number and the name, so a
    run is reproducible whatever the parallelism.

    The study builds trials; an objective only uses them.

    Args:
        number: The trial's number in its study.
        params: The strategy's proposed values, by name.
        distributions: The distribution of each proposed value, by name.
        seed: The study seed, for the draws of parameters the strategy did not propose.
        pruner: The study's pruner (its ``prune(trial, history, directions)`` decides
            :meth:`should_prune`), or None never to prune.
        pruner_history: The study's trials the pruner compares this one with.
        directions: The study's directions, ``"minimize"`` or ``"maximize"`` per objective.
        trial_id: The storage's id of the trial's row; -1 for a trial never stored.
        declared: Whether the study has a declared space: then ``params`` holds every proposed
            parameter from the start; else only those the objective suggests.
    """

    def __init__(
        self,
        number: int,
        params: dict[str, Any],
        distributions: dict[str, Distribution],
        *,
        seed: int = 0,
        pruner: Any = None,
        pruner_history: Sequence[FrozenTrial] = (),
        directions: Sequence[str] = ("minimize",),
        trial_id: int = -1,
        declared: bool = True,
    ):
        self.number = number
        self.trial_id = trial_id
        self._proposed = dict(params)
        self._proposed_dists = dict(distributions)
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        # With a declared space the trial holds every proposed parameter from the start; with
        # define-by-run only those the objective suggests (a proposal may cover parameters of
        # branches this trial never takes).
        if declared:
            for name, dist in distributions.items():
                if name in params:
                    self.params[name] = params[name]
                    self.distributions[name] = dist
        self.intermediate: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}  # tunesmith's own data (records.SystemKey)
        self._seed = seed
        self._pruner = pruner
        self._pruner_history = pruner_history
        self._directions = tuple(directions)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r})"

    # -- define-by-run -------------------------------------------------------------------
    def _suggest(self, name: str, dist: Distribution) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"The 'name' parameter of suggest must be a non-empty string. Got {name!r} instead."
            )
        if name in self.distributions and self.distributions[name] != dist:
            if not (name in self._proposed and dist.contains(self.params[name])):
                raise ValueError(
                    f"Parameter {name!r} was already suggested as {self.distributions[name]!r} in "
                    f"trial {self.number}; it cannot be suggested again as {dist!r}."
                )
        proposed = self._proposed.get(name, None)
        if (
            name in self._proposed
            and _same_kind(dist, self._proposed_dists.get(name, dist))
            and dist.contains(proposed)
        ):
            value = proposed
        elif name in self.params and dist.contains(self.params[name]):
            value = self.params[name]
        else:
            key = zlib.crc32(name.encode())
            rng = np.random.default_rng([self._seed, self.number, key])
            value = dist.from_unit(rng.random())
        if isinstance(dist, Choice):  # a list read back or enqueued is given as its tuple
            value = dist.canonical(value)
        self.params[name] = value
        self.distributions[name] = dist
        return value

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """A float in [low, high] (log-uniform with ``log=True``, on a lattice with ``step``).

        Args:
            name: The parameter's name.
            low: The lowest value.
            high: The highest value.
            log: Draw log-uniformly (needs low > 0).
            step: The lattice's step; None for every real value.

        Returns:
            The strategy's proposal for ``name``, else a seeded uniform draw.
        """
        return float(self._suggest(name, Float(low, high, log=log, step=step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        """An int in [low, high] on a ``step`` lattice (log-uniform with ``log=True``).

        Args:
            name: The parameter's name.
            low: The lowest value.
            high: The highest value.
            log: Draw log-uniformly (needs low >= 1).
            step: The lattice's step.

        Returns:
            The strategy's proposal for ``name``, else a seeded uniform draw.
        """
        return int(self._suggest(name, Int(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices`` (JSON scalars or tuples of them).

        Args:
            name: The parameter's name.
            choices: The options.

        Returns:
            The option; a tuple option comes back as a tuple, on a resumed or enqueued trial too.
        """
        return self._suggest(name, Choice(choices))

    # -- intermediate values and pruning --------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value at ``step`` (an int >= 0) for pruners.

        Args:
            value: The objective's value at this step, a number.
            step: The step (an epoch, a number of samples), an int >= 0; a second report at the
                same step replaces the first.

        Raises:
            ValueError: When ``step`` is not an int >= 0 or ``value`` is not a number.
        """
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(
                f"The 'step' parameter of report must be an int >= 0. Got {step!r} instead."
            )
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"The 'value' parameter of report must be a number. Got {value!r} instead."
            ) from None
        self.intermediate[int(step)] = v

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial is hopeless given its reports so far.

        Returns:
            True when the pruner says stop (raise ``TrialPruned`` then); False without a pruner
            or before the first :meth:`report`.
        """
        if self._pruner is None or not self.intermediate:
            return False
        snapshot = self.freeze()
        return bool(self._pruner.prune(snapshot, self._pruner_history, self._directions))

    def set_constraints(self, values: Sequence[float]) -> None:
        """Record the trial's constraint values: each is satisfied when <= 0 (the convention of
        Gardner et al. 2014, "Bayesian Optimization with Inequality Constraints").

        TPE, GP and NSGA-II steer towards points that satisfy them, and ``best_trial`` and the
        Pareto front keep to feasible trials once any trial has set constraints. Give the same
        number of values in every trial.

        Args:
            values: One finite number per constraint, e.g. ``[memory_gb - 8.0]``.

        Raises:
            ValueError: When ``values`` is not a non-empty sequence of finite numbers.
        """
        rule = "The 'values' parameter of set_constraints must be a non-empty sequence of finite"
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise ValueError(f"{rule} numbers. Got {values!r} instead.")
        out = []
        for v in list(values):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                raise ValueError(f"{rule} numbers. Got {values!r} instead.")
            if not math.isfinite(float(v)):
                raise ValueError(f"{rule} numbers (not NaN or inf). Got {values!r} instead.")
            out.append(float(v))
        if not out:
            raise ValueError(f"{rule} numbers. Got {values!r} instead.")
        self.system_attrs[SystemKey.CONSTRAINTS] = out

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial record.

        Args:
            key: The attribute's name; setting it again replaces the value.
            value: A value the storage can write as JSON.
        """
        self.user_attrs[key] = value

    def freeze(
        self,
        state: TrialState = TrialState.RUNNING,
        values: tuple[float, ...] | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        """A snapshot of the trial as the storage keeps it, with copies of its mutable fields.

        Args:
            state: The state to record.
            values: The objective values, for a completed trial.
            error: The error message, for a failed trial.

        Returns:
            A FrozenTrial with copies of the params, distributions, reports and attributes.
        """
        return FrozenTrial(
            number=self.number,
            state=state,
            params=dict(self.params),
            distributions=dict(self.distributions),
            values=values,
            intermediate=dict(self.intermediate),
            user_attrs=dict(self.user_attrs),
            system_attrs=dict(self.system_attrs),
            error=error,
            trial_id=self.trial_id,
        )
