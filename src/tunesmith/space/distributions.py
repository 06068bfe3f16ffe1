"""Search-space distributions: validation, encoding to the unit interval, grid points.

Every strategy works in the unit cube [0, 1]^d; only these classes know real units. Integers and
choices use equal-width bins, so a uniform draw in the unit interval is a uniform draw over the
values and ``from_unit(to_unit(v)) == v`` holds exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Float", "Int", "Choice", "Distribution", "plain_option"]


def param_error(owner: str, name: str, rule: str, got: Any) -> ValueError:
    """The project's message shape: The 'name' parameter of owner must .... Got x instead."""
    return ValueError(f"The {name!r} parameter of {owner} {rule}. Got {got!r} instead.")


def _finite_number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise param_error(owner, name, "must be a real number", value)
    if not math.isfinite(value):
        raise param_error(owner, name, "must be finite", value)
    return value


class Distribution:
    """Base class: a named range of values with a unit-interval encoding."""

    kind: str = ""

    def to_unit(self, value: Any) -> float:
        raise NotImplementedError

    def from_unit(self, u: float) -> Any:
        raise NotImplementedError

    def grid(self, n: int | None = None) -> list[Any]:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self._fields()}

    def _fields(self) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Distribution:
        """Rebuild a distribution from :meth:`to_json` output (plain JSON, never pickle)."""
        fields = dict(data)
        kind = fields.pop("kind", None)
        cls = _KINDS.get(kind)
        if cls is None:
            raise ValueError(f"Unknown distribution kind {kind!r} in stored space.")
        return cls(**fields)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._fields().items())
        return f"{type(self).__name__}({args})"


class Float(Distribution):
    """A real number in [low, high]: uniform, log-uniform (``log=True``) or on a ``step`` grid."""

    kind = "float"

    def __init__(self, low: float, high: float, log: bool = False, step: float | None = None):
        low = _finite_number("Float", "low", low)
        high = _finite_number("Float", "high", high)
        if not low < high:
            raise ValueError(
                "The 'low' parameter of Float must be < high. "
                f"Got low={low!r}, high={high!r} instead."
            )
        if log and step is not None:
            raise ValueError(
                "The 'step' parameter of Float cannot be used together with log=True. Got step="
                f"{step!r} instead."
            )
        if log and low <= 0:
            raise param_error("Float", "low", "must be > 0 when log=True", low)
        if step is not None:
            step = _finite_number("Float", "step", step)
            if step <= 0:
                raise param_error("Float", "step", "must be > 0", step)
            n = (high - low) / step
            if abs(n - round(n)) > 1e-8 * max(1.0, abs(n)):
                raise ValueError(
                    f"The 'step' parameter of Float must divide high - low = {high - low!r}. "
                    f"Got {step!r} instead."
                )
        self.low, self.high, self.log, self.step = float(low), float(high), bool(log), step

    def _fields(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}

    def _n_steps(self) -> int:
        return int(round((self.high - self.low) / self.step))

    def to_unit(self, value: Any) -> float:
        x = float(value)
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        elif self.step is not None:
            x = self.low + round(u * self._n_steps()) * self.step
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def grid(self, n: int | None = None) -> list[float]:
        if n is None:
            if self.step is None:
                raise ValueError(
                    f"{self!r} has no step, so its grid is undefined: give grid=n "
                    "(number of points) or a step."
                )
            return [min(self.low + i * self.step, self.high) for i in range(self._n_steps() + 1)]
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise param_error("Float.grid", "n", "must be an int >= 1", n)
        if n == 1:
            return [self.from_unit(0.5)]
        return list(dict.fromkeys(self.from_unit(i / (n - 1)) for i in range(n)))

    def contains(self, value: Any) -> bool:
        try:
            x = float(value)
        except (TypeError, ValueError):
            return False
        return self.low <= x <= self.high


