"""One sub-population of equal shape trained in lockstep on one device.

Weights live in one flat tensor (P, N), penalized weights first, members sorted by update rule
so each optimizer group is a contiguous block of rows; each layer's weight is a (P, ...) view of
it. A step is one forward and one backward pass of all members (written out by hand for dense
stacks, by autograd over the summed member losses otherwise: members share no weights, so each
gets exactly its own gradient), L1/L2 penalty gradients added in closed form, one multi-tensor
rule per optimizer writing its members' steps over the gradient, and one update of the flat
weights. Members whose loss or step stops being finite are frozen. ``advance_together`` trains
runs of different shapes in lockstep: one optimizer step over the groups of every shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from tunesmith.population.data import TrainingData
from tunesmith.population.dense_grad import Workspace, dense_step, supports_manual_gradients
from tunesmith.population.evaluation import measure_members
from tunesmith.population.layers import Dropout, uniform_init
from tunesmith.population.models import Model, ParamSpec
from tunesmith.population.multistep import Entry
from tunesmith.population.optimizers import RULE_ORDER, build_groups, rule_of, step_groups
from tunesmith.population.weighting import mean_loss as _loss

__all__ = ["PopulationRun", "advance_together", "initial_weights"]


def initial_weights(specs: Sequence[ParamSpec], generator: torch.Generator) -> dict[str, Tensor]:
    """One member's starting weights (float64, CPU), shared by every member before scaling."""
    out = {}
    for spec in specs:
        if spec.init == "zeros":
            out[spec.name] = torch.zeros(spec.shape, dtype=torch.float64)
        else:
            out[spec.name] = uniform_init(spec.shape, spec.fan_in, generator)
    return out


def _held_back(steps: Tensor, moving: Tensor) -> Tensor:
    """The steps, with the rows of members that must not move set to 0 (NaN rows included)."""
    if steps.is_cuda:  # one pass on the device rather than a host synchronization
        return torch.where(moving.unsqueeze(1), steps, 0.0)
    if not bool(moving.all()):
        steps[~moving] = 0.0
    return steps


