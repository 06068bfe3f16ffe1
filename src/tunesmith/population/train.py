"""``train``: a population of configs trained as batched sub-populations, one result each.

Configs are grouped by the shapes they give the model (members of one group share every weight
shape), each group split into chunks that fit the memory budget, and the chunks trained one
after another. With ``early_stopping="halving"`` every chunk stops at the rungs
``min_epochs · eta^k`` and only the best ⌈n/eta⌉ members, ranked over the whole population, go
on (successive halving: Jamieson & Talwalkar 2016; Li et al. 2018).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from tunesmith.population.config import member_config
from tunesmith.population.data import TrainingData, resolve_device
from tunesmith.population.engine import PopulationRun, initial_weights
from tunesmith.population.memory import available_memory, chunk_sizes, estimate_bytes
from tunesmith.population.models import Model
from tunesmith.population.results import MemberResult

__all__ = ["check_arguments", "halving_rungs", "lr_schedule", "train"]

_EARLY_STOPPING = (None, "halving")
_SCHEDULES = (None, "cosine")


def lr_schedule(name: str | None, epochs: int) -> Callable[[int], float] | None:
    """The learning-rate factor of each epoch: None (constant) or "cosine" annealing,
    ½ (1 + cos(π t / epochs)) in epoch t (Loshchilov & Hutter 2017, without restarts)."""
    if name is None:
        return None
    return lambda epoch: 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_arguments(
    model: Any, configs: Any, options: Mapping[str, Any], owner: str = "train"
) -> None:
    """Check ``train``'s arguments (``options`` holds its keyword arguments but the data)."""

    def _check(name: str, ok: bool, rule: str, got: Any) -> None:
        if not ok:
            raise ValueError(
                f"The {name!r} parameter of {owner} must be {rule}. Got {got!r} instead."
            )

    _check("model", isinstance(model, Model), "a tunesmith.population model (MLP(), ...)", model)
    sequence = isinstance(configs, Sequence) and not isinstance(configs, (str, bytes))
    _check("configs", sequence and len(configs) > 0, "a non-empty list of dicts", configs)
    epochs, batch_size = options["epochs"], options["batch_size"]
    _check("epochs", _is_int(epochs) and epochs >= 1, "an int >= 1", epochs)
    _check(
        "batch_size",
        batch_size is None or (_is_int(batch_size) and batch_size >= 1),
        "an int >= 1, or None for full batches",
        batch_size,
    )
    _check("seed", _is_int(options["seed"]), "an int", options["seed"])
    budget = options["memory_budget"]
    _check(
        "memory_budget",
        budget is None or (_is_int(budget) and budget > 0),
        "an int > 0 (bytes) or None",
        budget,
    )
    stopping = options["early_stopping"]
    _check("early_stopping", stopping in _EARLY_STOPPING, "None or 'halving'", stopping)
    _check("eta", _is_int(options["eta"]) and options["eta"] >= 2, "an int >= 2", options["eta"])
    min_epochs = options["min_epochs"]
    _check("min_epochs", _is_int(min_epochs) and min_epochs >= 1, "an int >= 1", min_epochs)
    schedule = options["schedule"]
    _check("schedule", schedule in _SCHEDULES, "None or 'cosine'", schedule)
    dtype = options["dtype"]
    _check("dtype", dtype in (torch.float32, torch.float64), "torch.float32 or float64", dtype)


def halving_rungs(epochs: int, eta: int, min_epochs: int) -> list[int]:
    """Epochs at which successive halving ranks members: min_epochs · eta^k below ``epochs``."""
    rungs, rung = [], min_epochs
    while rung < epochs:
        rungs.append(rung)
        rung *= eta
    return rungs


def _member_result(
    config: Mapping[str, Any],
    task: str,
    curve: np.ndarray,
    active: bool,
    failed_epoch: int,
    metric: float,
    epochs: int,
    weights: dict[str, np.ndarray],
    chunk: int,
    pruned: bool = False,
    intermediate: dict[int, float] | None = None,
) -> MemberResult:
    loss_curve = [float(v) for v in curve]
    error = None
    if not active:
        loss_curve = loss_curve[: failed_epoch + 1]
        last = loss_curve[-1] if loss_curve else float("nan")
        reason = f"the training loss became {last}" if not math.isfinite(last) else "an update"
        reason += " was not finite" if reason == "an update" else ""
        error = f"Diverged in epoch {failed_epoch + 1}: {reason}; its weights were frozen."
    elif not math.isfinite(metric):
        error = f"The validation {'accuracy' if task == 'classification' else 'mse'} is {metric}."
    failed = error is not None
    value = None if failed else float(metric)
    return MemberResult(
        params=dict(config),
        loss_curve=loss_curve,
        accuracy=value if task == "classification" else None,
        mse=value if task == "regression" else None,
        failed=failed,
        error=error,
        pruned=pruned and not failed,
        epochs=len(loss_curve) if failed else epochs,
        weights=weights,
        chunk=chunk,
        intermediate=dict(intermediate or {}),
    )


