"""A local web dashboard over any storage: ``tunesmith dashboard`` (the ``[dashboard]`` extra)."""

from tunesmith.dashboard.app import create_app

__all__ = ["create_app"]
