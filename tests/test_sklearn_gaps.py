"""SearchCV: n_iter / random_state aliases, fitting again under one study name (resume or
start afresh), the pickled study rebuilt with add_trials, and random search on a small grid."""

from __future__ import annotations

import pickle
from itertools import product

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import stats  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import tunesmith as ts  # noqa: E402
from tunesmith.pruners import Median  # noqa: E402
from tunesmith.sklearn import SearchCV  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:120], y[:120]


def _params(search: SearchCV) -> list[dict]:
    return [t.params for t in search.study_.trials]


# -- 1. n_iter and random_state ---------------------------------------------------------------
_LOG_C = {"C": ts.Float(0.01, 100.0, log=True)}


def test_n_iter_and_random_state_search_as_n_trials_and_seed(iris):
    X, y = iris
    aliased = SearchCV(SVC(), _LOG_C, strategy="random", n_iter=4, random_state=3, cv=2)
    plain = SearchCV(SVC(), _LOG_C, strategy="random", n_trials=4, seed=3, cv=2)
    aliased.fit(X, y)
    plain.fit(X, y)
    assert len(aliased.cv_results_["params"]) == 4
    assert _params(aliased) == _params(plain)
    np.testing.assert_array_equal(
        aliased.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    other = SearchCV(SVC(), _LOG_C, strategy="random", n_iter=4, random_state=4, cv=2).fit(X, y)
    assert _params(other) != _params(plain)
    same = SearchCV(SVC(), _LOG_C, strategy="random", n_iter=4, n_trials=4, seed=3, cv=2)
    assert _params(same.set_params(random_state=3).fit(X, y)) == _params(plain)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"n_iter": 3, "n_trials": 4},
            r"The 'n_iter' parameter of SearchCV is an alias of 'n_trials': give one of them, "
            r"or the same value to both. Got n_iter=3 and n_trials=4 instead.",
        ),
        (
            {"random_state": 1, "seed": 2},
            r"The 'random_state' parameter of SearchCV is an alias of 'seed'.*"
            r"Got random_state=1 and seed=2 instead.",
        ),
        (
            {"random_state": np.random.RandomState(0), "seed": 0},
            r"The 'random_state' parameter of SearchCV is an alias of 'seed'.*"
            r"Got random_state=RandomState\(MT19937\).* and seed=0 instead.",
        ),
        ({"n_iter": 0}, r"The 'n_iter' parameter of SearchCV must be an int in the range"),
        ({"random_state": "x"}, r"The 'random_state' parameter of SearchCV must be"),
    ],
)
def test_alias_conflicts_and_bad_values_are_refused_at_fit(iris, kwargs, message):
    X, y = iris
    search = SearchCV(SVC(), {"C": [1.0, 2.0]}, cv=2, **kwargs)  # the constructor only stores
    with pytest.raises(ValueError, match=message):
        search.fit(X, y)


_NAMES = ("n_iter", "n_trials", "random_state", "seed")


def _settings(search: SearchCV) -> dict:
    return {name: search.get_params(deep=False)[name] for name in _NAMES}


def test_aliases_round_trip_through_get_params_set_params_and_clone():
    search = SearchCV(SVC(), {"C": [1.0]}, n_iter=5, random_state=7)
    assert _settings(search) == {"n_iter": 5, "n_trials": None, "random_state": 7, "seed": None}
    assert _settings(clone(search)) == _settings(search)
    twin = clone(search).set_params(**search.get_params(deep=False))  # both names at once
    assert _settings(twin) == _settings(search)
    both = SearchCV(SVC(), {"C": [1.0]}, n_trials=5, n_iter=5, seed=1, random_state=1)
    assert _settings(clone(both)) == {"n_iter": 5, "n_trials": 5, "random_state": 1, "seed": 1}


