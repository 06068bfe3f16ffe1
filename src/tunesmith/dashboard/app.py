"""The dashboard's web app: two pages, a JSON API over a storage, and the charting script.

Read-only: every route is GET. Requests whose Host header is not one this server answers to
are refused (DNS rebinding), and pages allow only this server's own scripts (CSP); the pages
put every text they show into the DOM as text, never as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tunesmith.dashboard.data import StudyCaches
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


class _Handlers:
    """The routes' handlers over one storage (sync ones run in Starlette's worker threads)."""

    def __init__(self, backend: Storage, responses: Any):
        self.caches = StudyCaches(backend)
        self.responses = responses
        self.plotly_js = _plotly_js()

    def page(self, name: str) -> Any:
        async def handler(request: Any) -> Any:
            return self.responses.HTMLResponse(_PAGE.format(page=name), headers=_HEADERS)

        return handler

    @staticmethod
    def _number(request: Any, name: str, default: int) -> int:
        try:
            return max(0, int(request.query_params.get(name, default)))
        except ValueError:
            raise ValueError(f"{name} must be an int >= 0") from None

    def studies(self, request: Any) -> Any:
        return self.responses.JSONResponse(self.caches.study_rows(), headers=_HEADERS)

    def _study_json(self, request: Any, make: Any) -> Any:
        try:
            return self.responses.JSONResponse(make(request.path_params["study_id"]))
        except ValueError as exc:
            return self.responses.JSONResponse({"error": str(exc)}, status_code=400)
        except (StudyNotFoundError, KeyError):
            return self.responses.JSONResponse({"error": "no such study"}, status_code=404)

    def trials(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            since, last = self._number(request, "since", 0), self._number(request, "last", 0)
            return self.caches.changed(study_id, since, last or None)

        return self._study_json(request, make)

    def history(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            points = max(10, self._number(request, "max_points", 2000))
            return self.caches.history(study_id, points)

        return self._study_json(request, make)

    async def static(self, request: Any) -> Any:
        name = request.path_params["name"]
        if name == "plotly.min.js":
            return self.responses.FileResponse(self.plotly_js, media_type="text/javascript")
        if name not in ("app.js", "style.css"):
            return self.responses.PlainTextResponse("not found", status_code=404)
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return self.responses.FileResponse(os.path.join(_STATIC, name), media_type=kind)


def create_app(storage: Any, allowed_hosts: Sequence[str] = ("127.0.0.1", "localhost")) -> Any:
    """The ASGI app over ``storage`` (a URL or a Storage), answering only to ``allowed_hosts``."""
    applications, middleware, responses, routing, trusted_host = _starlette()
    backend: Storage = get_storage(storage, create=False) if isinstance(storage, str) else storage
    h = _Handlers(backend, responses)
    routes = [
        routing.Route("/", h.page("studies")),
        routing.Route("/study/{study_id:int}", h.page("study")),
        routing.Route("/api/studies", h.studies),
        routing.Route("/api/studies/{study_id:int}/trials", h.trials),
        routing.Route("/api/studies/{study_id:int}/history", h.history),
        routing.Route("/static/{name}", h.static),
    ]
    hosts = middleware.Middleware(trusted_host, allowed_hosts=list(allowed_hosts))
    return applications.Starlette(routes=routes, middleware=[hosts])
