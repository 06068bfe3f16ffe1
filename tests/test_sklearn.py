"""SearchCV: GridSearchCV's contract (estimator checks, cv_results_ parity) plus the study."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import stats  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, is_classifier  # noqa: E402
from sklearn.datasets import load_iris, make_classification, make_regression  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    GroupKFold,
    KFold,
    ParameterGrid,
    cross_val_score,
)
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import tunesmith as ts  # noqa: E402
from tunesmith.pruners import Median  # noqa: E402
from tunesmith.sklearn import SearchCV  # noqa: E402


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def regression():
    return make_regression(n_samples=80, n_features=5, noise=5.0, random_state=0)


@pytest.fixture(scope="module")
def binary():
    return make_classification(n_samples=120, n_features=6, random_state=0)


# -- scikit-learn's estimator checks, built as scikit-learn builds its own search classes ---
# scikit-learn expects this failure of GridSearchCV and RandomizedSearchCV too: the search
# does not warn when a single-output regressor gets a 2-d y.
_Y_2D = {"check_supervised_y_2d": "DataConversionWarning not caught"}


@parametrize_with_checks(
    [
        SearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2, error_score="raise", seed=0),
        SearchCV(
            RidgeClassifier(), {"alpha": [0.1, 1.0]}, cv=2, error_score="raise", strategy="grid"
        ),
        SearchCV(
            KNeighborsClassifier(),
            {"n_neighbors": [1, 3]},
            cv=2,
            error_score="raise",
            strategy="genetic",
            seed=0,
        ),
        SearchCV(
            Pipeline([("scale", StandardScaler()), ("ridge", Ridge())]),
            {"ridge__alpha": ts.Float(0.1, 10.0, log=True)},
            n_trials=2,
            cv=2,
            error_score="raise",
            seed=0,
        ),
    ],
    expected_failed_checks=lambda est: {} if is_classifier(est) else _Y_2D,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- cv_results_ parity with GridSearchCV ---------------------------------------------------
def _assert_same_results(ours: dict, theirs: dict) -> None:
    assert list(ours) == list(theirs)
    for key, expected in theirs.items():
        got = ours[key]
        if key.endswith("_time"):
            assert np.asarray(got).shape == np.asarray(expected).shape
        elif key == "params":
            assert got == expected
        elif key.startswith("param_"):
            assert list(np.ma.getmaskarray(got)) == list(np.ma.getmaskarray(expected))
            assert [repr(v) for v in got.data[~got.mask]] == [
                repr(v) for v in expected.data[~expected.mask]
            ]
        else:
            np.testing.assert_array_equal(got, expected, err_msg=key)


_SCALERS = [StandardScaler(), MinMaxScaler(), "passthrough"]
PARITY_CASES = [
    ("svc", SVC(), {"C": [0.1, 1.0, 10.0], "gamma": [0.01, 0.1, 1.0]}, "iris", {}),
    ("ridge", Ridge(), {"alpha": np.logspace(-2, 2, 5)}, "regression", {}),
    (
        "tree",
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2, 3, None], "criterion": ["gini", "entropy"]},
        "binary",
        {"return_train_score": True},
    ),
    (
        "pipeline",
        Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))]),
        {"scale": _SCALERS, "clf__C": [0.1, 1.0]},
        "binary",
        {},
    ),
    (
        "sub-grids",
        SVC(),
        [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "gamma": [0.1, 1.0], "C": [1]}],
        "iris",
        {"scoring": {"acc": "accuracy", "f1": "f1_macro"}, "refit": "f1"},
    ),
]


@pytest.mark.parametrize(
    "estimator, grid, data, kwargs", [c[1:] for c in PARITY_CASES], ids=[c[0] for c in PARITY_CASES]
)
def test_grid_matches_gridsearchcv(request, estimator, grid, data, kwargs):
    X, y = request.getfixturevalue(data)
    theirs = GridSearchCV(estimator, grid, cv=3, **kwargs).fit(X, y)
    ours = SearchCV(estimator, grid, strategy="grid", cv=3, **kwargs).fit(X, y)
    assert ours.cv_results_["params"] == list(ParameterGrid(grid))
    _assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    assert ours.n_splits_ == theirs.n_splits_ == 3
    assert ours.multimetric_ == theirs.multimetric_
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y)
    assert ours.refit_time_ >= 0
    trials = ours.study_.trials
    assert [t.state for t in trials] == [ts.TrialState.COMPLETE] * len(ParameterGrid(grid))
    metric = kwargs.get("refit", "score")
    np.testing.assert_allclose(
        [t.value for t in trials], ours.cv_results_[f"mean_test_{metric}"], rtol=1e-12
    )


def test_grid_parity_in_parallel(iris):
    X, y = iris
    grid = {"C": [0.5, 5.0], "kernel": ["linear", "rbf"]}
    theirs = GridSearchCV(SVC(), grid, cv=3, n_jobs=2).fit(X, y)
    ours = SearchCV(SVC(), grid, strategy="grid", cv=3, n_jobs=2).fit(X, y)
    _assert_same_results(ours.cv_results_, theirs.cv_results_)


@pytest.mark.parametrize("pruner", [None, "never"])
def test_groups_and_fit_params_reach_splitter_and_estimator(binary, pruner):
    X, y = binary
    groups = np.arange(len(y)) % 4
    weights = np.linspace(0.5, 1.5, len(y))
    grid = {"C": [0.1, 1.0, 10.0]}
    theirs = GridSearchCV(LogisticRegression(), grid, cv=GroupKFold(4), return_train_score=True)
    theirs.fit(X, y, groups=groups, sample_weight=weights)
    ours = SearchCV(
        LogisticRegression(),
        grid,
        strategy="grid",
        cv=GroupKFold(4),
        return_train_score=True,
        pruner=_WorseThanBest(margin=1.0) if pruner else None,  # runs fold by fold, prunes none
    )
    ours.fit(X, y, groups=groups, sample_weight=weights)
    results = dict(ours.cv_results_)
    if pruner:
        assert results.pop("pruned").tolist() == [False] * 3
    _assert_same_results(results, theirs.cv_results_)


def test_delegates_like_gridsearchcv(iris):
    X, y = iris
    search = SearchCV(LogisticRegression(max_iter=1000), {"C": [1.0, 10.0]}, cv=3, seed=0)
    search.fit(X, y)
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_features_in_ == 4
    assert search.predict_proba(X).shape == (150, 3)
    assert search.decision_function(X).shape == (150, 3)
    scaler = SearchCV(
        Pipeline([("scale", StandardScaler()), ("ridge", Ridge())]),
        {"ridge__alpha": [1.0]},
        cv=3,
    ).fit(X, y)
    assert scaler.best_estimator_.named_steps["scale"].n_features_in_ == 4


# -- error_score ----------------------------------------------------------------------------
class _Flaky(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; ``fit`` raises when ``fail`` is True."""

    def __init__(self, fail: bool = False, bias: int = 0):
        self.fail = fail
        self.bias = bias

    def fit(self, X, y):
        if self.fail:
            raise ValueError("flaky failed on purpose")
        self.classes_ = np.unique(y)
        self.majority_ = self.classes_[(np.bincount(y).argmax() + self.bias) % len(self.classes_)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_failing_fit_gives_nan_and_warning(binary, tmp_path):
    X, y = binary
    url = f"sqlite:///{tmp_path / 'fail.db'}"
    search = SearchCV(_Flaky(), {"fail": [False, True]}, strategy="grid", cv=3, storage=url)
    with pytest.warns(FitFailedWarning, match="flaky failed on purpose"):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][1])
    assert search.cv_results_["rank_test_score"][1] == 2
    assert search.best_params_ == {"fail": False}
    states = [t.state for t in search.study_.trials]
    assert states == [ts.TrialState.COMPLETE, ts.TrialState.FAIL]
    assert "non-finite" in search.study_.trials[1].error


