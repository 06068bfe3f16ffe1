import numpy as np
import pytest

import tunesmith as ts
from tunesmith.strategies import NSGA2, hypervolume
from tunesmith.strategies._pareto import crowding_distance, nondominated_ranks
from tunesmith.strategies.nsga2 import select_survivors

SPACE = {f"x{i}": ts.Float(0, 1) for i in range(4)}


def zdt1(trial):
    x = np.array([trial.params[f"x{i}"] for i in range(4)])
    g = 1 + 9 * x[1:].mean()
    return x[0], g * (1 - np.sqrt(x[0] / g))


def test_nondominated_ranks_and_crowding_on_hand_made_points():
    pts = np.array([[1, 5], [2, 3], [4, 1], [3, 4], [5, 5], [2, 3]])
    assert nondominated_ranks(pts).tolist() == [0, 0, 0, 1, 2, 0]
    front = np.array([[0.0, 4.0], [1.0, 2.0], [3.0, 1.0], [4.0, 0.0]])
    dist = crowding_distance(front)
    assert np.isinf(dist[0]) and np.isinf(dist[3])
    assert dist[1] == pytest.approx(3 / 4 + 3 / 4)  # (3-0)/4 + (4-1)/4
    assert dist[2] == pytest.approx(3 / 4 + 2 / 4)


def test_hypervolume_exact_values():
    assert hypervolume(np.array([[1.0, 1.0]]), np.array([3.0, 3.0])) == 4.0
    pts = np.array([[1.0, 2.0], [2.0, 1.0], [2.5, 2.5]])  # the last is dominated
    assert hypervolume(pts, np.array([3.0, 3.0])) == pytest.approx(3.0)
    cube = np.array([[0.0, 0.0, 0.0]])
    assert hypervolume(cube, np.array([1.0, 2.0, 3.0])) == pytest.approx(6.0)
    two = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert hypervolume(two, np.array([2.0, 2.0, 1.0])) == pytest.approx(3.0)
    assert hypervolume(np.array([[5.0, 5.0]]), np.array([3.0, 3.0])) == 0.0
    with pytest.raises(ValueError, match="'losses' parameter of hypervolume"):
        hypervolume(np.zeros((2, 3)), np.ones(2))


def test_survivors_prefer_rank_then_spread():
    losses = np.array([[0.0, 4.0], [1.0, 2.0], [1.1, 1.9], [3.0, 1.0], [4.0, 0.0], [5.0, 5.0]])
    keep = select_survivors(losses, 4).tolist()
    assert 5 not in keep and {0, 4} <= set(keep)


def _front_hv(strategy, seed, n=300):
    study = ts.create_study(
        directions=["minimize", "minimize"], space=SPACE, strategy=strategy, seed=seed
    )
    study.optimize(zdt1, n_trials=n)
    front = np.array([t.values for t in study.best_trials])
    return hypervolume(front, np.array([1.1, 11.0])), study


def test_nsga2_beats_random_on_hypervolume():
    ours = [_front_hv(NSGA2(), seed)[0] for seed in range(4)]
    theirs = [_front_hv("random", seed)[0] for seed in range(4)]
    assert min(ours) > max(theirs)


def test_nsga2_is_deterministic_waits_and_reloads_identically(tmp_path):
    _, a = _front_hv("nsga2", 3, 90)
    _, b = _front_hv("nsga2", 3, 90)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    study = ts.create_study(directions=["minimize", "minimize"], space=SPACE, strategy="nsga2")
    first = study.ask()
    assert len(study.ask_batch(100)) == 19  # the rest of the first generation, then it waits
    with pytest.raises(RuntimeError, match="waits for the running trials"):
        study.ask()
    del first
    # A run's last generation is cut to its budget, so split runs match one run of 90 when they
    # split at a generation boundary, and a reloaded study matches one that was never closed.
    for split, reference in ((40, a), (47, None)):
        url = f"sqlite:///{tmp_path / f'n{split}.db'}"
        part = ts.create_study(
            name="n",
            storage=url,
            directions=["minimize", "minimize"],
            space=SPACE,
            strategy="nsga2",
            seed=3,
        )
        part.optimize(zdt1, n_trials=split)
        resumed = ts.load_study("n", storage=url)
        resumed.optimize(zdt1, n_trials=90 - split)
        if reference is None:  # the same two runs on one study that stays open
            reference = ts.create_study(
                directions=["minimize", "minimize"], space=SPACE, strategy="nsga2", seed=3
            )
            reference.optimize(zdt1, n_trials=split)
            reference.optimize(zdt1, n_trials=90 - split)
            assert len({t.batch for t in reference.trials}) == 6  # 20, 20, 7 | 20, 20, 3
        assert [t.params for t in resumed.trials] == [t.params for t in reference.trials]
    assert resumed.strategy.name == "nsga2"


def test_nsga2_mixed_space_keeps_types():
    space = {"x": ts.Float(0, 1), "n": ts.Int(1, 9, step=2), "k": ts.Choice(["a", "b", None])}
    study = ts.create_study(directions=["minimize", "maximize"], space=space, strategy="nsga2")
    study.optimize(lambda t: (t.params["x"], t.params["n"] + (t.params["k"] == "a")), n_trials=80)
    for t in study.trials:
        assert all(space[k].contains(v) for k, v in t.params.items())
