"""Telling a study how its trials ended: one outcome rule, retries for machine failures."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tunesmith.interrupts import deferred
from tunesmith.outcome import TrialOutcome, outcome_of, pruned
from tunesmith.records import json_safe
from tunesmith.storage import Storage
from tunesmith.storage.base import StudyInfo, TrialLostError, retry_proposal
from tunesmith.study.cache import TrialCache
from tunesmith.trial import FrozenTrial, Trial, TrialState
from tunesmith.validation import is_int

__all__ = ["StudyTelling"]


class StudyTelling:
    """Mixin of Study: ``tell``, ``tell_batch`` and the record of an outcome."""

    directions: tuple[str, ...]
    retries: int
    _storage: Storage
    _info: StudyInfo
    _cache: TrialCache
    _live: dict[int, Trial]
    _lock: threading.RLock
    _trials: list[FrozenTrial]
    _refresh: Callable[[], None]  # provided by Study

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
        with deferred():  # a committed trial leaves _live before a Ctrl-C can take effect
            try:
                done = self._storage.finish(
                    self._info.study_id,
                    frozen,
                    outcome.state,
                    outcome.values,
                    outcome.error,
                    time.time(),
                )
            except TrialLostError as exc:  # failed as lost elsewhere: the run goes on
                with self._lock:
                    self._live.pop(trial.number, None)
                warnings.warn(str(exc), RuntimeWarning, stacklevel=3)
                self._refresh()
                return self._trials[trial.number]
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
        """Record a trial's result: its value(s), or ``state=TrialState.FAIL`` / ``PRUNED``.

        Args:
            trial: A trial this study asked and has not told yet, or its number.
            values: The objective's value, or one value per direction.
            state: None or ``COMPLETE`` (values given), ``PRUNED`` or ``FAIL``.
            error: Why the trial failed, stored with a ``FAIL``.

        Returns:
            The stored trial. A trial another process failed as lost meanwhile (a heartbeat
            older than the grace period) comes back as stored, FAIL, with a RuntimeWarning:
            its result is not stored, and it runs again if retries allow.

        Raises:
            ValueError: ``trial`` is not live in this study, or ``state`` is not one of those.

        Examples:
            >>> import tunesmith as ts
            >>> study = ts.create_study(space={"x": ts.Float(0, 1)}, seed=0)
            >>> trial = study.ask()
            >>> study.tell(trial, trial.params["x"] ** 2).state
            <TrialState.COMPLETE: 'COMPLETE'>
        """
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
        """Tell many trials at once; ``values[i]`` belongs to ``trials[i]``.

        Args:
            trials: Trials this study asked and has not told yet, or their numbers.
            values: One result per trial (a value, or one value per direction).

        Returns:
            The stored trials, in the order given.

        Raises:
            ValueError: ``values`` does not have one entry per trial.
        """
        if len(trials) != len(values):
            raise ValueError(
                f"The 'values' parameter of tell_batch must have one entry per trial: "
                f"{len(trials)} trials, {len(values)} values."
            )
        return [self.tell(t, v) for t, v in zip(trials, values)]
