"""``pbt``: population-based training (Jaderberg et al. 2017) inside one batched population.

Members train side by side as one computation; every ``ready_every`` epochs they are ranked by
validation loss, worse members copy the weights and optimizer state of better ones (exploit)
and move the copied hyperparameters (explore: perturbed, resampled, or by PB2's GP bandit over
the segments so far), and training goes on. Each member's hyperparameter schedule and lineage
are recorded. With a ``study`` and a ``store`` folder beside it, each member segment (one
member between two ready points) is one trial, and the population is checkpointed at every
ready point as a ``torch.save`` file of tensors and plain data (read with
``weights_only=True``; nothing is pickled into the database), so a stopped run called again
with the same arguments continues from its last completed ready point.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tunesmith.population import _pbt_ops as ops
from tunesmith.population._pbt_book import Book, check_study
from tunesmith.population.config import member_config
from tunesmith.population.data import TrainingData
from tunesmith.population.engine import PopulationRun, initial_weights
from tunesmith.population.memory import available_memory, chunk_sizes, estimate_bytes
from tunesmith.population.models import Model
from tunesmith.population.options import TrainingOptions
from tunesmith.population.results import MemberResult, member_result
from tunesmith.population.train import check_inputs
from tunesmith.records import json_safe
from tunesmith.space import space_to_json
from tunesmith.strategies.pb2 import pb2_explore, require_scipy, segment_observations
from tunesmith.validation import Integer, NoneOr, OneOf, Real, Satisfies, check_params, param_error

__all__ = ["PBTResult", "pbt"]

_TABLE = {
    "members": Integer(2),
    "ready_every": Integer(1),
    "exploit": OneOf(*ops.EXPLOITS),
    "explore": OneOf(*ops.EXPLORES),
    "quantile": Real(0, 0.5, closed="right"),
    "resample_probability": Real(0, 1),
    "config": NoneOr(Satisfies(lambda c: isinstance(c, Mapping), "a dict of fixed values")),
    "store": NoneOr(Satisfies(lambda p: isinstance(p, (str, os.PathLike)), "a folder path")),
}


@dataclass
class PBTResult:
    """What a PBT run found: the best member at the end, every member, schedules, lineage.

    ``best`` is the member with the lowest final validation ``loss`` (its ``params`` are its
    last hyperparameters; ``best.to_module()`` gives it as a torch module). ``schedules[m]``
    maps each segment's first epoch to member m's values from then on; ``lineage`` lists
    every copy ({"epoch", "member", "source"}); ``segments`` has one record per member
    segment (its values, loss, parent member, ``trial`` number when a study records them).

    Attributes:
        best: The result of the member with the lowest final validation loss (ties: the
            lowest number).
        best_member: That member's number.
        loss: That member's final validation loss.
        losses: Every member's final validation loss, by member.
        members: Every member's result, by member.
        schedules: ``schedules[m][epoch]``: member m's values of the space from ``epoch`` on
            (0, then each ready point).
        lineage: Every copy at a ready point: {"epoch", "member" (the one replaced),
            "source" (the one copied)}.
        segments: One record per member segment: "member", "segment", "start", "end",
            "params", "loss", "parent" (the member whose weights it continued),
            "exploited_from" (the member copied, or None) and "trial" when a study keeps it.
    """

    best: MemberResult
    best_member: int
    loss: float
    losses: list[float]
    members: list[MemberResult]
    schedules: list[dict[int, dict[str, Any]]]
    lineage: list[dict[str, int]]
    segments: list[dict[str, Any]]

    def to_module(self) -> torch.nn.Module:
        """The best member as a ``torch.nn.Module`` (``MemberModule``).

        Returns:
            The module of ``best``, with ``predict`` (and ``predict_proba`` for a classifier).
        """
        return self.best.to_module()


def _ends(epochs: int, every: int) -> list[int]:
    """The last epoch (exclusive) of each segment: every ``every`` epochs, and ``epochs``."""
    return [*range(every, epochs, every), epochs]


class _Population:
    """One PBT run: the population, its current segment's values, the records so far."""

    def __init__(self, model: Model, data: TrainingData, space: dict, config: dict, key: dict,
                 opts: TrainingOptions):  # fmt: skip
        self.data, self.space, self.config, self.key = data, space, config, key
        self.n, self.ends = key["members"], _ends(key["epochs"], key["ready_every"])
        _, structure = member_config(config, 0, model.structure_keys, model.dropout, "pbt")
        self.arch = model.resolve(structure)
        rng = np.random.default_rng([key["seed"], 0])
        self.values = [ops.sample(space, rng) for _ in range(self.n)]
        self.parents, self.exploited = list(range(self.n)), [False] * self.n
        self.schedules = [{0: dict(v)} for v in self.values]
        self.lineage: list[dict[str, int]] = []
        self.segments: list[dict[str, Any]] = []
        self.k = 0
        _check_memory(self.arch, data, self.n, opts)
        specs = self.arch.params(data.input_shape, data.n_outputs)
        base = initial_weights(specs, data.init_generator())
        self.run = PopulationRun(self.arch, data, list(range(self.n)), self.hypers(), base)

    def hypers(self) -> list[dict[str, Any]]:
        """Every member's full hyperparameters: the fixed config with its values over it."""
        keys = self.arch.structure_keys
        return [
            member_config({**self.config, **v}, i, keys, self.arch.dropout, "pbt")[0]
            for i, v in enumerate(self.values)
        ]

    def train_segment(self, lr_scale: Any) -> np.ndarray:
        """Train segment ``k`` to its end; its records; each member's validation loss."""
        start = self.run.epoch
        self.run.advance(self.ends[self.k], lr_scale)
        losses = ops.validation_loss(self.run)
        for m in range(self.n):
            self.segments.append(
                {
                    "member": m,
                    "segment": self.k,
                    "start": start,
                    "end": self.run.epoch,
                    "params": dict(self.values[m]),
                    "loss": float(losses[m]),
                    "parent": self.parents[m],
                    "exploited_from": self.parents[m] if self.exploited[m] else None,
                }
            )
        return losses

    def ready(self, losses: np.ndarray) -> None:
        """Exploit and explore at the end of segment ``k`` (not after the last), then k += 1."""
        self.k += 1
        if self.k == len(self.ends):
            return
        rng = np.random.default_rng([self.key["seed"], self.k])
        pairs = ops.exploit(losses, self.key["exploit"], self.key["quantile"], rng)
        ops.copy_members(self.run, pairs)
        source = dict(pairs)
        self.parents = [source.get(m, m) for m in range(self.n)]
        self.exploited = [m in source for m in range(self.n)]
        old, how, p = self.values, self.key["explore"], self.key["resample_probability"]
        copied = sorted(source)  # members in order: each one's draws come in that order
        sources = [old[source[m]] for m in copied]
        if how == "pb2":
            observed = segment_observations(self.segments)
            moved = pb2_explore(self.space, observed, sources, rng, now=self.run.epoch, p=p)
        else:
            moved = [ops.explore(self.space, v, rng, how, p) for v in sources]
        new = dict(zip(copied, moved))
        self.values = [new[m] if m in new else dict(old[m]) for m in range(self.n)]
        ops.set_hypers(self.run, self.hypers())
        epoch = self.run.epoch
        self.lineage += [{"epoch": epoch, "member": d, "source": s} for d, s in pairs]
        for m in range(self.n):
            self.schedules[m][epoch] = dict(self.values[m])

    _SAVED = ("k", "values", "parents", "exploited", "schedules", "lineage", "segments")

    def snapshot(self) -> dict[str, Any]:
        """What a checkpoint keeps: the records and the run's tensors, plain data only."""
        saved = {name: getattr(self, name) for name in self._SAVED}
        return {**saved, "run": ops.state_of(self.run)}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Continue from a checkpoint: its records, hyperparameters, weights and state."""
        for name in self._SAVED:
            setattr(self, name, saved[name])
        ops.load_state(self.run, saved["run"])
        ops.set_hypers(self.run, self.hypers())

    def members(self) -> tuple[list[MemberResult], np.ndarray]:
        """Every member's result now, and its validation loss."""
        run, records = self.run, self.run.records()
        metric, weights = run.evaluate().cpu().numpy(), run.member_weights()
        out = []
        for m, hyper in enumerate(run.hypers):
            active, failed = bool(records["active"][m]), int(records["failed_epoch"][m])
            params = {**self.config, **self.values[m], "optimizer": hyper["optimizer"]}
            result = member_result(
                params, run.data.task, records["curve"][m], active, failed,
                float(metric[m]), run.epoch, weights[m], 0,
            )  # fmt: skip
            result.architecture, result.input_shape = run.model, tuple(run.data.input_shape)
            result.n_outputs, result.classes = run.data.n_outputs, run.data.classes
            result.target_ndim = run.data.target_ndim
            out.append(result)
        return out, ops.validation_loss(run)

    def result(self) -> PBTResult:
        """The run's result: the member of lowest validation loss (ties: lowest id) is best."""
        results, losses = self.members()
        best = ops.ranked(losses)[0]
        return PBTResult(
            results[best], best, float(losses[best]), [float(v) for v in losses], results,
            self.schedules, self.lineage, self.segments,
        )  # fmt: skip