def test_numeric_error_score_is_the_score(binary):
    X, y = binary
    search = SearchCV(_Flaky(), {"fail": [True, False]}, strategy="grid", cv=3, error_score=0.0)
    with pytest.warns(FitFailedWarning):
        search.fit(X, y)
    assert search.cv_results_["mean_test_score"][0] == 0.0
    assert search.study_.trials[0].value == 0.0


def test_error_score_raise_raises_and_keeps_the_record(binary, tmp_path):
    X, y = binary
    url = f"sqlite:///{tmp_path / 'raise.db'}"
    search = SearchCV(
        _Flaky(),
        {"fail": [False, True]},
        strategy="genetic",
        n_trials=2,
        cv=3,
        error_score="raise",
        storage=url,
        study_name="flaky",
        seed=0,
    )
    with pytest.raises(ValueError, match="flaky failed on purpose"):
        search.fit(X, y)
    assert not hasattr(search, "study_")
    stored = ts.load_study("flaky", url).trials
    assert stored and all(t.state is ts.TrialState.FAIL for t in stored)
    assert "flaky failed on purpose" in stored[0].error


# -- multi-metric ---------------------------------------------------------------------------
def test_multimetric_refit_by_name(iris):
    X, y = iris
    scoring = {"acc": "accuracy", "bal": "balanced_accuracy"}
    grid = {"C": [0.01, 1.0], "kernel": ["linear", "rbf"]}
    search = SearchCV(SVC(), grid, scoring=scoring, refit="bal", cv=3, seed=1).fit(X, y)
    for name in scoring:
        for key in (f"mean_test_{name}", f"std_test_{name}", f"rank_test_{name}"):
            assert key in search.cv_results_
    assert set(search.scorer_) == set(scoring)
    assert search.best_score_ == search.cv_results_["mean_test_bal"][search.best_index_]
    values = [t.value for t in search.study_.trials]
    np.testing.assert_allclose(values, search.cv_results_["mean_test_bal"])


