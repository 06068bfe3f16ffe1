"""Hyperparameter importance on functions whose answer is known: a parameter that does nothing
gets ~0, an additive function's fanova shares match the variances of its terms, ped ranks the
parameter that matters first; the arguments' rules; ``tunesmith importance`` over SQLite."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

import tunesmith as ts
from tunesmith.cli.common import OneLineGroup
from tunesmith.cli.importance import importance as importance_command
from tunesmith.importance import StudyData, importance, importance_with_spread
from tunesmith.importance.fanova import tree_shares
from tunesmith.importance.ped import divergence
from tunesmith.trial import FrozenTrial, TrialState

SPACE = {
    "x1": ts.Float(0.0, 1.0),
    "x2": ts.Float(0.0, 1.0),
    "idle": ts.Float(1e-3, 1.0, log=True),
    "k": ts.Int(1, 5),
    "c": ts.Choice(["a", "b", "c"]),
}
IDLE = ("idle", "k", "c")  # parameters the additive functions below never read


def _trials(f, n=300, seed=0, space=SPACE, state=TrialState.COMPLETE):
    """``n`` trials drawn uniformly in the unit cube, valued by ``f(params)`` (a tuple)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        p = {k: d.from_unit(rng.random()) for k, d in space.items()}
        values = f(p) if state is TrialState.COMPLETE else None
        out.append(FrozenTrial(i, state, p, dict(space), values=values))
    return out


def _data(f, directions=("minimize",), **kw):
    return StudyData(_trials(f, **kw), list(directions), SPACE)


def _additive(a, b):
    return lambda p: (a * p["x1"] + b * p["x2"],)


@pytest.mark.parametrize("a, b", [(2.0, 1.0), (1.0, 3.0)])
def test_fanova_additive_shares_match_the_variances_of_the_terms(a, b):
    shares = importance(_data(_additive(a, b)), "fanova")
    expected = a**2 / (a**2 + b**2)
    assert shares["x1"] == pytest.approx(expected, abs=0.04)
    assert shares["x2"] == pytest.approx(1 - expected, abs=0.04)
    assert all(shares[name] < 0.05 for name in IDLE)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert list(shares.values()) == sorted(shares.values(), reverse=True)


def test_fanova_weighs_each_option_of_a_choice_the_same():
    # variance of {a: 0, b: 1, c: 0} over equally likely options is 2/9; of 0.5 * x1, 1/48
    shares = importance(_data(lambda p: ({"a": 0.0, "b": 1.0, "c": 0.0}[p["c"]] + 0.5 * p["x1"],)))
    expected = (2 / 9) / (2 / 9 + 1 / 48)
    assert shares["c"] == pytest.approx(expected, abs=0.03)
    assert shares["x1"] == pytest.approx(1 - expected, abs=0.03)


def test_fanova_weighs_each_value_of_a_stepped_float_the_same():
    # s in {0, 0.25, 0.5, 0.75, 1}, each 1/5: 1[s == 0] has variance 4/25 (by length in the
    # unit interval the end values would weigh 1/8, and the share fall to 0.57)
    space = {"s": ts.Float(0.0, 1.0, step=0.25), "x1": ts.Float(0.0, 1.0)}
    f = lambda p: (float(p["s"] == 0.0) + p["x1"],)  # noqa: E731
    rng = np.random.default_rng(0)
    trials = [
        FrozenTrial(i, TrialState.COMPLETE, p, space, values=f(p))
        for i, p in enumerate(
            {"s": float(rng.integers(0, 5)) / 4, "x1": float(rng.random())} for _ in range(300)
        )
    ]
    shares = importance(StudyData(trials, ["minimize"], space), "fanova")
    assert shares["s"] == pytest.approx((4 / 25) / (4 / 25 + 1 / 12), abs=0.03)


def test_fanova_tree_marginals_are_exact_on_a_hand_built_tree():
    # x0 <= 0.25: 0; else x1 <= 0.5: 2, else 4
    class Tree:
        children_left = np.array([1, -1, 3, -1, -1])
        children_right = np.array([2, -1, 4, -1, -1])
        feature = np.array([0, -2, 1, -2, -2])
        threshold = np.array([0.25, -2.0, 0.5, -2.0, -2.0])
        value = np.array([0.0, 0.0, 0.0, 2.0, 4.0]).reshape(5, 1, 1)

    # continuous axes: leaves weigh 1/4, 3/8, 3/8; mean 9/4, variance 39/16; the marginal of
    # x0 is 0 or 3 (variance 27/16), of x1 1.5 or 3 (variance 9/16)
    np.testing.assert_allclose(tree_shares(Tree(), [None, None]), [27 / 39, 9 / 39])
    # x0 discrete with values at 0.2 and 0.75, each weighing 1/2: leaves weigh 1/2, 1/4, 1/4;
    # mean 3/2, variance 11/4; marginals 0 or 3 (variance 9/4), 1 or 2 (variance 1/4)
    np.testing.assert_allclose(tree_shares(Tree(), [np.array([0.2, 0.75]), None]), [9 / 11, 1 / 11])
    Tree.value = np.full((5, 1, 1), 3.0)
    assert tree_shares(Tree(), [None, None]) is None  # one value: no variance to share


