"""Argument checks, each naming the argument and the rule it breaks, in one message shape.

A class declares its constructor's parameters as a table, name -> constraint, and checks them
all with one call (the table of ``optim._validation`` and sklearn's ``_parameter_constraints``
are the models)::

    _parameters = {"population_size": Integer(2), "mutation_prob": NoneOr(Real(0, 1))}
    check_params("Genetic", self._parameters, locals())

A bad value raises ``ValueError("The 'population_size' parameter of Genetic must be an int >=
2. Got 1 instead.")``. Bools are never ints or reals; NumPy integers and floats are accepted.
Rules that relate two parameters follow the call, raising ``param_error`` (same shape).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Constraint",
    "Integer",
    "Real",
    "OneOf",
    "Boolean",
    "IsCallable",
    "Satisfies",
    "AnyOf",
    "NoneOr",
    "check_params",
    "param_error",
    "is_int",
    "positive_or_none",
    "check_optimize_args",
    "check_directions",
    "check_create_args",
    "DIRECTIONS",
    "DIRECTION",
    "N_JOBS",
    "NAME",
]

DIRECTIONS = ("minimize", "maximize")
_CLOSED = ("both", "left", "right", "neither")


def param_error(owner: str, name: str, rule: str, value: Any) -> ValueError:
    """The library's one message: "The 'x' parameter of Owner must be RULE. Got V instead."."""
    return ValueError(f"The {name!r} parameter of {owner} must be {rule}. Got {value!r} instead.")


def check_params(owner: str, table: Mapping[str, Constraint], values: Mapping[str, Any]) -> None:
    """Check each value named in ``table`` (in the table's order); ValueError on the first bad
    one. Names of ``values`` the table lacks (``self``) and names it has but ``values`` lacks
    are not checked."""
    for name, constraint in table.items():
        if name in values and not constraint.accepts(values[name]):
            raise param_error(owner, name, constraint.rule, values[name])


class Constraint:
    """A rule for one value: ``accepts(value)``, and ``rule``, its words after "must be"."""

    rule: str = ""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.rule}>"


def is_int(v: Any) -> bool:
    """An int or NumPy integer, never a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _num(x: float) -> str:
    return f"{x:g}"


class Integer(Constraint):
    """An int (or NumPy integer, never a bool) with ``low <= value <= high``; None: unbounded."""

    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low, self.high = low, high
        if high is None:
            self.rule = "an int" if low is None else f"an int >= {low}"
        else:
            self.rule = f"an int <= {high}" if low is None else f"an int in [{low}, {high}]"

    def accepts(self, value: Any) -> bool:
        if not is_int(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


class Real(Constraint):
    """A real number (int, float or NumPy number, never a bool) between ``low`` and ``high``.

    ``closed`` says which bounds belong to the range, as in sklearn's ``Interval``: "both",
    "left", "right" or "neither"; None is unbounded. Infinities and NaN are refused unless
    ``finite=False`` (NaN always is). ``noun`` starts the rule ("a float", "a number").
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        closed: str = "both",
        *,
        noun: str = "a float",
        finite: bool = True,
    ) -> None:
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {_CLOSED}; got {closed!r}")
        self.low, self.high, self.closed, self.finite = low, high, closed, finite
        self.rule = f"{noun} {self._range()}".rstrip()

    def _range(self) -> str:
        low_in = self.closed in ("both", "left")
        high_in = self.closed in ("both", "right")
        if self.low is None and self.high is None:
            return ""
        if self.high is None:
            return f"{'>=' if low_in else '>'} {_num(self.low)}"  # type: ignore[arg-type]
        if self.low is None:
            return f"{'<=' if high_in else '<'} {_num(self.high)}"
        left, right = "[" if low_in else "(", "]" if high_in else ")"
        return f"in {left}{_num(self.low)}, {_num(self.high)}{right}"

    def accepts(self, value: Any) -> bool:
        if not _is_real(value) or math.isnan(value):
            return False
        if self.finite and not math.isfinite(value):
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True


class OneOf(Constraint):
    """One of the given values (compared by equality; a bool matches only a bool)."""

    def __init__(self, *values: Any) -> None:
        self.values = values
        shown = ", ".join(repr(v) for v in values)
        self.rule = shown if len(values) == 1 else f"one of {shown}"

    def accepts(self, value: Any) -> bool:
        for v in self.values:
            if isinstance(v, bool) != isinstance(value, (bool, np.bool_)):
                continue
            try:
                if v is value or bool(v == value):
                    return True
            except (TypeError, ValueError):  # an array compared to a scalar
                continue
        return False


