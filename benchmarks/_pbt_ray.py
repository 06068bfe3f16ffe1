"""The peer of benchmarks/pbt.py: Ray Tune's population-based training on the same task.

Each member is a Ray Tune trial training the same MLP (64 hidden units, SGD with momentum 0.9,
batch 64) in plain PyTorch, reporting its validation loss and a checkpoint every epoch;
``PopulationBasedTraining`` exploits and explores every ``ready_every`` epochs with the same
quantile (0.25), factors (×0.8, ×1.2) and resample probability (0.25) as tunesmith's run.
Benchmark-only: needs ``pip install "ray[tune]"`` (with pyarrow).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
import torch
from torch import nn


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def _train(config: dict[str, Any]) -> None:
    """One member: resume from a checkpoint when PBT hands it one, else start; one report per
    epoch with the validation loss and a checkpoint of weights and optimizer state."""
    from ray import tune

    torch.set_num_threads(1)
    data = config["data"]
    x, y = torch.as_tensor(data["X"]), torch.as_tensor(data["y"], dtype=torch.long)
    xv, yv = torch.as_tensor(data["X_val"]), torch.as_tensor(data["y_val"], dtype=torch.long)
    torch.manual_seed(config["seed"])
    model = _model()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config["lr"], momentum=0.9, weight_decay=config["weight_decay"]
    )
    epoch = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            state = torch.load(os.path.join(folder, "state.pt"), weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        for group in optimizer.param_groups:  # the explored values apply from here on
            group["lr"], group["weight_decay"] = config["lr"], config["weight_decay"]
        epoch = int(state["epoch"])
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(config["seed"] + 1000 * epoch)
    while True:
        model.train()
        for index in torch.randperm(len(y), generator=generator).split(64):
            optimizer.zero_grad()
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
        epoch += 1
        model.eval()
        with torch.no_grad():
            val_loss = float(loss_fn(model(xv), yv))
        with tempfile.TemporaryDirectory() as folder:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
            torch.save({**state, "epoch": epoch}, os.path.join(folder, "state.pt"))
            tune.report(
                {"val_loss": val_loss, "epoch": epoch},
                checkpoint=tune.Checkpoint.from_directory(folder),
            )


def ray_pbt(data: dict[str, np.ndarray], seed: int, members: int, epochs: int, every: int) -> float:
    """Test accuracy of the member of lowest final validation loss after Ray Tune's PBT."""
    import ray
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    if not ray.is_initialized():
        ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False)
    mutations = {"lr": tune.loguniform(1e-4, 1.0), "weight_decay": tune.loguniform(1e-6, 1e-2)}
    scheduler = PopulationBasedTraining(
        time_attr="training_iteration", perturbation_interval=every,
        hyperparam_mutations=mutations, quantile_fraction=0.25, resample_probability=0.25,
    )  # fmt: skip
    space = {**mutations, "data": data, "seed": seed}
    with tempfile.TemporaryDirectory() as storage:
        tuner = tune.Tuner(
            tune.with_resources(_train, {"cpu": 1}),
            param_space=space,
            tune_config=tune.TuneConfig(
                metric="val_loss",
                mode="min",
                scheduler=scheduler,
                num_samples=members,
                search_alg=tune.search.BasicVariantGenerator(random_state=seed),
            ),  # fmt: skip
            run_config=tune.RunConfig(
                storage_path=storage,
                stop={"training_iteration": epochs},
                verbose=0,
            ),  # fmt: skip
        )
        best = tuner.fit().get_best_result(metric="val_loss", mode="min", scope="last")
        with best.checkpoint.as_directory() as folder:
            state = torch.load(os.path.join(folder, "state.pt"), weights_only=True)
    model = _model()
    model.load_state_dict(state["model"])
    model.eval()
    with torch.no_grad():
        predicted = model(torch.as_tensor(data["X_test"])).argmax(1).numpy()
    return float((predicted == data["y_test"]).mean())
