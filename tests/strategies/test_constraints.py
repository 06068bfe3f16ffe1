"""Constraints (``Trial.set_constraints``, each value <= 0 when satisfied): the argument's rules,
storage, the best trial and front kept to feasible trials, TPE's feasibility ranking and GP's
probability-of-feasibility acquisition, each against the same strategy blind to them."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import _gp_acquisition as acq
from tunesmith.strategies import _gp_model as gpm
from tunesmith.strategies import _tpe_split as split

SPACE = {"x": ts.Float(-2.0, 2.0), "y": ts.Float(-2.0, 2.0)}
OPTIMUM = 2.0  # (x - 1)^2 + (y - 1)^2 on x + y <= 0 is least at (0, 0)


def constrained(seen: bool):
    """The objective; its constraint set on the trial (seen) or only kept as a user attribute."""

    def objective(trial: ts.Trial) -> float:
        x, y = trial.params["x"], trial.params["y"]
        if seen:
            trial.set_constraints([x + y])
        trial.set_user_attr("c", x + y)
        return (x - 1) ** 2 + (y - 1) ** 2

    return objective


def seen_objective(trial: ts.Trial) -> float:
    """``constrained(True)`` at module level, for processes."""
    return constrained(True)(trial)


def best_feasible_regret(study: ts.Study) -> float:
    values = [t.value for t in study.trials if t.value is not None and t.user_attrs["c"] <= 0]
    return min(values) - OPTIMUM if values else float("inf")


@pytest.mark.parametrize("bad", [[], "ab", [float("nan")], [1.0, float("inf")], [True], None, 3])
def test_set_constraints_needs_a_non_empty_sequence_of_finite_numbers(bad) -> None:
    study = ts.create_study(space=SPACE, seed=0)
    trial = study.ask()
    with pytest.raises(ValueError, match="'values' parameter of set_constraints"):
        trial.set_constraints(bad)
    assert trial.system_attrs == {} or "constraints" not in trial.system_attrs


def test_constraints_are_stored_as_json_and_come_back_from_processes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = ts.create_study(name="c", storage=url, space=SPACE, seed=0)
    study.optimize(seen_objective, n_trials=4, n_jobs=2, executor="process")
    again = ts.load_study(name="c", storage=url)
    for t in again.trials:
        assert t.constraints == (pytest.approx(t.params["x"] + t.params["y"]),)
        assert t.feasible is (t.params["x"] + t.params["y"] <= 0)


def test_best_trial_and_front_keep_to_feasible_trials() -> None:
    study = ts.create_study(space=SPACE, seed=0)
    for value, limit in ((0.5, 1.0), (2.0, -0.5), (1.0, 0.0)):
        trial = study.ask()
        trial.set_constraints([limit, -1.0])
        study.tell(trial, value)
    assert study.best_value == 1.0  # 0.5 breaks its first constraint; 0 satisfies it
    plain = ts.create_study(space=SPACE, seed=0)
    plain.tell(plain.ask(), 0.5)
    assert plain.best_value == 0.5  # no constraints anywhere: every completed trial counts
    two = ts.create_study(space=SPACE, seed=0, directions=["minimize", "minimize"])
    for values, limit in (((0.0, 0.0), 1.0), ((1.0, 2.0), 0.0), ((2.0, 1.0), -1.0)):
        trial = two.ask()
        trial.set_constraints([limit])
        two.tell(trial, values)
    assert sorted(t.values for t in two.best_trials) == [(1.0, 2.0), (2.0, 1.0)]
    none = ts.create_study(space=SPACE, seed=0)
    trial = none.ask()
    trial.set_constraints([0.1])
    none.tell(trial, 1.0)
    with pytest.raises(ValueError, match="satisfies its constraints"):
        _ = none.best_trial


def test_tpe_ranks_feasible_then_least_violation_then_pruned() -> None:
    kind = np.array([split.COMPLETE] * 4 + [split.PRUNED])
    loss = np.array([[0.1], [0.2], [0.3], [0.4], [np.inf]])
    violation = np.array([2.0, 0.5, 0.0, np.nan, np.nan])  # row 3 set none: last of the five
    rows = np.arange(5)
    step, last = np.full(5, -1.0), np.full(5, np.inf)
    ranked = [np.flatnonzero(split.good_rows(rows, kind, loss, step, last, k, violation))
              for k in range(1, 6)]  # fmt: skip
    firsts = [int(np.setdiff1d(b, a)[0]) for a, b in zip([np.array([], int)] + ranked, ranked)]
    assert firsts == [2, 1, 0, 3, 4]
    unconstrained = split.good_rows(rows, kind, loss, step, last, 2, np.full(5, np.nan))
    assert np.flatnonzero(unconstrained).tolist() == [0, 1]


def test_tpe_with_constraints_finds_better_feasible_points_than_blind_tpe() -> None:
    regrets = {}
    for seen in (True, False):
        runs = []
        for seed in range(5):
            study = ts.create_study(space=SPACE, seed=seed, strategy="tpe")
            study.optimize(constrained(seen), n_trials=60)
            runs.append(best_feasible_regret(study))
        regrets[seen] = float(np.median(runs))
    # measured: 0.18 with the constraint seen, 0.82 blind (5 seeds, 60 trials)
    assert regrets[True] < 0.3 < 0.6 < regrets[False]


def test_gp_feasibility_term_and_gradient_match_the_closed_form_and_differences() -> None:
    rng = np.random.default_rng(0)
    layout = gpm.Layout(np.array([0, 1]), np.array([], int))
    x = rng.random((20, 2))
    y, c = np.sin(4 * x[:, 0]) + x[:, 1], x[:, 0] + x[:, 1] - 1.0
    post = gpm.Posterior(gpm.fit(x, y, layout), x, y, layout)
    c_post = gpm.Posterior(gpm.fit(x, c, layout), x, c, layout)
    q = rng.random((5, 2))
    alone = acq.Acquisition(post, float(y.min()))
    both = acq.Acquisition(post, float(y.min()), [(c_post, 0.2)])
    mu, var = c_post.predict(q)
    from scipy.stats import norm

    expected = alone(q) + norm.logcdf((0.2 - mu) / np.sqrt(var))
    assert both(q) == pytest.approx(expected, rel=1e-9)
    value, grad = both.with_grad(q)
    assert value == pytest.approx(expected, rel=1e-9)
    h = 1e-6
    for j in range(2):
        up, down = q.copy(), q.copy()
        up[:, j] += h
        down[:, j] -= h
        assert grad[:, j] == pytest.approx((both(up) - both(down)) / (2 * h), rel=1e-4, abs=1e-6)
    no_feasible_yet = acq.Acquisition(post, None, [(c_post, 0.2)])
    assert no_feasible_yet(q) == pytest.approx(norm.logcdf((0.2 - mu) / np.sqrt(var)))


def test_gp_with_constraints_reaches_the_constrained_optimum() -> None:
    for seed in range(3):
        seen = ts.create_study(space=SPACE, seed=seed, strategy="gp")
        seen.optimize(constrained(True), n_trials=30)
        blind = ts.create_study(space=SPACE, seed=seed, strategy="gp")
        blind.optimize(constrained(False), n_trials=30)
        # measured: about 1e-4 with the constraint seen; blind GP runs to (1, 1), about 0.8
        assert best_feasible_regret(seen) < 0.01 < 0.3 < best_feasible_regret(blind)
        assert seen.best_trial.feasible


def test_nsga2_constrained_domination_ranks_feasible_fronts_then_violation() -> None:
    from tunesmith.strategies.nsga2 import constrained_ranks

    losses = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.5, 0.5]])
    violation = np.array([0.7, 0.0, 0.0, 0.0, 0.2])
    # (1, 2) and (2, 1) form the first feasible front, (3, 3) the second; then 0.2, then 0.7
    assert constrained_ranks(losses, violation).tolist() == [3, 0, 0, 1, 2]
    assert constrained_ranks(losses, np.zeros(5)).tolist() == [0, 2, 2, 3, 1]  # plain fronts


def two_objectives(seen: bool):
    """Two objectives over x and y; the constraint x >= 1.5 (seen, or kept as an attribute)."""

    def objective(trial: ts.Trial) -> tuple[float, float]:
        x, y = trial.params["x"], trial.params["y"]
        if seen:
            trial.set_constraints([1.5 - x])
        trial.set_user_attr("c", 1.5 - x)
        return x * x + y * y, (x - 2) ** 2 + y * y

    return objective


def test_nsga2_with_constraints_breeds_mostly_feasible_generations() -> None:
    space = {"x": ts.Float(-2.0, 4.0), "y": ts.Float(-1.0, 1.0)}
    shares = {}
    for seen in (True, False):
        runs = []
        for seed in range(3):
            nsga2 = ts.strategies.NSGA2(population_size=20)
            dirs = ["minimize", "minimize"]
            study = ts.create_study(space=space, seed=seed, strategy=nsga2, directions=dirs)
            study.optimize(two_objectives(seen), n_trials=200)
            runs.append(np.mean([t.user_attrs["c"] <= 0 for t in study.trials[-40:]]))
        shares[seen] = float(np.mean(runs))
    # measured: 0.85 of the last two generations feasible with the constraint, 0.22 blind
    assert shares[True] > 0.7 > 0.4 > shares[False]


def _three_trials(storage: str | None = None) -> ts.Study:
    """Values 0.5 (breaks its constraint), 2.0 and 1.0 (both hold), in that order."""
    study = ts.create_study(name="c", storage=storage, space=SPACE, seed=0)
    for value, limit in ((0.5, 1.0), (2.0, -0.5), (1.0, 0.0)):
        trial = study.ask()
        trial.set_constraints([limit])
        study.tell(trial, value)
    return study


def test_history_best_line_keeps_to_feasible_trials() -> None:
    from tunesmith.viz import history_data

    data = history_data(_three_trials())
    assert np.isnan(data.best[0, 0]) and data.best[1:, 0].tolist() == [2.0, 1.0]
    assert data.values[:, 0].tolist() == [0.5, 2.0, 1.0]  # every value is still drawn


def test_dashboard_table_gives_each_trials_constraints(tmp_path) -> None:
    from starlette.testclient import TestClient

    from tunesmith.dashboard import create_app

    url = f"sqlite:///{tmp_path / 'c.db'}"
    _three_trials(url)
    client = TestClient(create_app(url), base_url="http://127.0.0.1")
    rows = client.get("/api/studies/1/table?sort=number&desc=0").json()["trials"]
    assert [r["constraints"] for r in rows] == [[1.0], [-0.5], [0.0]]


def test_cli_best_says_when_no_trial_satisfies_the_constraints(tmp_path) -> None:
    from click.testing import CliRunner

    from tunesmith.cli.main import cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = ts.create_study(name="c", storage=url, space=SPACE, seed=0)
    trial = study.ask()
    trial.set_constraints([0.5])
    study.tell(trial, 1.0)
    result = CliRunner().invoke(cli, ["best", "c", "--storage", url])
    assert result.exit_code != 0
    assert "no completed trial that satisfies its constraints" in result.output
