"""The JSON API's read handlers over one storage (sync ones run in Starlette's worker threads).

Every answer is figure or table data as JSON; a bad argument is a 400 naming it and its rule,
a study that is not there a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tunesmith.dashboard import figures
from tunesmith.dashboard.data import StudyCache, StudyCaches
from tunesmith.dashboard.insight import contour_pair, default_method, importance_json, space_of
from tunesmith.dashboard.table import TableQuery, query_table
from tunesmith.space import space_to_json
from tunesmith.storage import Storage, StudyNotFoundError

__all__ = ["ReadHandlers", "number_arg"]

MAX_OVERLAY = 12


def number_arg(request: Any, name: str, default: int) -> int:
    """The int query argument ``name`` (>= 0); ValueError naming it."""
    try:
        return max(0, int(request.query_params.get(name, default)))
    except ValueError:
        raise ValueError(
            f"The {name!r} parameter must be an int >= 0. Got "
            f"{request.query_params.get(name)!r} instead."
        ) from None


class ReadHandlers:
    """The read routes: study list, trials, figures, importance, table, overlay."""

    def __init__(self, backend: Storage, responses: Any):
        self.caches = StudyCaches(backend)
        self.responses = responses

    def _json(self, make: Callable[[], Any]) -> Any:
        try:
            return self.responses.JSONResponse(make())
        except ValueError as exc:
            return self.responses.JSONResponse({"error": str(exc)}, status_code=400)
        except (StudyNotFoundError, KeyError):
            return self.responses.JSONResponse({"error": "no such study"}, status_code=404)

    def _study_json(self, request: Any, make: Callable[[int], Any]) -> Any:
        return self._json(lambda: make(request.path_params["study_id"]))

    @staticmethod
    def _points(request: Any, default: int = 2000) -> int:
        return max(10, number_arg(request, "max_points", default))

    def studies(self, request: Any) -> Any:
        return self._json(self.caches.study_rows)

    def trials(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            since, last = number_arg(request, "since", 0), number_arg(request, "last", 0)
            return self.caches.changed(study_id, since, last or None)

        return self._study_json(request, make)

    @staticmethod
    def _figure(cache: StudyCache, key: Any, make: Callable) -> Any:
        """``make(source)`` over the full trials, once per revision."""
        with cache.full_lock:
            source, revision = cache.source(), cache.revision
        data = cache.remember(key, revision, lambda: make(source))
        return {"revision": revision, **data}

    @staticmethod
    def _history(cache: StudyCache, points: int) -> dict[str, Any]:
        """The history from the light columns, once per light revision."""
        with cache.lock:
            revision = cache.light_revision
            make = lambda: cache.columns.history(cache.info.directions, points)  # noqa: E731
            data = cache.remember(("history", points), revision, make)
        return {"revision": revision, **data}

    def history(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            return self._history(self.caches.light(study_id), self._points(request))

        return self._study_json(request, make)

    def figure(self, request: Any) -> Any:
        name = request.path_params["name"]
        if name not in figures.FIGURES:
            return self.responses.JSONResponse(
                {"error": f"no figure {name!r}; there are {sorted(figures.FIGURES)}"},
                status_code=404,
            )
        build = figures.FIGURES[name]

        def make(study_id: int) -> Any:
            points = self._points(request)
            cache = self.caches.full(study_id)
            return self._figure(cache, (name, points), lambda s: build(s, points))

        return self._study_json(request, make)

    def contour(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            points = self._points(request)
            cache = self.caches.full(study_id)
            with cache.full_lock:
                source = cache.source()
            names = sorted({n for t in source.trials if t.values for n in t.params})
            asked = [request.query_params.get(k) for k in ("x", "y")]
            pair = asked if all(asked) else contour_pair(cache, source, names)
            key = ("contour", points, tuple(pair))
            data = self._figure(cache, key, lambda s: figures.contour(s, points, pair))
            return {**data, "params": pair, "choices": names}

        return self._study_json(request, make)

    def importance(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            method = request.query_params.get("method") or default_method()
            target = number_arg(request, "target", 0)
            cache = self.caches.full(study_id)
            with cache.full_lock:
                source = cache.source()
            return {"revision": cache.revision,
                    **importance_json(cache, source, method, target)}  # fmt: skip

        return self._study_json(request, make)

    def table(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            query = TableQuery(request.query_params)
            cache = self.caches.full(study_id)
            with cache.full_lock:
                trials, revision = list(cache.trials.values()), cache.revision
            return query_table(trials, query, revision)

        return self._study_json(request, make)

    def space(self, request: Any) -> Any:
        def make(study_id: int) -> Any:
            cache = self.caches.light(study_id)
            return {"space": space_to_json(space_of(cache))}

        return self._study_json(request, make)

    def overlay(self, request: Any) -> Any:
        """Several studies' histories side by side and their EDFs on one axis."""

        def make() -> Any:
            text = request.query_params.get("ids", "")
            try:
                ids = list(dict.fromkeys(int(x) for x in text.split(",") if x))
            except ValueError:
                ids = []
            if not 1 <= len(ids) <= MAX_OVERLAY:
                raise ValueError(
                    f"The 'ids' parameter of the overlay must list 1 to {MAX_OVERLAY} study ids "
                    f"separated by commas. Got {text!r} instead."
                )
            points = self._points(request, 1000)
            sources, studies = [], []
            for cache in [self.caches.full(i) for i in ids]:
                with cache.full_lock:
                    sources.append(cache.source())
                hist = self._history(cache, points)
                studies.append({"id": cache.info.study_id, "name": cache.info.name, **hist})
            try:
                edf: Any = figures.edf(sources, points)
            except ValueError as exc:
                edf = {"error": str(exc)}
            return {"studies": studies, "edf": edf}

        return self._json(make)