def test_ped_divergence_subtracts_what_chance_shows():
    # 20 trials, four in each of 5 bins (0 ... 4 at positions 0-3, 4-7, ...)
    bins = np.repeat(np.arange(5), 4)
    chance = 4 / 4 * 16 / 19  # (bins - 1) / best * (n - best) / (n - 1)

    def best_at(*rows):
        top = np.zeros(20, dtype=bool)
        top[list(rows)] = True
        return divergence(bins, top)

    assert best_at(0, 1, 2, 3) == pytest.approx((0.8**2 + 4 * 0.2**2) / 0.2 - chance)
    assert best_at(0, 1, 4, 5) == pytest.approx((2 * 0.3**2 + 3 * 0.2**2) / 0.2 - chance)
    assert best_at(0, 4, 8, 12) == 0.0  # spread like everyone: less than chance, never below 0


def test_fanova_spread_comes_from_forests_of_other_seeds():
    spread = importance_with_spread(_data(_additive(2.0, 1.0)), "fanova", n_repeats=3)
    assert 0 < spread["x1"][1] < 0.02
    one = importance_with_spread(_data(_additive(2.0, 1.0)), "fanova", n_repeats=1)
    assert all(std == 0.0 for _, std in one.values())
    again = importance(_data(_additive(2.0, 1.0)), "fanova", n_repeats=3)
    assert again == {k: m for k, (m, _) in spread.items()}


def test_ped_ranks_the_parameter_that_matters_first():
    shares = importance(_data(_additive(1.0, 0.3)), "ped", n_repeats=1)
    assert list(shares)[:2] == ["x1", "x2"]
    assert all(shares[name] < 0.05 for name in IDLE)
    assert sum(shares.values()) == pytest.approx(1.0)


def test_ped_follows_the_direction():
    # best = smallest x1 when minimizing, largest when maximizing: both make x1 matter
    for direction in ("minimize", "maximize"):
        data = _data(lambda p: (p["x2"] if p["x2"] > 0.5 else p["x1"] * 0.5,), (direction,))
        shares = importance(data, "ped", n_repeats=1)
        first = "x1" if direction == "minimize" else "x2"
        assert next(iter(shares)) == first


def test_ped_spread_over_subsamples():
    spread = importance_with_spread(_data(_additive(1.0, 0.3)), "ped", n_repeats=5, seed=1)
    assert next(iter(spread)) == "x1"
    assert 0 < spread["x2"][1] < 0.1
    assert sum(m for m, _ in spread.values()) == pytest.approx(1.0)


def test_a_study_is_read_through_its_complete_trials_only():
    study = ts.create_study(space=SPACE, seed=0)
    study.add_trials(_trials(_additive(2.0, 1.0), n=200))
    pruned = _trials(lambda p: (10 * p["x2"],), n=200, seed=1)  # would make x2 matter most
    study.add_trials([replace(t, state=TrialState.PRUNED) for t in pruned])
    study.add_trials([FrozenTrial(0, TrialState.FAIL, {"x1": 0.9, "x2": 0.1}, {}, error="boom")])
    shares = importance(study, "fanova", params=["x1", "x2"])
    assert list(shares) == ["x1", "x2"]
    assert shares["x1"] == pytest.approx(0.8, abs=0.04)


def test_several_objectives_need_a_target():
    data = _data(lambda p: (p["x1"], p["x2"] + 0.1 * p["x1"]), ("minimize", "minimize"))
    with pytest.raises(ValueError, match="'target' parameter of importance must be given"):
        importance(data, "ped")
    with pytest.raises(ValueError, match=r"must be an int in \[0, 1\]. Got 2"):
        importance(data, "ped", target=2)
    assert next(iter(importance(data, "fanova", target=1))) == "x2"
    assert next(iter(importance(data, "fanova", target=0))) == "x1"


