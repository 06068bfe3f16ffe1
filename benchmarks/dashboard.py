"""The dashboard at scale: time to the first figure's data, and the cost of a live update.

For studies of 1k, 10k and 100k trials on SQLite (and PostgreSQL with --postgres), through the
real HTTP server: the study list (the first request reads the light columns of every trial:
number, state, values, times), then what the study page asks for first (the history downsampled
to 2000 points and the latest 200 trials); cold open = the three together. Then an update after
one more trial (what a live page fetches each second), and the rest of the page that loads
after the first figure (parallel coordinates: every trial read in full, once).

    python benchmarks/dashboard.py            # 1k, 10k, 100k on SQLite
    python benchmarks/dashboard.py --quick    # 1k, 10k
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import tunesmith as ts  # noqa: E402
from tunesmith.trial import FrozenTrial, TrialState  # noqa: E402

SPACE = {"x": ts.Float(-1, 1), "n": ts.Int(1, 64), "k": ts.Choice(["a", "b", "c"])}


def _params(i: int) -> dict:
    return {"x": (i % 200) / 100 - 1, "n": i % 64 + 1, "k": "abc"[i % 3]}


def _fill(url: str, n: int) -> None:
    study = ts.create_study(name="big", storage=url, space=SPACE, seed=0, heartbeat=0)
    chunk = 5000
    for start in range(0, n, chunk):
        batch = [
            FrozenTrial(
                0, TrialState.COMPLETE, _params(i), {},
                values=(float(i % 997),), started=1.0 + i, finished=1.5 + i,
            )
            for i in range(start, min(n, start + chunk))
        ]  # fmt: skip
        study.add_trials(batch)


def _serve(url: str):
    import uvicorn

    from tunesmith.dashboard import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{port}"


def _get(address: str) -> tuple[float, object]:
    start = time.perf_counter()
    with urllib.request.urlopen(address, timeout=120) as response:
        data = json.load(response)
    return time.perf_counter() - start, data


def measure(url: str, n: int, backend: str) -> dict:
    _fill(url, n)
    server, base = _serve(url)
    try:
        list_s, studies = _get(base + "/api/studies")
        study_id = studies[0]["id"]
        # what the study page asks for first: the downsampled history and the latest rows
        history_s, _ = _get(f"{base}/api/studies/{study_id}/history?max_points=2000")
        rows_s, first = _get(f"{base}/api/studies/{study_id}/trials?since=0&last=200")
        first_s = history_s + rows_s
        ts.load_study("big", storage=url).optimize(lambda t: t.params["x"], n_trials=1)
        update_s, update = _get(f"{base}/api/studies/{study_id}/trials?since={first['revision']}")
        rest_s, _ = _get(f"{base}/api/studies/{study_id}/figure/parallel?max_points=2000")
    finally:
        server.should_exit = True
    out = {
        "backend": backend,
        "trials": n,
        "study_list_s": round(list_s, 3),
        "first_figure_data_s": round(first_s, 3),
        "open_total_s": round(list_s + first_s, 3),
        "update_ms": round(update_s * 1e3, 2),
        "update_trials": len(update["trials"]),
        "rest_after_first_figure_s": round(rest_s, 3),
    }
    print(out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load:.1f} at start"
    )
    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            measure(f"sqlite:///{os.path.join(folder, 'd.db')}", n, "sqlite")
    if args.postgres:
        from _postgres import postgres_server
        from conftest import _fresh_database

        with postgres_server() as (server, _handle):
            for n in sizes:
                measure(_fresh_database(server), n, "postgresql")


if __name__ == "__main__":
    main()
