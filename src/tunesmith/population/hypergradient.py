"""A batched study objective returning each trial's validation loss and its exact hypergradient.

``study.optimize(hypergradient_objective(MLP(), X, y, ...), n_trials=40, batch_size=8)`` trains
each batch of trials as one population and returns, per trial, ``(validation loss, {name:
d loss / d name})``: the derivative of the loss after the whole run with respect to each tuned
hyperparameter, exact to float rounding, by forward-mode differentiation through every training
step (``_hyper_train``). ``GradientDescent(estimator="exact")`` descends on it; the derivatives
are with respect to the raw values, and the strategy applies the chain rule of log-scale
parameters itself.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tunesmith.population._hyper_train import HYPER_NAMES, hypergradients, make_setup
from tunesmith.population.config import member_config
from tunesmith.population.data import TrainingData, resolve_device
from tunesmith.population.models import Model
from tunesmith.space import Float
from tunesmith.trial import Trial
from tunesmith.validation import Integer, NoneOr, OneOf, Satisfies, check_params, param_error

__all__ = ["HypergradientObjective", "hypergradient_objective"]

_OWNER = "hypergradient_objective"
_TABLE = {
    "model": Satisfies(
        lambda m: isinstance(m, Model) and m.dropout == 0,
        "a tunesmith.population model without dropout (MLP(), Logistic(), ...)",
    ),
    "optimizer": OneOf(*HYPER_NAMES),
    "epochs": Integer(1),
    "batch_size": NoneOr(Integer(1)),
    "seed": Integer(),
    "dtype": OneOf(torch.float32, torch.float64),
}


def _check_names(name: str, value: Any, optimizer: str, floats: bool) -> None:
    """``space`` (names -> Float) or ``fixed`` (names -> numbers) over the optimizer's names."""
    if value is None:
        return
    kind = "ts.Float distributions" if floats else "numbers"
    allowed = HYPER_NAMES[optimizer]
    rule = f"None or a dict of hyperparameter names among {list(allowed)} -> {kind}"
    if not isinstance(value, Mapping) or any(k not in allowed for k in value):
        raise param_error(_OWNER, name, rule, value)
    for item in value.values():
        good = isinstance(item, Float) if floats else isinstance(item, numbers.Real)
        if not good or isinstance(item, bool):
            raise param_error(_OWNER, name, rule, value)


