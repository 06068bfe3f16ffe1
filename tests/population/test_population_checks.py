"""Bad input is refused at the boundary, naming the argument; torch stays optional."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from tunesmith import population as pop

X = np.random.default_rng(0).random((40, 16)).astype(np.float32)
Y = np.arange(40) % 3
GOOD = [{"lr": 0.01}]


def call(**overrides):
    kwargs = {"model": pop.MLP(hidden=(4,)), "X": X, "y": Y, "configs": GOOD, "epochs": 1}
    kwargs.update(overrides)
    model, x, y, configs = (kwargs.pop(k) for k in ("model", "X", "y", "configs"))
    return pop.train(model, x, y, configs, **kwargs)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model": "mlp"}, "The 'model' parameter of train must be a tunesmith.population model"),
        ({"X": X[0]}, "The 'X' parameter of train must be a 2-D array"),
        ({"X": [["a", "b"]] * 40}, "The 'X' parameter of train must be an array of numbers"),
        ({"X": np.full((40, 16), np.nan)}, "The 'X' parameter of train must not contain NaN"),
        ({"y": Y[:5]}, "The 'y' parameter of train must be a 1-D array with one entry per sample"),
        ({"y": np.zeros(40)}, "The 'y' parameter of train must hold at least 2 classes"),
        ({"y": np.linspace(0, 1, 40)}, "must hold class labels for classification"),
        ({"configs": []}, "The 'configs' parameter of train must be a non-empty list of dicts"),
        ({"configs": [3]}, r"must hold dicts of hyperparameters. Got 3 in configs\[0\]"),
        ({"configs": [{"lrr": 1}]}, r"unknown key\(s\) \['lrr'\] in configs\[0\]"),
        ({"configs": [{"lr": -1}]}, r"'lr' >= 0. Got -1 in configs\[0\]"),
        ({"configs": [{"dropout": 1.0}]}, r"'dropout' in \[0, 1\)"),
        ({"configs": [{"optimizer": "lion"}]}, "'optimizer' among"),
        ({"configs": [{"betas": 0.9}]}, "'betas' as a pair"),
        ({"configs": [{"hidden": (0,)}]}, "The 'hidden' parameter of train"),
        ({"configs": [{"activation": "cube"}]}, "The 'activation' parameter of train"),
        ({"epochs": 0}, "The 'epochs' parameter of train must be an int >= 1. Got 0"),
        ({"batch_size": 0}, "The 'batch_size' parameter of train must be an int >= 1"),
        ({"seed": 1.5}, "The 'seed' parameter of train must be an int"),
        ({"memory_budget": -5}, "The 'memory_budget' parameter of train must be an int > 0"),
        ({"early_stopping": "median"}, "The 'early_stopping' parameter of train must be"),
        ({"eta": 1}, "The 'eta' parameter of train must be an int >= 2"),
        ({"dtype": torch.int32}, "The 'dtype' parameter of train"),
        ({"device": "tpu"}, "The 'device' parameter of train"),
        ({"X_val": X}, "Give both 'X_val' and 'y_val' to train, or neither"),
        ({"X_val": X[:, :3], "y_val": Y}, "The 'X_val' parameter of train must have the features"),
    ],
)
def test_bad_train_input_names_the_argument(overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(**overrides)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no CUDA device is available"):
        call(device="cuda")


def test_bad_model_arguments() -> None:
    with pytest.raises(ValueError, match="The 'activation' parameter of MLP"):
        pop.MLP(activation="cube")
    with pytest.raises(ValueError, match="The 'dropout' parameter of MLP"):
        pop.MLP(dropout=1.5)
    with pytest.raises(ValueError, match="The 'kernel_size' parameter of CNN"):
        pop.CNN(kernel_size=2)
    with pytest.raises(ValueError, match="must hold images for CNN"):
        call(model=pop.CNN(), X=np.ones((40, 15)))


def test_bad_objective_input() -> None:
    with pytest.raises(ValueError, match="The 'metric' parameter of objective"):
        pop.objective(pop.MLP(), X, Y, metric="mse")
    with pytest.raises(ValueError, match="The 'space' parameter of objective"):
        pop.objective(pop.MLP(), X, Y, space={"lr": 0.1})
    with pytest.raises(ValueError, match="The 'y' parameter of objective"):
        pop.objective(pop.MLP(), X, Y[:3])
    with pytest.raises(ValueError, match="The 'early_stopping' parameter of objective"):
        pop.objective(pop.MLP(), X, Y, early_stopping="median")


def test_cnn_takes_flat_square_images_and_image_arrays() -> None:
    images = np.random.default_rng(1).random((30, 8, 8))
    labels = np.arange(30) % 2
    flat = pop.train(pop.CNN(channels=(2,)), images.reshape(30, 64), labels, GOOD, epochs=1)
    shaped = pop.train(pop.CNN(channels=(2,)), images, labels, GOOD, epochs=1)
    assert flat[0].loss_curve == shaped[0].loss_curve
    assert flat[0].weights["conv0.weight"].shape == (2, 1, 3, 3)


def test_import_tunesmith_does_not_import_torch() -> None:
    code = "import sys, tunesmith; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_population_without_torch_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import tunesmith.population\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "tunesmith[torch]"' in out.stdout
