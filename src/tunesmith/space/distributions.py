"""Search-space distributions: validation, encoding to the unit interval, grid points.

Every strategy works in the unit cube [0, 1]^d; only these classes know real units. Integers and
choices (``tunesmith.space.choice``) use equal-width bins, so a uniform draw in the unit interval
is a uniform draw over the values and ``from_unit(to_unit(v)) == v`` holds exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Float", "Int", "Distribution"]


def param_error(owner: str, name: str, rule: str, got: Any) -> ValueError:
    """The project's message shape: The 'name' parameter of owner must .... Got x instead."""
    return ValueError(f"The {name!r} parameter of {owner} {rule}. Got {got!r} instead.")


def _finite_number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise param_error(owner, name, "must be a real number", value)
    if not math.isfinite(value):
        raise param_error(owner, name, "must be finite", value)
    return value


# kind -> class, filled as each subclass is defined (Choice's module is imported by the package
# __init__, so every kind is here before any from_json call can run).
_KINDS: dict[str, type[Distribution]] = {}


class Distribution:
    """Base class: a named range of values with a unit-interval encoding."""

    kind: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Registers a subclass that declares its own ``kind``, so from_json rebuilds it."""
        super().__init_subclass__(**kwargs)
        if "kind" in vars(cls):
            _KINDS[cls.kind] = cls

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
    """A real number in [low, high]: uniform, log-uniform (``log=True``) or on a ``step`` grid.

    Args:
        low: The lower bound, finite (and > 0 when ``log=True``).
        high: The upper bound, finite and > ``low``.
        log: Whether values are log-uniform: the unit interval maps to ``log(low)..log(high)``.
        step: The spacing of a grid of values ``low, low + step, ..., high``; must divide
            ``high - low`` and cannot be combined with ``log=True``. None: any real value.

    Raises:
        ValueError: When a bound is not a finite real number, ``low >= high``, ``low <= 0``
            with ``log=True``, or ``step`` is not positive, does not divide ``high - low`` or
            comes with ``log=True``.

    Examples:
        >>> from tunesmith.space.distributions import Float
        >>> Float(0.0, 1.0, step=0.25).grid()
        [0.0, 0.25, 0.5, 0.75, 1.0]
        >>> Float(1e-4, 1e-1, log=True).to_unit(1e-2)
        0.6666666666666666
    """

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
        """Encode a value to the unit interval, linearly (or in log space with ``log=True``).

        Args:
            value: A real number, normally in [low, high] (one outside maps outside [0, 1]).

        Returns:
            Its position in [0, 1]: 0 at ``low``, 1 at ``high``.
        """
        x = float(value)
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        """Decode a unit-interval position to a value, the inverse of :meth:`to_unit`.

        Args:
            u: A position; clipped to [0, 1].

        Returns:
            The value in [low, high], rounded to the nearest ``step`` point when there is one.
        """
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        elif self.step is not None:
            x = self.low + round(u * self._n_steps()) * self.step
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def grid(self, n: int | None = None) -> list[float]:
        """The values a grid search tries: the ``step`` points, or ``n`` evenly spaced points.

        Args:
            n: The number of points, evenly spaced in the unit encoding (log-spaced with
                ``log=True``) from ``low`` to ``high``; one point is the middle. None: every
                ``step`` point.

        Returns:
            The grid values in increasing order, without repeats.

        Raises:
            ValueError: When ``n`` is None and there is no ``step``, or ``n`` is not an
                int >= 1.
        """
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
        """Whether a value lies in [low, high] (the ``step`` grid is not checked).

        Args:
            value: Anything; one that does not convert to a float is not contained.

        Returns:
            True when ``low <= float(value) <= high``.
        """
        try:
            x = float(value)
        except (TypeError, ValueError):
            return False
        return self.low <= x <= self.high


class Int(Distribution):
    """An integer in [low, high] on a ``step`` lattice, uniform or log-uniform over the values.

    Each value owns an equal-width bin of the unit interval (of log space with ``log=True``),
    so a uniform draw there is a uniform draw over the values.

    Args:
        low: The smallest value (>= 1 when ``log=True``).
        high: The largest value, > ``low``.
        log: Whether values are log-uniform: bins of equal width in log space.
        step: The spacing of the values, >= 1, dividing ``high - low``; must be 1 when
            ``log=True``.

    Raises:
        ValueError: When a bound or ``step`` is not an int, ``low >= high``, ``step < 1``,
            ``step`` does not divide ``high - low``, or ``log=True`` comes with ``low < 1``
            or ``step != 1``.

    Examples:
        >>> from tunesmith.space.distributions import Int
        >>> Int(1, 10).grid(4)
        [1, 4, 7, 10]
        >>> Int(1, 10).from_unit(0.99)
        10
    """

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
        """Encode a value to the centre of its bin of the unit interval.

        Args:
            value: An integer of the lattice.

        Returns:
            The centre of the value's bin (in log space with ``log=True``), in (0, 1).
        """
        v = int(value)
        if self.log:
            a, b = self._log_edges()
            return (math.log(v) - a) / (b - a)
        return ((v - self.low) // self.step + 0.5) / self.size

    def from_unit(self, u: float) -> int:
        """Decode a unit-interval position to the value whose bin holds it.

        Args:
            u: A position; clipped to [0, 1].

        Returns:
            The lattice value in [low, high]; ``from_unit(to_unit(v)) == v``.
        """
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            a, b = self._log_edges()
            v = int(round(math.exp(a + u * (b - a))))
            return min(max(v, self.low), self.high)
        return self.low + min(int(u * self.size), self.size - 1) * self.step

    def grid(self, n: int | None = None) -> list[int]:
        """The values a grid search tries: every lattice value, or ``n`` evenly spaced ones.

        Args:
            n: The number of values to pick, evenly spaced over the lattice from ``low`` to
                ``high``. None, or at least the number of values: every value.

        Returns:
            The values in increasing order, without repeats.
        """
        values = list(range(self.low, self.high + 1, self.step))
        if n is None or n >= len(values):
            return values
        picks = np.linspace(0, len(values) - 1, n).round().astype(int)
        return [values[i] for i in dict.fromkeys(picks.tolist())]

    def contains(self, value: Any) -> bool:
        """Whether a value is an int on the lattice ``low, low + step, ..., high``.

        Args:
            value: Anything; a bool or a float (even ``3.0``) is not contained.

        Returns:
            True when ``value`` is an int (or numpy integer) of the lattice.
        """
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0
