"""Population-based training: exploit copies rows exactly, explore stays in the space, the study
holds the lineage, and a stopped run resumed from the study ends as an unstopped one."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population import _pbt_ops as ops
from tunesmith.population.config import HYPERPARAMETERS, member_config
from tunesmith.population.data import TrainingData
from tunesmith.population.engine import PopulationRun, initial_weights
from tunesmith.study.study import Study

torch.set_num_threads(1)

SPACE = {"lr": ts.Float(1e-3, 1e-1, log=True), "weight_decay": ts.Float(1e-6, 1e-2, log=True)}


def small_pbt(digits: dict, **kwargs) -> pop.PBTResult:
    args = {"space": SPACE, "members": 6, "epochs": 6, "ready_every": 2, "seed": 3}
    args.update(batch_size=50, **kwargs)
    return pop.pbt(pop.MLP(hidden=(8,)), digits["X"], digits["y"], **digits_val(digits), **args)


def digits_val(digits: dict) -> dict:
    return {"X_val": digits["X_val"], "y_val": digits["y_val"]}


def trained_run(digits: dict, optimizer: str, lrs: list[float]) -> PopulationRun:
    model = pop.MLP(hidden=(8,))
    data = TrainingData(model, digits["X"], digits["y"], None, None, 50, 0, torch.device("cpu"))
    hypers = [
        member_config({"optimizer": optimizer, "lr": lr}, i, model.structure_keys)[0]
        for i, lr in enumerate(lrs)
    ]
    base = initial_weights(model.params(data.input_shape, data.n_outputs), data.init_generator())
    run = PopulationRun(model, data, list(range(len(lrs))), hypers, base)
    run.advance(2)
    return run


# -- exploit --------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "momentum", "rmsprop"])
def test_exploit_copies_weights_and_optimizer_state_rows(digits: dict, optimizer: str) -> None:
    run = trained_run(digits, optimizer, [1e-3, 3e-3, 1e-2, 3e-2])
    flat = run.flat.clone()
    state = [f.clone() if isinstance(f, torch.Tensor) else f for f in run.groups[0].state]
    run.active[1], run.failed_epoch[1] = False, 1  # as if member 1 had diverged in epoch 1
    ops.copy_members(run, [(0, 3), (3, 1)])  # member 3 is read before it is overwritten
    assert run.active.tolist() == [True, False, True, False]
    assert run.failed_epoch.tolist() == [-1, 1, -1, 1]
    assert torch.equal(run.flat[0], flat[3]) and torch.equal(run.flat[3], flat[1])
    assert torch.equal(run.flat[1:3], flat[1:3])
    for before, after in zip(state, run.groups[0].state):
        if isinstance(before, torch.Tensor):
            assert torch.equal(after[0], before[3]) and torch.equal(after[3], before[1])
            assert torch.equal(after[1:3], before[1:3])
        else:
            assert after == before  # Adam's step count is shared by every member


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_a_copied_member_goes_on_as_its_source(digits: dict, optimizer: str) -> None:
    run = trained_run(digits, optimizer, [1e-3, 3e-3, 1e-2])
    ops.copy_members(run, [(0, 2)])
    ops.set_hypers(run, [run.hypers[2], run.hypers[1], run.hypers[2]])
    run.advance(3)  # the same weights, state and values train to the same next weights
    assert torch.equal(run.flat[0], run.flat[2])
    assert not torch.equal(run.flat[0], run.flat[1])


def test_truncation_copies_the_bottom_quantile_from_the_top() -> None:
    losses = [0.5, float("nan"), 0.1, 0.9, 0.3, 0.2, 0.8, 0.4]
    for seed in range(20):
        pairs = ops.exploit(losses, "truncation", 0.25, np.random.default_rng(seed))
        assert sorted(d for d, _ in pairs) == [1, 3]  # NaN ranks last
        assert all(s in (2, 5) for _, s in pairs)


def test_tournament_copies_only_from_a_better_member() -> None:
    losses = [0.5, float("nan"), 0.1, 0.9, 0.3, 0.2, 0.8, 0.4]
    seen = set()
    for seed in range(50):
        for member, source in ops.exploit(losses, "tournament", 0.25, np.random.default_rng(seed)):
            key = [math.inf if math.isnan(v) else v for v in losses]
            assert key[source] < key[member]
            seen.add(member)
    assert 2 not in seen and 1 in seen and len(seen) == 7
    tied = [0.3, 0.3, 0.3]  # an equal member is not better
    assert ops.exploit(tied, "tournament", 0.25, np.random.default_rng(0)) == []


# -- explore --------------------------------------------------------------------------------
WIDE = {
    "lr": ts.Float(1e-4, 1.0, log=True),
    "momentum": ts.Float(0.0, 0.9, step=0.05),
    "weight_decay": ts.Float(0.0, 0.01),
    "l1": ts.Int(0, 20, step=4),
    "l2": ts.Int(1, 9),
    "dropout": ts.Choice([0.0, 0.1, 0.5]),
}


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    how=st.sampled_from(ops.EXPLORES),
    p=st.floats(0.0, 1.0),
)
def test_explore_keeps_every_value_in_the_space(seed: int, how: str, p: float) -> None:
    rng = np.random.default_rng(seed)
    values = ops.sample(WIDE, rng)
    for _ in range(30):
        values = ops.explore(WIDE, values, rng, how, p)
        for name, dist in WIDE.items():
            assert dist.contains(values[name]), (name, values[name])
            assert HYPERPARAMETERS[name].holds(float(values[name]))
        assert isinstance(values["l1"], int) and isinstance(values["l2"], int)


def test_perturb_multiplies_by_0_8_or_1_2_and_resamples_choices_at_the_rate() -> None:
    space = {"lr": ts.Float(1e-6, 1e6, log=True), "dropout": ts.Choice([0.0, 0.1, 0.2, 0.3])}
    rng = np.random.default_rng(0)
    ratios, changed = set(), 0
    for _ in range(2000):
        out = ops.explore(space, {"lr": 1.0, "dropout": 0.1}, rng, "perturb", 0.25)
        ratios.add(out["lr"])
        changed += out["dropout"] != 0.1
    assert ratios == {0.8, 1.2}
    assert changed / 2000 == pytest.approx(0.25 * 3 / 4, abs=0.03)
    assert ops.explore({"lr": ts.Float(0.1, 1.0)}, {"lr": 0.95}, rng, "perturb", 0) in (
        {"lr": 1.0},
        {"lr": 0.76},
    )  # clipped into the space


# -- the run, the study, resuming -----------------------------------------------------------
def test_a_run_records_schedules_lineage_and_the_best_member(digits: dict) -> None:
    result = small_pbt(digits)
    assert result.loss == min(result.losses) and result.losses[result.best_member] == result.loss
    assert len(result.lineage) == 2 * 1  # two ready points, the bottom 1 of 6 each time
    for event in result.lineage:
        source = result.schedules[event["source"]]
        before = max(e for e in source if e < event["epoch"])
        moved = result.schedules[event["member"]][event["epoch"]]
        for name, value in moved.items():
            assert value / source[before][name] in (pytest.approx(0.8), pytest.approx(1.2))
    assert sorted(result.schedules[0]) == [0, 2, 4]
    module = result.to_module()
    accuracy = (module.predict(digits["X_val"]) == digits["y_val"]).mean()
    assert accuracy == result.best.accuracy


def test_lineage_is_stored_in_the_study_and_reloaded(digits: dict, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    study = ts.create_study(name="pbt", storage=url, direction="minimize", space=SPACE, seed=0)
    result = small_pbt(digits, study=study, store=tmp_path / "kept", exploit="tournament")
    trials = ts.load_study("pbt", storage=url).trials
    assert len(trials) == 6 * 3
    by_key = {(t.user_attrs["pbt_member"], t.user_attrs["pbt_segment"]): t for t in trials}
    lineage = []
    for segment in result.segments:
        trial = by_key[(segment["member"], segment["segment"])]
        assert trial.number == segment["trial"] and trial.value == segment["loss"]
        assert trial.params == segment["params"]
        source = trial.user_attrs["pbt_exploited_from"]
        parent = trial.user_attrs["pbt_parent_trial"]
        if segment["segment"] == 0:
            assert parent is None and source is None
            continue
        expected = by_key[(segment["member"] if source is None else source, segment["segment"] - 1)]
        assert parent == expected.number
        if source is not None:
            lineage.append(
                {"epoch": segment["start"], "member": segment["member"], "source": source}
            )
    assert lineage and sorted(lineage, key=str) == sorted(result.lineage, key=str)
    best = pop.load_best(ts.load_study("pbt", storage=url))
    assert np.array_equal(
        best.predict(digits["X_val"]), result.to_module().predict(digits["X_val"])
    )


class Stop(Exception):
    pass


def stop_training_at(monkeypatch, epoch: int) -> None:
    original = PopulationRun.advance

    def advance(self, until, lr_scale=None):
        if until > epoch:
            raise Stop
        original(self, until, lr_scale)

    monkeypatch.setattr(PopulationRun, "advance", advance)


def stop_recording_at(monkeypatch, call: int) -> None:
    original, calls = Study.add_trials, []

    def add_trials(self, trials):
        calls.append(1)
        if len(calls) == call:
            raise Stop
        return original(self, trials)

    monkeypatch.setattr(Study, "add_trials", add_trials)


@pytest.mark.parametrize(
    "stop, how",
    [
        (lambda mp: stop_training_at(mp, 4), {}),
        (lambda mp: stop_recording_at(mp, 2), {"exploit": "tournament", "explore": "resample"}),
    ],
)
def test_a_resumed_run_ends_as_an_uninterrupted_one(digits, tmp_path, monkeypatch, stop, how):
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    whole = small_pbt(digits, **how)
    study = ts.create_study(name="s", storage=url, direction="minimize", seed=0)
    stop(monkeypatch)
    with pytest.raises(Stop):
        small_pbt(digits, study=study, store=tmp_path, **how)
    monkeypatch.undo()
    assert 0 < len(study.trials) < 18
    again = small_pbt(digits, study=ts.load_study("s", storage=url), store=tmp_path, **how)
    assert again.losses == whole.losses and again.best_member == whole.best_member
    assert again.schedules == whole.schedules and again.lineage == whole.lineage
    for a, b in zip(again.members, whole.members):
        assert a.loss_curve == b.loss_curve and a.accuracy == b.accuracy
        for name in a.weights:
            assert np.array_equal(a.weights[name], b.weights[name])
    assert [t.value for t in study.trials] == [s["loss"] for s in whole.segments]
    done = small_pbt(digits, study=study, store=tmp_path, **how)  # finished: read back
    assert done.losses == whole.losses and len(study.trials) == 18
    with pytest.raises(ValueError, match="The 'seed' parameter of pbt must be 3, as in the run"):
        small_pbt(digits, study=study, store=tmp_path, **how, seed=4)


# -- arguments ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, message",
    [
        ({"members": 1}, "The 'members' parameter of pbt must be an int >= 2. Got 1"),
        ({"ready_every": 0}, "The 'ready_every' parameter of pbt must be an int >= 1. Got 0"),
        ({"quantile": 0.0}, "The 'quantile' parameter of pbt must be a float in (0, 0.5]"),
        ({"quantile": 0.6}, "The 'quantile' parameter of pbt must be a float in (0, 0.5]"),
        ({"exploit": "greedy"}, "The 'exploit' parameter of pbt must be one of 'truncation'"),
        ({"explore": "jitter"}, "The 'explore' parameter of pbt must be one of 'perturb'"),
        ({"resample_probability": 2}, "'resample_probability' parameter of pbt must be a float"),
        ({"space": {"hidden": ts.Int(4, 8)}}, "The 'space' parameter of pbt must name only"),
        ({"space": {"momentum": ts.Float(0, 1)}}, "must keep 'momentum' in [0, 1)"),
        ({"space": {}}, "The 'space' parameter of pbt must be a non-empty dict"),
        ({"config": {"lr": 0.1}}, "The 'config' parameter of pbt must be free of the names"),
        ({"early_stopping": "halving"}, "The 'early_stopping' parameter of pbt must be None"),
        ({"store": "folder"}, "The 'store' parameter of pbt must be None when no study"),
        ({"study": ts.create_study(direction="maximize")}, "The 'study' parameter of pbt must"),
        ({"study": ts.create_study(direction="minimize")}, "The 'store' parameter of pbt must be"),
        (
            {"study": ts.create_study(direction="minimize", space={"lr": ts.Float(0.5, 1.0)})},
            "The 'study' parameter of pbt must be a study whose space declares ['lr', 'weight",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_the_rule(digits, change, message) -> None:
    with pytest.raises(ValueError) as info:
        small_pbt(digits, **change)
    assert message in str(info.value)


def test_a_population_over_the_memory_budget_is_refused(digits) -> None:
    with pytest.raises(MemoryError, match="The 6 members of pbt do not fit at once"):
        small_pbt(digits, memory_budget=100_000)  # two of 6 members fit
