"""Choice tuples come back as tuples from every reader, after a reload from SQLite too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import tunesmith as ts
from tunesmith.trial import FrozenTrial, TrialState, canonical_params

OPTIONS = [(64, 64), (128,), ("relu", 0.5)]
SPACE = {"hidden": ts.Choice(OPTIONS), "depth": ts.Int(1, 3)}


def _score(hidden: tuple) -> float:
    return float(sum(x for x in hidden if isinstance(x, int)))


def test_a_reloaded_sqlite_study_gives_tuples_everywhere(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="t", storage=url, space=SPACE, seed=0)
    suggested: dict[int, object] = {}

    def objective(trial: ts.Trial) -> float:
        suggested[trial.number] = trial.params["hidden"]
        return _score(trial.params["hidden"]) + trial.params["depth"]

    study.optimize(objective, n_trials=8)
    assert all(type(v) is tuple for v in suggested.values())
    with sqlite3.connect(tmp_path / "s.db") as conn:  # storage keeps JSON lists
        stored = [
            json.loads(row[0])["hidden"]
            for row in conn.execute("SELECT params FROM tunesmith_trials")
        ]
    assert stored and all(type(v) is list for v in stored)
    loaded = ts.load_study(name="t", storage=url)
    assert {t.number: t.params["hidden"] for t in loaded.trials} == suggested
    assert all(type(t.params["hidden"]) is tuple for t in loaded.trials)
    best = min(suggested.values(), key=_score)
    assert loaded.best_params["hidden"] == best and type(loaded.best_params["hidden"]) is tuple
    assert type(loaded.best_trial.params["hidden"]) is tuple
    frame = loaded.to_dataframe()
    assert list(frame["params_hidden"]) == [suggested[n] for n in frame["number"]]


@pytest.mark.parametrize("given", [(128,), [128]])
def test_enqueue_takes_a_tuple_or_a_list_and_the_trial_gives_the_tuple(
    given: object, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    ts.create_study(name="q", storage=url, space=SPACE, seed=0).enqueue(
        {"hidden": given, "depth": 2}
    )
    study = ts.load_study(name="q", storage=url)
    waiting = study.trials[0]
    assert waiting.state is TrialState.WAITING and waiting.params["hidden"] == (128,)
    seen = []
    study.optimize(lambda t: seen.append(t.suggest_categorical("hidden", OPTIONS)) or 1.0, 1)
    assert seen == [(128,)] and type(seen[0]) is tuple
    reloaded = ts.load_study(name="q", storage=url)
    assert reloaded.trials[0].params == {"hidden": (128,), "depth": 2}


def test_define_by_run_enqueue_of_a_list_suggests_the_tuple(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="d", storage=url, seed=0)
    study.enqueue({"hidden": [64, 64]})
    seen = []
    study.optimize(lambda t: seen.append(t.suggest_categorical("hidden", OPTIONS)) or 1.0, 2)
    assert seen[0] == (64, 64) and all(type(v) is tuple for v in seen)
    params = [t.params["hidden"] for t in ts.load_study(name="d", storage=url).trials]
    assert params == seen


def test_an_invalid_value_is_still_refused_by_name(tmp_path: Path) -> None:
    study = ts.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", space=SPACE, seed=0)
    with pytest.raises(ValueError, match=r"The 'params' parameter of enqueue has hidden=\[64\]"):
        study.enqueue({"hidden": [64], "depth": 1})
    with pytest.raises(ValueError, match="The 'params' parameter of enqueue has hidden=.64, 32."):
        study.enqueue({"hidden": (64, 32), "depth": 1})


def test_frozen_records_canonicalise_and_keep_what_is_no_option() -> None:
    dists = {"hidden": ts.Choice(OPTIONS), "other": ts.Int(0, 9)}
    frozen = FrozenTrial(0, TrialState.COMPLETE, {"hidden": ["relu", 0.5], "other": 3}, dists)
    assert frozen.params == {"hidden": ("relu", 0.5), "other": 3}
    assert canonical_params({"hidden": [1, 2], "x": [1]}, dists) == {"hidden": [1, 2], "x": [1]}


def test_searchcv_gives_tuples_from_a_sqlite_study(tmp_path: Path) -> None:
    import warnings

    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier

    from tunesmith.sklearn import SearchCV

    x, y = load_iris(return_X_y=True)
    space = {"hidden_layer_sizes": ts.Choice([(4,), (3, 3)])}
    url = f"sqlite:///{tmp_path / 's.db'}"
    search = SearchCV(
        MLPClassifier(max_iter=5), space, n_trials=2, cv=2, storage=url, strategy="random", seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five iterations do not converge
        search.fit(x, y)
    assert sorted(p["hidden_layer_sizes"] for p in search.cv_results_["params"]) == [(3, 3), (4,)]
    assert type(search.best_params_["hidden_layer_sizes"]) is tuple
    assert search.best_estimator_.hidden_layer_sizes == search.best_params_["hidden_layer_sizes"]