def test_multimetric_without_refit(iris):
    X, y = iris
    search = SearchCV(
        SVC(), {"C": [0.1, 1.0]}, scoring=["accuracy", "f1_macro"], refit=False, cv=3, seed=0
    ).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    np.testing.assert_allclose(
        [t.value for t in search.study_.trials], search.cv_results_["mean_test_accuracy"]
    )
    with pytest.raises(ValueError, match="refit"):
        SearchCV(SVC(), {"C": [1.0]}, scoring=["accuracy", "f1_macro"], cv=3).fit(X, y)


# -- pickling and storage -------------------------------------------------------------------
def _same_trials(a: ts.Study, b: ts.Study) -> None:
    ta, tb = a.trials, b.trials
    assert [(t.number, t.state, t.params, t.values) for t in ta] == [
        (t.number, t.state, t.params, t.values) for t in tb
    ]
    assert [t.intermediate for t in ta] == [t.intermediate for t in tb]
    assert [t.user_attrs for t in ta] == [t.user_attrs for t in tb]


def test_pickle_with_study_in_memory(iris):
    X, y = iris
    grid = {"scale": _SCALERS, "svc__C": [0.1, 10.0]}
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    search = SearchCV(pipe, grid, strategy="grid", cv=3).fit(X, y)
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    assert isinstance(back.study_, ts.Study)
    _same_trials(back.study_, search.study_)
    assert back.study_.best_value == search.best_score_


def test_pickle_with_sql_study_reopens_it(iris, tmp_path):
    X, y = iris
    url = f"sqlite:///{tmp_path / 'search.db'}"
    search = SearchCV(SVC(), {"C": [0.1, 1.0, 10.0]}, cv=3, storage=url, seed=0, n_trials=3)
    search.fit(X, y)
    blob = pickle.dumps(search)
    back = pickle.loads(blob)
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    assert back.study_.study_name == search.study_.study_name
    _same_trials(back.study_, search.study_)
    search.set_params(storage=f"sqlite:///{tmp_path / 'missing' / 'gone.db'}")
    with pytest.warns(UserWarning, match="in-memory copy"):
        copy = pickle.loads(pickle.dumps(search))
    _same_trials(copy.study_, search.study_)
    np.testing.assert_array_equal(copy.predict(X), search.predict(X))


def test_storage_holds_every_candidate(iris, tmp_path):
    X, y = iris
    url = f"sqlite:///{tmp_path / 'all.db'}"
    space = {"C": ts.Float(0.01, 100.0, log=True), "kernel": ["linear", "rbf"]}
    search = SearchCV(
        SVC(), space, strategy="random", n_trials=6, cv=3, storage=url, study_name="svc", seed=3
    ).fit(X, y)
    stored = ts.load_study("svc", url).trials
    assert len(stored) == 6 == len(search.cv_results_["params"])
    for t, params, mean in zip(
        stored, search.cv_results_["params"], search.cv_results_["mean_test_score"]
    ):
        assert t.state is ts.TrialState.COMPLETE
        assert t.params == params
        assert t.value == pytest.approx(mean)
        assert len(t.intermediate) == 3 and t.intermediate[2] == pytest.approx(mean)
    search.fit(X, y)  # a finished search under the same name starts afresh
    assert len(ts.load_study("svc", url).trials) == 6


