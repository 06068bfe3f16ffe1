"""Early stopping with patience, batched over the members of one run.

After every epoch each member's validation metric is compared with its best so far; a member
whose metric has not improved (strictly) for ``patience`` epochs stops: its weights no longer
move (``PopulationRun.stopped``; it is not failed). With ``restore_best`` a copy of each
member's best weights is kept on the device, updated with one ``torch.where`` per epoch, and
written back at the end. Everything stays on the device but one flag per epoch: whether every
member has stopped, so the run ends early.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from tunesmith.population.engine import PopulationRun

__all__ = ["Patience"]


class Patience:
    """Best scores, best epochs and stop epochs of the members of one run."""

    def __init__(self, run: PopulationRun, patience: int, restore_best: bool, maximize: bool):
        size, device = len(run), run.flat.device
        self.patience, self.maximize = patience, maximize
        worst = -np.inf if maximize else np.inf
        self.best = torch.full((size,), worst, dtype=torch.float64, device=device)
        self.best_epoch = torch.zeros(size, dtype=torch.long, device=device)
        self.stopped_epoch = torch.full((size,), -1, dtype=torch.long, device=device)
        self.best_flat = run.flat.detach().clone() if restore_best else None
        run.stopped = torch.zeros(size, dtype=torch.bool, device=device)

    @torch.no_grad()
    def update(self, run: PopulationRun, score: Tensor) -> bool:
        """Take each member's score after epoch ``run.epoch``; stop those out of patience.
        Returns whether every member has stopped or failed."""
        assert run.stopped is not None
        going = run.active & ~run.stopped
        better = (score > self.best) if self.maximize else (score < self.best)
        better &= going
        self.best = torch.where(better, score, self.best)
        self.best_epoch = torch.where(better, run.epoch, self.best_epoch)
        if self.best_flat is not None:
            self.best_flat = torch.where(better.unsqueeze(1), run.flat.detach(), self.best_flat)
        stale = going & (run.epoch - self.best_epoch >= self.patience)
        self.stopped_epoch = torch.where(stale, run.epoch, self.stopped_epoch)
        run.stopped |= stale
        return not bool((going & ~stale).any())

    @torch.no_grad()
    def restore(self, run: PopulationRun) -> None:
        """Set every member that did not fail and had a best epoch back to its best weights."""
        if self.best_flat is None:
            return
        back = (run.active & (self.best_epoch > 0)).unsqueeze(1)
        run.flat.copy_(torch.where(back, self.best_flat, run.flat.detach()))

    def records(self) -> dict[str, np.ndarray]:
        """Host copies: each member's best epoch and stop epoch (-1: did not stop)."""
        return {
            "best_epoch": self.best_epoch.cpu().numpy(),
            "stopped_epoch": self.stopped_epoch.cpu().numpy(),
        }