class HypergradientObjective:
    """``objective(trials) -> [(loss, {name: d loss / d name}), ...]``, one population per batch.

    Built by ``hypergradient_objective`` (forward-mode hypergradients, Franceschi et al. 2017);
    see there for the arguments. ``hypergradients`` gives the same numbers for plain configs,
    without a study.

    Args:
        model: A population model without dropout.
        X: Training inputs.
        y: Training targets.
        **kwargs: The keyword arguments of ``hypergradient_objective``.
    """

    def __init__(self, model: Model, X: Any, y: Any, **kwargs: Any):
        options = {"optimizer": "adam", "epochs": 10, "batch_size": 32, "seed": 0}
        options |= {"dtype": torch.float32, "device": "cpu", "X_val": None, "y_val": None}
        unknown = sorted(set(kwargs) - set(options) - {"space", "fixed"})
        if unknown:
            raise TypeError(f"{_OWNER} got unexpected keyword argument(s) {unknown}.")
        options |= kwargs
        check_params(_OWNER, _TABLE, {"model": model, **options})
        self.optimizer = options["optimizer"]
        self.space = options.get("space")
        _check_names("space", self.space, self.optimizer, True)
        _check_names("fixed", options.get("fixed"), self.optimizer, False)
        self.fixed = dict(options.get("fixed") or {})
        device = resolve_device(options["device"], _OWNER)
        run = (options["batch_size"], options["seed"], device, options["dtype"], _OWNER)
        data = TrainingData(model, X, y, options["X_val"], options["y_val"], *run)
        self.setup = make_setup(model, data, self.optimizer, options["epochs"])

    def config(self, trial: Trial) -> dict[str, float]:
        """The tuned hyperparameters a trial stands for: suggested from ``space``, or its params."""
        if self.space is None:
            return dict(trial.params)
        return {
            name: trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
            for name, d in self.space.items()
        }

    def _row(self, config: Mapping[str, Any], index: int) -> list[float]:
        """One member's hyperparameters as a row of H, defaults and ``fixed`` filled in."""
        names = HYPER_NAMES[self.optimizer]
        unknown = sorted(str(k) for k in config if k not in names)
        if unknown:
            raise ValueError(
                f"The 'configs' parameter of {_OWNER} must hold names among {list(names)} "
                f"(optimizer {self.optimizer!r}). Got {unknown} in configs[{index}] instead."
            )
        merged = {**self.fixed, **config, "optimizer": self.optimizer}
        hyper, _ = member_config(merged, index, frozenset(), 0.0, _OWNER)
        return [hyper[name] for name in names]

    def hypergradients(self, configs: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Each config's validation loss and exact hypergradient (forward mode through training).

        Args:
            configs: Dicts of tuned hyperparameters (names among the optimizer's), trained
                together as one population.

        Returns:
            One item per config, in order: ``(loss, {name: d loss / d name})`` for the
            config's own keys; the loss alone when a derivative is not finite; in place of a
            config that is not valid its ``ValueError``, of a run that diverged a
            ``FloatingPointError``.
        """
        rows: list[list[float] | Exception] = []
        for index, config in enumerate(configs):
            try:
                rows.append(self._row(config, index))
            except ValueError as exc:
                rows.append(exc)
        good = [r for r in rows if not isinstance(r, Exception)]
        if not good:
            return list(rows)
        names = HYPER_NAMES[self.optimizer]
        tuned = sorted({names.index(k) for c in configs for k in c if k in names})
        setup = self.setup
        H = torch.tensor(good, dtype=setup.data.dtype, device=setup.data.device)
        losses, derivatives = hypergradients(setup, H, tuned)
        found = iter(zip(losses.tolist(), derivatives.tolist()))
        out: list[Any] = []
        for config, row in zip(configs, rows):
            if isinstance(row, Exception):
                out.append(row)
                continue
            loss, slopes = next(found)
            grads = {names[i]: slope for i, slope in zip(tuned, slopes) if names[i] in config}
            out.append(_result(loss, grads))
        return out

    def __call__(self, trials: Sequence[Trial]) -> list[Any]:
        """The batch's results as ``hypergradients`` gives them, one per trial (study protocol)."""
        configs: list[dict[str, float]] = []
        failures: dict[int, Exception] = {}
        for index, trial in enumerate(trials):
            try:
                configs.append(self.config(trial))
            except Exception as exc:  # noqa: BLE001 - a bad trial fails alone
                failures[index] = exc
                configs.append({})
        results = self.hypergradients([c for i, c in enumerate(configs) if i not in failures])
        found = iter(results)
        return [failures[i] if i in failures else next(found) for i in range(len(trials))]


def _result(loss: float, grads: dict[str, float]) -> Any:
    """``(loss, grads)``; the loss alone when a derivative is not finite; an error if diverged."""
    if not math.isfinite(loss):
        return FloatingPointError(f"Training diverged: the validation loss is {loss}.")
    if not all(math.isfinite(v) for v in grads.values()):
        return loss
    return loss, grads


def hypergradient_objective(model: Model, X: Any, y: Any, **kwargs: Any) -> HypergradientObjective:
    """A batched objective returning exact hypergradients (forward-mode, Franceschi et al. 2017).

    Each batch of trials trains as one population of ``model`` (the same initial weights,
    minibatch order and update rules as ``population.train`` with the same seed) and each trial
    returns ``(validation loss, {name: d loss / d name})`` for its tuned hyperparameters, the
    derivatives taken through every training step by forward-mode differentiation (one tangent
    per hyperparameter), as ``GradientDescent(estimator="exact")`` reads them.

    Args:
        model: A population model without dropout (``MLP``, ``Linear``, ``Logistic``, ...).
        X: Training inputs, (n_samples, n_features).
        y: Training targets: class labels, or values for a regression model.
        **kwargs: ``X_val``, ``y_val``: validation data (default the training data).
            ``optimizer``: "sgd", "momentum" (SGD with momentum 0.9), "rmsprop" or "adam"
            (default). ``space``: a dict name -> ``ts.Float`` suggested on each trial (None:
            the trial's params as they are); names among the optimizer's ``lr``, ``momentum``,
            ``alpha``, ``beta1``, ``beta2``, ``eps``, ``weight_decay``, ``l1``, ``l2``,
            ``init_scale``. ``fixed``: values of untuned hyperparameters (others take the
            optimizer's defaults). ``epochs`` (10), ``batch_size`` (32, None for full
            batches), ``seed`` (0), ``device`` ("cpu"), ``dtype`` (torch.float32 or
            torch.float64).

    Returns:
        A ``HypergradientObjective`` to pass to ``study.optimize(..., batch_size=...)``.

    Raises:
        ValueError: An argument breaks its rule (the message names it).
        TypeError: An unknown keyword argument.

    Examples:
        >>> objective = hypergradient_objective(MLP(hidden=(16,)), X, y, X_val=Xv, y_val=yv,
        ...     optimizer="momentum", space={"lr": ts.Float(1e-3, 1.0, log=True)})  # doctest: +SKIP
        >>> study = ts.create_study(strategy=GradientDescent(estimator="exact"))  # doctest: +SKIP
        >>> study.optimize(objective, n_trials=30, batch_size=1)  # doctest: +SKIP
    """
    return HypergradientObjective(model, X, y, **kwargs)
