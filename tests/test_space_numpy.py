"""Choice options from numpy: bools, integers, floats and strings are kept as their Python
values (plain JSON in storage, plain Python in trials); anything JSON cannot hold is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.space import space_from_json, space_to_json


@pytest.mark.parametrize(
    "options, plain",
    [
        (list(np.arange(3)), [0, 1, 2]),
        (np.arange(3, dtype=np.uint8), [0, 1, 2]),
        ([np.bool_(True), np.bool_(False)], [True, False]),
        ([np.float32(0.5), np.float64(2.25)], [0.5, 2.25]),
        ([np.str_("a"), "b"], ["a", "b"]),
        ([np.array(7), np.array(False), np.array("c")], [7, False, "c"]),
    ],
)
def test_numpy_options_become_their_python_values(options: list, plain: list) -> None:
    choice = ts.Choice(options)
    assert choice.options == plain
    assert [type(o) for o in choice.options] == [type(p) for p in plain]
    stored = json.dumps(space_to_json({"k": choice}))
    assert json.loads(stored) == {"k": {"kind": "choice", "options": plain}}
    back = space_from_json(json.loads(stored))["k"]
    assert back == choice and back.options == plain


def test_numpy_values_are_found_among_the_options() -> None:
    choice = ts.Choice([0, 1, True])
    assert choice.index(np.int64(1)) == 1
    assert choice.index(np.bool_(True)) == 2
    assert choice.contains(np.array(0)) and not choice.contains(np.int64(5))


@pytest.mark.parametrize(
    "option, kind",
    [
        (np.complex128(1 + 2j), "complex128"),
        (np.datetime64("2020-01-01"), "datetime64"),
        (np.array([1, 2]), "ndarray"),
        (np.bytes_(b"x"), "bytes"),
        (object(), "object"),
    ],
)
def test_options_json_cannot_hold_are_refused_by_name(option: object, kind: str) -> None:
    with pytest.raises(ValueError) as err:
        ts.Choice(["ok", option])
    text = str(err.value)
    assert text.startswith("The 'options' parameter of Choice must hold only JSON scalars")
    assert f"option 1 has type {kind}" in text
    assert text.endswith(f"Got {option!r} instead.")


def test_numpy_and_python_spellings_of_one_option_repeat() -> None:
    with pytest.raises(ValueError, match="must not repeat an option"):
        ts.Choice([np.int64(1), 1])


def test_trial_params_come_back_as_python_ints_and_bools(tmp_path: Path) -> None:
    space = {
        "k": ts.Choice(list(np.arange(3))),
        "flag": ts.Choice([np.bool_(True), np.bool_(False)]),
    }
    url = f"sqlite:///{tmp_path / 'numpy.db'}"
    study = ts.create_study(name="np", storage=url, space=space, strategy="grid", seed=0)
    seen = []

    def objective(trial: ts.Trial) -> float:
        seen.append((trial.params["k"], trial.params["flag"]))
        return float(trial.params["k"]) + trial.params["flag"]

    study.optimize(objective, n_trials=6)
    assert sorted(seen) == [(k, f) for k in (0, 1, 2) for f in (False, True)]
    stored = ts.load_study("np", url).trials
    for params in [dict(zip(("k", "flag"), s)) for s in seen] + [t.params for t in stored]:
        assert type(params["k"]) is int and type(params["flag"]) is bool
    assert sorted((t.params["k"], t.params["flag"]) for t in stored) == sorted(seen)