# -- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"n_trials": 0},
            r"The 'n_trials' parameter of SearchCV must be an int in the range "
            r"\[1, inf\) or None. Got 0 instead.",
        ),
        ({"seed": -1}, "The 'seed' parameter of SearchCV must be an int in the range"),
        ({"pruner": "median"}, "The 'pruner' parameter of SearchCV must be an object"),
        ({"storage": 3}, "The 'storage' parameter of SearchCV must be"),
        ({"study_name": 3}, "The 'study_name' parameter of SearchCV must be"),
        ({"strategy": "nope"}, "The 'strategy' parameter of SearchCV must be a Strategy or one"),
        ({"space": {"C": 1.0}}, "The 'space' parameter of SearchCV must map 'C' to a list"),
        ({"space": {"C": []}}, "The 'space' parameter of SearchCV must map 'C' to a non-empty"),
        ({"space": []}, "The 'space' parameter of SearchCV must not be an empty list"),
        ({"space": "C"}, "The 'space' parameter of SearchCV must be an instance of 'dict'"),
        (
            {"space": {"C": stats.uniform(0, 1)}, "strategy": "grid"},
            "Grid search needs a list or a tunesmith distribution for 'C'",
        ),
        (
            {"space": {"C": ts.Float(0.1, 1.0)}, "strategy": "grid"},
            "'C' is Float.* with no step",
        ),
    ],
)
def test_arguments_are_checked_at_fit(iris, kwargs, message):
    X, y = iris
    args = {"space": {"C": [1.0]}, **kwargs}
    search = SearchCV(SVC(), **args)  # the constructor only stores
    with pytest.raises(ValueError, match=message):
        search.fit(X, y)


def test_import_tunesmith_does_not_import_sklearn():
    code = "import sys, tunesmith; assert 'sklearn' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_names_the_extra():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import tunesmith.sklearn\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "tunesmith[sklearn]"' in out.stdout


# -- spaces ---------------------------------------------------------------------------------
class _RvsOnly:
    """A distribution with only ``rvs``, as RandomizedSearchCV accepts."""

    def rvs(self, random_state=None):
        return float(random_state.choice([0.5, 5.0]))


def test_scipy_distributions(iris):
    X, y = iris
    space = {
        "C": stats.loguniform(1e-2, 1e2),
        "degree": stats.randint(2, 5),
        "coef0": stats.uniform(0.0, 1.0),
        "gamma": _RvsOnly(),
        "kernel": ["poly", "rbf"],
    }
    search = SearchCV(SVC(), space, n_trials=8, cv=3, seed=7).fit(X, y)
    params = search.cv_results_["params"]
    assert len(params) == 8
    for p in params:
        assert 1e-2 <= p["C"] <= 1e2
        assert type(p["degree"]) is int and 2 <= p["degree"] <= 4
        assert 0.0 <= p["coef0"] <= 1.0
        assert p["gamma"] in (0.5, 5.0)
    assert len({p["C"] for p in params}) == 8
    assert search.study_.trials[0].user_attrs["params"] == params[0]
    again = SearchCV(SVC(), space, n_trials=8, cv=3, seed=7).fit(X, y)
    assert again.cv_results_["params"] == params


def test_sub_grids_with_a_learning_strategy(iris):
    X, y = iris
    grid = [{"kernel": ["linear"], "C": [0.1, 1.0, 10.0]}, {"kernel": ["rbf"], "gamma": [0.1, 1]}]
    search = SearchCV(SVC(), grid, strategy="genetic", n_trials=5, cv=3, seed=0).fit(X, y)
    allowed = list(ParameterGrid(grid))
    params = search.cv_results_["params"]
    assert len(params) == 5 and all(p in allowed for p in params)
    assert len({repr(sorted(p.items())) for p in params}) == 5  # no candidate twice
    assert search.study_.trials[0].user_attrs["params"] == params[0]
    assert search.study_.trials[0].params == {"candidate": allowed.index(params[0])}


