"""``train``: a population of configs trained as batched sub-populations, one result each.

The training options (epochs, batch size, device, early stopping, ...) are one checked
``TrainingOptions``; ``Planner`` groups the members by shape, splits them into chunks that fit
the memory budget and trains the chunks, whole or by successive halving.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.population.data import TrainingData
from tunesmith.population.memory import available_memory
from tunesmith.population.models import Model
from tunesmith.population.options import TrainingOptions, halving_rungs, lr_schedule
from tunesmith.population.planner import Planner
from tunesmith.population.results import MemberResult
from tunesmith.validation import Constraint, Satisfies, check_params

__all__ = ["check_inputs", "halving_rungs", "lr_schedule", "train"]


def _non_empty_list(configs: Any) -> bool:
    sequence = isinstance(configs, Sequence) and not isinstance(configs, (str, bytes))
    return sequence and len(configs) > 0


_INPUTS: dict[str, Constraint] = {
    "model": Satisfies(lambda m: isinstance(m, Model), "a tunesmith.population model (MLP(), ...)"),
    "configs": Satisfies(_non_empty_list, "a non-empty list of dicts"),
}


def check_inputs(owner: str, **values: Any) -> None:
    """Check ``model`` and ``configs`` as given to ``owner`` (each config is checked apart)."""
    check_params(owner, _INPUTS, values)


def train(
    model: Model,
    X: Any,
    y: Any,
    configs: Sequence[Mapping[str, Any]],
    *,
    X_val: Any = None,
    y_val: Any = None,
    sample_weight: Any = None,
    options: TrainingOptions | None = None,
    **kwargs: Any,
) -> list[MemberResult]:
    """Train one ``model`` per config as one batched computation; one result per config, in order.

    Members share the seed's random numbers (initial weights before ``init_scale``, minibatch
    order, dropout noise), so each trains as it would alone, to float rounding. A member whose
    loss or update stops being finite is marked failed and frozen; the others go on.
    ``early_stopping="halving"`` ranks members at epochs ``min_epochs · eta^k`` and freezes all
    but the best ⌈n/eta⌉ (``pruned``; equal metrics ranked by ``val_loss``).
    ``early_stopping="patience"`` stops each member once its validation metric (``monitor``)
    has not improved for ``patience`` epochs, its best epoch's weights restored with
    ``restore_best`` (``best_epoch``, ``stopped_epoch``).

    Args:
        model: The model family (``MLP``, ``CNN``, ``Linear``, ``Logistic`` or a ``Model``).
        X: Training samples.
        y: Training targets.
        configs: One dict per member, hyperparameter names to values: ``optimizer`` ("sgd",
            "momentum", "rmsprop", "adam", "adamw"), ``lr``, ``momentum``, ``beta1``/``beta2``
            (or ``betas``), ``eps``, ``alpha``, ``weight_decay``, ``dropout``, ``init_scale``,
            ``l1``, ``l2`` (missing ones take the optimizer's defaults, as in torch.optim), and
            the model's shape keys (MLP: ``hidden`` or ``width``/``depth``, ``activation``; CNN:
            ``channels``, ``hidden``, ``activation``).
        X_val: Validation samples; None measures on the training data.
        y_val: Validation targets.
        sample_weight: One weight >= 0 per sample; with ``class_weight`` the training loss is
            Σ w_i l_i / Σ w_i, w_i = s_i · c_{y_i}.
        options: One ``TrainingOptions``; keywords given with it override its values.
        **kwargs: The training options of ``TrainingOptions``: ``epochs=10``,
            ``batch_size=32``, ``device="cpu"``, ``seed=0``, ``memory_budget=None`` (bytes one
            chunk's weights, optimizer states and activations may use; default a share of the
            free device memory), ``early_stopping=None``, ``eta=3``, ``min_epochs=1``,
            ``schedule=None`` ("cosine", "step", "exponential", "onecycle", "warmup_cosine" or
            a callable epoch -> factor), ``dtype=torch.float32``, ``patience=5``,
            ``restore_best=True``, ``monitor=None``, ``cv=None`` (k: each config trained as k
            members, each holding out and measured on one fold of (X, y): ``cv_scores``, the
            metric their mean, ``folds`` the fold results), ``class_weight=None``.

    Returns:
        One ``MemberResult`` per config: the validation ``accuracy`` (classification) or
        ``mse`` (regression) and ``val_loss``, measured on (X_val, y_val) or else the training
        data, the per-epoch ``loss_curve`` and the final ``weights`` (NumPy arrays; dense
        weights (out, in) as in torch.nn.Linear).

    Raises:
        ValueError: An argument, a config or the data breaks its rule; the message names it.
        TypeError: An unknown keyword argument.
    """
    check_inputs("train", model=model, configs=configs)
    opts = TrainingOptions.of("train", options, kwargs)
    run = (opts.batch_size, opts.seed, opts.device, opts.dtype, "train", sample_weight)
    data = TrainingData(model, X, y, X_val, y_val, *run, opts.class_weight, opts.cv)
    return Planner(model, data, configs, _budget(opts), opts).run()


def _budget(opts: TrainingOptions) -> int:
    """The bytes one chunk may use: the option, or a share of the free device memory."""
    return int(opts.memory_budget or available_memory(opts.device))
