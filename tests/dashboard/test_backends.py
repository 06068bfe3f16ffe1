"""The first view's narrow reads give the same numbers on memory, SQLite and PostgreSQL: the
study list's summary, the history, the latest rows, and only what changed afterwards."""

from __future__ import annotations

import pytest

import tunesmith as ts
from tunesmith.trial import FrozenTrial, TrialState

SPACE = {"a": ts.Float(0, 1)}


def _fill(storage):
    """Study "one" (minimize: values 3, 1, FAIL, 2, PRUNED) and "two" (two objectives)."""
    one = ts.create_study(name="one", storage=storage, space=SPACE, seed=0, heartbeat=0)
    done = TrialState.COMPLETE
    one.add_trials([
        FrozenTrial(0, done, {"a": 0.1}, {}, values=(3.0,), started=10.0, finished=11.0),
        FrozenTrial(0, done, {"a": 0.2}, {}, values=(1.0,), started=12.0, finished=13.0),
        FrozenTrial(0, TrialState.FAIL, {"a": 0.3}, {}, error="x", started=14.0, finished=15.0),
        FrozenTrial(0, done, {"a": 0.4}, {}, values=(2.0,), started=16.0, finished=17.5),
        FrozenTrial(0, TrialState.PRUNED, {"a": 0.5}, {}, started=18.0, finished=19.0),
    ])  # fmt: skip
    two = ts.create_study(
        name="two", storage=storage, space=SPACE, directions=["minimize", "maximize"]
    )
    two.add_trials(
        [FrozenTrial(0, done, {"a": 0.1 * i}, {}, values=(float(i), float(-i * i)))
         for i in range(4)]
    )  # fmt: skip
    return storage


def test_first_view_numbers_on_every_backend(storage) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    client = TestClient(create_app(_fill(storage)), base_url="http://127.0.0.1")
    rows = {r["name"]: r for r in client.get("/api/studies").json()}
    one = rows["one"]
    assert (one["trials"], one["best"], one["last_activity"]) == (5, 1.0, 19.0)
    assert one["states"] == {"COMPLETE": 3, "FAIL": 1, "PRUNED": 1}
    assert rows["two"]["best"] is None and rows["two"]["trials"] == 4
    h = client.get(f"/api/studies/{one['id']}/history").json()
    assert h["x"] == [0, 1, 2, 3, 4] and h["y"] == [3.0, 1.0, None, 2.0, None]
    assert h["best"] == [3.0, 1.0, 1.0, 1.0, 1.0]
    assert h["states"] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "PRUNED"]
    latest = client.get(f"/api/studies/{one['id']}/trials?since=0&last=2").json()
    assert [(t["number"], t["state"], t["params"]) for t in latest["trials"]] == [
        (3, "COMPLETE", {"a": 0.4}),
        (4, "PRUNED", {"a": 0.5}),
    ]
    assert latest["trials"][0]["values"] == [2.0]
    ts.load_study("one", storage).add_trial(
        FrozenTrial(0, TrialState.COMPLETE, {"a": 0.6}, {}, values=(0.5,))
    )
    again = client.get(f"/api/studies/{one['id']}/history").json()
    assert again["revision"] > h["revision"] and again["best"][-1] == 0.5
    update = client.get(f"/api/studies/{one['id']}/trials?since={latest['revision']}").json()
    assert [t["number"] for t in update["trials"]] == [5]  # only what changed
    h2 = client.get(f"/api/studies/{rows['two']['id']}/history").json()
    assert h2["y"] == [0.0, 1.0, 2.0, 3.0] and h2["directions"] == ["minimize", "maximize"]


def test_best_and_history_keep_to_feasible_trials_on_every_backend(storage) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    study = ts.create_study(name="limits", storage=storage, space=SPACE, seed=0)
    study.add_trials([
        FrozenTrial(0, TrialState.COMPLETE, {"a": 0.1 * i}, {}, values=(value,),
                    system_attrs={"constraints": [limit, -1.0]})
        for i, (value, limit) in enumerate(((0.5, 1.0), (2.0, -0.5), (1.0, 0.0)))
    ])  # fmt: skip
    client = TestClient(create_app(storage), base_url="http://127.0.0.1")
    row = client.get("/api/studies").json()[0]
    assert row["best"] == 1.0 == study.best_value  # 0.5 breaks its first constraint
    h = client.get(f"/api/studies/{row['id']}/history").json()
    assert h["y"] == [0.5, 2.0, 1.0] and h["best"] == [None, 2.0, 1.0]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_narrow_reader_extracts_every_objective(backend, tmp_path, request) -> None:
    from tunesmith.dashboard.narrow import NarrowReader, engine_of
    from tunesmith.storage import get_storage

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'n.db'}"
    else:
        from conftest import _fresh_database

        url = _fresh_database(request.getfixturevalue("postgres")[0])
    storage = get_storage(_fill(url), create=False)
    reader = NarrowReader(engine_of(storage))
    two = storage.get_study("two").study_id
    columns, revision = reader.light(two, 0, 2)
    order = columns.numbers.argsort()
    assert columns.numbers[order].tolist() == [0, 1, 2, 3]
    assert columns.values[order].tolist() == [[0.0, 0.0], [1.0, -1.0], [2.0, -4.0], [3.0, -9.0]]
    assert reader.light(two, revision, 2)[0].numbers.size == 0  # nothing changed since


def test_an_empty_study_draws_empty_figures(tmp_path) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    url = f"sqlite:///{tmp_path / 'e.db'}"
    ts.create_study(name="empty", storage=url, space=SPACE)
    client = TestClient(create_app(url), base_url="http://127.0.0.1")
    assert client.get("/api/studies").json()[0]["trials"] == 0
    h = client.get("/api/studies/1/history").json()
    assert (h["points"], h["x"], h["best"]) == (0, [], [])
    for name in ("timeline", "edf", "parallel", "slice", "intermediate"):
        assert client.get(f"/api/studies/1/figure/{name}").status_code == 200, name
    contour = client.get("/api/studies/1/contour")
    assert contour.status_code == 400 and "two parameters" in contour.json()["error"]
    table = client.get("/api/studies/1/table").json()
    assert (table["total"], table["trials"]) == (0, [])
