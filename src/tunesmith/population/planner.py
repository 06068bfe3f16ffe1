"""How ``train`` runs a population: shape groups, memory chunks, and successive halving.

Configs are grouped by the shapes they give the model (members of one group share every weight
shape), each group split into chunks that fit the memory budget. Chunks that fit at once train in
lockstep (one optimizer step over every shape per minibatch). A chunk trains to the end
(its halves instead, on a CUDA out-of-memory error), or, with ``early_stopping="halving"``,
stops at the rungs ``min_epochs · eta^k`` where only the best ⌈n/eta⌉ members, ranked over
every chunk that waits there together, go on (successive halving: Jamieson & Talwalkar 2016;
Li et al. 2018; equal metrics ranked by validation loss), or, with
``early_stopping="patience"``, each member stops once its validation metric has not improved
for ``patience`` epochs (early_stopping.py).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from tunesmith.population.config import member_config
from tunesmith.population.cv import combine_folds
from tunesmith.population.data import TrainingData
from tunesmith.population.early_stopping import Patience
from tunesmith.population.engine import PopulationRun, advance_together, initial_weights
from tunesmith.population.memory import chunk_sizes, estimate_bytes
from tunesmith.population.models import Model
from tunesmith.population.options import TrainingOptions
from tunesmith.population.results import MemberResult, member_result
from tunesmith.ranking import loss

__all__ = ["Planner"]

Chunk = tuple[Model, list[int]]  # a resolved model and the indices of its members


class Planner:
    """Groups members by shape, splits each group into chunks that fit the budget, and trains
    them; ``results`` holds one ``MemberResult`` per config once ``run`` returns."""

    def __init__(
        self,
        model: Model,
        data: TrainingData,
        configs: Sequence[Any],
        budget: int,
        options: TrainingOptions | None = None,
    ):
        options = options or TrainingOptions()
        self.data, self.configs, self.budget, self.options = data, configs, budget, options
        self.lr_scale = options.lr_scale()
        # cross-validation: member i stands for config i // k holding out fold i % k
        self.k = 1 if options.cv is None or data.fold_of is None else options.cv
        self.out: list[MemberResult | None] = [None] * (len(configs) * self.k)
        self.hypers: list[dict[str, Any]] = []
        groups: dict[tuple, Chunk] = {}
        for index, config in enumerate(configs):
            hyper, structure = member_config(config, index, model.structure_keys, model.dropout)
            self.hypers.extend([hyper] * self.k)
            arch = model.resolve(structure, index)
            members = groups.setdefault(arch.key(), (arch, []))[1]
            members.extend(range(index * self.k, (index + 1) * self.k))
        self.groups = list(groups.values())
        itemsize = torch.finfo(data.dtype).bits // 8
        self.footprints = {}
        for arch, _ in self.groups:
            n_params = sum(s.size for s in arch.params(data.input_shape, data.n_outputs))
            activations = arch.activation_size(data.input_shape, data.n_outputs)
            self.footprints[arch.key()] = estimate_bytes(
                n_params, activations, data.batch_size, itemsize
            )

    @property
    def results(self) -> list[MemberResult]:
        done = [r for r in self.out if r is not None]
        if self.k == 1:
            return done
        return [combine_folds(done[i : i + self.k]) for i in range(0, len(done), self.k)]

    def chunks(self) -> list[Chunk]:
        """(model, member indices) per chunk, in order of first appearance."""
        out = []
        for arch, members in self.groups:
            sizes = chunk_sizes(len(members), self.footprints[arch.key()], self.budget)
            start = 0
            for size in sizes:
                out.append((arch, members[start : start + size]))
                start += size
        return out

    def all_persistent_fit(self, chunks: list[Chunk]) -> bool:
        """Whether every chunk's weights and states fit at once beside one chunk's step."""
        kept = sum(self.footprints[a.key()].persistent * len(m) for a, m in chunks)
        step = max(self.footprints[a.key()].transient * len(m) for a, m in chunks)
        return kept + step <= self.budget

    def new_run(self, arch: Model, members: list[int]) -> PopulationRun:
        specs = arch.params(self.data.input_shape, self.data.n_outputs)
        base = initial_weights(specs, self.data.init_generator())
        run = PopulationRun(arch, self.data, members, [self.hypers[i] for i in members], base)
        if self.k > 1:
            run.set_folds(torch.tensor([m % self.k for m in run.members]))
        return run

    def run(self) -> list[MemberResult]:
        """Train every chunk: to the end, or by successive halving; the results in order."""
        chunks, rungs = self.chunks(), self.options.rungs()
        if not rungs and self.lockstep(chunks):
            self.train_together(chunks)
        elif not rungs:
            for chunk, (arch, members) in enumerate(chunks):
                self.train_chunk(arch, members, chunk)
        elif self.all_persistent_fit(chunks):
            self.halving([(self.new_run(a, m), c) for c, (a, m) in enumerate(chunks)], rungs)
        else:  # the chunks cannot all wait at a rung together: halve within each chunk
            for chunk, (arch, members) in enumerate(chunks):
                self.halving([(self.new_run(arch, members), chunk)], rungs)
        return self.results

    def collect(
        self,
        run: PopulationRun,
        rows: Sequence[int],
        metric: np.ndarray,
        chunk: int,
        pruned: bool = False,
        history: Mapping[int, dict[int, float]] | None = None,
        val_loss: np.ndarray | None = None,
        stops: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Write the results of some members (local rows) of ``run``; ``val_loss`` and the
        early-stopping records ``stops`` (best and stop epochs) when measured."""
        records, weights = run.records(), run.member_weights()
        for row in rows:
            index = run.members[row]
            stop = {} if stops is None else _stop_epochs(stops, row)
            result = member_result(
                self.configs[index // self.k],
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
                math.nan if val_loss is None else float(val_loss[row]),
                **stop,
            )
            result.architecture, result.input_shape = run.model, tuple(run.data.input_shape)
            result.n_outputs, result.classes = run.data.n_outputs, run.data.classes
            result.target_ndim = run.data.target_ndim
            self.out[index] = result

    def train_chunk(self, arch: Model, members: list[int], chunk: int) -> None:
        """Train one chunk to the end; on a CUDA out-of-memory error, train its halves instead."""
        run: PopulationRun | None = None
        try:
            run = self.new_run(arch, members)
            self.train_to_end(run, chunk)
            return
        except torch.cuda.OutOfMemoryError:
            pass  # retried below, once the failed attempt's tensors are released
        run = None
        gc.collect()
        torch.cuda.empty_cache()
        if len(members) == 1:
            raise MemoryError("One population member does not fit in GPU memory; lower batch_size.")
        half = len(members) // 2
        self.train_chunk(arch, members[:half], chunk)
        self.train_chunk(arch, members[half:], chunk)

    def lockstep(self, chunks: list[Chunk]) -> bool:
        """Whether the chunks train together, step by step: more than one, all of them fitting
        in the budget at once, no per-member stopping, no sample weights or folds."""
        together = sum(self.footprints[a.key()].total * len(m) for a, m in chunks)
        plain = self.data.weights is None and self.k == 1
        stops = self.options.early_stopping == "patience"
        return len(chunks) > 1 and plain and not stops and together <= self.budget

    def train_together(self, chunks: list[Chunk]) -> None:
        """Train every chunk to the end in lockstep (one optimizer step over all shapes); on a
        CUDA out-of-memory error, one chunk after another instead."""
        try:
            runs = [self.new_run(arch, members) for arch, members in chunks]
            advance_together(runs, self.options.epochs, self.lr_scale)
        except torch.cuda.OutOfMemoryError:
            runs = []
        if not runs:
            gc.collect()
            torch.cuda.empty_cache()
            for chunk, (arch, members) in enumerate(chunks):
                self.train_chunk(arch, members, chunk)
            return
        for chunk, run in enumerate(runs):
            metric, val_loss = (m.cpu().numpy() for m in run.measure())
            self.collect(run, range(len(run)), metric, chunk, val_loss=val_loss)

    def advance_all(self, runs: list[PopulationRun], until: int) -> None:
        """Advance runs to epoch ``until``: in lockstep without sample weights or folds."""
        if self.data.weights is None and self.k == 1 and len(runs) > 1:
            advance_together(runs, until, self.lr_scale)
        for run in runs:
            run.advance(until, self.lr_scale)

    def train_to_end(self, run: PopulationRun, chunk: int) -> None:
        """Train ``run`` to the last epoch (each member to its stop, with patience) and
        collect every member."""
        options, stops = self.options, None
        if options.early_stopping != "patience":
            run.advance(options.epochs, self.lr_scale)
        else:
            maximize = options.monitor is None and self.data.task == "classification"
            patience = Patience(run, options.patience, options.restore_best, maximize)
            for epoch in range(run.epoch, options.epochs):
                run.advance(epoch + 1, self.lr_scale)
                metric, val_loss = run.measure()
                if patience.update(run, val_loss if options.monitor else metric):
                    break
            patience.restore(run)
            stops = patience.records()
        metric, val_loss = (m.cpu().numpy() for m in run.measure())
        self.collect(run, range(len(run)), metric, chunk, val_loss=val_loss, stops=stops)

    def halving(self, runs: list[tuple[PopulationRun, int]], rungs: list[int]) -> None:
        """Successive halving over ``runs`` together: rank every active member at each rung."""
        direction = "maximize" if self.data.task == "classification" else "minimize"
        history: dict[int, dict[int, float]] = {}
        for rung in rungs:
            scored = []  # (loss, member index, run position, row)
            metrics = []
            self.advance_all([run for run, _ in runs], rung)
            for position, (run, _) in enumerate(runs):
                metric, val_loss = (m.cpu().numpy() for m in run.measure())
                metrics.append((metric, val_loss))
                active = run.active.cpu().numpy()
                for row in range(len(run)):
                    history.setdefault(run.members[row], {})[rung] = float(metric[row])
                    if active[row] and np.isfinite(metric[row]):
                        # equal metrics: the lower validation loss ranks first
                        tie = val_loss[row] if np.isfinite(val_loss[row]) else math.inf
                        key = (loss(metric[row], direction), tie)
                        scored.append((key, run.members[row], position, row))
            scored.sort()
            n_keep = max(1, math.ceil(len(scored) / self.options.eta))
            keep = {(p, r) for _, _, p, r in scored[:n_keep]}
            for position, (run, chunk) in enumerate(runs):
                stay = [r for r in range(len(run)) if (position, r) in keep]
                leave = [r for r in range(len(run)) if (position, r) not in keep]
                metric, val_loss = metrics[position]
                self.collect(run, leave, metric, chunk, True, history, val_loss)
                if stay:
                    run.keep(stay)
            runs = [(run, c) for run, c in runs if any(self.out[m] is None for m in run.members)]
        self.advance_all([run for run, _ in runs], self.options.epochs)
        for run, chunk in runs:
            metric, val_loss = (m.cpu().numpy() for m in run.measure())
            self.collect(run, range(len(run)), metric, chunk, False, history, val_loss)


def _stop_epochs(stops: Mapping[str, np.ndarray], row: int) -> dict[str, int | None]:
    """One member's best epoch and stop epoch (None: it trained to the end)."""
    stopped = int(stops["stopped_epoch"][row])
    return {
        "best_epoch": int(stops["best_epoch"][row]),
        "stopped_epoch": None if stopped < 0 else stopped,
    }
