"""Studies: the ask -> evaluate -> tell loop, the only place that talks to strategy and storage."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.validation import (
    check_create_args,
    check_directions,
    check_optimize_args,
    positive_or_none,
)
from tunesmith.execution.progress import make_progress
from tunesmith.execution.heartbeat import Heartbeat
from tunesmith.execution.local import Driver, TrialOutcome, _resolve_jobs, executor_factory
from tunesmith.space import Distribution, space_from_json, space_to_json, validate_space
from tunesmith.storage import Proposal, Storage, get_storage
from tunesmith.storage.base import DuplicatedStudyError, StudyInfo, json_safe, retry_proposal
from tunesmith.strategies import Strategy, from_attrs, resolve, to_attrs
from tunesmith.study.results import StudyResults
from tunesmith.trial import FrozenTrial, Trial, TrialState, check_values, split_gradient

__all__ = ["Study", "create_study", "load_study", "StudyExhausted"]


class StudyExhausted(RuntimeError):
    """The strategy has nothing left to propose (a grid fully claimed)."""


class Study(StudyResults):
    """A named search: its directions, strategy, space, seed, and trials in a storage."""

    def __init__(
        self,
        storage: Storage,
        info: StudyInfo,
        strategy: Strategy,
        space: Mapping[str, Distribution],
        seed: int,
        pruner: Any = None,
    ):
        attrs = info.attrs
        self.heartbeat_interval: float | None = attrs.get("heartbeat_interval")
        self.grace_period: float | None = attrs.get("grace_period")
        self.retries: int = int(attrs.get("retries", 0))
        self._heartbeat = (
            Heartbeat(self, self.heartbeat_interval) if self.heartbeat_interval else None
        )
        self._storage = storage
        self._info = info
        self.study_name = info.name
        self.directions = tuple(info.directions)
        self.strategy = strategy
        strategy.directions = self.directions
        self.space = dict(space)
        self.seed = seed
        self.pruner = pruner
        self._trials: list[FrozenTrial] = []  # indexed by trial number
        self._inferred: dict[str, Distribution] = {}
        self._cursor = 0
        self._lock = threading.RLock()
        self._live: dict[int, Trial] = {}  # trials this process asked and has not told

    def __repr__(self) -> str:
        return (
            f"Study(name={self.study_name!r}, directions={self.directions}, "
            f"strategy={self.strategy!r})"
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock and heartbeat thread (rebuilt on load)."""
        state = self.__dict__.copy()
        del state["_lock"], state["_heartbeat"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        interval = self.heartbeat_interval
        self._heartbeat = Heartbeat(self, interval) if interval else None

    @property
    def direction(self) -> str:
        if len(self.directions) != 1:
            raise RuntimeError("This study has several directions; read 'directions' instead.")
        return self.directions[0]

    # -- local cache ----------------------------------------------------------------------
    def _sync(self, changes: Sequence[FrozenTrial]) -> None:
        with self._lock:
            for t in changes:
                if t.number < len(self._trials):
                    self._trials[t.number] = t
                elif t.number == len(self._trials):
                    self._trials.append(t)
                else:  # cannot happen with dense numbering; refuse to guess
                    raise RuntimeError(
                        f"Trial {t.number} arrived before trial {len(self._trials)}."
                    )
                if t.state is TrialState.COMPLETE and not self.space:
                    for name, dist in t.distributions.items():
                        self._inferred.setdefault(name, dist)

    def _refresh(self) -> None:
        changes, cursor = self._storage.read(self._info.study_id, self._cursor)
        with self._lock:
            self._sync(changes)
            self._cursor = max(self._cursor, cursor)

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The declared space, or the one inferred from completed define-by-run trials."""
        return dict(self.space or self._inferred)

    # -- ask ------------------------------------------------------------------------------
    def _propose(self, changes: list[FrozenTrial], first_number: int, n: int) -> list[Proposal]:
        self._sync(changes)
        space = self.space or (
            dict(sorted(self._inferred.items())) if self.strategy.learns_space else {}
        )
        rng = np.random.default_rng([self.seed, first_number])
        proposals = self.strategy.propose(self._trials, space, n, rng)
        tag = {"batch": first_number}
        return [Proposal(p, {k: space[k] for k in p if k in space}, tag) for p in proposals]

    def _claim(self, n: int) -> list[Trial]:
        stale_before = None if self.grace_period is None else time.time() - self.grace_period
        claim = self._storage.claim(
            self._info.study_id, self._cursor, n, self._propose, stale_before, self.retries
        )
        with self._lock:
            self._sync(claim.changes)
            self._sync(sorted(claim.claimed + claim.written, key=lambda t: t.number))
            self._cursor = max(self._cursor, claim.cursor)
            history = self._trials if self.pruner is not None else ()
            trials = [
                Trial(
                    t.number,
                    t.params,
                    t.distributions,
                    self.seed,
                    self.pruner,
                    history,
                    self.directions,
                    t.trial_id,
                    declared=bool(self.space),
                )
                for t in claim.claimed
            ]
            for trial in trials:
                self._live[trial.number] = trial
        if self._heartbeat is not None and trials:
            self._heartbeat.ensure_running()
        return trials

    def _live_trial_ids(self) -> list[int]:
        with self._lock:
            return [t.trial_id for t in self._live.values()]

    def _requeue(self, failed: FrozenTrial) -> None:
        """Queue a failed trial's parameters again, if the study allows retries and it has some."""
        retry = retry_proposal(failed, self.retries)
        if retry is not None:
            self._storage.enqueue(self._info.study_id, [retry])

    def _exhausted(self) -> bool:
        return not any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in self._trials)

    def _ask_for_run(
        self, n: int, wait: bool = False, deadline: float | None = None
    ) -> list[Trial]:
        """Claim up to ``n`` trials; [] when the strategy is exhausted (or waits and ``wait``)."""
        pause = 0.005
        while True:
            trials = self._claim(n)
            if trials or self._exhausted() or wait:
                return trials
            if deadline is not None and time.monotonic() >= deadline:
                return []
            # Trials of other processes must finish first: poll the storage, backing off.
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def ask(self) -> Trial:
        """Claim one trial to evaluate (a queued one first, else a new proposal)."""
        return self.ask_batch(1)[0]

    def ask_batch(self, n: int) -> list[Trial]:
        """Claim up to ``n`` trials in one transaction, for evaluating a population at once."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(
                f"The 'n' parameter of ask_batch must be an int >= 1. Got {n!r} instead."
            )
        trials = self._claim(int(n))
        if trials:
            return trials
        if self._exhausted():
            raise StudyExhausted(
                f"{self.strategy!r} has nothing left to propose in study {self.study_name!r}."
            )
        raise RuntimeError(
            f"{self.strategy!r} waits for the running trials to be told before it "
            "proposes more; tell them first."
        )

    def enqueue(
        self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None
    ) -> None:
        """Queue a parameter set to be evaluated before anything the strategy proposes."""
        if not isinstance(params, Mapping):
            raise ValueError(
                f"The 'params' parameter of enqueue must be a dict. Got {params!r} instead."
            )
        dists = {}
        for name, value in params.items():
            if name in self.space:
                if not self.space[name].contains(value):
                    raise ValueError(
                        f"The 'params' parameter of enqueue has {name}={value!r}, "
                        f"outside {self.space[name]!r}."
                    )
                dists[name] = self.space[name]
        written = self._storage.enqueue(
            self._info.study_id, [Proposal(json_safe(dict(params)), dists, {"enqueued": True})]
        )
        del written  # the next read brings it into the cache in number order

    # -- tell -----------------------------------------------------------------------------
    def _live_trial(self, trial: Trial | int) -> Trial:
        number = trial if isinstance(trial, (int, np.integer)) else getattr(trial, "number", None)
        if number is None or number not in self._live:
            raise ValueError(
                f"The 'trial' parameter of tell must be a trial this study asked and "
                f"has not told yet. Got {trial!r} instead."
            )
        if isinstance(trial, Trial):
            self._live[number] = trial  # a trial that came back from a worker carries its params
        return self._live[number]

    def _tell_outcome(self, outcome: TrialOutcome) -> FrozenTrial:
        live = self._live_trial(outcome.trial)
        trial = outcome.trial
        try:
            user_attrs = json_safe(trial.user_attrs)
        except (TypeError, ValueError) as exc:
            user_attrs = {}
            if outcome.state is TrialState.COMPLETE:
                outcome = TrialOutcome(
                    trial, TrialState.FAIL, None, f"user_attrs are not JSON-serializable: {exc}"
                )
        frozen = trial.freeze()
        frozen = FrozenTrial(
            frozen.number,
            frozen.state,
            json_safe(frozen.params),
            frozen.distributions,
            intermediate=frozen.intermediate,
            user_attrs=user_attrs,
            trial_id=live.trial_id,
        )
        done = self._storage.finish(
            self._info.study_id, frozen, outcome.state, outcome.values, outcome.error, time.time()
        )
        with self._lock:
            self._live.pop(trial.number, None)
            self._sync([done])
        return done

    def tell(
        self,
        trial: Trial | int,
        values: Any = None,
        state: TrialState | None = None,
        error: str | None = None,
    ) -> FrozenTrial:
        """Record a trial's result: its value(s), or ``state=TrialState.FAIL`` / ``PRUNED``."""
        live = self._live_trial(trial)
        n_obj = len(self.directions)
        if state is None or state is TrialState.COMPLETE:
            checked, reason = check_values(split_gradient(live, values, n_obj), n_obj)
            outcome = TrialOutcome(
                live, TrialState.FAIL if reason else TrialState.COMPLETE, checked, reason
            )
        elif state is TrialState.PRUNED:
            last = live.intermediate[max(live.intermediate)] if live.intermediate else None
            outcome = TrialOutcome(
                live, state, (last,) if last is not None and n_obj == 1 else None, None
            )
        elif state is TrialState.FAIL:
            outcome = TrialOutcome(live, state, None, error or "told as FAIL")
        else:
            raise ValueError(
                f"The 'state' parameter of tell must be COMPLETE, PRUNED or FAIL. "
                f"Got {state!r} instead."
            )
        return self._tell_outcome(outcome)

    def tell_batch(self, trials: Sequence[Trial | int], values: Sequence[Any]) -> list[FrozenTrial]:
        """Tell many trials at once; ``values[i]`` belongs to ``trials[i]``."""
        if len(trials) != len(values):
            raise ValueError(
                f"The 'values' parameter of tell_batch must have one entry per trial: "
                f"{len(trials)} trials, {len(values)} values."
            )
        return [self.tell(t, v) for t, v in zip(trials, values)]

    # -- optimize -------------------------------------------------------------------------
    def optimize(
        self,
        objective: Callable[..., Any],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: tuple[type[BaseException], ...] = (Exception,),
        callbacks: Sequence[Callable[[Study, FrozenTrial], Any]] = (),
        progress: bool = False,
        batch_size: int | None = None,
        executor: Any = None,
        trial_timeout: float | None = None,
    ) -> None:
        """Run the loop until ``n_trials`` are done, ``timeout`` seconds pass, or the strategy
        is exhausted. An objective that raises an exception of a ``catch`` type, or returns a
        non-number, NaN, inf or the wrong number of values, fails only its own trial.

        ``executor`` is "thread" (default with ``n_jobs > 1``), "process", "ray", a
        ``RayExecutor`` or any ``concurrent.futures.Executor``. A trial running longer than
        ``trial_timeout`` seconds fails (its process is killed; a thread is abandoned)."""
        check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size)
        positive_or_none("optimize", "trial_timeout", trial_timeout)
        n_jobs = _resolve_jobs(n_jobs)
        catch = tuple(catch)
        self.strategy.plan(n_trials)
        with make_progress(progress, n_trials, self.study_name) as bar:
            driver = Driver(self, n_trials, timeout, callbacks, bar)
            if batch_size is not None:
                make = None if executor is None else executor_factory(executor, 1, None)
                driver.run_batched(objective, batch_size, catch, make)
            elif n_jobs == 1 and executor is None and trial_timeout is None:
                driver.run_serial(objective, catch)
            else:
                make = executor_factory(executor, n_jobs, trial_timeout)
                n_jobs = getattr(executor, "max_concurrent", None) or n_jobs
                driver.run_pool(objective, make, n_jobs, catch, trial_timeout)


