"""The trial table's filters and sorting, the overlay of several studies, and the two writes:
refused without --allow-writes or from another origin, checked against the space with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_studies import N_COMPLETE, hand_params, hand_value, make_hand_storage

import tunesmith as ts

WRITE = {"X-Tunesmith-Write": "1"}


@pytest.fixture
def hand_url(tmp_path: Path) -> str:
    return make_hand_storage(tmp_path)


def _client(url: str, allow_writes: bool = False):
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    client = TestClient(create_app(url, allow_writes=allow_writes), base_url="http://127.0.0.1")
    client.ids = {r["name"]: r["id"] for r in client.get("/api/studies").json()}
    return client


def _table(client, query: str) -> dict:
    response = client.get(f"/api/studies/{client.ids['hand']}/table?{query}")
    assert response.status_code == 200, response.text
    return response.json()


def test_table_filters_by_state_and_parameter_range_and_sorts(hand_url: str) -> None:
    client = _client(hand_url)
    failed = _table(client, "state=FAIL")
    assert failed["matched"] == 1 and failed["total"] == 44
    row = failed["trials"][0]
    assert (row["number"], row["error"]) == (42, "boom <i>x</i>")
    assert row["traceback"] == "Traceback: <script>alert(1)</script>"  # the page escapes it
    assert _table(client, "state=PRUNED,RUNNING")["matched"] == 3
    inside = _table(client, "param=x&lo=0.01&hi=0.5&limit=5000")
    trials = ts.load_study("hand", hand_url).trials
    expected = [t.number for t in trials if 0.01 <= t.params["x"] <= 0.5]
    assert 10 < len(expected) < 40
    assert sorted(t["number"] for t in inside["trials"]) == expected
    assert all(0.01 <= t["params"]["x"] <= 0.5 for t in inside["trials"])
    both = _table(client, "state=COMPLETE&param=n&lo=2&hi=2")
    assert both["matched"] == 10 and {t["params"]["n"] for t in both["trials"]} == {2}
    by_value = _table(client, "sort=value&desc=1&limit=5000")["trials"]
    values = [t["values"][0] for t in by_value if t["values"]]
    assert values == sorted((hand_value(hand_params(i)) for i in range(N_COMPLETE)), reverse=True)
    assert [t["values"] for t in by_value[N_COMPLETE:]] == [None] * 4  # no value: last
    by_k = _table(client, "sort=param:k&limit=3")["trials"]
    assert [t["params"]["k"] for t in by_k] == ["a"] * 3
    assert [t["number"] for t in _table(client, "limit=3&desc=1")["trials"]] == [43, 42, 41]


def test_table_arguments_are_checked(hand_url: str) -> None:
    client = _client(hand_url)
    for query, name in [("sort=color", "'sort'"), ("state=DONE", "'state'"),
                        ("param=x&lo=abc", "'lo'"), ("limit=0", "'limit'")]:  # fmt: skip
        response = client.get(f"/api/studies/{client.ids['hand']}/table?{query}")
        assert response.status_code == 400 and name in response.json()["error"], query


def test_overlay_serves_histories_and_edfs_side_by_side(hand_url: str) -> None:
    client = _client(hand_url)
    ids = f"{client.ids['hand']},{client.ids['pair']}"
    data = client.get(f"/api/overlay?ids={ids}").json()
    assert [s["name"] for s in data["studies"]] == ["hand", "pair"]
    assert [s["points"] for s in data["studies"]] == [44, 5]
    assert [len(c["values"]) for c in data["edf"]["curves"]] == [N_COMPLETE, 5]
    assert data["edf"]["curves"][1]["values"] == [1.0, 2.0, 3.0, 4.0, 5.0]  # first objective
    mixed = client.get(f"/api/overlay?ids={client.ids['hand']},{client.ids['up']}").json()
    assert "share the direction" in mixed["edf"]["error"] and len(mixed["studies"]) == 2
    before = data["studies"][1]["revision"]
    study = ts.load_study("pair", hand_url)
    study.add_trial(ts.FrozenTrial(0, ts.TrialState.COMPLETE, {"a": 0.0}, {}, values=(0.5, 0.5)))
    live = client.get(f"/api/overlay?ids={ids}").json()["studies"][1]
    assert live["points"] == 6 and live["revision"] > before and live["best"][-1] == 0.5
    bad = client.get("/api/overlay?ids=a,b")
    assert bad.status_code == 400 and "'ids' parameter" in bad.json()["error"]
    assert client.get("/api/overlay?ids=99").status_code == 404


def test_writes_are_refused_without_allow_writes(hand_url: str) -> None:
    client = _client(hand_url)
    sid = client.ids["hand"]
    for path, body in [("trials/0/note", {"note": "hi"}), ("enqueue", {"params": {}})]:
        response = client.post(f"/api/studies/{sid}/{path}", json=body, headers=WRITE)
        assert response.status_code == 403 and "--allow-writes" in response.json()["error"]
    assert ts.load_study("hand", hand_url).trials[0].user_attrs == {}
    assert 'data-writes="0"' in client.get(f"/study/{sid}").text
    assert client.get(f"/api/studies/{sid}/trials/0/note").status_code == 405  # POST only


def test_writes_need_the_page_header_and_the_same_origin(hand_url: str) -> None:
    client = _client(hand_url, allow_writes=True)
    note = f"/api/studies/{client.ids['hand']}/trials/0/note"
    assert client.post(note, json={"note": "hi"}).status_code == 403  # no header
    foreign = {**WRITE, "Origin": "http://evil.example"}
    response = client.post(note, json={"note": "hi"}, headers=foreign)
    assert response.status_code == 403 and "evil.example" in response.json()["error"]
    cross = {**WRITE, "Sec-Fetch-Site": "cross-site"}
    assert client.post(note, json={"note": "hi"}, headers=cross).status_code == 403
    evil_host = {**WRITE, "Host": "evil.example"}
    assert client.post(note, json={"note": "hi"}, headers=evil_host).status_code == 400
    assert ts.load_study("hand", hand_url).trials[0].user_attrs == {}
    own = {**WRITE, "Origin": "http://127.0.0.1"}
    assert client.post(note, json={"note": "hi"}, headers=own).status_code == 200
    assert 'data-writes="1"' in client.get("/").text


def test_a_note_is_a_user_attribute_seen_by_live_pages(hand_url: str) -> None:
    client = _client(hand_url, allow_writes=True)
    sid = client.ids["hand"]
    revision = client.get(f"/api/studies/{sid}/trials?since=0").json()["revision"]
    hostile = "<img src=x onerror=alert(1)>"
    response = client.post(f"/api/studies/{sid}/trials/42/note", json={"note": hostile},
                           headers=WRITE)  # fmt: skip
    assert response.status_code == 200
    assert ts.load_study("hand", hand_url).trials[42].user_attrs == {"note": hostile}
    update = client.get(f"/api/studies/{sid}/trials?since={revision}").json()
    assert [(t["number"], t["user_attrs"]) for t in update["trials"]] == [(42, {"note": hostile})]
    for number, body, status in [(43, {"note": "x"}, 409), (99, {"note": "x"}, 404),
                                 (0, {"note": 5}, 400)]:  # fmt: skip
        response = client.post(f"/api/studies/{sid}/trials/{number}/note", json=body,
                               headers=WRITE)  # fmt: skip
        assert response.status_code == status, response.text
    assert "running" not in ts.load_study("hand", hand_url).trials[43].user_attrs


@pytest.mark.parametrize(
    "params, named",
    [
        ({"x": 50.0, "k": "a", "n": 1}, "The 'x' parameter must be inside Float"),
        ({"x": 0.1, "k": "c", "n": 1}, "The 'k' parameter must be inside Choice"),
        ({"x": 0.1, "k": "a", "n": 1.5}, "The 'n' parameter must be inside Int"),
        ({"x": "0.1", "k": "a", "n": 1}, "The 'x' parameter must be a finite number"),
        ({"x": 0.1, "k": "a"}, "The 'n' parameter must be given"),
        ({"x": 0.1, "k": "a", "n": 1, "zz": 1}, "The 'zz' parameter is not in the study's space"),
    ],
)
def test_a_bad_enqueued_point_is_a_400_naming_the_parameter(hand_url, params, named) -> None:
    client = _client(hand_url, allow_writes=True)
    response = client.post(f"/api/studies/{client.ids['hand']}/enqueue", json={"params": params},
                           headers=WRITE)  # fmt: skip
    assert response.status_code == 400 and named in response.json()["error"]
    assert len(ts.load_study("hand", hand_url).trials) == 44


def test_an_enqueued_point_waits_in_the_study(hand_url: str) -> None:
    client = _client(hand_url, allow_writes=True)
    point = {"x": 0.05, "k": "b", "n": 3}
    response = client.post(f"/api/studies/{client.ids['hand']}/enqueue", json={"params": point},
                           headers=WRITE)  # fmt: skip
    assert response.status_code == 200 and response.json() == {"number": 44}
    trial = ts.load_study("hand", hand_url).trials[44]
    assert (trial.state, trial.params) == (ts.TrialState.WAITING, point)
    assert trial.system_attrs.get("enqueued") is True
