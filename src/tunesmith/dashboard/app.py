"""The dashboard's web app: three pages, a JSON API over a storage, and the charting scripts.

Read-only unless made with ``allow_writes``: every write route then still answers 403 to a
request that is not from the dashboard's own page (``writes.check_origin``). Requests whose
Host header is not one this server answers to are refused (DNS rebinding), and pages allow
only this server's own scripts (CSP); the pages put every text they show into the DOM as text,
never as HTML.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from tunesmith.dashboard.handlers import ReadHandlers
from tunesmith.dashboard.insight import space_of
from tunesmith.dashboard.writes import (
    READ_ONLY,
    WriteRefused,
    check_note,
    check_origin,
    check_point,
    enqueue_point,
    set_note,
)
from tunesmith.storage import Storage, StudyNotFoundError, get_storage

__all__ = ["create_app"]

_STATIC = os.path.join(os.path.dirname(__file__), "static")
_SCRIPTS = ("app.js", "figures.js", "study.js", "table.js", "compare.js")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tunesmith dashboard</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body data-page="{page}" data-writes="{writes}"><header><a href="/">tunesmith</a></header>
<main id="main"></main><script src="/static/plotly.min.js"></script>{scripts}</body></html>
"""
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_NEEDS = 'The dashboard needs starlette, uvicorn and plotly: pip install "tunesmith[dashboard]"'


def _starlette() -> Any:
    try:
        import starlette  # noqa: F401
    except ModuleNotFoundError:
        raise ImportError(_NEEDS) from None
    from starlette import applications, middleware, responses, routing
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    return applications, middleware, responses, routing, TrustedHostMiddleware


def _plotly_js() -> str:
    try:
        import plotly
    except ModuleNotFoundError:
        raise ImportError(_NEEDS) from None
    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


class _Handlers(ReadHandlers):
    """The routes' handlers: pages, static files, the reads, and the two writes."""

    def __init__(self, backend: Storage, responses: Any, allow_writes: bool):
        super().__init__(backend, responses)
        self.backend = backend
        self.allow_writes = allow_writes
        self.plotly_js = _plotly_js()

    def page(self, name: str) -> Any:
        scripts = "".join(f'<script src="/static/{s}"></script>' for s in _SCRIPTS)
        text = _PAGE.format(page=name, writes=int(self.allow_writes), scripts=scripts)

        async def handler(request: Any) -> Any:
            return self.responses.HTMLResponse(text, headers=_HEADERS)

        return handler

    async def static(self, request: Any) -> Any:
        name = request.path_params["name"]
        if name == "plotly.min.js":
            return self.responses.FileResponse(self.plotly_js, media_type="text/javascript")
        if name not in (*_SCRIPTS, "style.css"):
            return self.responses.PlainTextResponse("not found", status_code=404)
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return self.responses.FileResponse(os.path.join(_STATIC, name), media_type=kind)

    async def _write(self, request: Any, work: Any) -> Any:
        """Run ``work(study_id, body)`` in a worker thread once the request may write."""
        from starlette.concurrency import run_in_threadpool

        try:
            if not self.allow_writes:
                raise WriteRefused(403, READ_ONLY)
            check_origin(request.headers, request.url.scheme)
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise ValueError("A write's body must be a JSON object.") from None
            if not isinstance(body, dict):
                raise ValueError(f"A write's body must be a JSON object. Got {body!r} instead.")
            out = await run_in_threadpool(work, request.path_params["study_id"], body)
            return self.responses.JSONResponse(out)
        except WriteRefused as exc:
            return self.responses.JSONResponse({"error": str(exc)}, status_code=exc.status)
        except ValueError as exc:
            return self.responses.JSONResponse({"error": str(exc)}, status_code=400)
        except (StudyNotFoundError, KeyError):
            return self.responses.JSONResponse({"error": "no such study"}, status_code=404)

    async def note(self, request: Any) -> Any:
        number = request.path_params["number"]

        def work(study_id: int, body: dict) -> Any:
            note = check_note(body.get("note"))
            self.caches.info(study_id)
            set_note(self.backend, study_id, number, note)
            return {"number": number, "note": note}

        return await self._write(request, work)

    async def enqueue(self, request: Any) -> Any:
        def work(study_id: int, body: dict) -> Any:
            cache = self.caches.light(study_id)
            space = space_of(cache)
            params = check_point(space, body.get("params"))
            return {"number": enqueue_point(self.backend, study_id, space, params)}

        return await self._write(request, work)


def create_app(
    storage: Any,
    allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost"),
    allow_writes: bool = False,
) -> Any:
    """The ASGI app over ``storage`` (a URL or a Storage), answering only to ``allowed_hosts``;
    notes and enqueued points only with ``allow_writes``."""
    applications, middleware, responses, routing, trusted_host = _starlette()
    backend: Storage = get_storage(storage, create=False) if isinstance(storage, str) else storage
    h = _Handlers(backend, responses, bool(allow_writes))
    study = "/api/studies/{study_id:int}"
    routes = [
        routing.Route("/", h.page("studies")),
        routing.Route("/study/{study_id:int}", h.page("study")),
        routing.Route("/compare", h.page("compare")),
        routing.Route("/api/studies", h.studies),
        routing.Route("/api/overlay", h.overlay),
        routing.Route(study + "/trials", h.trials),
        routing.Route(study + "/history", h.history),
        routing.Route(study + "/figure/{name}", h.figure),
        routing.Route(study + "/contour", h.contour),
        routing.Route(study + "/importance", h.importance),
        routing.Route(study + "/table", h.table),
        routing.Route(study + "/space", h.space),
        routing.Route(study + "/trials/{number:int}/note", h.note, methods=["POST"]),
        routing.Route(study + "/enqueue", h.enqueue, methods=["POST"]),
        routing.Route("/static/{name}", h.static),
    ]
    hosts = middleware.Middleware(trusted_host, allowed_hosts=list(allowed_hosts))
    return applications.Starlette(routes=routes, middleware=[hosts])