def _collect(
    run: PopulationRun,
    rows: Sequence[int],
    metric: np.ndarray,
    configs: Sequence[Mapping[str, Any]],
    out: list[MemberResult | None],
    chunk: int,
    pruned: bool = False,
    history: Mapping[int, dict[int, float]] | None = None,
) -> None:
    """Write the results of some members (local rows) of ``run`` into ``out``."""
    records, weights = run.records(), run.member_weights()
    for row in rows:
        index = run.members[row]
        out[index] = _member_result(
            configs[index],
            run.data.task,
            records["curve"][row],
            bool(records["active"][row]),
            int(records["failed_epoch"][row]),
            float(metric[row]),
            run.epoch,
            weights[row],
            chunk,
            pruned,
            (history or {}).get(index),
        )


class _Planner:
    """Groups members by shape and splits each group into chunks that fit the budget."""

    def __init__(
        self,
        model: Model,
        data: TrainingData,
        configs: Sequence[Any],
        budget: int,
        lr_scale: Callable[[int], float] | None = None,
    ):
        self.data, self.budget, self.lr_scale = data, budget, lr_scale
        self.hypers: list[dict[str, Any]] = []
        groups: dict[tuple, tuple[Model, list[int]]] = {}
        for index, config in enumerate(configs):
            hyper, structure = member_config(config, index, model.structure_keys, model.dropout)
            self.hypers.append(hyper)
            arch = model.resolve(structure, index)
            groups.setdefault(arch.key(), (arch, []))[1].append(index)
        self.groups = list(groups.values())
        self.footprints = {}
        for arch, _ in self.groups:
            specs = arch.params(data.input_shape, data.n_outputs)
            n_params = sum(s.size for s in specs)
            activations = arch.activation_size(data.input_shape, data.n_outputs)
            itemsize = torch.finfo(data.dtype).bits // 8
            self.footprints[arch.key()] = estimate_bytes(
                n_params, activations, data.batch_size, itemsize
            )

    def chunks(self) -> list[tuple[Model, list[int]]]:
        """(model, member indices) per chunk, in order of first appearance."""
        out = []
        for arch, members in self.groups:
            sizes = chunk_sizes(len(members), self.footprints[arch.key()], self.budget)
            start = 0
            for size in sizes:
                out.append((arch, members[start : start + size]))
                start += size
        return out

    def all_persistent_fit(self, chunks: list[tuple[Model, list[int]]]) -> bool:
        """Whether every chunk's weights and states fit at once beside one chunk's step."""
        kept = sum(self.footprints[a.key()].persistent * len(m) for a, m in chunks)
        step = max(self.footprints[a.key()].transient * len(m) for a, m in chunks)
        return kept + step <= self.budget

    def new_run(self, arch: Model, members: list[int]) -> PopulationRun:
        specs = arch.params(self.data.input_shape, self.data.n_outputs)
        base = initial_weights(specs, self.data.init_generator())
        return PopulationRun(arch, self.data, members, [self.hypers[i] for i in members], base)


def _train_chunk(
    planner: _Planner,
    arch: Model,
    members: list[int],
    epochs: int,
    configs: Sequence[Any],
    out: list[MemberResult | None],
    chunk: int,
) -> None:
    """Train one chunk to the end; on a CUDA out-of-memory error, train its halves instead."""
    run: PopulationRun | None = None
    try:
        run = planner.new_run(arch, members)
        run.advance(epochs, planner.lr_scale)
        metric = run.evaluate().cpu().numpy()
        _collect(run, range(len(run)), metric, configs, out, chunk)
        return
    except torch.cuda.OutOfMemoryError:
        pass  # retried below, once the failed attempt's tensors are released
    run = None
    gc.collect()
    torch.cuda.empty_cache()
    if len(members) == 1:
        raise MemoryError("One population member does not fit in GPU memory; lower batch_size.")
    half = len(members) // 2
    _train_chunk(planner, arch, members[:half], epochs, configs, out, chunk)
    _train_chunk(planner, arch, members[half:], epochs, configs, out, chunk)


