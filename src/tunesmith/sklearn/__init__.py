"""scikit-learn face: ``SearchCV``, a GridSearchCV and RandomizedSearchCV drop-in."""

from tunesmith.sklearn.search import SearchCV

__all__ = ["SearchCV"]
