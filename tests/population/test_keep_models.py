"""Trained members given back as torch modules, kept on disk beside a study, and loaded."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_digits

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.dense_grad import supports_manual_gradients

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def digits() -> dict:
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return {"X": x[:300], "y": y[:300], "X_val": x[300:500], "y_val": y[300:500]}


def population_outputs(results: list[pop.MemberResult], x: np.ndarray) -> torch.Tensor:
    """The population's forward pass over the members' weights stacked: (P, outputs, B)."""
    arch = results[0].architecture
    stacked = {
        name: torch.stack([torch.as_tensor(r.weights[name]) for r in results])
        for name in results[0].weights
    }
    return arch.forward(stacked, torch.as_tensor(x).reshape(-1, *results[0].input_shape), None)


@pytest.mark.parametrize("model", [pop.MLP(hidden=(32, 16)), pop.CNN(channels=(4,), hidden=(16,))])
def test_module_outputs_equal_the_population_outputs(digits: dict, model: pop.Model) -> None:
    configs = [{"lr": lr, "optimizer": "adam"} for lr in (3e-3, 1e-2, 3e-2)]
    results = pop.train(model, digits["X"], digits["y"], configs, epochs=2, seed=1)
    batched = population_outputs(results, digits["X_val"])
    for i, result in enumerate(results):
        module = result.to_module()
        assert isinstance(module, torch.nn.Module)
        with torch.no_grad():
            out = module(torch.as_tensor(digits["X_val"]))
        assert out.shape == (200, 10)
        assert torch.allclose(out, batched[i].T, atol=1e-5)
        assert (module.predict(digits["X_val"]) == batched[i].argmax(0).numpy()).all()


def test_predict_scores_what_training_measured(digits: dict) -> None:
    configs = [{"lr": 1e-2}, {"lr": 3e-2, "hidden": (16, 16)}]
    kwargs = {"X_val": digits["X_val"], "y_val": digits["y_val"], "epochs": 3}
    results = pop.train(pop.MLP(), digits["X"], digits["y"], configs, **kwargs)
    for result in results:
        module = result.to_module()
        assert (module.predict(digits["X_val"]) == digits["y_val"]).mean() == result.accuracy
        proba = module.predict_proba(digits["X_val"])
        assert proba.shape == (200, 10)
        np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-12)
        assert (module.classes[proba.argmax(1)] == module.predict(digits["X_val"])).all()
    assert list(results[1].to_module().state_dict()) == [
        f"dense{i}.{part}" for i in range(3) for part in ("weight", "bias")
    ]


def test_labels_binary_and_regression_members() -> None:
    x, y = load_breast_cancer(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    labels = np.where(y == 1, "benign", "malignant")
    [result] = pop.train(pop.Logistic(), x, labels, [{"lr": 0.1}], epochs=5)
    module = result.to_module()
    assert set(module.predict(x)) <= {"benign", "malignant"}
    assert (module.predict(x) == labels).mean() == result.accuracy
    proba = module.predict_proba(x)
    assert proba.shape == (len(x), 2)
    assert ((proba[:, 1] > 0.5) == (module.predict(x) == "malignant")).all()
    target = x[:, 0] * 2.0 + 1.0
    [reg] = pop.train(pop.MLP(task="regression"), x, target, [{"lr": 1e-2}], epochs=5)
    values = reg.to_module().predict(x)
    assert values.shape == (len(x),)
    assert float(np.mean((values - target) ** 2)) == pytest.approx(reg.mse, rel=1e-5)
    with pytest.raises(AttributeError, match="classification members only"):
        reg.to_module().predict_proba(x)


def test_study_keeps_the_best_members_on_disk_and_loads_the_best(
    digits: dict, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"lr": ts.Float(1e-3, 1e-1, log=True), "hidden": ts.Choice([(32, 32), (64,)])}
    study = ts.create_study(name="keep", storage=url, direction="maximize", space=space, seed=3)
    objective = pop.objective(
        pop.MLP(), digits["X"], digits["y"], X_val=digits["X_val"], y_val=digits["y_val"],
        epochs=2, store=tmp_path / "models", keep=2,
    )  # fmt: skip
    study.optimize(objective, n_trials=8, batch_size=4)
    files = sorted((tmp_path / "models").glob("*.pt"))
    assert len(files) == 2
    loaded = ts.load_study(name="keep", storage=url)
    ranked = sorted(loaded.trials, key=lambda t: (-t.value, t.number))
    kept = {Path(t.user_attrs["weights_file"]) for t in ranked[:2]}
    assert kept == set(files)
    for rank in (0, 1):
        model = pop.load_best(loaded, rank=rank)
        accuracy = (model.predict(digits["X_val"]) == digits["y_val"]).mean()
        assert accuracy == ranked[rank].value
    record = torch.load(files[0], weights_only=True)
    assert isinstance(record["config"]["hidden"], tuple)
    with pytest.raises(ValueError, match="'rank' parameter of load_best must be below the 2"):
        pop.load_best(loaded, rank=2)


def test_load_best_without_kept_members_says_how_to_keep_them(digits: dict) -> None:
    study = ts.create_study(direction="maximize")
    study.optimize(pop.objective(pop.MLP(), digits["X"], digits["y"], epochs=1), n_trials=2)
    with pytest.raises(ValueError, match=r"objective\(\.\.\., store=FOLDER\)"):
        pop.load_best(study)
    with pytest.raises(ValueError, match="'keep' parameter of objective"):
        pop.objective(pop.MLP(), digits["X"], digits["y"], keep=-1)


def load_example():
    path = ROOT / "examples" / "population_residual_mlp.py"
    spec = importlib.util.spec_from_file_location("population_residual_mlp", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_residual_mlp_example_trains_and_its_best_member_loads(tmp_path: Path) -> None:
    example = load_example()
    accuracy = example.main(tmp_path)
    assert accuracy > 0.9
    assert not supports_manual_gradients(example.ResidualMLP())
    record = torch.load(next((tmp_path / "models").glob("*.pt")), weights_only=True)
    assert record["model"] == "ResidualMLP"
    with pytest.raises(ValueError, match="'model' parameter of load_member must be given"):
        pop.load_member(next((tmp_path / "models").glob("*.pt")))

    class Wider(example.ResidualMLP):
        def key(self) -> tuple:
            return ("Wider", self.width, self.blocks)

    with pytest.raises(ValueError, match="'model' parameter of load_member must describe"):
        pop.load_member(next((tmp_path / "models").glob("*.pt")), Wider())


def test_a_subclass_of_mlp_trains_by_its_own_forward_pass(digits: dict) -> None:
    class Doubled(pop.MLP):
        def forward(self, w, x, dropout):
            return 2.0 * super().forward(w, x, dropout)

    assert supports_manual_gradients(pop.MLP()) and not supports_manual_gradients(Doubled())
    config = [{"lr": 1e-2, "optimizer": "sgd"}]
    plain = pop.train(pop.MLP(), digits["X"], digits["y"], config, epochs=1)[0]
    doubled = pop.train(Doubled(), digits["X"], digits["y"], config, epochs=1)[0]
    assert doubled.loss_curve != pytest.approx(plain.loss_curve, rel=1e-3)
