"""Memory awareness: what a population costs, what the device has, how to split it in chunks.

A member costs its parameters times (weights + gradients + optimizer state + update
temporaries) and its activations (batch size × layer widths, kept for the backward pass).
The budget is the free GPU memory (torch.cuda.mem_get_info) on CUDA, or on CPU the available
RAM (psutil if installed, else /proc/meminfo's MemAvailable), less a safety margin; a
population over budget is split into equal chunks trained one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["Footprint", "available_memory", "chunk_sizes", "estimate_bytes"]

_CPU_FALLBACK = 4 << 30  # bytes assumed free when the system does not say
_GPU_SHARE = 0.8  # of the free GPU memory
_CPU_SHARE = 0.5  # of the available RAM
_PERSISTENT_COPIES = 3  # weights, and up to two optimizer state arrays (Adam's m and v)
_TRANSIENT_COPIES = 4  # gradients, the rule's result, its temporaries, the masked copy
_ACTIVATION_SLACK = 2  # autograd's saved tensors and gradients of activations


@dataclass(frozen=True)
class Footprint:
    """Bytes one member needs: kept between steps, and only during a step."""

    persistent: int
    transient: int

    @property
    def total(self) -> int:
        return self.persistent + self.transient


def estimate_bytes(
    n_params: int, activation_size: int, batch_size: int, itemsize: int = 4
) -> Footprint:
    """One member's bytes: parameters × copies, plus batch_size × activation floats.

    Args:
        n_params: The member's number of weights.
        activation_size: Floats of activations per sample (``Model.activation_size``).
        batch_size: Samples per step.
        itemsize: Bytes per float (4 for float32, 8 for float64).

    Returns:
        The bytes kept between steps and the bytes used only during a step.
    """
    persistent = n_params * _PERSISTENT_COPIES * itemsize
    transient = n_params * _TRANSIENT_COPIES * itemsize
    transient += batch_size * activation_size * _ACTIVATION_SLACK * itemsize
    return Footprint(persistent, transient)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory(device: torch.device | str = "cpu") -> int:
    """Bytes a population may use on ``device``: a share of what is free there now.

    Args:
        device: "cpu", "cuda", "cuda:1" or a torch.device.

    Returns:
        The bytes.
    """
    device = torch.device(device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * _GPU_SHARE)
    try:
        import psutil

        free = int(psutil.virtual_memory().available)
    except ImportError:
        free = _meminfo_available() or _CPU_FALLBACK
    return int(free * _CPU_SHARE)


def chunk_sizes(n_members: int, footprint: Footprint, budget: int, fixed: int = 0) -> list[int]:
    """Sizes of near-equal chunks whose members fit in ``budget`` bytes, data (``fixed``) aside.

    Raises MemoryError, naming what to change, when not even one member fits.
    """
    room = budget - fixed
    per_chunk = room // footprint.total if room > 0 else 0
    if per_chunk < 1:
        raise MemoryError(
            f"One population member needs about {footprint.total:,} bytes (plus {fixed:,} for "
            f"the data), more than the memory budget of {budget:,} bytes; lower batch_size, "
            "use a smaller model, or raise memory_budget."
        )
    n_chunks = math.ceil(n_members / per_chunk)
    base, extra = divmod(n_members, n_chunks)
    return [base + 1] * extra + [base] * (n_chunks - extra)
