"""Hyperparameter importance: each parameter's share of the objective's variance, summing to 1.

``tunesmith.importance(study)`` (this package is callable) or ``importance(study)`` -> {name:
share}; ``importance_with_spread(study)`` -> {name: (mean, std)}
over repeated fits. Two methods: "fanova" (functional ANOVA over a random forest, main effects;
needs ``pip install "tunesmith[sklearn]"``) and "ped" (model-free, numpy only). ``StudyData``
wraps stored trials (no storage needed) for readers that do not hold a Study.
"""

import sys
import types
from typing import Any

from tunesmith.importance.data import MIN_TRIALS, StudyData
from tunesmith.importance.shares import METHODS, importance, importance_with_spread

__all__ = ["METHODS", "MIN_TRIALS", "StudyData", "importance", "importance_with_spread"]


class _CallableModule(types.ModuleType):
    """``tunesmith.importance(study)`` calls ``importance`` (the documented entry point), while
    ``tunesmith.importance`` stays the package its functions live in."""

    def __call__(self, study: Any, **options: Any) -> dict[str, float]:
        """Each parameter's share of the variance: see ``importance``."""
        return importance(study, **options)


sys.modules[__name__].__class__ = _CallableModule