def test_continuous_sub_grids(iris):
    X, y = iris
    grid = [
        {"kernel": ["linear"], "C": stats.loguniform(0.1, 10.0)},
        {"kernel": ["rbf"], "gamma": ts.Float(0.01, 1.0, log=True)},
    ]
    search = SearchCV(SVC(), grid, strategy="random", n_trials=8, cv=3, seed=0).fit(X, y)
    kernels = set()
    for p in search.cv_results_["params"]:
        kernels.add(p["kernel"])
        assert set(p) == ({"kernel", "C"} if p["kernel"] == "linear" else {"kernel", "gamma"})
    assert kernels == {"linear", "rbf"}
    assert np.ma.is_masked(search.cv_results_["param_gamma"])


def test_estimator_objects_are_stored_as_indexes(binary):
    X, y = binary
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    search = SearchCV(pipe, {"scale": _SCALERS}, strategy="grid", cv=3).fit(X, y)
    trials = search.study_.trials
    assert [t.params for t in trials] == [{"scale": 0}, {"scale": 1}, {"scale": 2}]
    assert trials[1].user_attrs["params"] == {"scale": "MinMaxScaler()"}
    assert search.cv_results_["params"][1]["scale"] is _SCALERS[1]
    assert search.best_estimator_.named_steps["scale"] is not _SCALERS[search.best_index_]


def test_default_number_of_trials(iris):
    X, y = iris
    grid = {"C": [0.1, 1.0, 10.0], "gamma": [0.1, 1.0]}
    assert len(SearchCV(SVC(), grid, strategy="grid", cv=2).fit(X, y).cv_results_["params"]) == 6
    big = {"C": ts.Float(0.1, 10.0, log=True)}
    assert len(SearchCV(SVC(), big, strategy="random", cv=2, seed=0).fit(X, y).study_.trials) == 10
    few = SearchCV(SVC(), {"C": [0.1, 1.0]}, strategy="random", cv=2, seed=0).fit(X, y)
    assert len(few.cv_results_["params"]) == 2
    first = SearchCV(SVC(), grid, strategy="grid", n_trials=4, cv=2).fit(X, y)
    assert first.cv_results_["params"] == list(ParameterGrid(grid))[:4]


def test_auto_searches_a_finite_grid_whole(iris):
    X, y = iris
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    search = SearchCV(SVC(), grid, cv=3).fit(X, y)
    assert search.study_.strategy.name == "grid"
    assert search.cv_results_["params"] == list(ParameterGrid(grid))
    within = SearchCV(SVC(), grid, n_trials=2, cv=3, seed=0).fit(X, y)
    assert within.study_.strategy.name != "grid"
    assert len(within.cv_results_["params"]) == 2
    endless = SearchCV(SVC(), {"C": ts.Float(0.1, 10.0, log=True)}, cv=3, seed=0).fit(X, y)
    assert len(endless.cv_results_["params"]) == 10


def test_every_batch_sees_the_same_folds(iris):
    X, y = iris

    class CountingKFold(KFold):
        calls = 0

        def split(self, X, y=None, groups=None):
            type(self).calls += 1
            return super().split(X, y, groups)

    cv = CountingKFold(3, shuffle=True)  # no random_state: each split() call differs
    search = SearchCV(
        SVC(), {"C": ts.Float(0.1, 10.0, log=True)}, strategy="genetic", n_trials=6, cv=cv
    )
    search.set_params(strategy=ts.strategies.Genetic(population_size=2), seed=0).fit(X, y)
    assert CountingKFold.calls == 1
    assert len(search.cv_results_["params"]) == 6


class _OneAtATime(ts.strategies.Strategy):
    """Proposes a single candidate per call, whatever it is asked for: alpha = 10 ** number.

    Its ``population_size`` makes SearchCV ask for three at a time, and get fewer."""

    name = "one-at-a-time"
    population_size = 3

    def propose(self, history, space, n, rng):
        return [{"alpha": float(10.0 ** len(history))}]


