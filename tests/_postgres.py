"""A throwaway PostgreSQL server on a loopback port, for the tests that need one."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager


def _bin_dir() -> str | None:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the packaged 'postgres' user.
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextmanager
def postgres_server():
    """Start initdb + pg_ctl on a temporary directory; yield a URL; stop and delete after."""
    bindir = _bin_dir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed.")
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # raises KeyError if missing
    root = tempfile.mkdtemp(prefix="tunesmith-pg-")
    data = os.path.join(root, "data")
    if user:
        shutil.chown(root, user)
        os.chmod(root, 0o700)
    port = _free_port()
    run = dict(check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    subprocess.run(
        _as_user(
            [
                f"{bindir}/initdb",
                "-D",
                data,
                "-U",
                "tunesmith",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            user,
        ),
        **run,
    )
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_user(
            [
                f"{bindir}/pg_ctl",
                "-D",
                data,
                "-o",
                opts,
                "-l",
                os.path.join(root, "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
        ),
        **run,
    )
    try:
        yield f"postgresql://tunesmith@127.0.0.1:{port}/postgres", (bindir, data, opts, root, user)
    finally:
        subprocess.run(
            _as_user([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], user),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)


def restart(handle) -> None:
    """Restart the server in place (same data, same port)."""
    bindir, data, opts, root, user = handle
    subprocess.run(
        _as_user(
            [
                f"{bindir}/pg_ctl",
                "-D",
                data,
                "-o",
                opts,
                "-l",
                os.path.join(root, "log"),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "restart",
            ],
            user,
        ),
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
