"""Model families trained as populations: Linear, Logistic and MLP (the CNN is in ``cnn``).

A model is a description (its layers and defaults), never weights: ``params`` lists the shapes
of one member's weights, ``forward`` runs a whole population given weights with a leading
population axis. Keys of a config that change shapes (``hidden``, ``width``, ``depth``,
``channels``, ``activation``) give a resolved copy; members are grouped by it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import Tensor

from tunesmith.population.layers import ACTIVATIONS, Dropout, batched_linear, shared_linear
from tunesmith.validation import param_error

__all__ = ["MLP", "Linear", "Logistic", "Model", "ParamSpec", "dense_specs", "layer_widths"]

_TASKS = ("classification", "regression")


@dataclass(frozen=True)
class ParamSpec:
    """One member's weight: name, shape, fan-in, whether L1/L2 penalties apply, how it starts.

    The extension point of a custom model: a ``Model`` subclass returns one ``ParamSpec`` per
    weight from ``params(input_shape, n_outputs)``, and ``forward(w, x, dropout)`` receives
    ``w[name]`` with a leading population axis, ``(P, *shape)``. ``name`` is dotted as in a
    ``torch.nn.Module`` state dict (``block0.weight``); ``shape`` is one member's shape (dense
    weights (out, in), as torch.nn.Linear keeps them); ``fan_in`` sets the starting range
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) when ``init`` is "uniform" ("zeros" starts at 0);
    ``penalized`` weights take the members' ``l1``/``l2`` penalties (biases usually do not).
    ``forward`` returns (P, outputs, B) for a batch ``x`` (B, *input_shape) shared by all
    members; ``examples/population_residual_mlp.py`` builds a residual MLP this way.

    Attributes:
        name: Dotted as in a ``torch.nn.Module`` state dict.
        shape: One member's shape.
        fan_in: Sets the starting range U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        penalized: Whether the members' ``l1``/``l2`` penalties apply.
        init: "uniform" (PyTorch's default) or "zeros".
    """

    name: str
    shape: tuple[int, ...]
    fan_in: int
    penalized: bool
    init: str = "uniform"  # "uniform" (PyTorch's default) or "zeros"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def dense_specs(index: int, n_in: int, n_out: int, init: str = "uniform") -> list[ParamSpec]:
    return [
        ParamSpec(f"dense{index}.weight", (n_out, n_in), n_in, True, init),
        ParamSpec(f"dense{index}.bias", (n_out,), n_in, False, init),
    ]


def layer_widths(owner: str, name: str, value: Any, allow_empty: bool = True) -> tuple[int, ...]:
    """A tuple of layer widths from an int or a sequence of ints >= 1."""
    items = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    rule = "an int >= 1 or a sequence of ints >= 1"
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise param_error(owner, name, rule, value)
    if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in items):
        raise param_error(owner, name, rule, value)
    if not items and not allow_empty:
        raise param_error(owner, name, "a non-empty " + rule.split(" or ")[1], value)
    return tuple(int(w) for w in items)


class Model:
    """A model family; subclasses declare their layers, task and shape-changing config keys.

    A subclass implements ``params`` (a list of ``ParamSpec``) and ``forward``; it may set
    ``task``, ``structure_keys`` with ``resolve`` and ``key`` (configs that change shapes),
    ``has_hidden`` (dropout applies) and ``activation_size`` (memory planning).
    """

    task: str = "classification"
    structure_keys: ClassVar[frozenset[str]] = frozenset()
    dropout: float = 0.0
    has_hidden: bool = False  # whether there are hidden units for dropout

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        """This model with a config's shape keys applied; itself when there are none.

        Args:
            structure: The config's shape keys (``structure_keys``) and their values.
            index: The config's index, for error messages.

        Returns:
            The model for that config.
        """
        return self

    def key(self) -> tuple:
        """What makes two members' weights the same shape (and their graph the same).

        Returns:
            A hashable key; members with equal keys train in one group.
        """
        return (type(self).__name__,)

    def input_shape(self, x_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The per-sample shape the forward pass takes, from the data's shape (n, ...).

        Args:
            x_shape: The shape of the training data.

        Returns:
            One sample's shape.
        """
        return (math.prod(x_shape[1:]),)

    def n_outputs(self, n_targets: int) -> int:
        """Output units for ``n_targets`` classes (classification) or target columns.

        Args:
            n_targets: The number of classes, or of target columns.

        Returns:
            The number of outputs.
        """
        return n_targets

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        """One member's weights (the extension point of a custom model).

        Args:
            input_shape: One sample's shape (``input_shape``).
            n_outputs: The number of outputs (``n_outputs``).

        Returns:
            One ``ParamSpec`` per weight.
        """
        raise NotImplementedError

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        """Every member's outputs for the batch ``x`` (B, ...) as (P, outputs, B).

        Args:
            w: Weight name -> tensor with a leading population axis, (P, *shape).
            x: The batch, (B, *input_shape), shared by all members.
            dropout: The members' dropout, or None (evaluation, or no dropout).

        Returns:
            The outputs, (P, outputs, B).
        """
        raise NotImplementedError

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        """Floats of activations one member keeps per sample for the backward pass.

        Args:
            input_shape: One sample's shape.
            n_outputs: The number of outputs.

        Returns:
            The number of floats (for memory planning).
        """
        return 2 * n_outputs

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(self.key())


class Linear(Model):
    """Linear regression ŷ = W x + b, trained on the mean squared error.

    Dense weights are (out, in), as torch.nn.Linear keeps them.
    """

    task = "regression"

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        return dense_specs(0, input_shape[0], n_outputs, "zeros")

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        return shared_linear(x, w["dense0.weight"], w["dense0.bias"])


class Logistic(Linear):
    """Logistic regression: sigmoid with two classes, softmax (multinomial) with more.

    Parametrized as scikit-learn's LogisticRegression: one weight vector for two classes, one
    per class otherwise; with ``l2 = 1 / (2 C n_samples)`` and no other penalty the objective
    is scikit-learn's for inverse regularization strength C.
    """

    task = "classification"

    def n_outputs(self, n_targets: int) -> int:
        return 1 if n_targets == 2 else n_targets


class MLP(Model):
    """A multilayer perceptron: dense layers of widths ``hidden``, ``activation``, dropout.

    Args:
        hidden: Widths of the hidden layers (an int for one layer).
        activation: One of "relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "silu".
        dropout: Dropout probability of the hidden layers, in [0, 1).
        task: "classification" or "regression".

    Raises:
        ValueError: An argument breaks its rule; the message names it.
    """

    structure_keys = frozenset({"hidden", "width", "depth", "activation"})
    has_hidden = True

    def __init__(
        self,
        hidden: int | Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        task: str = "classification",
    ):
        owner = type(self).__name__
        self.hidden = layer_widths(owner, "hidden", hidden)
        if activation not in ACTIVATIONS:
            raise param_error(owner, "activation", f"one of {sorted(ACTIVATIONS)}", activation)
        self.activation = activation
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise param_error(owner, "dropout", "a float in [0, 1)", dropout)
        if not 0 <= dropout < 1:
            raise param_error(owner, "dropout", "a float in [0, 1)", dropout)
        self.dropout = float(dropout)
        if task not in _TASKS:
            raise param_error(owner, "task", f"one of {list(_TASKS)}", task)
        self.task = task

    def _resolve_hidden(self, structure: Mapping[str, Any], where: str) -> tuple[int, ...]:
        if "hidden" in structure:
            return layer_widths(where, "hidden", structure["hidden"])
        width = structure.get("width", self.hidden[0] if self.hidden else 64)
        depth = structure.get("depth", len(self.hidden))
        for name, value, low in (("width", width, 1), ("depth", depth, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise param_error(where, name, f"an int >= {low}", value)
        return (int(width),) * int(depth)

    def resolve(self, structure: Mapping[str, Any], index: int = 0) -> Model:
        if not structure:
            return self
        where = f"train (configs[{index}])"
        out = copy.copy(self)
        if {"hidden", "width", "depth"} & set(structure):
            out.hidden = self._resolve_hidden(structure, where)
        if "activation" in structure:
            if structure["activation"] not in ACTIVATIONS:
                raise param_error(where, "activation", f"one of {sorted(ACTIVATIONS)}", structure)
            out.activation = structure["activation"]
        return out

    def key(self) -> tuple:
        return (type(self).__name__, self.hidden, self.activation, self.task)

    def params(self, input_shape: tuple[int, ...], n_outputs: int) -> list[ParamSpec]:
        sizes = (input_shape[0], *self.hidden, n_outputs)
        return [s for i in range(len(sizes) - 1) for s in dense_specs(i, sizes[i], sizes[i + 1])]

    def _dense_stack(
        self, w: Mapping[str, Tensor], h: Tensor, dropout: Dropout | None, first: int, shared: bool
    ) -> Tensor:
        act = ACTIVATIONS[self.activation]
        last = first + len(self.hidden)
        for i in range(first, last + 1):
            layer = shared_linear if shared and i == first else batched_linear
            h = layer(h, w[f"dense{i}.weight"], w[f"dense{i}.bias"])
            if i < last:
                h = act(h)
                if dropout is not None:
                    h = dropout(h)
        return h

    def forward(self, w: Mapping[str, Tensor], x: Tensor, dropout: Dropout | None) -> Tensor:
        return self._dense_stack(w, x, dropout, 0, shared=True)

    def activation_size(self, input_shape: tuple[int, ...], n_outputs: int) -> int:
        return 3 * sum(self.hidden) + 2 * n_outputs