class Boolean(Constraint):
    """A bool or NumPy bool."""

    rule = "a bool"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))


class IsCallable(Constraint):
    """Anything callable (a function, a class, an object with ``__call__``)."""

    rule = "callable"

    def accepts(self, value: Any) -> bool:
        return callable(value)


class Satisfies(Constraint):
    """A one-off rule: ``test(value)`` is true; ``rule`` words it."""

    def __init__(self, test: Any, rule: str) -> None:
        self.test, self.rule = test, rule

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError):  # a value the test cannot even compare
            return False


class AnyOf(Constraint):
    """Any of the given constraints; the rule joins theirs with "or"."""

    def __init__(self, *constraints: Constraint) -> None:
        self.constraints = constraints
        self.rule = " or ".join(c.rule for c in constraints)

    def accepts(self, value: Any) -> bool:
        return any(c.accepts(value) for c in self.constraints)


def NoneOr(constraint: Constraint) -> AnyOf:  # noqa: N802 - reads as a constraint type
    """``constraint``, or None ("an int >= 1 or None")."""
    return AnyOf(constraint, OneOf(None))


# -- the study's own arguments ------------------------------------------------------------------
DIRECTION = Satisfies(lambda d: d in DIRECTIONS, "'minimize' or 'maximize'")
N_JOBS = Satisfies(lambda v: is_int(v) and (v >= 1 or v == -1), "an int >= 1, or -1 for all cores")
NAME = Satisfies(lambda v: isinstance(v, str) and v.strip() != "", "a non-empty string")
_POSITIVE_OR_NONE = NoneOr(Real(0, closed="right", noun="a number", finite=False))


def _exception_classes(v: Any) -> bool:
    return isinstance(v, (tuple, list)) and all(
        isinstance(c, type) and issubclass(c, BaseException) for c in v
    )


def _callables(v: Any) -> bool:
    return isinstance(v, Iterable) and not isinstance(v, str) and all(callable(c) for c in v)


_OPTIMIZE: dict[str, Constraint] = {
    "objective": IsCallable(),
    "n_trials": NoneOr(Integer(1)),
    "timeout": _POSITIVE_OR_NONE,
    "n_jobs": N_JOBS,
    "catch": Satisfies(_exception_classes, "a tuple of exception classes"),
    "callbacks": Satisfies(_callables, "a list of callables taking (study, trial)"),
    "batch_size": NoneOr(Integer(1)),
}

_CREATE: dict[str, Constraint] = {
    "name": NoneOr(NAME),
    "seed": NoneOr(Integer(0)),
    "heartbeat": NoneOr(Real(0, noun="a number of seconds (0: off)")),
    "grace_period": _POSITIVE_OR_NONE,
    "retries": Integer(0),
}


def positive_or_none(owner: str, name: str, value: Any) -> None:
    """A number > 0, or None."""
    check_params(owner, {name: _POSITIVE_OR_NONE}, {name: value})


def check_optimize_args(objective, n_trials, timeout, n_jobs, catch, callbacks, batch_size) -> None:
    check_params("optimize", _OPTIMIZE, locals())


def check_directions(direction: Any, directions: Any) -> tuple[str, ...]:
    if direction is not None and directions is not None:
        raise ValueError("Give either 'direction' or 'directions' to create_study, not both.")
    dirs = [direction or "minimize"] if directions is None else directions
    if isinstance(dirs, str) or not isinstance(dirs, Sequence) or not dirs:
        raise param_error(
            "create_study", "directions", "a non-empty list of 'minimize'/'maximize'", directions
        )
    name = "direction" if direction is not None else "directions"
    for d in dirs:
        check_params("create_study", {name: DIRECTION}, {name: d})
    return tuple(dirs)


def check_create_args(
    name: Any, seed: Any, heartbeat: Any, grace_period: Any, retries: Any
) -> None:
    check_params("create_study", _CREATE, locals())
    if grace_period is not None and heartbeat == 0:
        raise ValueError(
            "The 'grace_period' parameter of create_study needs heartbeats. "
            f"Got grace_period={grace_period!r} with heartbeat=0 (off) instead."
        )
    if heartbeat is not None and grace_period is not None and grace_period <= heartbeat:
        raise ValueError(
            "The 'grace_period' parameter of create_study must be > heartbeat. "
            f"Got {grace_period!r} <= {heartbeat!r} instead."
        )
