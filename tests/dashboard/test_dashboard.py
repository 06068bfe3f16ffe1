"""The dashboard over a real SQLite study: its JSON API, and its pages in a real browser."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from dashboard_studies import shot

import tunesmith as ts

HOSTILE = "<img src=x onerror=alert(1)>"
SPACE = {"x": ts.Float(0.0, 1.0), "kind": ts.Choice(["a", "b"])}


def _objective(trial):
    if trial.params["kind"] == "b" and trial.params["x"] > 0.9:
        raise ValueError("<b>bold</b> failure")
    return trial.params["x"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    study = ts.create_study(name="svc", storage=url, space=SPACE, seed=0)
    study.optimize(lambda t: t.params["x"], n_trials=5)
    hostile = ts.create_study(name=HOSTILE, storage=url, space=SPACE, seed=1)
    hostile.enqueue({"x": 0.95, "kind": "b"})
    hostile.optimize(_objective, n_trials=3)
    return url


def test_api_lists_studies_and_serves_only_what_changed(url: str) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    client = TestClient(create_app(url), base_url="http://127.0.0.1")
    rows = {r["name"]: r for r in client.get("/api/studies").json()}
    assert set(rows) == {"svc", HOSTILE}
    svc = rows["svc"]
    assert (svc["trials"], svc["states"], svc["strategy"]) == (5, {"COMPLETE": 5}, "random")
    best = ts.load_study("svc", url).best_value
    assert svc["best"] == pytest.approx(best)
    first = client.get(f"/api/studies/{svc['id']}/trials?since=0").json()
    assert [t["number"] for t in first["trials"]] == [0, 1, 2, 3, 4]
    again = client.get(f"/api/studies/{svc['id']}/trials?since={first['revision']}").json()
    assert again["trials"] == [] and again["revision"] == first["revision"]
    ts.load_study("svc", url).optimize(lambda t: t.params["x"], n_trials=1)
    update = client.get(f"/api/studies/{svc['id']}/trials?since={first['revision']}").json()
    assert [t["number"] for t in update["trials"]] == [5]  # only what changed
    failed = client.get(f"/api/studies/{rows[HOSTILE]['id']}/trials").json()["trials"][0]
    assert failed["state"] == "FAIL" and "ValueError" in failed["traceback"]
    assert client.get("/api/studies/999/trials").status_code == 404


def test_foreign_host_header_and_writes_are_refused(url: str) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    client = TestClient(create_app(url), base_url="http://127.0.0.1")
    assert client.get("/api/studies").status_code == 200
    assert client.get("/api/studies", headers={"Host": "evil.example"}).status_code == 400
    assert client.post("/api/studies").status_code == 405  # read-only
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    from tunesmith.dashboard import create_app
    from tunesmith.storage import StudyNotFoundError

    with pytest.raises(StudyNotFoundError):
        create_app(f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()


# -- in a real browser ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(url: str):
    import uvicorn

    from tunesmith.dashboard import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def test_pages_in_a_browser(server: str, url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server + "/")
        expect(page.locator("#studies tbody tr")).to_have_count(2)
        expect(page.get_by_role("link", name=HOSTILE)).to_be_visible()  # shown as text
        assert page.locator("main img").count() == 0
        shot(page, tmp_path, "studies.png")

        page.get_by_role("link", name="svc").click()
        expect(page.locator("#history")).to_have_attribute("data-points", "5")
        expect(page.locator("#history .scatterlayer .trace").first.locator(".point")).to_have_count(
            5
        )
        expect(page.locator("#trials tbody tr")).to_have_count(5)
        # a trial finished by another process appears without a reload
        code = (
            "import tunesmith as ts; "
            f"ts.load_study('svc', {url!r}).optimize(lambda t: t.params['x'], n_trials=1)"
        )
        subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))
        expect(page.locator("#history")).to_have_attribute("data-points", "6", timeout=15000)
        expect(page.locator("#trials tbody tr")).to_have_count(6)
        expect(page.locator("#edf")).to_have_attribute("data-curves", "1")  # a second figure
        expect(page.locator("#timeline")).to_have_attribute("data-states", "COMPLETE")
        page.locator("#filter-param").select_option("x")
        page.locator("#filter-hi").fill("0.5")
        page.locator("#filter-apply").click()
        below = sum(t.params["x"] <= 0.5 for t in ts.load_study("svc", url).trials)
        expect(page.locator("#table-status")).to_contain_text(f"of {below} matching")
        expect(page.locator("#trials tbody tr")).to_have_count(below)
        shot(page, tmp_path, "study.png")

        page.goto(server + "/")
        page.get_by_role("link", name=HOSTILE).click()
        expect(page.locator("h1")).to_have_text(HOSTILE)
        expect(page.locator("#trials tbody tr.FAIL")).to_have_count(1)
        expect(page.locator("#trials details summary")).to_contain_text("<b>bold</b> failure")
        assert page.locator("main img, main b").count() == 0
        page.locator("#filter-COMPLETE").uncheck()
        page.locator("#filter-apply").click()
        expect(page.locator("#trials tbody tr")).to_have_count(1)
        page.locator("#trials summary").click()
        expect(page.locator("#trials pre.traceback")).to_contain_text("ValueError")
        assert page.locator("main img, main b").count() == 0
        shot(page, tmp_path, "hostile.png")
        browser.close()
    assert dialogs == []  # no injected script ran


def test_cli_serves_on_loopback_and_warns_for_other_hosts(url: str, monkeypatch) -> None:
    import uvicorn
    from click.testing import CliRunner

    from tunesmith.cli import cli

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw))
    result = CliRunner().invoke(cli, ["dashboard", "--storage", url, "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]
    assert "Warning" not in result.stderr
    result = CliRunner().invoke(cli, ["dashboard", "--storage", url, "--host", "0.0.0.0"])
    assert result.exit_code == 0 and "Warning: --host 0.0.0.0 serves the studies" in result.stderr
    missing = url.replace("dash.db", "missing.db")
    result = CliRunner().invoke(cli, ["dashboard", "--storage", missing])
    assert result.exit_code == 2 and "No tunesmith database" in result.stderr
    assert len(served) == 2


def test_cli_allows_writes_only_with_the_flag(url: str, monkeypatch) -> None:
    import uvicorn
    from click.testing import CliRunner
    from starlette.testclient import TestClient

    from tunesmith.cli import cli

    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))
    for flags in ([], ["--allow-writes"]):
        result = CliRunner().invoke(cli, ["dashboard", "--storage", url, *flags])
        assert result.exit_code == 0, result.output
    answers = []
    for app in apps:
        client = TestClient(app, base_url="http://127.0.0.1")
        response = client.post(
            "/api/studies/1/trials/0/note",
            json={"note": "seen"},
            headers={"X-Tunesmith-Write": "1"},
        )
        answers.append(response.status_code)
    assert answers == [403, 200]
    assert ts.load_study("svc", url).trials[0].user_attrs == {"note": "seen"}


def test_cli_dashboard_answers_over_http(url: str, tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tunesmith.cli", "dashboard", "--storage", url, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the dashboard did not answer"
                time.sleep(0.05)
        assert {r["name"] for r in json.load(body)} == {"svc", HOSTILE}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/studies", headers={"Host": "evil.example:80"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_history_is_downsampled_keeping_every_improvement_and_the_table_starts_small() -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app
    from tunesmith.storage import InMemoryStorage
    from tunesmith.trial import FrozenTrial, TrialState

    storage = InMemoryStorage()
    study = ts.create_study(name="big", storage=storage, space=SPACE, seed=0)
    values = np.random.default_rng(0).normal(size=3000)
    study.add_trials(
        [FrozenTrial(0, TrialState.COMPLETE, {"x": 0.5, "kind": "a"}, {}, values=(float(v),))
         for v in values]
    )  # fmt: skip
    client = TestClient(create_app(storage), base_url="http://127.0.0.1")
    study_id = client.get("/api/studies").json()[0]["id"]
    h = client.get(f"/api/studies/{study_id}/history?max_points=100").json()
    best = np.minimum.accumulate(values)
    improved = [0] + [i for i in range(1, 3000) if best[i] < best[i - 1]]
    assert h["points"] == 3000 and len(h["x"]) <= 100 + len(improved)
    assert set(improved) <= set(int(x) for x in h["x"])  # every improvement is drawn
    assert h["best"][-1] == pytest.approx(values.min())
    assert h["best"] == pytest.approx([best[int(x)] for x in h["x"]])
    latest = client.get(f"/api/studies/{study_id}/trials?since=0&last=10").json()
    assert [t["number"] for t in latest["trials"]] == list(range(2990, 3000))
    assert client.get(f"/api/studies/{study_id}/trials?since=x").status_code == 400
