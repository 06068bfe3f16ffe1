"""scikit-learn face: ``SearchCV``, a GridSearchCV and RandomizedSearchCV drop-in.

Needs scikit-learn: ``pip install "tunesmith[sklearn]"``.
"""

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised with scikit-learn hidden
    raise ImportError(
        'tunesmith.sklearn needs scikit-learn: pip install "tunesmith[sklearn]"'
    ) from exc

from tunesmith.sklearn.search import SearchCV

__all__ = ["SearchCV"]