@pytest.mark.parametrize(
    "strategy, n_batches",
    [(lambda: ts.strategies.Genetic(population_size=2), 3), (_OneAtATime, 6)],
)
def test_every_batch_records_its_own_scores(regression, strategy, n_batches):
    # Several asks, each scored by its own folds: cv_results_ and the study hold each
    # candidate's scores, equal to cross_val_score of that candidate alone.
    X, y = regression
    space = {"alpha": ts.Float(1.0, 1e5, log=True)}
    search = SearchCV(Ridge(), space, strategy=strategy(), n_trials=6, cv=3, seed=0).fit(X, y)
    res, trials = search.cv_results_, search.study_.trials
    assert len(trials) == len(res["params"]) == 6
    assert len({t.system_attrs["batch"] for t in trials}) == n_batches
    alphas = [p["alpha"] for p in res["params"]]
    assert len(set(alphas)) == 6 and [t.params["alpha"] for t in trials] == alphas
    folds = list(KFold(3).split(X, y))
    for i, (alpha, trial) in enumerate(zip(alphas, trials)):
        expected = cross_val_score(Ridge(alpha=alpha), X, y, cv=folds)
        got = [res[f"split{k}_test_score"][i] for k in range(3)]
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        np.testing.assert_allclose(trial.user_attrs["split_test_scores"], expected, rtol=1e-12)
        assert trial.value == pytest.approx(res["mean_test_score"][i], rel=1e-12)
        assert trial.value == pytest.approx(expected.mean(), rel=1e-12)
    assert len(set(res["mean_test_score"].tolist())) == 6
    assert search.best_score_ == max(res["mean_test_score"])


# -- pruning --------------------------------------------------------------------------------
class _WorseThanBest:
    """Prunes a trial whose running mean trails the best complete trial's by ``margin``."""

    def __init__(self, margin: float = 0.05):
        self.margin = margin

    def prune(self, trial, history, directions):
        step = trial.last_step
        best = [
            t.intermediate[step]
            for t in history
            if t.state is ts.TrialState.COMPLETE and step in t.intermediate
        ]
        return bool(best) and trial.intermediate[step] < max(best) - self.margin


_TREE_GRID = {"max_depth": [3, 1, 4, 5], "criterion": ["gini", "entropy"]}  # depth 1: 2/3


def test_pruning_stops_bad_candidates_early(iris):
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0)
    plain = GridSearchCV(tree, _TREE_GRID, cv=5).fit(X, y)
    search = SearchCV(tree, _TREE_GRID, strategy="grid", cv=5, pruner=_WorseThanBest(0.1))
    search.fit(X, y)
    res = search.cv_results_
    pruned = res["pruned"]
    assert pruned.tolist() == [False, True, False, False, False, True, False, False]
    for i in np.flatnonzero(pruned):
        assert np.isfinite(res["split0_test_score"][i])
        assert np.isnan(res["split1_test_score"][i]) and np.isnan(res["mean_test_score"][i])
        assert np.isnan(res["mean_fit_time"][i])
        assert res["rank_test_score"][i] == 7
    keep = ~pruned
    for key in ("mean_test_score", "split4_test_score"):
        np.testing.assert_array_equal(res[key][keep], plain.cv_results_[key][keep])
    assert search.best_params_ == plain.best_params_
    assert search.best_score_ == plain.best_score_
    states = [t.state for t in search.study_.trials]
    assert states.count(ts.TrialState.PRUNED) == 2
    assert search.study_.trials[1].intermediate == {0: pytest.approx(2 / 3)}
    fits = np.isfinite(np.array([res[f"split{k}_test_score"] for k in range(5)])).sum()
    assert fits == 6 * 5 + 2 * 1


def test_pruning_with_tunesmith_median_pruner(iris):
    X, y = iris
    search = SearchCV(
        DecisionTreeClassifier(random_state=0),
        _TREE_GRID,
        strategy="grid",
        cv=5,
        pruner=Median(n_startup_trials=2),
    ).fit(X, y)
    res = search.cv_results_
    assert res["params"] == list(ParameterGrid(_TREE_GRID))
    assert res["pruned"][5]  # entropy, depth 1: 2/3 on its first fold
    assert search.study_.trials[5].state is ts.TrialState.PRUNED
    assert search.best_score_ == np.nanmax(res["mean_test_score"])


def test_pruning_in_parallel_keeps_results_consistent(iris):
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0)
    search = SearchCV(tree, _TREE_GRID, strategy="grid", cv=3, n_jobs=2, pruner=_WorseThanBest())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "non-finite" warning for pruned
        search.fit(X, y)
    res = search.cv_results_
    assert res["params"] == list(ParameterGrid(_TREE_GRID))
    assert res["pruned"].tolist() == [False] * 5 + [True] + [False] * 2  # first batch: two
    plain = GridSearchCV(tree, _TREE_GRID, cv=3).fit(X, y)
    assert search.best_params_ == plain.best_params_
    assert pickle.loads(pickle.dumps(search)).best_params_ == search.best_params_
