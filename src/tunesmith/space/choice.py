"""Choice: one of a list of options, each owning an equal-width bin of the unit interval.

Options are JSON scalars or tuples of them, stored as plain JSON (tuples as lists) and given back
as written, so ``from_unit(to_unit(v)) == v`` holds exactly; a choice is never averaged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunesmith.space.distributions import Distribution, param_error

__all__ = ["Choice", "plain_option"]


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
    as JSON lists, given back as tuples, a list value standing for its tuple); never averaged.

    Each option owns an equal-width bin of the unit interval, in the order given.

    Args:
        options: The options, a non-empty sequence (or 1-d numpy array) of distinct JSON
            scalars (numpy scalars count as their Python values) or tuples or lists of them;
            floats must be finite.

    Raises:
        ValueError: When ``options`` is not a sequence, is empty, repeats an option, or holds
            something other than JSON scalars or tuples of them.

    Examples:
        >>> from tunesmith.space.choice import Choice
        >>> layers = Choice(["relu", "tanh", (64, 64)])
        >>> layers.canonical([64, 64])
        (64, 64)
        >>> layers.to_unit("tanh")
        0.5
    """

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
        """The option ``value`` stands for, as written (a list read back gives its tuple).

        Args:
            value: An option, or a value equal to one once numpy scalars become Python values
                and lists tuples.

        Returns:
            The option as stored in ``options``.

        Raises:
            ValueError: When ``value`` is not one of the options.
        """
        return self.options[self.index(value)]

    def index(self, value: Any) -> int:
        """The position of the option ``value`` stands for, compared as JSON.

        Args:
            value: An option (a list stands for its tuple, a numpy scalar for its value).

        Returns:
            Its index in ``options``.

        Raises:
            ValueError: When ``value`` is not one of the options.
        """
        try:
            return self._index[json.dumps(plain_option(value))]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not one of the options {self.options!r}.") from None

    def to_unit(self, value: Any) -> float:
        """Encode an option to the centre of its bin of the unit interval.

        Args:
            value: One of the options.

        Returns:
            ``(index + 0.5) / len(options)``.

        Raises:
            ValueError: When ``value`` is not one of the options.
        """
        return (self.index(value) + 0.5) / len(self.options)

    def from_unit(self, u: float) -> Any:
        """Decode a unit-interval position to the option whose bin holds it.

        Args:
            u: A position; clipped to [0, 1].

        Returns:
            The option, as stored (tuples for tuple options).
        """
        u = min(max(float(u), 0.0), 1.0)
        return self.options[min(int(u * len(self.options)), len(self.options) - 1)]

    def grid(self, n: int | None = None) -> list[Any]:
        """The values a grid search tries: every option, whatever ``n``.

        Args:
            n: Ignored; a choice has no fewer points to pick.

        Returns:
            The options in the order given.
        """
        return list(self.options)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` stands for one of the options (see :meth:`index`).

        Args:
            value: Anything.

        Returns:
            True when ``value`` is an option, a list standing for a tuple option included.
        """
        try:
            self.index(value)
        except ValueError:
            return False
        return True
