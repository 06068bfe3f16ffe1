"""SearchCV's alias parameters: ``n_iter`` for ``n_trials`` and ``random_state`` for ``seed``.

Rule: an alias and its original are one setting. Either may be given; both may be given only
with the same value (a fit refuses different ones, naming both). ``set_params`` of one name
alone replaces the setting: the other name goes back to None. ``random_state`` also takes a
``numpy.random.RandomState``, as the randomized search of scikit-learn does: each fit then
draws its seed from it, so two fits search different candidates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ALIASES", "AliasParams", "budget_and_seed"]

# alias -> the SearchCV parameter it stands for
ALIASES = {"n_iter": "n_trials", "random_state": "seed"}
_SEED_RANGE = 2**31 - 1  # a seed drawn from a RandomState lies in [0, 2**31 - 1)


def _conflict(alias: str, alias_value: Any, value: Any) -> ValueError:
    original = ALIASES[alias]
    return ValueError(
        f"The '{alias}' parameter of SearchCV is an alias of '{original}': give one of them, "
        f"or the same value to both. Got {alias}={alias_value!r} and {original}={value!r} "
        "instead."
    )


def _budget(n_trials: int | None, n_iter: int | None) -> int | None:
    """The number of candidates asked for, under either name (rule: the same value)."""
    if n_iter is None:
        return n_trials
    if n_trials is not None and int(n_trials) != int(n_iter):
        raise _conflict("n_iter", n_iter, n_trials)
    return int(n_iter)


def _seed(seed: int | None, random_state: Any) -> int | None:
    """The study's seed, under either name; a RandomState gives a fresh draw each call (rule:
    the same value when both are given, so a RandomState with a seed is refused)."""
    if random_state is None:
        return seed
    if isinstance(random_state, np.random.RandomState):
        if seed is not None:
            raise _conflict("random_state", random_state, seed)
        return int(random_state.randint(_SEED_RANGE))
    if seed is not None and int(seed) != int(random_state):  # an int, by the constraint
        raise _conflict("random_state", random_state, seed)
    return int(random_state)


def budget_and_seed(search: Any) -> tuple[int | None, int | None]:
    """``(n_trials, seed)`` of one fit, each from its own parameter or from its alias."""
    return _budget(search.n_trials, search.n_iter), _seed(search.seed, search.random_state)


class AliasParams:
    """Mixin of SearchCV: ``set_params`` of an alias or its original alone replaces the one
    setting they name (the module's rule)."""

    def set_params(self, **params: Any) -> Any:
        """Set parameters as BaseEstimator does; a new value under one name of an aliased
        setting, the other name not given, resets that other name to None."""
        pairs = [*ALIASES.items(), *((o, a) for a, o in ALIASES.items())]
        for name, other in pairs:
            if params.get(name) is not None and other not in params:
                params[other] = None
        return super().set_params(**params)  # type: ignore[misc]
