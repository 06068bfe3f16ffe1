"""Putting trials into a study without asking for them: ``enqueue`` and ``add_trial``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from tunesmith.outcome import check_values
from tunesmith.records import SystemKey, json_safe
from tunesmith.storage import Proposal
from tunesmith.trial import FrozenTrial, TrialState

if TYPE_CHECKING:  # annotations only: study.py imports this module
    from tunesmith.space import Distribution

__all__ = ["StudyAdding"]


class StudyAdding:
    """Mixin of Study: queue parameter sets to run first, or record trials run elsewhere."""

    space: dict[str, Distribution]
    directions: tuple[str, ...]

    def _check_params(self, owner: str, params: Any) -> dict[str, Any]:
        """``params`` as a dict inside the declared space (no unknown names, values inside)."""
        if not isinstance(params, Mapping):
            raise ValueError(
                f"The 'params' parameter of {owner} must be a dict. Got {params!r} instead."
            )
        if self.space:
            unknown = sorted(set(params) - set(self.space))
            if unknown:
                raise ValueError(
                    f"The 'params' parameter of {owner} has {unknown}, not in the study's "
                    f"space {sorted(self.space)}."
                )
            for name, value in params.items():
                if not self.space[name].contains(value):
                    raise ValueError(
                        f"The 'params' parameter of {owner} has {name}={value!r}, "
                        f"outside {self.space[name]!r}."
                    )
        return dict(params)

    def enqueue(self, params: Mapping[str, Any]) -> None:
        """Queue a parameter set to be evaluated before anything the strategy proposes.

        Names the declared space lacks are refused; names of the space that ``params`` leaves
        out are drawn by the study's strategy, as it would draw a new trial's.

        Args:
            params: Parameter name -> value, inside the study's space.

        Raises:
            ValueError: ``params`` is not a dict, or has a name or value outside the space.
        """
        params = self._check_params("enqueue", params)
        missing = [name for name in self.space if name not in params]
        if missing:
            params.update({name: self._draw(missing)[name] for name in missing})
        dists = {k: self.space[k] for k in params if k in self.space}
        proposal = Proposal(json_safe(params), dists, {SystemKey.ENQUEUED: True})
        self._storage.enqueue(self._info.study_id, [proposal])  # type: ignore[attr-defined]

    def _draw(self, names: list[str]) -> dict[str, Any]:
        """One proposal of the strategy over the declared space (for enqueue's missing keys)."""
        self._refresh()  # type: ignore[attr-defined]
        trials = self._trials  # type: ignore[attr-defined]
        rng = np.random.default_rng([self.seed, len(trials), 1])  # type: ignore[attr-defined]
        proposals = self.strategy.propose(trials, self.space, 1, rng)  # type: ignore[attr-defined]
        if not proposals:  # the strategy waits or is exhausted: a uniform draw of each name
            return {n: self.space[n].from_unit(float(rng.random())) for n in names}
        return proposals[0]

    def add_trial(self, trial: FrozenTrial) -> FrozenTrial:
        """Record a finished trial that was not run by this study.

        The trial is COMPLETE with values, PRUNED, or FAIL with an error; it is numbered after
        the existing trials.

        Args:
            trial: The finished trial; its ``number`` is replaced.

        Returns:
            The stored trial.

        Raises:
            ValueError: ``trial`` is not a finished FrozenTrial inside the space, or its values
                are unusable.
        """
        return self.add_trials([trial])[0]

    def add_trials(self, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Record finished trials in one transaction; see ``add_trial``.

        Args:
            trials: The finished trials.

        Returns:
            The stored trials, in the order given.

        Raises:
            ValueError: A trial breaks a rule of ``add_trial``; none is stored.
        """
        checked = [self._finished(t) for t in trials]
        added = self._storage.add_trials(self._info.study_id, checked)  # type: ignore[attr-defined]
        self._cache.sync(added)  # type: ignore[attr-defined]
        return added

    def _finished(self, trial: Any) -> FrozenTrial:
        if not isinstance(trial, FrozenTrial):
            raise ValueError(
                f"The 'trial' parameter of add_trial must be a FrozenTrial. Got {trial!r} instead."
            )
        if not trial.state.finished:
            raise ValueError(
                "The 'trial' parameter of add_trial must be COMPLETE, PRUNED or FAIL. "
                f"Got {trial.state.value} instead."
            )
        params = self._check_params("add_trial", trial.params)
        values = trial.values
        if trial.state is TrialState.COMPLETE or values is not None:
            values, reason = check_values(
                list(values) if values is not None else None, len(self.directions)
            )
            if reason is not None:
                raise ValueError(
                    f"The 'trial' parameter of add_trial has unusable values: {reason}"
                )
        dists = {**{k: self.space[k] for k in params if k in self.space}, **trial.distributions}
        return replace(
            trial,
            params=json_safe(params),
            distributions=dists,
            values=values,
            intermediate={int(k): float(v) for k, v in trial.intermediate.items()},
            user_attrs=json_safe(trial.user_attrs),
            system_attrs=json_safe(trial.system_attrs),
        )
