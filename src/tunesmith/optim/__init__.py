"""Gradient-descent optimizers: pure array rules (``functional``) and torch.optim drop-ins.

``tunesmith.optim.functional`` needs only NumPy. The Optimizer classes (``SGD``, ``RMSprop``,
``Adam``, ``AdamW``, ``Adagrad``, ``SGDHD``, ``AdamHD``) need PyTorch and are imported on
first use, so ``import tunesmith.optim`` works without it.
"""

from __future__ import annotations

from typing import Any

from . import functional

_TORCH_CLASSES = {
    "SGD": "torch",
    "RMSprop": "torch_adaptive",
    "Adam": "torch",
    "AdamW": "torch",
    "Adagrad": "torch_adaptive",
    "SGDHD": "hypergradient",
    "AdamHD": "hypergradient",
}

__all__ = ["functional", *_TORCH_CLASSES]


def __getattr__(name: str) -> Any:
    module_name = _TORCH_CLASSES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tunesmith.optim' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TORCH_CLASSES))
