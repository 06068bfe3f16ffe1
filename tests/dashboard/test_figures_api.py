"""The figure endpoints' numbers on hand-made studies: point counts, states, the best kept when
downsampling, log and categorical axes flagged, importance cached per revision."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from dashboard_studies import (
    HAND_SPACE,
    N_COMPLETE,
    hand_params,
    hand_trials,
    hand_value,
    make_hand_storage,
)

import tunesmith as ts
from tunesmith.trial import FrozenTrial, TrialState


@pytest.fixture
def hand_url(tmp_path: Path) -> str:
    return make_hand_storage(tmp_path)


@pytest.fixture
def client(hand_url: str):
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    client = TestClient(create_app(hand_url), base_url="http://127.0.0.1")
    client.ids = {r["name"]: r["id"] for r in client.get("/api/studies").json()}
    return client


def _get(client, study: str, path: str) -> dict:
    response = client.get(f"/api/studies/{client.ids[study]}/{path}")
    assert response.status_code == 200, response.text
    return response.json()


def test_history_marks_every_state_and_the_best_so_far(client) -> None:
    h = _get(client, "hand", "history")
    assert h["points"] == 44 and h["x"] == list(range(44))
    assert h["states"].count("COMPLETE") == N_COMPLETE
    assert h["states"][40:] == ["PRUNED", "PRUNED", "FAIL", "RUNNING"]
    assert h["y"][40:] == [None] * 4  # no value to place them by
    values = [hand_value(hand_params(i)) for i in range(N_COMPLETE)]
    assert h["y"][:N_COMPLETE] == pytest.approx(values)
    assert h["best"][:N_COMPLETE] == pytest.approx(np.minimum.accumulate(values).tolist())
    assert h["best"][-1] == pytest.approx(min(values))  # carried over the unfinished trials
    up = _get(client, "up", "history")
    assert up["directions"] == ["maximize"] and up["best"] == [1.0]


def test_timeline_edf_and_intermediate_numbers(client) -> None:
    t = _get(client, "hand", "figure/timeline")
    assert t["numbers"] == list(range(44)) and t["origin"] == pytest.approx(
        time.time() - 100, abs=60
    )
    assert t["start"][:2] == [0.0, 1.0] and t["finish"][0] == pytest.approx(0.5)
    assert t["states"][42:] == ["FAIL", "RUNNING"]
    assert t["finish"][43] == t["start"][43] > t["finish"][42]  # running until the latest time
    e = _get(client, "hand", "figure/edf")
    curve = e["curves"][0]
    values = sorted(hand_value(hand_params(i)) for i in range(N_COMPLETE))
    assert curve["name"] == "hand" and curve["values"] == pytest.approx(values)
    assert curve["fraction"] == pytest.approx([(i + 1) / N_COMPLETE for i in range(N_COMPLETE)])
    i = _get(client, "hand", "figure/intermediate")
    states = [c["state"] for c in i["curves"]]
    assert states.count("PRUNED") == 2 and states.count("COMPLETE") == N_COMPLETE
    pruned = [c for c in i["curves"] if c["state"] == "PRUNED"]
    assert pruned[0]["steps"] == [0, 1, 2] and pruned[0]["values"] == [60.0, 70.0, 80.0]


def test_parameter_figures_flag_log_and_categorical_axes(client) -> None:
    p = _get(client, "hand", "figure/parallel")
    axes = {a["name"]: a for a in p["axes"]}
    assert axes["x"]["scale"] == "log" and (axes["x"]["low"], axes["x"]["high"]) == (1e-3, 10.0)
    assert axes["k"]["scale"] == "categorical" and axes["k"]["categories"] == ["a", "b"]
    assert axes["n"]["scale"] == "linear"
    assert len(p["numbers"]) == N_COMPLETE  # COMPLETE trials only
    k = [a["name"] for a in p["axes"]].index("k")
    assert p["coords"][k] == [
        "ab".index(hand_params(i)["k"]) for i in p["numbers"]
    ]  # category indices
    s = _get(client, "hand", "figure/slice")
    panels = {panel["axis"]["name"]: panel for panel in s["panels"]}
    assert panels["x"]["x"] == pytest.approx([hand_params(i)["x"] for i in panels["x"]["numbers"]])
    assert panels["x"]["axis"]["scale"] == "log"


def test_contour_defaults_to_the_two_most_important_parameters(client) -> None:
    from tunesmith.importance import StudyData, importance_with_spread

    c = _get(client, "hand", "contour")
    data = StudyData(hand_trials(), ["minimize"], HAND_SPACE)
    order = list(importance_with_spread(data, "fanova", target=0, n_repeats=1))
    assert c["params"] == order[:2] and "k" not in c["params"]  # k does nothing
    assert c["choices"] == ["k", "n", "x"]
    chosen = _get(client, "hand", "contour?x=k&y=x")
    assert chosen["params"] == ["k", "x"] and chosen["x_axis"]["scale"] == "categorical"
    assert chosen["grid_x"] == [0.0, 1.0] and chosen["y_axis"]["scale"] == "log"
    assert len(chosen["grid_z"]) == len(chosen["grid_y"]) == 40
    assert chosen["grid_y"][0] == pytest.approx(1e-3) and chosen["grid_y"][-1] == pytest.approx(10)
    assert math.log10(chosen["grid_y"][1]) - math.log10(chosen["grid_y"][0]) == pytest.approx(
        4 / 39
    )  # log-spaced
    bad = client.get(f"/api/studies/{client.ids['hand']}/contour?x=x&y=nope")
    assert bad.status_code == 400 and "'params' parameter of contour_data" in bad.json()["error"]


def test_pareto_front_of_a_two_objective_study(client) -> None:
    p = _get(client, "pair", "figure/pareto")
    assert p["directions"] == ["minimize", "minimize"] and p["numbers"] == [0, 1, 2, 3, 4]
    assert p["on_front"] == [True, True, True, False, False]
    assert p["values"] == [[1.0, 2.0, 4.0, 3.0, 5.0], [4.0, 2.0, 1.0, 3.0, 5.0]]


def test_importance_has_a_spread_and_is_fitted_once_per_revision(client, hand_url, monkeypatch):
    from tunesmith.dashboard import insight

    calls = []
    real = insight.importance_with_spread

    def counted(*args, **kwargs):
        calls.append(kwargs.get("n_repeats"))
        return real(*args, **kwargs)

    monkeypatch.setattr(insight, "importance_with_spread", counted)
    first = _get(client, "hand", "importance")
    assert first["method"] == "fanova" and [r["name"] for r in first["params"]] == ["n", "x", "k"]
    assert sum(r["mean"] for r in first["params"]) == pytest.approx(1.0)
    assert all(r["std"] >= 0 for r in first["params"]) and any(
        r["std"] > 0 for r in first["params"]
    )
    assert _get(client, "hand", "importance") == first and len(calls) == 1
    study = ts.load_study("hand", hand_url)
    study.add_trial(FrozenTrial(0, TrialState.COMPLETE, hand_params(5), {}, values=(1.0,)))
    again = _get(client, "hand", "importance")
    assert again["revision"] > first["revision"] and len(calls) == 2
    bad = client.get(f"/api/studies/{client.ids['hand']}/importance?method=guess")
    assert bad.status_code == 400 and "'method' parameter of importance" in bad.json()["error"]
    few = client.get(f"/api/studies/{client.ids['up']}/importance")
    assert few.status_code == 400 and "at least 5 COMPLETE trials" in few.json()["error"]


def test_downsampled_figures_keep_the_best_trials() -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app
    from tunesmith.storage import InMemoryStorage

    storage = InMemoryStorage()
    study = ts.create_study(name="big", storage=storage, space={"a": ts.Float(0, 1)}, seed=0)
    values = np.random.default_rng(1).normal(size=3000)
    study.add_trials(
        [FrozenTrial(0, TrialState.COMPLETE, {"a": float(abs(v)) % 1}, {}, values=(float(v),))
         for v in values]
    )  # fmt: skip
    client = TestClient(create_app(storage), base_url="http://127.0.0.1")
    best = np.argsort(values)[:10].tolist()
    for name in ("parallel", "slice", "timeline"):
        data = client.get(f"/api/studies/1/figure/{name}?max_points=100").json()
        numbers = data["panels"][0]["numbers"] if name == "slice" else data["numbers"]
        assert len(numbers) <= 110 and set(best) <= set(numbers), name
    edf = client.get("/api/studies/1/figure/edf?max_points=100").json()["curves"][0]
    assert len(edf["values"]) <= 100
    assert edf["values"][0] == values.min() and edf["values"][-1] == values.max()
    assert client.get("/api/studies/1/figure/nope").status_code == 404
    assert client.get("/api/studies/9/figure/edf").status_code == 404
