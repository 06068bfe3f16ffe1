"""``tunesmith dashboard``: the studies of a storage in the browser, updated live; read-only
unless ``--allow-writes`` (notes on trials, enqueued points)."""

from __future__ import annotations

import click

from tunesmith.cli.common import fail, open_storage, storage_option

__all__ = ["dashboard"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command("dashboard")
@storage_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback exposes the studies to the network.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--allow-writes",
    is_flag=True,
    help="Let the page add notes to trials and enqueue points (refused by default).",
)
def dashboard(storage: str, host: str, port: int, allow_writes: bool) -> None:
    """Serve a dashboard of the studies in --storage at http://HOST:PORT/ (read-only unless
    --allow-writes)."""
    try:
        import uvicorn

        from tunesmith.dashboard import create_app
    except ImportError as exc:
        fail(
            f"{exc}"
            if "tunesmith[dashboard]" in str(exc)
            else f'The dashboard needs uvicorn: pip install "tunesmith[dashboard]" ({exc})'
        )
    backend = open_storage(storage, create=False)
    if host not in LOOPBACK:
        click.echo(
            f"Warning: --host {host} serves the studies of {storage} to every machine that can "
            "reach this one; there is no login.",
            err=True,
        )
    hosts = sorted({host, *LOOPBACK[:2]})
    app = create_app(backend, allowed_hosts=hosts, allow_writes=allow_writes)
    click.echo(f"tunesmith dashboard of {storage} at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
