"""The dashboard's web app: two pages, a JSON API over a storage, and the charting script.

Read-only: every route is GET. Requests whose Host header is not one this server answers to
are refused (DNS rebinding), and pages allow only this server's own scripts (CSP); the pages
put every text they show into the DOM as text, never as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tunesmith.dashboard.data import changed_trials, study_rows
from tunesmith.storage import Storage, StudyNotFoundError, get_storage

__all__ = ["create_app"]

_STATIC = os.path.join(os.path.dirname(__file__), "static")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tunesmith dashboard</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body data-page="{page}"><header><a href="/">tunesmith</a></header><main id="main"></main>
<script src="/static/plotly.min.js"></script><script src="/static/app.js"></script></body></html>
"""
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _starlette() -> Any:
    try:
        import starlette  # noqa: F401
    except ModuleNotFoundError:
        raise ImportError(
            'The dashboard needs starlette, uvicorn and plotly: pip install "tunesmith[dashboard]"'
        ) from None
    from starlette import applications, middleware, responses, routing
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    return applications, middleware, responses, routing, TrustedHostMiddleware


def _plotly_js() -> str:
    try:
        import plotly
    except ModuleNotFoundError:
        raise ImportError(
            'The dashboard needs starlette, uvicorn and plotly: pip install "tunesmith[dashboard]"'
        ) from None
    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def create_app(storage: Any, allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost")) -> Any:
    """The ASGI app over ``storage`` (a URL or a Storage), answering only to ``allowed_hosts``."""
    applications, middleware, responses, routing, trusted_host = _starlette()
    backend: Storage = get_storage(storage, create=False) if isinstance(storage, str) else storage
    plotly_js = _plotly_js()

    def page(name: str) -> Any:
        async def handler(request: Any) -> Any:
            return responses.HTMLResponse(_PAGE.format(page=name), headers=_HEADERS)

        return handler

    def studies(request: Any) -> Any:  # sync: Starlette runs it in a worker thread
        return responses.JSONResponse(study_rows(backend), headers=_HEADERS)

    def trials(request: Any) -> Any:
        study_id = request.path_params["study_id"]
        try:
            since = max(0, int(request.query_params.get("since", "0")))
        except ValueError:
            return responses.JSONResponse({"error": "since must be an int"}, status_code=400)
        try:
            return responses.JSONResponse(changed_trials(backend, study_id, since))
        except StudyNotFoundError:
            return responses.JSONResponse({"error": "no such study"}, status_code=404)

    async def static(request: Any) -> Any:
        name = request.path_params["name"]
        if name == "plotly.min.js":
            return responses.FileResponse(plotly_js, media_type="text/javascript")
        if name not in ("app.js", "style.css"):
            return responses.PlainTextResponse("not found", status_code=404)
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return responses.FileResponse(os.path.join(_STATIC, name), media_type=kind)

    routes = [
        routing.Route("/", page("studies")),
        routing.Route("/study/{study_id:int}", page("study")),
        routing.Route("/api/studies", studies),
        routing.Route("/api/studies/{study_id:int}/trials", trials),
        routing.Route("/static/{name}", static),
    ]
    hosts = middleware.Middleware(trusted_host, allowed_hosts=list(allowed_hosts))
    return applications.Starlette(routes=routes, middleware=[hosts])
