"""Hyperparameter importance: each parameter's share of the objective's variance, summing to 1.

``importance(study)`` -> {name: share}; ``importance_with_spread(study)`` -> {name: (mean, std)}
over repeated fits. Two methods: "fanova" (functional ANOVA over a random forest, main effects;
needs ``pip install "tunesmith[sklearn]"``) and "ped" (model-free, numpy only). ``StudyData``
wraps stored trials (no storage needed) for readers that do not hold a Study.
"""

from tunesmith.importance.data import MIN_TRIALS, StudyData
from tunesmith.importance.shares import METHODS, importance, importance_with_spread

__all__ = ["METHODS", "MIN_TRIALS", "StudyData", "importance", "importance_with_spread"]
