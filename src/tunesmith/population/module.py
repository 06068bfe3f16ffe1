"""One trained population member as a standard ``torch.nn.Module``, with NumPy predictions.

The module holds the member's weights as parameters named as ``Model.params`` names them
(``dense0.weight`` is the ``weight`` of a sub-module ``dense0``, (out, in) as torch.nn.Linear
keeps it) and runs the model's own batched forward pass with a population of one, so its
outputs are the population's outputs for that member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from tunesmith.population.models import Model

__all__ = ["MemberModule"]


class MemberModule(nn.Module):
    """A trained member: ``forward(x) -> (B, outputs)``, ``predict``, ``predict_proba``.

    ``forward`` takes a float tensor of samples shaped as the training data (it is reshaped to
    the model's input shape) and returns logits (classification) or values (regression), one
    row per sample. ``predict`` and ``predict_proba`` take and return NumPy arrays, as a
    scikit-learn estimator does: the class labels of the training targets, their
    probabilities (softmax, or a sigmoid over one logit), or the regression values.

    Args:
        model: The model family the member was trained as.
        weights: The member's weights by their population names (one member's slices).
        input_shape: The shape of one sample as the model takes it.
        n_outputs: Outputs per sample.
        classes: The class labels of the training targets; None for regression.
        target_ndim: 1 for a 1-D regression target (``predict`` returns a vector), else 2.
    """

    def __init__(
        self,
        model: Model,
        weights: Mapping[str, Any],
        input_shape: Sequence[int],
        n_outputs: int,
        classes: Sequence[Any] | None = None,
        target_ndim: int = 1,
    ):
        super().__init__()
        self.model = model
        self.input_shape = tuple(int(d) for d in input_shape)
        self.n_outputs = int(n_outputs)
        self.classes = None if classes is None else np.asarray(classes)
        self.target_ndim = int(target_ndim)
        self.names = [spec.name for spec in model.params(self.input_shape, self.n_outputs)]
        for name in self.names:
            owner, leaf = self._owner(name, create=True)
            value = torch.as_tensor(np.asarray(weights[name])).clone()
            owner.register_parameter(leaf, nn.Parameter(value))

    def _owner(self, name: str, create: bool = False) -> tuple[nn.Module, str]:
        """The sub-module holding a dotted weight name and the leaf name in it."""
        *path, leaf = name.split(".")
        owner: nn.Module = self
        for part in path:
            if not hasattr(owner, part) and create:
                owner.add_module(part, nn.Module())
            owner = getattr(owner, part)
        return owner, leaf

    def weights(self) -> dict[str, Tensor]:
        """The weights by their population names.

        Returns:
            Name -> the parameter tensor.
        """
        return {name: getattr(*self._owner(name)) for name in self.names}

    def forward(self, x: Tensor) -> Tensor:
        """Outputs (B, outputs) for samples x, from the model's forward pass with one member.

        Args:
            x: A float tensor of B samples shaped as the training data.

        Returns:
            Logits (classification) or values (regression), one row per sample.
        """
        first = self.names[0]
        x = x.to(dtype=self.weights()[first].dtype).reshape(-1, *self.input_shape)
        batched = {name: w.unsqueeze(0) for name, w in self.weights().items()}
        return self.model.forward(batched, x, None)[0].T

    @torch.no_grad()
    def _outputs(self, X: Any) -> Tensor:
        device = next(self.parameters()).device
        return self.forward(torch.as_tensor(np.asarray(X), device=device))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes) for a classification member.

        Args:
            X: Samples shaped as the training data (array-like).

        Returns:
            The probabilities, one row per sample.

        Raises:
            AttributeError: The member is a regression member.
        """
        if self.classes is None:
            raise AttributeError("predict_proba is for classification members only.")
        out = self._outputs(X).double()
        if out.shape[1] == 1:
            positive = torch.sigmoid(out[:, 0])
            return torch.stack([1 - positive, positive], dim=1).cpu().numpy()
        return torch.softmax(out, dim=1).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification) or values (regression), one per sample.

        Args:
            X: Samples shaped as the training data (array-like).

        Returns:
            The predictions, a NumPy array.
        """
        out = self._outputs(X)
        if self.classes is not None:
            index = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
            return self.classes[index.cpu().numpy()]
        values = out.cpu().numpy()
        return values[:, 0] if self.target_ndim == 1 else values