class PopulationRun:
    """Members of one shape: their weights, optimizer groups, activity and loss curves."""

    def __init__(
        self,
        model: Model,
        data: TrainingData,
        members: Sequence[int],
        hypers: Sequence[Mapping[str, Any]],
        base: Mapping[str, Tensor],
    ):
        order = sorted(range(len(members)), key=lambda i: RULE_ORDER.index(rule_of(hypers[i])))
        self.model, self.data = model, data
        self.members = [members[i] for i in order]
        self.hypers = [hypers[i] for i in order]
        device, dtype = data.device, data.dtype
        self.specs = sorted(
            model.params(data.input_shape, data.n_outputs), key=lambda s: not s.penalized
        )
        self.n_penalized = sum(s.size for s in self.specs if s.penalized)
        size = len(self.members)
        scale = torch.tensor([h["init_scale"] for h in self.hypers], dtype=torch.float64)
        columns = [base[s.name].reshape(1, -1) * scale.unsqueeze(1) for s in self.specs]
        self.flat = torch.cat(columns, dim=1).to(device=device, dtype=dtype)
        self.groups = build_groups(self.flat, self.hypers, device)
        per_member = lambda name: torch.tensor(  # noqa: E731
            [h[name] for h in self.hypers], dtype=dtype, device=device
        )
        self.rates, self.l1, self.l2 = per_member("dropout"), per_member("l1"), per_member("l2")
        self.active = torch.ones(size, dtype=torch.bool, device=device)
        self.failed_epoch = torch.full((size,), -1, dtype=torch.long, device=device)
        self.curve: list[Tensor] = []
        self.epoch = 0
        # Members stopped early (patience): they keep their weights but are not failed.
        self.stopped: Tensor | None = None
        self.folds: Tensor | None = None  # each member's held-out fold (cross-validation)
        # hand-written gradients know no sample weights: autograd takes weighted losses
        self.manual = supports_manual_gradients(model) and data.weights is None
        self._bind()

    def __len__(self) -> int:
        return len(self.members)

    # -- weights ------------------------------------------------------------------------
    def weights(self, flat: Tensor | None = None) -> dict[str, Tensor]:
        """Every layer's weights as (P, ...) views of the flat weights (or of another tensor
        laid out as they are), in layout order."""
        flat = self.flat if flat is None else flat
        out, offset = {}, 0
        for spec in self.specs:
            out[spec.name] = flat[:, offset : offset + spec.size].view(-1, *spec.shape)
            offset += spec.size
        return out

    def _bind(self) -> None:
        """Views of the flat weights for training: with hand-written gradients, a flat gradient
        and its per-layer views to write them into; otherwise each layer's view is a leaf that
        autograd differentiates.

        Views, not slices of one differentiated tensor: each gradient comes back on its own
        and is written once into the flat gradient, instead of being scattered into a
        full-size zero tensor per layer.
        """
        if self.manual:
            self.leaves = self.weights()
            self.grad = torch.empty_like(self.flat)
            self.grad_views = self.weights(self.grad)
            self.work = Workspace()
        else:
            self.leaves = {name: w.requires_grad_(True) for name, w in self.weights().items()}

    def member_weights(self) -> list[dict[str, np.ndarray]]:
        """Each member's weights as NumPy arrays of the shapes in ``model.params``."""
        host = {name: w.numpy() for name, w in self.weights(self.flat.detach().cpu()).items()}
        return [{name: w[i].copy() for name, w in host.items()} for i in range(len(self))]

    # -- training -----------------------------------------------------------------------
    def _add_penalty_gradient(self, grad: Tensor, l1: bool, l2: bool) -> None:
        """∇ of l1_p ‖W_p‖₁ + l2_p ‖W_p‖₂² over weights (biases are not penalized), added in
        place: l1_p sign(W_p) + 2 l2_p W_p, exactly 0 for a member whose coefficients are 0."""
        weights, target = self.flat[:, : self.n_penalized], grad[:, : self.n_penalized]
        if l1:
            target.addcmul_(self.l1.unsqueeze(1), torch.sign(weights))
        if l2:
            target.addcmul_(self.l2.unsqueeze(1), weights, value=2.0)

    def _gradient(
        self,
        x: Tensor,
        y: Tensor,
        dropout: Dropout | None,
        penalties: tuple[bool, bool],
        weight: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Each member's batch loss and its gradient (P, N), penalties included."""
        if self.manual:
            with torch.no_grad():
                data_loss = dense_step(
                    self.model, self.leaves, self.grad_views, x, y, dropout, self.work
                )
            grad = self.grad
        else:
            leaves = list(self.leaves.values())
            out = self.model.forward(self.leaves, x, dropout)
            data_loss = _loss(self.data.task, out, y, weight)
            grads = torch.autograd.grad(data_loss.sum(), leaves)
            grad = torch.cat([g.reshape(len(self), -1) for g in grads], dim=1)
        if any(penalties):
            with torch.no_grad():
                self._add_penalty_gradient(grad, *penalties)
        return data_loss.detach(), grad

    @torch.no_grad()
    def _apply(self, data_loss: Tensor, steps: Tensor) -> None:
        """Freeze members whose loss or step is not finite; move the others by their steps."""
        finite = torch.isfinite(data_loss) & torch.isfinite(steps.sum(dim=1))
        if self.stopped is None:
            self.active &= finite
            self.flat.add_(_held_back(steps, self.active))
        else:  # a stopped member cannot fail, and does not move
            self.active &= finite | self.stopped
            self.flat.add_(_held_back(steps, self.active & ~self.stopped))

    def _begin_epoch(self, epoch: int, lr_scale: Callable[[int], float] | None) -> Any:
        """Set the epoch's learning rates; its dropout, the active members, a zero total."""
        use_dropout = self.model.has_hidden and bool((self.rates > 0).any())
        dropout = Dropout(self.rates, self.data.noise(epoch)) if use_dropout else None
        for group in self.groups:
            group.scale_lr(1.0 if lr_scale is None else lr_scale(epoch))
        penalties = (bool((self.l1 > 0).any()), bool((self.l2 > 0).any()))
        return dropout, penalties, self.active.clone(), torch.zeros_like(self.rates)

    def _end_epoch(self, epoch: int, before: Tensor, mean_loss: Tensor) -> None:
        self.curve.append(mean_loss)
        self.failed_epoch = torch.where(before & ~self.active, epoch, self.failed_epoch)
        self.epoch = epoch + 1

    def advance(self, until: int, lr_scale: Callable[[int], float] | None = None) -> None:
        """Train every member up to epoch ``until`` (exclusive), from where the run stands;
        ``lr_scale(epoch)`` multiplies every learning rate during that epoch."""
        if self.data.weights is None and self.folds is None:
            advance_together([self], until, lr_scale)
            return
        for epoch in range(self.epoch, until):
            dropout, penalties, before, total = self._begin_epoch(epoch, lr_scale)
            # the epoch's weighted mean: each batch's weighted mean by its total weight
            for x, y, w in self.data.weighted_batches(epoch, self.folds):
                loss, grad = self._gradient(x, y, dropout, penalties, w)
                with torch.no_grad():
                    step_groups(_entries(self, grad))
                self._apply(loss, grad)
                total += loss * w.sum(-1)
            self._end_epoch(epoch, before, total / self.data.total_weight(self.folds))

    @torch.no_grad()
    def evaluate(self, X: Tensor | None = None, y: Tensor | None = None) -> Tensor:
        """Each member's accuracy (classification) or mean squared error on (X, y), default
        the validation data, without dropout."""
        return measure_members(self, X, y, False, self.fold_mask(X))[0]

    @torch.no_grad()
    def measure(self, X: Tensor | None = None, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Each member's metric (as ``evaluate``) and mean loss (cross-entropy, logistic loss
        or squared error, unweighted) on (X, y), default the validation data, without dropout."""
        metric, loss = measure_members(self, X, y, True, self.fold_mask(X))
        assert loss is not None
        return metric, loss

    def set_folds(self, folds: Tensor) -> None:
        """Train each member without its held-out fold (``folds``: one per member, in member
        order) and measure it on that fold (k-fold cross-validation)."""
        self.folds = folds.to(self.flat.device)
        if self.manual:  # per-member sample masks go through autograd
            self.manual = False
            self._bind()

    def fold_mask(self, X: Tensor | None = None) -> Tensor | None:
        """(P, n) float64: 1 where a training sample is in the member's held-out fold; None
        without cross-validation or for data given explicitly."""
        if self.folds is None or X is not None:
            return None
        return self.data.in_fold(self.folds).double()

    # -- members --------------------------------------------------------------------------
    def keep(self, local_rows: Sequence[int]) -> None:
        """Keep only some members (sorted local rows), with their weights and optimizer state."""
        rows = sorted(local_rows)
        index = torch.tensor(rows, dtype=torch.long, device=self.flat.device)
        self.flat = self.flat[index]
        groups, start = [], 0
        for group in self.groups:
            mine = [r - group.start for r in rows if group.start <= r < group.stop]
            if mine:
                local = torch.tensor(mine, dtype=torch.long, device=self.flat.device)
                groups.append(group.take(local, start))
                start += len(mine)
        self.groups = groups
        self.members = [self.members[r] for r in rows]
        self.hypers = [self.hypers[r] for r in rows]
        self.rates, self.l1, self.l2 = self.rates[index], self.l1[index], self.l2[index]
        self.active, self.failed_epoch = self.active[index], self.failed_epoch[index]
        self.stopped = None if self.stopped is None else self.stopped[index]
        self.folds = None if self.folds is None else self.folds[index]
        self.curve = [c[index] for c in self.curve]
        self._bind()

    def records(self) -> dict[str, Any]:
        """Host copies of the per-member bookkeeping: curves, activity, failure epochs."""
        curve = torch.stack(self.curve, 1) if self.curve else torch.zeros((len(self), 0))
        return {
            "curve": curve.double().cpu().numpy(),
            "active": self.active.cpu().numpy(),
            "failed_epoch": self.failed_epoch.cpu().numpy(),
        }


def _entries(run: PopulationRun, grad: Tensor) -> list[Entry]:
    """(group, weight rows, gradient rows) of each of ``run``'s optimizer groups."""
    return [(g, run.flat[g.start : g.stop], grad[g.start : g.stop]) for g in run.groups]


def advance_together(
    runs: Sequence[PopulationRun], until: int, lr_scale: Callable[[int], float] | None = None
) -> None:
    """Train runs of any shapes over the same data in lockstep up to epoch ``until``: each
    minibatch once for all, each run's forward and backward pass, then one multi-tensor
    optimizer step over every run's groups (each member computes what it would alone).

    Args:
        runs: Runs at the same epoch over one ``TrainingData`` without sample weights or folds.
        until: The epoch to stop before.
        lr_scale: Learning-rate factor per epoch (None: 1).
    """
    data = runs[0].data
    for epoch in range(runs[0].epoch, until):
        begun = [run._begin_epoch(epoch, lr_scale) for run in runs]
        for x, y in data.batches(epoch):
            grads = [run._gradient(x, y, b[0], b[1]) for run, b in zip(runs, begun)]
            with torch.no_grad():
                step_groups([e for run, (_, g) in zip(runs, grads) for e in _entries(run, g)])
            for run, (loss, grad), b in zip(runs, grads, begun):
                run._apply(loss, grad)
                b[3].add_(loss * x.shape[0])
        for run, b in zip(runs, begun):
            run._end_epoch(epoch, b[2], b[3] / data.n)
