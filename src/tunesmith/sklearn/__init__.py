"""scikit-learn face: ``SearchCV``, a GridSearchCV / RandomizedSearchCV drop-in over every strategy."""

from tunesmith.sklearn.search import SearchCV

__all__ = ["SearchCV"]