def test_set_params_of_one_name_replaces_the_setting(iris):
    X, y = iris
    search = SearchCV(SVC(), _LOG_C, strategy="random", n_trials=6, seed=0, cv=2)
    search.set_params(random_state=3, n_iter=4)
    assert (search.seed, search.n_trials) == (None, None)
    search.fit(X, y)  # no conflict: the new value replaced the old one
    plain = SearchCV(SVC(), _LOG_C, strategy="random", n_trials=4, seed=3, cv=2).fit(X, y)
    assert _params(search) == _params(plain)
    search.set_params(seed=5)
    assert (search.seed, search.random_state) == (5, None)
    search.set_params(random_state=None)  # None under one name leaves the other alone
    assert search.seed == 5


def test_random_state_instance_draws_a_seed_per_fit(iris):
    X, y = iris

    def fitted(state):
        return SearchCV(SVC(), _LOG_C, strategy="random", n_iter=3, random_state=state, cv=2)

    first = fitted(np.random.RandomState(0)).fit(X, y)
    again = fitted(np.random.RandomState(0)).fit(X, y)
    assert _params(first) == _params(again)  # the same state draws the same seed
    state = np.random.RandomState(0)
    search = fitted(state)
    one = _params(search.fit(X, y))
    two = _params(search.fit(X, y))
    assert one == _params(first) and two != one  # each fit draws a new seed


# -- 2. fitting again under one study name ------------------------------------------------------
class _Stop(BaseException):
    """An interruption (as Ctrl-C would be) raised from inside a fit."""


class _Interrupting(Ridge):
    """Ridge that raises ``_Stop`` at the ``stop_at``-th fit of the class (0: never)."""

    fits = 0
    stop_at = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        if type(self).fits == type(self).stop_at:
            raise _Stop
        return super().fit(X, y, sample_weight)


@pytest.fixture
def interrupting():
    _Interrupting.fits, _Interrupting.stop_at = 0, 0
    yield _Interrupting
    _Interrupting.fits, _Interrupting.stop_at = 0, 0


_ALPHA = {"alpha": ts.Float(0.01, 100.0, log=True)}
_ALPHAS = {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]}
_RESUMABLE = [
    pytest.param(
        dict(space=_ALPHA, strategy=ts.strategies.Genetic(population_size=2), n_trials=6),
        id="genetic",
    ),
    pytest.param(
        dict(space=_ALPHAS, strategy="grid", pruner=Median(n_startup_trials=2)), id="pruned-grid"
    ),
]


def _same_results(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)
    for key, value in expected.items():
        if key == "params":
            assert got[key] == value
        elif not key.endswith("_time"):
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(value), err_msg=key)


def _rows(results: dict, n: int) -> dict:
    """The first ``n`` rows of ``cv_results_``, without the ranks (which depend on the rest)."""
    return {k: v[:n] for k, v in results.items() if not k.startswith("rank_")}


@pytest.mark.parametrize("kwargs", _RESUMABLE)
def test_an_interrupted_fit_resumes_where_it_stopped(diabetes, tmp_path, interrupting, kwargs):
    X, y = diabetes
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    whole = SearchCV(interrupting(), cv=3, seed=0, **kwargs).fit(X, y)
    n = len(whole.cv_results_["params"])
    search = SearchCV(interrupting(), cv=3, seed=0, storage=url, study_name="s", **kwargs)
    interrupting.fits, interrupting.stop_at = 0, 10  # the 4th candidate's first fold
    with pytest.raises(_Stop):
        search.fit(X, y)
    interrupting.fits, interrupting.stop_at = 0, 1  # interrupted again at once
    with pytest.raises(_Stop):
        search.fit(X, y)
    interrupting.fits, interrupting.stop_at = 0, 0
    kept = [t for t in ts.load_study("s", url).trials if "cv_folds" in t.user_attrs]
    assert 0 < len(kept) < n
    search.fit(X, y)
    res = search.cv_results_
    assert len(res["params"]) == n
    # The kept candidates' rows come back from the study as they were; the interrupted batch
    # is evaluated next (later candidates may differ: a learning strategy's history now holds
    # the failed trials, and a resumed fit's first batch runs every fold, as any fit's does).
    _same_results(_rows(res, len(kept)), _rows(whole.cv_results_, len(kept)))
    assert res["params"][: len(kept) + 2] == whole.cv_results_["params"][: len(kept) + 2]
    splits = np.array([res[f"split{k}_test_score"] for k in range(3)])
    assert interrupting.fits == np.isfinite(splits[:, len(kept) :]).sum() + 1  # no refit of kept
    trials = ts.load_study("s", url).trials
    evaluated = [t for t in trials if "cv_folds" in t.user_attrs]
    assert [t.params for t in evaluated] == res["params"]
    stored = [
        [np.nan if v is None else v for v in t.user_attrs["split_test_scores"]] for t in evaluated
    ]
    np.testing.assert_array_equal(stored, splits.T)
    failed = [t for t in trials if t.state is ts.TrialState.FAIL]
    assert len(trials) == n + len(failed)  # each interrupted point queued once per resume
    assert "_Stop" in failed[0].error


