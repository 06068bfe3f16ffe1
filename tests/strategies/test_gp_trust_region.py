"""Strategy 'gp''s trust region: the side replayed from the losses, the box, proposals in it."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith as ts
from _best_of_seeds import mean_log10_best
from tunesmith.strategies import _gp_trust_region as trust
from tunesmith.strategies.gp import GP


def test_three_improvements_in_a_row_double_the_side_up_to_its_largest():
    start = [10.0, 9.0]  # the start-up: best 9
    assert trust.side_length(np.array(start + [8.0, 7.0]), 2, 3) == 0.8  # two: not yet
    assert trust.side_length(np.array(start + [8.0, 7.0, 6.0]), 2, 3) == 1.6
    assert trust.side_length(np.array(start + [8.0 - i for i in range(6)]), 2, 3) == 1.6


def test_an_improvement_must_beat_the_best_by_a_thousandth_of_its_size():
    tiny = [10.0, 9.0, 8.995, 8.99, 8.985]  # each 0.06 % below the last: failures
    big = [10.0, 9.0, 8.98, 8.96, 8.94]
    assert trust.side_length(np.array(tiny), 2, 3) == 0.8
    assert trust.side_length(np.array(big), 2, 3) == 1.6


@pytest.mark.parametrize("d, allowed", [(2, 4), (7, 7)])
def test_failures_in_a_row_halve_the_side_and_a_tiny_box_starts_over(d, allowed):
    fails = lambda k: np.array([1.0] + [2.0] * k)  # noqa: E731
    assert trust.side_length(fails(allowed - 1), 1, d) == 0.8
    assert trust.side_length(fails(allowed), 1, d) == 0.4
    assert trust.side_length(fails(6 * allowed), 1, d) == pytest.approx(0.8 / 64)
    assert trust.side_length(fails(7 * allowed), 1, d) == 0.8  # 0.8 / 128 < 1 / 128: again
    # a success resets the run of failures
    mixed = np.array([1.0] + [2.0] * (allowed - 1) + [0.5] + [2.0] * (allowed - 1))
    assert trust.side_length(mixed, 1, d) == 0.8


def test_the_box_is_shaped_by_the_lengthscales_and_clipped_to_the_cube():
    centre = np.array([0.5, 0.9, 0.25])  # the last coordinate is a Choice: whole
    low, high = trust.box(centre, 0.4, np.array([0.5, 2.0]), np.array([0, 1]))
    # weights 0.5, 2 over their geometric mean 1: sides 0.2 and 0.8
    assert low == pytest.approx([0.4, 0.5, 0.0]) and high == pytest.approx([0.6, 1.0, 1.0])


RASTRIGIN_SPACE = {"x": ts.Float(-5.0, 5.0), "y": ts.Float(-5.0, 5.0)}


def rastrigin(t: ts.Trial) -> float:
    v = np.array([t.params["x"], t.params["y"]]) - 1.3
    return float(20.0 + np.sum(v * v - 10.0 * np.cos(2.0 * np.pi * v)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_failures_the_next_proposal_stays_in_the_shrunk_box_around_the_best(
    monkeypatch, seed
):
    """On a multimodal function the box has shrunk after 40 trials; the next proposal lies in
    the box around the best point (a study without the trust region proposes outside it, on
    these seeds: measured; on seed 0 the box is still 0.1 wide)."""
    study = ts.create_study(space=RASTRIGIN_SPACE, strategy=GP(), seed=seed)
    study.optimize(rastrigin, n_trials=40, progress=False)
    length = trust.side_length(np.array([t.value for t in study.trials]), 10, 2)
    boxes = []
    box = trust.box
    monkeypatch.setattr(trust, "box", lambda *a: boxes.append(box(*a)) or boxes[-1])
    trial = study.ask()
    unit = lambda params: np.array([(params[k] + 5.0) / 10.0 for k in "xy"])  # noqa: E731
    ((low, high),) = boxes
    assert length <= 0.05 and np.prod(high - low) <= length**2 + 1e-12  # weights: geomean 1
    assert np.all(unit(study.best_params) >= low) and np.all(unit(study.best_params) <= high)
    assert np.all(unit(trial.params) >= low - 1e-9) and np.all(unit(trial.params) <= high + 1e-9)


def test_a_resumed_study_replays_the_box_and_proposes_what_an_uninterrupted_one_would(tmp_path):
    url = f"sqlite:///{tmp_path / 'gp.db'}"
    whole = ts.create_study(space=RASTRIGIN_SPACE, strategy=GP(), seed=5)
    whole.optimize(rastrigin, n_trials=30, progress=False)
    part = ts.create_study(name="p", storage=url, space=RASTRIGIN_SPACE, strategy=GP(), seed=5)
    part.optimize(rastrigin, n_trials=18, progress=False)
    again = ts.load_study("p", storage=url)
    again.optimize(rastrigin, n_trials=12, progress=False)
    assert [t.params for t in again.trials] == [t.params for t in whole.trials]


@pytest.mark.parametrize(
    "space, boxed",
    [
        ({"x": ts.Float(0.0, 1.0), "c": ts.Choice(["a", "b"])}, True),
        ({"x": ts.Float(1e-3, 1.0, log=True)}, True),
        ({"x": ts.Float(0.0, 1.0), "k": ts.Int(1, 9)}, False),
        ({"x": ts.Float(0.0, 1.0), "s": ts.Float(0.0, 1.0, step=0.1)}, False),
        ({"c": ts.Choice(["a", "b"])}, False),
    ],
)
def test_the_box_applies_to_continuous_parameters_without_integer_steps(space, boxed):
    from tunesmith.strategies import _gp_acquisition as acq
    from tunesmith.strategies import gp as gp_mod

    assert gp_mod._boxable(acq.Searcher(tuple(space.values()))) is boxed


def test_the_box_model_keeps_the_points_in_and_near_the_box_or_the_nearest():
    low, high = np.array([0.4, 0.0]), np.array([0.6, 1.0])  # x: 0.2 wide, y: whole
    x = np.array([[0.5, 0.5], [0.65, 0.1], [0.71, 0.9], [0.2, 0.5], [0.39, 0.99]])
    # outside by 0, 0.25, 0.55, 1.0 and 0.05 sides: the margin is half a side
    assert trust.near(x, low, high, minimum=2).tolist() == [True, True, False, False, True]
    assert trust.near(x, low, high, minimum=4).tolist() == [True, True, True, False, True]
    assert trust.shrunk(0.4) and not trust.shrunk(0.8) and not trust.shrunk(1.6)


def test_once_the_box_has_shrunk_its_own_model_resolves_an_ill_conditioned_valley():
    """A 2-D ellipsoid with axes 1000 times apart (condition 1e6) in 40 trials: with the box
    modelled at its own scale the mean log10 regret over three seeds is -4.62 (measured: -1.98
    with the whole data's model searched in the box)."""
    centre = np.array([-2.0, 3.0])

    def ellipsoid(t: ts.Trial) -> float:
        v = np.array([t.params["x"], t.params["y"]]) - centre
        return float(v[0] ** 2 + 1e6 * v[1] ** 2)

    assert mean_log10_best(RASTRIGIN_SPACE, ellipsoid, n_trials=40) < -3.5


@pytest.mark.parametrize("seed", [0, 1])
def test_in_a_shrunk_box_a_batch_and_the_running_trials_are_fantasies_there(monkeypatch, seed):
    """After 30 trials of a bowl the box has shrunk (0.2 and 0.05 on these seeds): a running
    trial and a batch of five are six points of the box, the batch conditioned on the running
    point in the box's coordinates, so it keeps away from it (0.038 and 0.028 of the range;
    with the running point left in the cube's coordinates, 0.0002 on seed 1: measured)."""
    study = ts.create_study(space=RASTRIGIN_SPACE, strategy=GP(n_startup_trials=6), seed=seed)
    study.optimize(lambda t: (t.params["x"] - 1.3) ** 2 + (t.params["y"] + 0.7) ** 2, 30)
    assert trust.shrunk(trust.side_length(np.array([t.value for t in study.trials]), 6, 2))
    boxes = []
    box = trust.box
    monkeypatch.setattr(trust, "box", lambda *a: boxes.append(box(*a)) or boxes[-1])
    running = study.ask()
    points = [running.params] + [t.params for t in study.ask_batch(5)]
    unit = np.array([[(p[k] + 5.0) / 10.0 for k in "xy"] for p in points])
    low, high = boxes[-1]
    assert np.all(unit >= low - 1e-9) and np.all(unit <= high + 1e-9)
    gaps = np.linalg.norm(unit[:, None] - unit[None], axis=2)
    assert gaps[0, 1:].min() > 1e-2 and gaps[~np.eye(6, dtype=bool)].min() > 1e-3