class Int(Distribution):
    """An integer in [low, high] on a ``step`` lattice, uniform or log-uniform over the values."""

    kind = "int"

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1):
        for name, v in (("low", low), ("high", high), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise param_error("Int", name, "must be an int", v)
        low, high, step = int(low), int(high), int(step)
        if not low < high:
            raise ValueError(
                "The 'low' parameter of Int must be < high. "
                f"Got low={low!r}, high={high!r} instead."
            )
        if step < 1:
            raise param_error("Int", "step", "must be >= 1", step)
        if log and step != 1:
            raise ValueError(
                f"The 'step' parameter of Int must be 1 when log=True. Got {step!r} instead."
            )
        if log and low < 1:
            raise param_error("Int", "low", "must be >= 1 when log=True", low)
        if (high - low) % step:
            raise ValueError(
                f"The 'step' parameter of Int must divide high - low = {high - low}. "
                f"Got {step!r} instead."
            )
        self.low, self.high, self.log, self.step = low, high, bool(log), step

    def _fields(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}

    @property
    def size(self) -> int:
        return (self.high - self.low) // self.step + 1

    def _log_edges(self) -> tuple[float, float]:
        return math.log(self.low - 0.5), math.log(self.high + 0.5)

    def to_unit(self, value: Any) -> float:
        v = int(value)
        if self.log:
            a, b = self._log_edges()
            return (math.log(v) - a) / (b - a)
        return ((v - self.low) // self.step + 0.5) / self.size

    def from_unit(self, u: float) -> int:
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            a, b = self._log_edges()
            v = int(round(math.exp(a + u * (b - a))))
            return min(max(v, self.low), self.high)
        return self.low + min(int(u * self.size), self.size - 1) * self.step

    def grid(self, n: int | None = None) -> list[int]:
        values = list(range(self.low, self.high + 1, self.step))
        if n is None or n >= len(values):
            return values
        picks = np.linspace(0, len(values) - 1, n).round().astype(int)
        return [values[i] for i in dict.fromkeys(picks.tolist())]

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0


_JSON_SCALARS = (str, int, float, bool, type(None))
_NUMPY_KINDS = "biufU"  # numpy bools, ints, unsigned ints, floats, strings: stored as Python's
_OPTION_RULE = (
    "must hold only JSON scalars (str, int, float, bool, None; numpy bools, integers, floats "
    "and strings count as their Python values) or tuples or lists of them"
)


def plain_option(value: Any) -> Any:
    """A numpy scalar of a JSON kind as its Python value, a list as a tuple; else as is."""
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        if np.asarray(value).dtype.kind in _NUMPY_KINDS:
            return value.item()
    if isinstance(value, (tuple, list)):
        return tuple(plain_option(v) for v in value)
    return value


class Choice(Distribution):
    """One of a list of JSON scalars or tuples of them (``Choice([(64, 64), (128,)])``: stored
    as JSON lists, given back as tuples, a list value standing for its tuple); never averaged."""

    kind = "choice"

    def __init__(self, options: Sequence[Any]):
        if isinstance(options, np.ndarray) and options.ndim == 1:
            options = options.tolist()
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
            raise param_error("Choice", "options", "must be a list", options)
        options = [plain_option(o) for o in options]
        if not options:
            raise param_error("Choice", "options", "must not be empty", options)
        for i, opt in enumerate(options):
            for item in opt if isinstance(opt, tuple) else (opt,):
                if not isinstance(item, _JSON_SCALARS):
                    rule = f"{_OPTION_RULE}; option {i} has type {type(item).__name__}"
                    raise param_error("Choice", "options", rule, opt)
                if isinstance(item, float) and not math.isfinite(item):
                    raise param_error("Choice", "options", "must hold finite numbers", opt)
        keys = [json.dumps(o) for o in options]
        if len(set(keys)) != len(keys):
            raise param_error("Choice", "options", "must not repeat an option", options)
        self.options = options
        self._index = {k: i for i, k in enumerate(keys)}

    def _fields(self) -> dict[str, Any]:
        return {"options": [list(o) if isinstance(o, tuple) else o for o in self.options]}

    def canonical(self, value: Any) -> Any:
        """The option ``value`` stands for, as written (a list read back gives its tuple)."""
        return self.options[self.index(value)]

    def index(self, value: Any) -> int:
        try:
            return self._index[json.dumps(plain_option(value))]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not one of the options {self.options!r}.") from None

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.options)

    def from_unit(self, u: float) -> Any:
        u = min(max(float(u), 0.0), 1.0)
        return self.options[min(int(u * len(self.options)), len(self.options) - 1)]

    def grid(self, n: int | None = None) -> list[Any]:
        return list(self.options)

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True


_KINDS: dict[str, type[Distribution]] = {"float": Float, "int": Int, "choice": Choice}