def test_a_scipy_space_resumes_whatever_the_global_random_state(diabetes, tmp_path, interrupting):
    X, y = diabetes
    url = f"sqlite:///{tmp_path / 'scipy.db'}"
    search = SearchCV(
        interrupting(),
        {"alpha": stats.loguniform(0.01, 100.0)},
        strategy="random",
        n_trials=3,
        cv=3,
        seed=0,
        pruner=Median(n_startup_trials=5),  # one candidate at a time, never pruned
        storage=url,
        study_name="scipy",
    )
    interrupting.stop_at = 5  # in the second candidate: the first one is kept
    with pytest.raises(_Stop):
        search.fit(X, y)
    interrupting.fits, interrupting.stop_at = 0, 0
    np.random.random(3)  # the distribution objects share this state: it must not matter
    search.fit(X, y)
    assert interrupting.fits == 2 * 3 + 1  # the kept candidate is not fitted again
    assert len(search.cv_results_["params"]) == 3


def test_a_finished_fit_with_the_same_name_starts_afresh(iris, tmp_path):
    X, y = iris
    url = f"sqlite:///{tmp_path / 'again.db'}"
    search = SearchCV(SVC(), _LOG_C, strategy="random", n_trials=4, cv=3, storage=url)
    search.set_params(study_name="svc")
    first = _params(search.fit(X, y))
    first_results = search.cv_results_
    second = _params(search.fit(X, y))  # no seed: a fresh search draws other candidates
    assert second != first
    stored = ts.load_study("svc", url).trials
    assert [t.params for t in stored] == second and len(stored) == 4
    np.testing.assert_allclose([t.value for t in stored], search.cv_results_["mean_test_score"])
    seeded = clone(search).set_params(seed=1)
    a = seeded.fit(X, y).cv_results_
    b = seeded.fit(X, y).cv_results_
    _same_results(b, a)
    assert len(ts.load_study("svc", url).trials) == 4
    assert len(first_results["params"]) == 4


@pytest.mark.parametrize("change", ["data", "settings"])
def test_an_interrupted_fit_of_another_search_is_replaced(diabetes, tmp_path, interrupting, change):
    X, y = diabetes
    url = f"sqlite:///{tmp_path / 'other.db'}"
    grid = {"alpha": [0.1, 1.0, 10.0]}
    kwargs = dict(strategy="grid", cv=3, pruner=Median(n_startup_trials=5))  # one at a time

    def make(**more):
        return SearchCV(interrupting(), grid, storage=url, study_name="r", **kwargs, **more)

    interrupting.stop_at = 5  # in the second candidate: the first one is kept
    with pytest.raises(_Stop):
        make().fit(X, y)
    interrupting.fits, interrupting.stop_at = 0, 0
    if change == "data":
        X, y, more = X[::-1], y[::-1], {}  # the same folds' indices over other rows
    else:
        more = {"scoring": "neg_mean_absolute_error"}
    search = make(**more).fit(X, y)
    assert interrupting.fits == 3 * 3 + 1  # every candidate evaluated afresh, then the refit
    expected = SearchCV(Ridge(), grid, **kwargs, **more).fit(X, y)
    _same_results(search.cv_results_, expected.cv_results_)
    stored = ts.load_study("r", url).trials
    assert len(stored) == 3 and all(t.state is ts.TrialState.COMPLETE for t in stored)


