"""Hand-made studies for the dashboard's figure, table, overlay and write tests."""

from __future__ import annotations

import math
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tunesmith as ts
from tunesmith.trial import FrozenTrial, TrialState

HAND_SPACE = {"x": ts.Float(1e-3, 10.0, log=True), "k": ts.Choice(["a", "b"]), "n": ts.Int(1, 4)}
N_COMPLETE = 40


def hand_params(i: int) -> dict:
    """Trial i's point: every pair of 10 x (log-spread over the range) and 4 n, k alternating
    within each n."""
    return {"x": 10 ** (-3 + 4 * (i % 10) / 9), "k": "ab"[(i + i // 10) % 2], "n": 1 + i // 10 % 4}


def hand_value(p: dict) -> float:
    """The objective: x (through its log) and n matter, k does not."""
    return (math.log10(p["x"]) + 1) ** 2 + 3 * p["n"]


def hand_trials(t0: float = 100.0) -> list[FrozenTrial]:
    """40 COMPLETE trials, 2 PRUNED with learning curves, 1 FAIL with a traceback, in the order
    they are numbered (times one second apart from ``t0``)."""
    out = []
    for i in range(N_COMPLETE):
        p = hand_params(i)
        out.append(FrozenTrial(0, TrialState.COMPLETE, p, {}, values=(hand_value(p),),
                               intermediate={0: 50.0, 1: hand_value(p)},
                               started=t0 + i, finished=t0 + 0.5 + i))  # fmt: skip
    for j in range(2):
        out.append(FrozenTrial(0, TrialState.PRUNED, hand_params(j), {},
                               intermediate={0: 60.0 + j, 1: 70.0 + j, 2: 80.0 + j},
                               started=t0 + 50 + j, finished=t0 + 50.2 + j))  # fmt: skip
    out.append(FrozenTrial(0, TrialState.FAIL, hand_params(3), {}, error="boom <i>x</i>",
                           system_attrs={"traceback": "Traceback: <script>alert(1)</script>"},
                           started=t0 + 60, finished=t0 + 61))  # fmt: skip
    return out


def make_hand_storage(tmp_path: Path) -> str:
    """A SQLite storage with study "hand" (the trials above plus one RUNNING, number 43),
    study "pair" (two objectives, a known front) and study "up" (maximize)."""
    url = f"sqlite:///{tmp_path / 'hand.db'}"
    study = ts.create_study(name="hand", storage=url, space=HAND_SPACE, seed=0, heartbeat=0)
    study.add_trials(hand_trials(time.time() - 100))
    study.ask()  # trial 43 stays RUNNING
    pair = ts.create_study(
        name="pair", storage=url, space={"a": ts.Float(0, 1)}, seed=0,
        directions=["minimize", "minimize"],
    )  # fmt: skip
    pair.add_trials(
        [FrozenTrial(0, TrialState.COMPLETE, {"a": 0.1 * i}, {}, values=v)
         for i, v in enumerate([(1.0, 4.0), (2.0, 2.0), (4.0, 1.0), (3.0, 3.0), (5.0, 5.0)])]
    )  # fmt: skip
    up = ts.create_study(name="up", storage=url, space={"a": ts.Float(0, 1)}, direction="maximize")
    up.add_trials([FrozenTrial(0, TrialState.COMPLETE, {"a": 0.5}, {}, values=(1.0,))])
    return url


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = Path("/tmp/dash_shots")


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shot(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot under ``folder``, copied to /tmp/dash_shots for a person to see."""
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / name)
