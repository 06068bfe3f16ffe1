"""Distribution.from_json finds every kind, Choice included, whatever module was imported first."""

from __future__ import annotations

import subprocess
import sys

FRESH = """
from tunesmith.space.distributions import Distribution
back = Distribution.from_json({"kind": "choice", "options": ["a", [64, 64]]})
print(type(back).__module__, type(back).__name__, back.options)
"""


def test_a_fresh_interpreter_importing_only_distributions_rebuilds_a_choice():
    done = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 2) == ["tunesmith.space.choice", "Choice", "['a', (64, 64)]\n"]


def test_each_kind_comes_back_as_its_own_class():
    from tunesmith.space import Choice, Distribution, Float, Int

    for dist in (Float(0.0, 1.0), Int(1, 3), Choice([1, (2, 3)])):
        back = Distribution.from_json(dist.to_json())
        assert type(back) is type(dist) and back == dist
