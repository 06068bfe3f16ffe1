"""A study objective that trains a whole batch of trials as one population.

``study.optimize(objective(MLP(), X, y, ...), n_trials=256, batch_size=64)`` asks 64 trials,
trains their 64 configs in one ``train`` call and tells them all. A member that diverged is
returned as an exception (the study records the trial as failed, with the reason); one stopped
by successive halving as a ``TrialPruned`` (recorded as pruned, its last metric kept).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunesmith.population.config import member_config
from tunesmith.population.data import TrainingData
from tunesmith.population.models import Model
from tunesmith.population.options import TrainingOptions
from tunesmith.population.results import MemberResult
from tunesmith.population.store import WEIGHTS_ATTR, MemberStore, default_store
from tunesmith.population.train import check_inputs, train
from tunesmith.space import Distribution, Float, Int
from tunesmith.trial import Trial, TrialPruned
from tunesmith.validation import param_error

__all__ = ["PopulationObjective", "objective"]

_METRICS = {"accuracy": "classification", "mse": "regression", "loss": None, "val_loss": None}


def _finite_or_none(values: Sequence[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


class PopulationObjective:
    """``objective(trials) -> values``: one population trained per batch of trials.

    ``space`` maps a trial to its config: None uses ``trial.params`` as they are; a dict of
    distributions (``{"lr": ts.Float(1e-4, 1e-1, log=True)}``) suggests each one on the trial
    (define-by-run, or the study's declared space); a callable ``space(trial) -> dict`` may do
    anything (rename, derive, fix values). ``last_results`` holds the latest batch's results.
    With ``store`` (a folder), the ``keep`` best members this objective trains are saved
    there and each one's file is named in its trial's user attribute ``weights_file``, so
    ``population.load_best(study)`` gives back the trained model. With ``keep`` and no
    ``store``, they go beside the study's SQLite file, in
    ``<db stem>.tunesmith-weights/<study name>/`` (``store.default_store``), once the study is
    known (``bind_study``).

    Args:
        model: The model family.
        X: Training samples.
        y: Training targets.
        X_val: Validation samples; None measures on the training data.
        y_val: Validation targets.
        sample_weight: One weight per training sample.
        metric: "accuracy", "mse", "loss" or "val_loss"; None for the task's default.
        space: None, a dict of distributions, or ``space(trial) -> dict``.
        options: The training options; or give them one by one in ``kwargs``.
        store: A folder to keep the best members' weights in.
        keep: How many best members to keep (default 1 with a store).
        **kwargs: Training options (``epochs``, ``batch_size``, ...), see ``TrainingOptions``.
    """

    def __init__(
        self,
        model: Model,
        X: Any,
        y: Any,
        *,
        X_val: Any = None,
        y_val: Any = None,
        sample_weight: Any = None,
        metric: str | None = None,
        space: Mapping[str, Distribution] | Callable[[Trial], Mapping[str, Any]] | None = None,
        options: TrainingOptions | None = None,
        store: str | os.PathLike[str] | None = None,
        keep: int | None = None,
        **kwargs: Any,
    ):
        check_inputs("objective", model=model)
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 0):
            raise param_error("objective", "keep", "None or an int >= 0", keep)
        if store is not None and not isinstance(store, (str, os.PathLike)):
            raise param_error("objective", "store", "None or a folder path", store)
        metric = metric or ("accuracy" if model.task == "classification" else "mse")
        if metric not in _METRICS or _METRICS[metric] not in (None, model.task):
            allowed = [m for m, task in _METRICS.items() if task in (None, model.task)]
            raise param_error(
                "objective", "metric", f"one of {allowed} for a {model.task} model", metric
            )
        if not (space is None or callable(space) or _is_distributions(space)):
            raise param_error(
                "objective", "space", "None, a dict of distributions, or a callable(trial)", space
            )
        self.options = TrainingOptions.of("objective", options, kwargs)
        self.model, self.metric, self.space = model, metric, space
        self.data = {"X": X, "y": y, "X_val": X_val, "y_val": y_val}
        if sample_weight is not None:
            self.data["sample_weight"] = sample_weight
        _check_data(model, self.data, self.options)  # bad data is reported now, not later
        self.last_results: list[MemberResult] | None = None
        self._direction = "maximize" if metric == "accuracy" else "minimize"
        self._keep, self._store_given = keep, store is not None
        kept = 1 if keep is None else keep
        self.store = None if store is None else MemberStore(store, kept, self._direction)

    def bind_study(self, study: Any) -> None:
        """Hear the study this objective runs for (rule: ``keep`` without ``store`` keeps the
        members beside the study's SQLite file, in ``store.default_store``'s folder).

        ``study.optimize`` calls it before the first batch; call it yourself before
        evaluating the trials of ``study.ask_batch``.

        Args:
            study: The study the trials come from.

        Raises:
            ValueError: ``keep`` was given without ``store`` and the study is not stored in a
                SQLite file (memory or PostgreSQL storage): name a folder with ``store``.

        Examples:
            >>> objective = population.objective(MLP(), X, y, keep=2)  # doctest: +SKIP
            >>> study.optimize(objective, n_trials=64, batch_size=16)  # doctest: +SKIP
        """
        if self._keep is None or self._store_given:
            return
        database = getattr(study, "sqlite_file", None)
        if database is None:
            raise _no_store(self._keep)
        folder = default_store(database, study.study_name)
        self.store = MemberStore(folder, self._keep, self._direction)

    def config(self, trial: Trial) -> dict[str, Any]:
        """The config a trial stands for, through ``space``.

        Args:
            trial: The trial.

        Returns:
            Hyperparameter name -> value.
        """
        if self.space is None:  # Choice tuples are tuples already (FrozenTrial, Trial)
            return dict(trial.params)
        if callable(self.space):
            return dict(self.space(trial))
        return {name: _suggest(trial, name, dist) for name, dist in self.space.items()}

    def _checked(self, trials: Sequence[Trial]) -> list[dict[str, Any] | Exception]:
        out: list[dict[str, Any] | Exception] = []
        for index, trial in enumerate(trials):
            try:
                config = self.config(trial)
                _, structure = member_config(
                    config, index, self.model.structure_keys, self.model.dropout, "objective"
                )
                self.model.resolve(structure, index)
                out.append(config)
            except Exception as exc:  # noqa: BLE001 - a bad config fails its own trial only
                out.append(exc)
        return out

    def _value(self, trial: Trial, result: MemberResult) -> Any:
        trial.set_user_attr("loss_curve", _finite_or_none(result.loss_curve))
        trial.set_user_attr("epochs", result.epochs)
        for step, value in result.intermediate.items():
            if math.isfinite(value):
                trial.report(value, step)
        if result.failed:
            return FloatingPointError(result.error)
        value = result.metric(self.metric)
        if self.store is not None and value is not None and not result.pruned:
            path = self.store.offer(result, trial.number, value, self.metric)
            if path is not None:
                trial.set_user_attr(WEIGHTS_ATTR, str(path))
        if result.pruned:
            if value is not None:
                trial.report(value, result.epochs)
            return TrialPruned(f"Stopped by successive halving after {result.epochs} epochs.")
        return value

    def __call__(self, trials: Sequence[Trial]) -> list[Any]:
        if self._keep is not None and self.store is None:
            raise _no_store(self._keep)  # keep given, study never heard (bind_study)
        configs = self._checked(trials)
        good = [c for c in configs if not isinstance(c, Exception)]
        trained = train(self.model, **self.data, configs=good, options=self.options) if good else []
        results = iter(trained)
        self.last_results = []
        values: list[Any] = []
        for trial, config in zip(trials, configs):
            if isinstance(config, Exception):
                values.append(config)
                continue
            result = next(results)
            self.last_results.append(result)
            values.append(self._value(trial, result))
        return values


def _no_store(keep: int) -> ValueError:
    """The error for ``keep`` with nowhere to keep: no ``store`` and no SQLite file."""
    rule = (
        f"a folder when keep={keep} is given and the study is not stored in a SQLite file "
        "(memory or PostgreSQL storage, or a study never passed to bind_study)"
    )
    return param_error("objective", "store", rule, None)


def _check_data(model: Model, data: Mapping[str, Any], options: TrainingOptions) -> None:
    """Check the data as the first batch will take it (errors name 'objective')."""
    run = (None, 0, options.device, options.dtype, "objective")
    inputs = [data[name] for name in ("X", "y", "X_val", "y_val")]
    weighting = (data.get("sample_weight"), options.class_weight, options.cv)
    TrainingData(model, *inputs, *run, *weighting)


def _suggest(trial: Trial, name: str, dist: Distribution) -> Any:
    """``trial.suggest_*`` for one distribution of a space."""
    if isinstance(dist, Float):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Int):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    return trial.suggest_categorical(name, dist.options)  # a tuple option as a tuple


def _is_distributions(space: Any) -> bool:
    return isinstance(space, Mapping) and all(isinstance(d, Distribution) for d in space.values())


def objective(model: Model, X: Any, y: Any, **kwargs: Any) -> PopulationObjective:
    """A batched study objective training each batch of trials as one population of ``model``.

    Args:
        model: The model family (``MLP``, ``CNN``, ``Linear``, ``Logistic`` or a ``Model``).
        X: Training samples.
        y: Training targets.
        **kwargs: ``X_val``, ``y_val``, ``sample_weight``, ``metric`` ("accuracy", "mse",
            "loss" (training) or "val_loss" (minimized); default accuracy for
            classification, mse for regression), ``space`` (trial → config), and the
            training options of ``train`` (``epochs``, ``batch_size``,
            ``early_stopping="halving"`` with ``eta`` and ``min_epochs``, ``schedule``,
            ``device``, ``seed``, ``memory_budget``, ``dtype``), one by one or as
            ``options=TrainingOptions(...)``; ``store`` (a folder) and ``keep`` (default 1
            with a store): save the ``keep`` best trained members there for ``load_best``.
            ``keep`` without ``store`` saves them beside the study's SQLite file, in
            ``<db stem>.tunesmith-weights/<study name>/``; with memory or PostgreSQL storage
            it needs a ``store``. Without either, nothing is kept.

    Returns:
        The objective, to pass to ``study.optimize(..., batch_size=N)``.

    Raises:
        ValueError: An argument or the data breaks its rule; the message names it.
        TypeError: An unknown keyword argument.

    Examples:
        >>> import numpy as np
        >>> import tunesmith as ts
        >>> from tunesmith import population
        >>> X = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
        >>> y = (X[:, 0] > 0).astype(int)
        >>> space = {"lr": ts.Float(1e-3, 1e-1, log=True)}
        >>> study = ts.create_study(direction="maximize", space=space, seed=0)
        >>> objective = population.objective(population.MLP(hidden=(8,)), X, y, epochs=3)
        >>> study.optimize(objective, n_trials=8, batch_size=4)
        >>> len(study.trials)
        8
    """
    return PopulationObjective(model, X, y, **kwargs)
