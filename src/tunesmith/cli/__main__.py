"""``python -m tunesmith.cli``: the same as the ``tunesmith`` command."""

from tunesmith.cli.main import main

main()
