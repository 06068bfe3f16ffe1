"""The Study: a named search whose ask -> evaluate -> tell loop talks to strategy and storage."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.execution.heartbeat import Heartbeat, weakly
from tunesmith.outcome import TrialOutcome, outcome_of, pruned
from tunesmith.records import SystemKey, json_safe
from tunesmith.space import Distribution
from tunesmith.storage import Proposal, Storage
from tunesmith.storage.base import StudyInfo, retry_proposal
from tunesmith.strategies import Strategy
from tunesmith.study.cache import TrialCache
from tunesmith.study.optimize import optimize
from tunesmith.study.results import StudyResults
from tunesmith.trial import FrozenTrial, Trial, TrialState
from tunesmith.validation import is_int

__all__ = ["Study", "StudyExhausted"]


class StudyExhausted(RuntimeError):
    """The strategy has nothing left to propose (a grid fully claimed)."""


class Study(StudyResults):
    """A named search: its directions, strategy, space, seed, and trials in a storage.

    Build one with ``create_study`` or ``load_study``. The study works on its own copy of the
    strategy (``Strategy.for_directions``), so the instance a user passes is never changed.
    """

    def __init__(
        self,
        storage: Storage,
        info: StudyInfo,
        strategy: Strategy,
        *,
        space: Mapping[str, Distribution],
        seed: int,
        pruner: Any = None,
    ):
        settings = info.settings
        self.heartbeat_interval: float | None = settings.heartbeat_interval
        self.grace_period: float | None = settings.grace_period
        self.retries: int = settings.retries
        self._storage = storage
        self._info = info
        self.study_name = info.name
        self.directions = tuple(info.directions)
        self.strategy = strategy.for_directions(self.directions)
        self.space = dict(space)
        self.seed = seed
        self.pruner = pruner
        self._cache = TrialCache(declared=bool(self.space))
        self._live: dict[int, Trial] = {}  # trials this process asked and has not told
        self._start_threads()

    def _start_threads(self) -> None:
        self._lock = threading.RLock()  # guards _live
        self._heartbeat = None
        if self.heartbeat_interval:
            # Held weakly: a study dropped with trials still asked stops beating for them, so
            # they are reaped after the grace period like those of a killed process.
            live_ids, beat = weakly(self._live_trial_ids, []), weakly(self._beat, None)
            self._heartbeat = Heartbeat(self.heartbeat_interval, live_ids, beat)

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
        self._start_threads()

    @property
    def direction(self) -> str:
        if len(self.directions) != 1:
            raise RuntimeError("This study has several directions; read 'directions' instead.")
        return self.directions[0]

    # -- local cache ----------------------------------------------------------------------
    @property
    def _trials(self) -> list[FrozenTrial]:
        return self._cache.trials

    def _refresh(self) -> None:
        self._cache.refresh(self._storage, self._info.study_id)

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The declared space, or the one inferred from completed define-by-run trials."""
        return dict(self.space or self._cache.inferred)

    # -- ask ------------------------------------------------------------------------------
    def _propose(self, changes: list[FrozenTrial], first_number: int, n: int) -> list[Proposal]:
        self._cache.sync(changes)
        space = self.space or (
            dict(sorted(self._cache.inferred.items())) if self.strategy.learns_space else {}
        )
        rng = np.random.default_rng([self.seed, first_number])
        proposals = self.strategy.propose(self._trials, space, n, rng)
        tag = {SystemKey.BATCH: first_number}
        return [Proposal(p, {k: space[k] for k in p if k in space}, tag) for p in proposals]

    def _claim(self, n: int) -> list[Trial]:
        stale_before = None if self.grace_period is None else time.time() - self.grace_period
        claim = self._storage.claim(
            self._info.study_id, self._cache.cursor, n, self._propose, stale_before, self.retries
        )
        self._cache.sync(claim.changes)
        self._cache.sync(
            sorted(claim.claimed + claim.written, key=lambda t: t.number), claim.cursor
        )
        with self._lock:
            history = self._trials if self.pruner is not None else ()
            trials = [
                Trial(
                    t.number,
                    t.params,
                    t.distributions,
                    seed=self.seed,
                    pruner=self.pruner,
                    pruner_history=history,
                    directions=self.directions,
                    trial_id=t.trial_id,
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

    def _beat(self, trial_ids: Sequence[int], now: float) -> None:
        self._storage.heartbeat(self._info.study_id, trial_ids, now)

    def _exhausted(self) -> bool:
        return not self._cache.unfinished()

    def _ask_for_run(self, n: int, wait: bool, deadline: float | None) -> list[Trial]:
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
        if not is_int(n) or n < 1:
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

    def enqueue(self, params: Mapping[str, Any]) -> None:
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
        proposal = Proposal(json_safe(dict(params)), dists, {SystemKey.ENQUEUED: True})
        self._storage.enqueue(self._info.study_id, [proposal])

    # -- tell -----------------------------------------------------------------------------
    def _live_trial(self, trial: Trial | int) -> Trial:
        number = trial if is_int(trial) else getattr(trial, "number", None)
        if number is None or number not in self._live:
            raise ValueError(
                f"The 'trial' parameter of tell must be a trial this study asked and "
                f"has not told yet. Got {trial!r} instead."
            )
        if isinstance(trial, Trial):
            self._live[number] = trial  # a trial that came back from a worker carries its params
        return self._live[number]

    def _record(self, outcome: TrialOutcome) -> FrozenTrial:
        """Store a trial's outcome; attributes that are not JSON fail the trial, not the study."""
        live = self._live_trial(outcome.trial)
        trial = outcome.trial
        try:
            user_attrs = json_safe(trial.user_attrs)
        except (TypeError, ValueError) as exc:
            user_attrs = {}
            if outcome.state is TrialState.COMPLETE:
                reason = f"user_attrs are not JSON-serializable: {exc}"
                outcome = TrialOutcome(trial, TrialState.FAIL, None, reason)
        frozen = FrozenTrial(
            trial.number,
            TrialState.RUNNING,
            json_safe(trial.params),
            dict(trial.distributions),
            intermediate=dict(trial.intermediate),
            user_attrs=user_attrs,
            system_attrs=dict(trial.system_attrs),  # tunesmith's own: JSON by construction
            trial_id=live.trial_id,
        )
        done = self._storage.finish(
            self._info.study_id, frozen, outcome.state, outcome.values, outcome.error, time.time()
        )
        with self._lock:
            self._live.pop(trial.number, None)
        self._cache.sync([done])
        if outcome.retry:  # the machine failed, not the objective: run the same point again
            retry = retry_proposal(done, self.retries)
            if retry is not None:
                self._storage.enqueue(self._info.study_id, [retry])
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
            outcome = outcome_of(live, values, n_obj)
        elif state is TrialState.PRUNED:
            outcome = pruned(live, n_obj)
        elif state is TrialState.FAIL:
            outcome = TrialOutcome(live, state, None, error or "told as FAIL")
        else:
            raise ValueError(
                f"The 'state' parameter of tell must be COMPLETE, PRUNED or FAIL. "
                f"Got {state!r} instead."
            )
        return self._record(outcome)

    def tell_batch(self, trials: Sequence[Trial | int], values: Sequence[Any]) -> list[FrozenTrial]:
        """Tell many trials at once; ``values[i]`` belongs to ``trials[i]``."""
        if len(trials) != len(values):
            raise ValueError(
                f"The 'values' parameter of tell_batch must have one entry per trial: "
                f"{len(trials)} trials, {len(values)} values."
            )
        return [self.tell(t, v) for t, v in zip(trials, values)]

    # -- optimize -------------------------------------------------------------------------
    optimize = optimize  # the loop, in study/optimize.py
