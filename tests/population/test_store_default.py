"""Kept members without a store: beside the study's SQLite file, found by load_best."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.store import default_store

torch.set_num_threads(1)
SPACE = {"lr": ts.Float(1e-3, 1e-1, log=True), "hidden": ts.Choice([(16,), (32,)])}


def _objective(digits: dict, **kwargs) -> pop.PopulationObjective:
    data = {"X_val": digits["X_val"], "y_val": digits["y_val"], "epochs": 2, **kwargs}
    return pop.objective(pop.MLP(), digits["X"], digits["y"], **data)


def test_keep_without_store_keeps_beside_the_sqlite_file(digits: dict, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    study = ts.create_study(name="mlp run", storage=url, direction="maximize", space=SPACE)
    assert study.sqlite_file == tmp_path / "search.db"
    study.optimize(_objective(digits, keep=2), n_trials=6, batch_size=3)
    folder = tmp_path / "search.tunesmith-weights" / "mlp_run"
    files = sorted(folder.glob("*.pt"))
    assert len(files) == 2 and sorted(tmp_path.rglob("*.pt")) == files
    loaded = ts.load_study(name="mlp run", storage=url)
    ranked = sorted(loaded.trials, key=lambda t: (-t.value, t.number))
    assert {Path(t.user_attrs["weights_file"]) for t in ranked[:2]} == set(files)
    for rank in (0, 1):
        model = pop.load_best(loaded, rank=rank)
        accuracy = (model.predict(digits["X_val"]) == digits["y_val"]).mean()
        assert accuracy == ranked[rank].value


def test_keep_with_memory_storage_asks_for_a_store(digits: dict, tmp_path: Path) -> None:
    study = ts.create_study(direction="maximize", space=SPACE)
    assert study.sqlite_file is None
    with pytest.raises(ValueError, match="The 'store' parameter of objective must be a folder"):
        study.optimize(_objective(digits, keep=1), n_trials=2, batch_size=2)
    assert study.trials == []  # refused before anything ran
    study.optimize(_objective(digits), n_trials=2, batch_size=2)  # no keep: nothing kept
    assert [t.user_attrs.get("weights_file") for t in study.trials] == [None, None]
    kept = _objective(digits, keep=1, store=tmp_path / "given")
    study.optimize(kept, n_trials=2, batch_size=2)
    assert len(list((tmp_path / "given").glob("*.pt"))) == 1


def test_ask_batch_needs_bind_study(digits: dict, tmp_path: Path) -> None:
    study = ts.create_study(
        name="ask", storage=f"sqlite:///{tmp_path / 'a.db'}", direction="maximize", space=SPACE
    )
    objective, trials = _objective(digits, keep=1), study.ask_batch(2)
    with pytest.raises(ValueError, match="never passed to bind_study"):
        objective(trials)
    objective.bind_study(study)
    study.tell_batch(trials, objective(trials))
    assert len(list((tmp_path / "a.tunesmith-weights" / "ask").glob("*.pt"))) == 1


def test_default_store_names_a_folder_inside_the_weights_folder(tmp_path: Path) -> None:
    base = tmp_path / "s.tunesmith-weights"
    assert default_store(tmp_path / "s.db", "a/b c") == base / "a_b_c"
    assert default_store(tmp_path / "s.db", "..") == base / "_"
    assert default_store(tmp_path / "s.sqlite3", "../x").parent == base