def create_study(
    name: str | None = None,
    storage: Any = None,
    direction: str | None = None,
    strategy: Any = "random",
    space: Mapping[str, Distribution] | None = None,
    seed: int | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str] | None = None,
    pruner: Any = None,
    heartbeat: float | None = None,
    grace_period: float | None = None,
    retries: int = 0,
) -> Study:
    """Create a study (or reopen it with ``load_if_exists=True``).

    With ``heartbeat=seconds`` every running trial tells the storage it is alive that often; one
    silent for ``grace_period`` (default four heartbeats) is marked FAIL by the next ask, and is
    run again with the same parameters up to ``retries`` times. Retries also cover trials whose
    worker process died.
    """
    dirs = check_directions(direction, directions)
    space = validate_space(space)
    strat = resolve(strategy)
    check_create_args(name, seed, heartbeat, grace_period, retries)
    if heartbeat is not None and grace_period is None:
        grace_period = 4.0 * heartbeat
    backend = get_storage(storage)
    name = name or f"study-{secrets.token_hex(4)}"
    seed = int(seed) if seed is not None else secrets.randbits(32)
    attrs = {
        "space": space_to_json(space),
        "strategy": to_attrs(strat),
        "seed": seed,
        "heartbeat_interval": heartbeat,
        "grace_period": grace_period,
        "retries": int(retries),
    }
    try:
        info = backend.create_study(name, dirs, attrs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"A study named {name!r} already exists; pass load_if_exists=True to reopen it."
            ) from None
        return load_study(name, backend, strategy=strategy, pruner=pruner)
    return Study(backend, info, strat, space, seed, pruner)


def load_study(name: str, storage: Any, strategy: Any = None, pruner: Any = None) -> Study:
    """Reopen a stored study; its strategy, space and seed come back from the storage."""
    backend = get_storage(storage)
    info = backend.get_study(name)
    attrs = info.attrs
    strat = (
        resolve(strategy, "load_study")
        if strategy is not None
        else from_attrs(attrs.get("strategy", {}))
    )
    study = Study(
        backend,
        info,
        strat,
        space_from_json(attrs.get("space", {})),
        int(attrs.get("seed", 0)),
        pruner,
    )
    study._refresh()
    return study
