"""The ``tunesmith`` command: run, inspect and compare studies from the shell."""

from tunesmith.cli.main import cli, main

__all__ = ["cli", "main"]
