"""Data the population tests share."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="module")
def digits() -> dict:
    """The first 200 digits for training and the next 100 for validation, scaled to [0, 1]."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:200], "y": y[:200], "X_val": x[200:300], "y_val": y[200:300]}