def _halving(
    planner: _Planner,
    runs: list[tuple[PopulationRun, int]],
    rungs: list[int],
    epochs: int,
    eta: int,
    configs: Sequence[Any],
    out: list[MemberResult | None],
) -> None:
    """Successive halving over ``runs`` together: rank every active member at each rung."""
    higher_better = planner.data.task == "classification"
    history: dict[int, dict[int, float]] = {}
    for rung in rungs:
        scored = []  # (metric, member index, run position, row)
        metrics = []
        for position, (run, _) in enumerate(runs):
            run.advance(rung, planner.lr_scale)
            metric = run.evaluate().cpu().numpy()
            metrics.append(metric)
            active = run.active.cpu().numpy()
            for row in range(len(run)):
                history.setdefault(run.members[row], {})[rung] = float(metric[row])
                if active[row] and np.isfinite(metric[row]):
                    key = -metric[row] if higher_better else metric[row]
                    scored.append((key, run.members[row], position, row))
        scored.sort()
        keep = {(p, r) for _, _, p, r in scored[: max(1, math.ceil(len(scored) / eta))]}
        for position, (run, chunk) in enumerate(runs):
            stay = [r for r in range(len(run)) if (position, r) in keep]
            leave = [r for r in range(len(run)) if (position, r) not in keep]
            _collect(run, leave, metrics[position], configs, out, chunk, True, history)
            if stay:
                run.keep(stay)
        runs = [(run, chunk) for run, chunk in runs if any(out[m] is None for m in run.members)]
    for run, chunk in runs:
        run.advance(epochs, planner.lr_scale)
        metric = run.evaluate().cpu().numpy()
        _collect(run, range(len(run)), metric, configs, out, chunk, False, history)


def train(
    model: Model,
    X: Any,
    y: Any,
    configs: Sequence[Mapping[str, Any]],
    *,
    X_val: Any = None,
    y_val: Any = None,
    epochs: int = 10,
    batch_size: int | None = 32,
    device: Any = "cpu",
    seed: int = 0,
    memory_budget: int | None = None,
    early_stopping: str | None = None,
    eta: int = 3,
    min_epochs: int = 1,
    schedule: str | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[MemberResult]:
    """Train one ``model`` per config as one batched computation; one result per config, in order.

    A config maps hyperparameter names to values: ``optimizer`` ("sgd", "momentum", "rmsprop",
    "adam", "adamw"), ``lr``, ``momentum``, ``beta1``/``beta2`` (or ``betas``), ``eps``,
    ``alpha``, ``weight_decay``, ``dropout``, ``init_scale``, ``l1``, ``l2`` (missing ones take
    the optimizer's defaults, as in torch.optim), and the model's shape keys (MLP: ``hidden``
    or ``width``/``depth``, ``activation``; CNN: ``channels``, ``hidden``, ``activation``).
    Members share the seed's random numbers (initial weights before ``init_scale``, minibatch
    order, dropout noise), so each trains as it would alone, to float rounding. A member whose
    loss or update stops being finite is marked failed and frozen; the others go on.

    Each result holds the validation ``accuracy`` (classification) or ``mse`` (regression),
    measured on (X_val, y_val) or else the training data, the per-epoch ``loss_curve`` and the
    final ``weights`` (NumPy arrays; dense weights (out, in) as in torch.nn.Linear).
    ``early_stopping="halving"`` ranks members at epochs ``min_epochs · eta^k`` and freezes all
    but the best ⌈n/eta⌉ (``pruned``). ``schedule="cosine"`` anneals every learning rate to 0
    over ``epochs``. ``memory_budget`` (bytes) caps what one chunk's weights, optimizer states
    and activations may use (default: a share of the free device memory). ``dtype`` is
    torch.float32 or torch.float64.
    """
    options = {
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "dtype": dtype,
        "memory_budget": memory_budget,
        "early_stopping": early_stopping,
        "eta": eta,
        "min_epochs": min_epochs,
        "schedule": schedule,
    }
    check_arguments(model, configs, options)
    device = resolve_device(device)
    data = TrainingData(model, X, y, X_val, y_val, batch_size, int(seed), device, dtype)
    budget = int(memory_budget) if memory_budget is not None else available_memory(device)
    planner = _Planner(model, data, configs, budget, lr_schedule(schedule, epochs))
    chunks = planner.chunks()
    out: list[MemberResult | None] = [None] * len(configs)
    rungs = halving_rungs(epochs, eta, min_epochs) if early_stopping == "halving" else []
    if not rungs:
        for chunk, (arch, members) in enumerate(chunks):
            _train_chunk(planner, arch, members, epochs, configs, out, chunk)
    elif planner.all_persistent_fit(chunks):
        runs = [(planner.new_run(a, m), c) for c, (a, m) in enumerate(chunks)]
        _halving(planner, runs, rungs, epochs, eta, configs, out)
    else:  # the chunks cannot all wait at a rung together: halve within each chunk
        for chunk, (arch, members) in enumerate(chunks):
            run = planner.new_run(arch, members)
            _halving(planner, [(run, chunk)], rungs, epochs, eta, configs, out)
    return [r for r in out if r is not None]