def test_define_by_run_trials_infer_the_space_and_skip_trials_without_the_params():
    trials = _trials(_additive(2.0, 1.0), n=200)
    sparse = [
        FrozenTrial(200 + i, TrialState.COMPLETE, {"x1": 0.5}, {}, values=(9.0,)) for i in range(50)
    ]
    data = StudyData(trials + sparse, ["minimize"])
    assert set(data.search_space) == set(SPACE)
    shares = importance(data, "fanova", params=["x1", "x2"])
    assert shares["x1"] == pytest.approx(0.8, abs=0.04)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "anova"}, "'method' parameter of importance must be one of 'fanova', 'ped'"),
        ({"n_repeats": 0}, "'n_repeats' parameter of importance must be an int >= 1"),
        ({"params": ["x9"]}, r"'params' parameter of importance must name parameters"),
        ({"params": "x1"}, r"'params' parameter of importance must be a non-empty list"),
        ({"gamma": 1.0}, "'gamma' parameter of importance"),
    ],
)
def test_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        importance(_data(_additive(1.0, 1.0), n=20), **kwargs)


def test_too_few_trials_and_a_constant_objective_are_refused():
    with pytest.raises(ValueError, match="at least 5 COMPLETE trials .* has 4"):
        importance(_data(_additive(1.0, 1.0), n=4), "ped")
    failed = StudyData(_trials(None, n=50, state=TrialState.FAIL), ["minimize"], SPACE)
    with pytest.raises(ValueError, match="has 0"):
        importance(failed, "fanova")
    with pytest.raises(ValueError, match="one value in every COMPLETE trial"):
        importance(_data(lambda p: (1.0,), n=30), "fanova")


def test_fanova_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[sklearn\]"'):
        importance(_data(_additive(1.0, 1.0), n=20), "fanova")
    assert importance(_data(_additive(1.0, 1.0), n=20), "ped")  # numpy only


# -- tunesmith importance ------------------------------------------------------------------------
def _cli():
    group = OneLineGroup(name="tunesmith")
    group.add_command(importance_command)
    return group


def _stored(tmp_path, name, trials, directions=None):
    url = f"sqlite:///{tmp_path / 'ts.db'}"
    study = ts.create_study(name, url, space=SPACE, directions=directions or ["minimize"])
    study.add_trials(trials)
    return url


def test_cli_prints_shares_and_spread(tmp_path):
    url = _stored(tmp_path, "add", _trials(_additive(2.0, 1.0), n=200))
    db = tmp_path / "ts.db"
    result = CliRunner().invoke(_cli(), ["importance", "add", "--storage", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    shares = {row["parameter"]: row["share"] for row in payload["shares"]}
    assert payload["method"] == "fanova" and list(shares)[0] == "x1"
    assert shares["x1"] == pytest.approx(0.8, abs=0.04)
    assert sum(shares.values()) == pytest.approx(1.0)
    ts.create_study("[b]add", url, space=SPACE).add_trials(_trials(_additive(2.0, 1.0), n=200))
    table = CliRunner().invoke(
        _cli(), ["importance", "[b]add", "--storage", url, "--method", "ped"]
    )
    assert table.exit_code == 0, table.output
    assert "of '[b]add' (ped, 3 fits)" in table.output  # a name is text, never markup
    lines = [line.split() for line in table.output.splitlines()]
    first = next(line for line in lines if line and line[0] in SPACE)
    assert first[0] == "x1" and first[2] == "±"
    before = db.stat().st_mtime_ns
    again = CliRunner().invoke(_cli(), ["importance", "[b]add", "--storage", url])
    assert again.exit_code == 0 and db.stat().st_mtime_ns == before  # read-only


def test_cli_errors_are_one_line(tmp_path):
    two = _trials(lambda p: (p["x1"], p["x2"]), n=50)
    url = _stored(tmp_path, "two", two, ["minimize", "maximize"])
    ts.create_study("few", url, space=SPACE).add_trials(_trials(_additive(1.0, 1.0), n=3))
    runner = CliRunner()
    result = runner.invoke(_cli(), ["importance", "two", "--storage", url])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "pass --target INDEX (0 to 1)" in result.output
    result = runner.invoke(_cli(), ["importance", "two", "--storage", url, "--target", "3"])
    assert result.exit_code == 2 and "--target option must be in [0, 1]" in result.output
    result = runner.invoke(_cli(), ["importance", "two", "--storage", url, "--target", "1"])
    assert result.exit_code == 0 and "x2" in result.output
    result = runner.invoke(_cli(), ["importance", "few", "--storage", url, "--method", "ped"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "at least 5 COMPLETE trials" in result.output and "has 3" in result.output


def test_ped_sees_a_best_region_in_the_middle_of_a_small_study():
    # The best values of x sit at the centre of its range; a coarse histogram split there
    # sees nothing, and a handful of best trials says more about chance than about x.
    for seed in range(3):
        study = ts.create_study(space={"x": ts.Float(-1, 1), "n": ts.Float(0, 1)}, seed=seed)
        study.optimize(lambda t: t.params["x"] ** 2, n_trials=40)
        shares = ts.importance(study, method="ped")  # the package is callable
        assert shares["x"] > 0.75, shares