def test_a_study_searchcv_did_not_create_is_never_replaced(iris, tmp_path):
    X, y = iris
    url = f"sqlite:///{tmp_path / 'theirs.db'}"
    theirs = ts.create_study(name="mine", storage=url, space={"x": ts.Float(0, 1)})
    theirs.tell(theirs.ask(), 0.5)
    search = SearchCV(SVC(), {"C": [1.0]}, cv=2, storage=url, study_name="mine")
    with pytest.raises(ts.StorageError, match="The 'study_name' parameter of SearchCV names a"):
        search.fit(X, y)
    assert [t.value for t in ts.load_study("mine", url).trials] == [0.5]


# -- 3. the pickled study comes back through add_trials ------------------------------------------
class _Flaky(ClassifierMixin, BaseEstimator):
    """Fails to fit when ``fail`` is set; else predicts the majority class."""

    def __init__(self, fail=False, C=1.0):
        self.fail = fail
        self.C = C

    def fit(self, X, y):
        if self.fail:
            raise ValueError("flaky failed on purpose")
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_pickle_rebuilds_the_in_memory_study_as_it_was(iris):
    X, y = iris
    space = {"fail": [False, True], "C": stats.uniform(0, 1)}
    search = SearchCV(_Flaky(), space, strategy="random", n_trials=6, cv=2, seed=2)
    with pytest.warns(FitFailedWarning, match="flaky failed on purpose"):
        search.fit(X, y)
    trials = search.study_.trials
    assert {t.state for t in trials} == {ts.TrialState.COMPLETE, ts.TrialState.FAIL}
    back = pickle.loads(pickle.dumps(search)).study_.trials
    fields = ("number", "state", "params", "values", "intermediate", "user_attrs", "error")
    for field in (*fields, "started", "finished", "system_attrs"):
        assert [getattr(t, field) for t in back] == [getattr(t, field) for t in trials], field


# -- 4. random search over a grid smaller than the budget -------------------------------------
_GRID = {"C": ts.Choice([0.1, 1.0, 10.0]), "kernel": ts.Choice(["linear", "rbf"])}


def test_random_search_on_a_small_grid_evaluates_each_point_once(iris):
    X, y = iris
    search = SearchCV(SVC(), _GRID, strategy="random", n_iter=20, cv=3, random_state=0)
    search.fit(X, y)
    rows = search.cv_results_["params"]
    assert len(rows) == 6 == len(search.study_.trials)
    expected = [{"C": c, "kernel": k} for c, k in product([0.1, 1.0, 10.0], ["linear", "rbf"])]
    key = lambda p: (p["C"], p["kernel"])  # noqa: E731
    assert sorted(rows, key=key) == sorted(expected, key=key)
    assert all(t.state is ts.TrialState.COMPLETE for t in search.study_.trials)


class _Stops(ts.strategies.Strategy):
    """Proposes ``alpha`` = 1, 2, 3 one at a time, then nothing: exhausted after three."""

    name = "stops"

    def propose(self, history, space, n, rng):
        return [{"alpha": float(len(history) + 1)}] if len(history) < 3 else []


def test_a_study_with_nothing_left_ends_the_fit(diabetes, tmp_path):
    X, y = diabetes
    url = f"sqlite:///{tmp_path / 'stops.db'}"
    space = {"alpha": ts.Float(0.5, 10.0)}
    search = SearchCV(Ridge(), space, strategy=_Stops(), n_trials=10, cv=2, seed=0)
    search.set_params(storage=url, study_name="stops")
    for _ in range(2):  # the second fit: the stored search had ended, so it starts afresh
        search.fit(X, y)
        assert [p["alpha"] for p in search.cv_results_["params"]] == [1.0, 2.0, 3.0]
        assert len(ts.load_study("stops", url, strategy=_Stops()).trials) == 3