def _check_memory(arch: Model, data: TrainingData, members: int, opts: TrainingOptions) -> None:
    """PBT copies between any two members: the whole population must fit at once."""
    n_params = sum(s.size for s in arch.params(data.input_shape, data.n_outputs))
    itemsize = torch.finfo(data.dtype).bits // 8
    activations = arch.activation_size(data.input_shape, data.n_outputs)
    footprint = estimate_bytes(n_params, activations, data.batch_size, itemsize)
    budget = int(opts.memory_budget or available_memory(opts.device))
    if len(chunk_sizes(members, footprint, budget)) > 1:
        raise MemoryError(
            f"The {members} members of pbt do not fit at once in the memory budget of "
            f"{budget:,} bytes; use fewer members, a smaller model or batch_size."
        )


def _settings(
    space: dict, config: Mapping[str, Any] | None, options: Any, values: dict[str, Any]
) -> tuple[dict[str, Any], TrainingOptions]:
    """The fixed config (no name of the space in it) and the training options (no halving)."""
    config = dict(config or {})
    if set(config) & set(space):
        raise param_error("pbt", "config", "free of the names of the space", config)
    opts = TrainingOptions.of("pbt", options, values)
    if opts.early_stopping is not None:
        rule = "None (PBT ranks the members itself)"
        raise param_error("pbt", "early_stopping", rule, opts.early_stopping)
    return config, opts


