"""Pure update rules over NumPy arrays or torch tensors: ``state = rule_init(param)``, then
``param, state = rule(param, grad, state, **hyperparameters)`` each step.

Every rule takes its array library from the arrays passed in and never copies between
libraries; state lives in the parameter's dtype and device. A hyperparameter is a Python
number, or a 1-D array over a leading population axis: with ``param`` of shape (P, ...) and
``lr`` of shape (P,), each of the P members gets its own learning rate in one call.
Inputs are checked on entry and are never modified.
"""

from __future__ import annotations

from ._rules_adam import AdamState, adam, adam_init, adam_moments, adamw
from ._rules_adaptive import (
    AdagradState,
    RMSpropState,
    adagrad,
    adagrad_init,
    rmsprop,
    rmsprop_init,
)
from ._rules_hypergradient import (
    AdamHDState,
    SGDHDState,
    adam_hd,
    adam_hd_init,
    hypergradient_lr,
    sgd_hd,
    sgd_hd_init,
)
from ._rules_sgd import (
    GradientDescentState,
    SGDState,
    gradient_descent,
    gradient_descent_init,
    sgd,
    sgd_direction,
    sgd_init,
)

adamw_init = adam_init

__all__ = [
    "AdagradState",
    "AdamHDState",
    "AdamState",
    "GradientDescentState",
    "RMSpropState",
    "SGDHDState",
    "SGDState",
    "adagrad",
    "adagrad_init",
    "adam",
    "adam_moments",
    "adam_hd",
    "adam_hd_init",
    "adam_init",
    "adamw",
    "adamw_init",
    "gradient_descent",
    "gradient_descent_init",
    "hypergradient_lr",
    "rmsprop",
    "rmsprop_init",
    "sgd",
    "sgd_hd",
    "sgd_direction",
    "sgd_hd_init",
    "sgd_init",
]
