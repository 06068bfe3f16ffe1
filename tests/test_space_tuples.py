"""Choice options that are tuples of JSON scalars: checked, stored as lists, given as tuples."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunesmith as ts
from tunesmith.space import space_from_json, space_to_json
from tunesmith.strategies import Genetic, Grid, Random

OPTIONS = [(64, 64), (128,), ("relu", 0.5, None, True)]


def test_tuples_and_lists_are_options_given_back_as_tuples() -> None:
    choice = ts.Choice([(64, 64), [128], ("relu", 0.5, None, True)])
    assert choice.options == OPTIONS
    assert all(isinstance(o, tuple) for o in choice.options)
    assert choice.to_json() == {
        "kind": "choice",
        "options": [[64, 64], [128], ["relu", 0.5, None, True]],
    }
    assert choice.index([128]) == 1 and choice.contains([64, 64])
    assert choice.canonical([64, 64]) == (64, 64)
    assert isinstance(choice.canonical([64, 64]), tuple)
    assert [choice.from_unit(u) for u in (0.1, 0.5, 0.9)] == OPTIONS
    assert choice.grid() == OPTIONS
    assert not choice.contains([64]) and not choice.contains((64, 64, 64))


@pytest.mark.parametrize(
    "options, message",
    [
        ([(1, [2])], "option 0 has type tuple"),
        ([1, (2, {"a": 1})], "option 1 has type dict"),
        ([(float("nan"), 1)], "must hold finite numbers"),
        ([(1, 2), [1, 2]], "must not repeat an option"),
    ],
)
def test_tuples_beyond_json_scalars_are_refused(options: list, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        ts.Choice(options)
    assert str(err.value).startswith("The 'options' parameter of Choice must")


def test_tuple_options_round_trip_through_json_and_a_sqlite_study(tmp_path: Path) -> None:
    space = {"hidden": ts.Choice(OPTIONS), "lr": ts.Float(1e-3, 1e-1, log=True)}
    back = space_from_json(space_to_json(space))
    assert back == space and back["hidden"].options == OPTIONS
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = ts.create_study(name="t", storage=url, space=space, seed=0)
    study.optimize(lambda t: float(len(t.params["hidden"])), n_trials=6)
    loaded = ts.load_study(name="t", storage=url)
    assert loaded.space["hidden"].options == OPTIONS
    for trial in loaded.trials:
        assert loaded.space["hidden"].canonical(trial.params["hidden"]) in OPTIONS


@pytest.mark.parametrize("strategy", [Grid(), Random(), Genetic(population_size=4)])
def test_strategies_propose_every_tuple_option(strategy: object, tmp_path: Path) -> None:
    space = {"hidden": ts.Choice(OPTIONS), "depth": ts.Int(1, 2)}
    study = ts.create_study(
        storage=f"sqlite:///{tmp_path / 's.db'}", space=space, strategy=strategy, seed=1
    )
    seen = []

    def objective(trial: ts.Trial) -> float:
        hidden = study.space["hidden"].canonical(trial.params["hidden"])
        seen.append(hidden)
        return float(sum(x for x in hidden if isinstance(x, int)) + trial.params["depth"])

    study.optimize(objective, n_trials=24)
    assert set(seen) == set(OPTIONS)
    best = study.space["hidden"].canonical(study.best_params["hidden"])
    assert best == ("relu", 0.5, None, True)