def _run_key(
    model: Model, space: dict, config: dict, opts: TrainingOptions, params: dict
) -> dict[str, Any]:
    """What a resumed run must share with the stopped one, as JSON data."""
    return json_safe({
        **params, "epochs": opts.epochs, "seed": opts.seed, "space": space_to_json(space),
        "config": config, "model": repr(model.key()), "batch_size": opts.batch_size,
        "schedule": getattr(opts.schedule, "__qualname__", opts.schedule),
        "dtype": str(opts.dtype), "class_weight": getattr(opts, "class_weight", None),
    })  # fmt: skip


def _run(pop: _Population, opts: TrainingOptions, book: Book | None) -> PBTResult:
    """Train segment after segment, from the last recorded ready point when there is one."""
    saved = None if book is None else book.resume()
    if saved is not None:
        pop.restore(saved)
    while pop.k < len(pop.ends):
        pop.ready(pop.train_segment(opts.lr_scale()))
        if book is not None:
            book.record(pop, pop.space)
    if book is not None:
        book.number(pop)
    return pop.result()


def pbt(
    model: Model,
    X: Any,
    y: Any,
    *,
    space: Mapping[str, Any],
    members: int,
    epochs: int,
    ready_every: int,
    exploit: str = "truncation",
    explore: str = "perturb",
    quantile: float = 0.25,
    resample_probability: float = 0.25,
    X_val: Any,
    y_val: Any,
    seed: int = 0,
    study: Any = None,
    store: str | os.PathLike[str] | None = None,
    config: Mapping[str, Any] | None = None,
    options: TrainingOptions | None = None,
    **kwargs: Any,
) -> PBTResult:
    """Population-based training of ``members`` copies of ``model``, one batched computation.

    ``space`` maps hyperparameters of ``TUNABLE`` (lr, momentum, weight_decay, ...) to tunesmith
    ``Float``/``Int``/``Choice``; ``config`` fixes others (``optimizer``, shape keys). Every
    ``ready_every`` epochs members are ranked by validation loss; ``exploit`` ("truncation":
    the bottom ``quantile`` copies the top ``quantile``; "tournament": each copies a random
    better one) copies weights and optimizer state, ``explore`` ("perturb", "resample" with
    ``resample_probability``, "pb2": a GP bandit over the segments so far) moves the copied
    values. ``study`` ("minimize") gets one trial per member segment, ``store`` (a folder) the
    checkpoints: called again alike, a stopped run continues from its last ready point to the
    same end. Other keywords: ``TrainingOptions``.

    Args:
        model: The population model every member trains (``MLP``, ``Linear``, ...).
        X: Training inputs.
        y: Training targets: class labels, or values for a regression model.
        space: The hyperparameters PBT moves, a non-empty dict of names of ``TUNABLE`` to
            ``Float``, ``Int`` or ``Choice`` whose values the training allows.
        members: The population size, an int >= 2; the whole population must fit in memory
            at once.
        epochs: The epochs each member trains in all, an int >= 1.
        ready_every: The epochs between two ready points (exploit and explore), an int >= 1.
        exploit: ``"truncation"`` or ``"tournament"``, as above.
        explore: ``"perturb"`` (numbers ×0.8 or ×1.2, a Choice drawn again with
            ``resample_probability``), ``"resample"`` (each value drawn again with
            ``resample_probability``, else perturbed) or ``"pb2"`` (Population-Based Bandits,
            Parker-Holder et al. 2020: a Gaussian process fitted to each segment's fall in
            validation loss, from its parent's loss at the ready point to its own, against its
            values and start epoch; each copied member takes the numbers of highest upper
            confidence bound at the current epoch, a batch by kriging believer, and keeps or
            redraws a Choice as perturb does; perturb while fewer than 4 such segments, or
            fewer than the copied members, exist. A first segment, with no loss at its start,
            is no observation. Needs scipy:
            ``pip install "tunesmith[gp]"``). See ``tunesmith.strategies.pb2``.
        quantile: The share of members replaced and copied by truncation, in (0, 0.5].
        resample_probability: The probability of drawing a value again, in [0, 1].
        X_val: Validation inputs, the members ranked by their loss on them.
        y_val: Validation targets.
        seed: The seed of the initial weights, minibatch order and dropout noise, of the
            starting values (drawn uniformly from ``space``) and of every exploit and explore
            draw.
        study: A study minimizing one value, to get one trial per member segment (its value
            the segment's validation loss), or None; needs ``store``.
        store: The folder of the checkpoints, one per ready point; None without a study.
        config: Fixed hyperparameters (``optimizer``, shape keys), none of them in ``space``.
        options: Training options to start from; the keywords given override them.
        **kwargs: Other ``TrainingOptions`` (``batch_size``, ``schedule``, ``device``, ...);
            ``early_stopping`` must stay None, as PBT ranks the members itself.

    Returns:
        The best member at the end, every member, the schedules, lineage and segments.

    Raises:
        ValueError: When an argument breaks its rule (named in the message).
        TypeError: When a keyword is no training option.
        ImportError: When ``explore="pb2"`` and scipy is missing.
        MemoryError: When the members do not fit at once in the memory budget.
    """
    params = {
        "members": members, "ready_every": ready_every, "exploit": exploit, "explore": explore,
        "quantile": quantile, "resample_probability": resample_probability,
    }  # fmt: skip
    check_inputs("pbt", model=model)
    check_params("pbt", _TABLE, {**params, "config": config, "store": store})
    if explore == "pb2":
        require_scipy("pbt")
    space = ops.check_space(space)
    config, opts = _settings(space, config, options, {**kwargs, "epochs": epochs, "seed": seed})
    check_study(study, store, space)
    weighted = {"class_weight": cw} if (cw := getattr(opts, "class_weight", None)) else {}
    data = TrainingData(
        model, X, y, X_val, y_val, opts.batch_size, opts.seed, opts.device, opts.dtype, "pbt",
        **weighted,
    )  # fmt: skip
    key = _run_key(model, space, config, opts, params)
    pop = _Population(model, data, space, config, key, opts)
    return _run(pop, opts, None if study is None else Book(study, store, key))
