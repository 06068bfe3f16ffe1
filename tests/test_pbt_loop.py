"""PBT over a training loop the user owns: exploit, explore, records, study trials, checks."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.pbt import PBT, default_copy, exploit_pairs, explore_config
from tunesmith.space import Choice, Float, Int

TARGET = 1.0
SPACE = {"lr": Float(1e-3, 1.0, log=True)}


def step(state, config):
    """One gradient step on (w - TARGET)^2 / 2, in place; the lr is logged."""
    state["w"] += config["lr"] * (TARGET - state["w"])
    state["lrs"].append(config["lr"])
    return state


def evaluate(state):
    return (state["w"] - TARGET) ** 2


def init(config):
    return {"w": 0.0, "lrs": []}


def make(**kw):
    args = dict(space=SPACE, members=8, steps=20, ready_every=2, init=init, seed=0)
    return PBT(step, evaluate, **{**args, **kw})


def test_pbt_beats_the_same_members_without_exploitation():
    for seed in range(4):
        with_pbt = make(seed=seed).run()
        alone = make(seed=seed, ready_every=20).run()  # one segment: no ready point
        assert alone.lineage == []
        assert with_pbt.best_score < alone.best_score
        assert np.mean(with_pbt.scores) < 1e-6 * np.mean(alone.scores)
        assert with_pbt.best_score < 1e-8


def test_exploit_copies_the_state_and_the_config():
    result = make().run()
    assert result.lineage  # copies happened
    # the best state carries its whole lineage's history: copied, never shared
    assert len(result.best_state["lrs"]) == 20
    for copy in result.lineage:
        t, m, s = copy["step"], copy["member"], copy["source"]
        before = result.schedules[s][max(k for k in result.schedules[s] if k < t)]["lr"]
        ratio = result.schedules[m][t]["lr"] / before
        assert (
            ratio == pytest.approx(0.8)
            or ratio == pytest.approx(1.2)
            or (result.schedules[m][t]["lr"] in (SPACE["lr"].low, SPACE["lr"].high))
        )


def test_a_shared_copy_is_seen():
    """The rule's counterpart: a copy that shares the state lets members change each other."""
    result = make(copy=lambda s: s).run()
    assert len(result.best_state["lrs"]) > 20


def test_default_copy_is_independent():
    state = {"w": [1.0, 2.0], "n": 3}
    copied = default_copy(state)
    copied["w"].append(5.0)
    assert state == {"w": [1.0, 2.0], "n": 3}


def test_default_copy_clones_torch_tensors():
    import torch

    state = torch.nn.Linear(3, 2).state_dict()
    copied = default_copy(state)
    assert isinstance(copied, dict) and set(copied) == set(state)
    copied["weight"].add_(1.0)
    assert not torch.equal(copied["weight"], state["weight"])
    assert torch.equal(copied["bias"], state["bias"])


def test_explore_keeps_values_in_the_space():
    space = {
        "a": Float(1e-4, 1.0, log=True),
        "b": Float(0.0, 1.0, step=0.1),
        "c": Int(1, 9),
        "d": Int(2, 64, log=True),
        "e": Choice(["x", "y", "z"]),
    }
    rng = np.random.default_rng(0)
    for how in ("perturb", "resample"):
        for start in ({n: d.from_unit(u) for n, d in space.items()} for u in (0.0, 1.0, 0.5)):
            config = start
            for _ in range(300):
                config = explore_config(space, config, rng, how, 0.3)
                for name, dist in space.items():
                    assert dist.contains(config[name]), (how, name, config[name])
                assert isinstance(config["c"], int) and isinstance(config["d"], int)
                assert config["b"] == pytest.approx(round(config["b"] * 10) / 10)


def test_explore_perturbs_by_the_two_factors():
    rng = np.random.default_rng(1)
    ratios = {
        round(explore_config({"x": Float(0.0, 10.0)}, {"x": 1.0}, rng)["x"], 9) for _ in range(50)
    }
    assert ratios == {0.8, 1.2}


def test_exploit_rules():
    rng = np.random.default_rng(0)
    losses = [5.0, 1.0, 7.0, 2.0, 3.0, 8.0, 4.0, 6.0]
    pairs = exploit_pairs(losses, "truncation", 0.25, rng)
    assert sorted(m for m, _ in pairs) == [2, 5]  # the bottom quarter
    assert {s for _, s in pairs} <= {1, 3}  # copies from the top quarter
    pairs = exploit_pairs(losses, "tournament", 0.25, rng)
    assert pairs and all(losses[s] < losses[m] for m, s in pairs)
    nan_last = exploit_pairs([float("nan"), 1.0, 2.0, 3.0], "truncation", 0.25, rng)
    assert nan_last == [(0, 1)]


def test_maximize_keeps_the_highest_score():
    result = PBT(
        step, lambda s: -evaluate(s), space=SPACE, members=6, steps=10, ready_every=2,
        init=init, direction="maximize", exploit="tournament", explore="resample",
    ).run()  # fmt: skip
    assert result.best_score == max(result.scores)
    assert all(s <= 0 for s in result.scores) and result.best_score > -1e-4


def test_schedules_and_lineage_are_recorded():
    result = make().run()
    assert set(result.schedules) == set(range(8))
    for member, schedule in result.schedules.items():
        assert sorted(schedule) == list(range(0, 20, 2))
        assert result.segments[member]["config"] == schedule[0]
    assert len(result.segments) == 8 * 10
    steps = {c["step"] for c in result.lineage}
    assert steps <= set(range(2, 20, 2))
    assert all(c["member"] != c["source"] for c in result.lineage)
    assert len(result.lineage) == 2 * 9  # truncation: the bottom 2 of 8 at each of 9 points
    assert result.best_config == result.schedules[result.best_member][18]


def test_same_seed_same_result_other_seed_other_result():
    a, b, c = make().run(), make().run(), make(seed=1).run()
    assert a.scores == b.scores and a.schedules == b.schedules and a.lineage == b.lineage
    assert a.schedules != c.schedules


def test_states_given_instead_of_init():
    states = [{"w": float(i), "lrs": []} for i in range(3)]
    result = PBT(step, evaluate, space=SPACE, members=3, steps=4).run(states=states)
    assert len(result.best_state["lrs"]) == 4
    with pytest.raises(ValueError, match="'init' parameter of PBT must be callable"):
        PBT(step, evaluate, space=SPACE, members=3, steps=4).run()
    with pytest.raises(ValueError, match="'states' parameter of PBT.run must be a sequence of 3"):
        PBT(step, evaluate, space=SPACE, members=3, steps=4).run(states=states[:2])


def test_study_keeps_each_member_segment(tmp_path):
    storage = f"sqlite:///{tmp_path / 'pbt.db'}"
    study = ts.create_study("pbt", storage=storage, direction="minimize", space=SPACE)
    result = make(members=4, steps=6).run(study)
    trials = ts.load_study("pbt", storage).trials
    assert len(trials) == 4 * 3
    by_number = {t.number: t for t in trials}
    for segment, trial in zip(result.segments, trials):
        assert trial.number == segment["trial"]
        assert trial.state is ts.TrialState.COMPLETE
        assert trial.value == pytest.approx(segment["score"])
        assert trial.params == segment["config"]
        attrs = trial.user_attrs
        assert attrs["pbt_member"] == segment["member"]
        assert attrs["pbt_segment"] == segment["segment"]
        parent = attrs["pbt_parent_trial"]
        if attrs["pbt_segment"] == 0:
            assert parent is None
            continue
        up = by_number[parent].user_attrs
        assert up["pbt_segment"] == attrs["pbt_segment"] - 1
        source = attrs["pbt_exploited_from"]
        assert up["pbt_member"] == (attrs["pbt_member"] if source is None else source)
    assert any(t.user_attrs["pbt_exploited_from"] is not None for t in trials)


def test_study_must_share_the_direction(tmp_path):
    study = ts.create_study(direction="maximize")
    with pytest.raises(ValueError, match="'study' parameter of PBT.run must be None or"):
        make().run(study)


@pytest.mark.parametrize(
    "name, value, rule",
    [
        ("members", 1, "an int >= 2"),
        ("steps", 0, "an int >= 1"),
        ("ready_every", 0, "an int >= 1"),
        ("quantile", 0.0, "a float in \\(0, 0.5\\]"),
        ("quantile", 0.6, "a float in \\(0, 0.5\\]"),
        ("exploit", "best", "one of 'truncation', 'tournament'"),
        ("explore", "jitter", "one of 'perturb', 'resample'"),
        ("direction", "up", "one of 'minimize', 'maximize'"),
        ("space", {}, "a non-empty dict of names to tunesmith Float, Int or Choice"),
        ("space", {"lr": (0.0, 1.0)}, "a non-empty dict of names to tunesmith Float"),
        ("step", None, "callable"),
        ("evaluate", 3, "callable"),
        ("copy", "deep", "callable or None"),
    ],
)
def test_bad_arguments_name_the_argument_and_rule(name, value, rule):
    args = {"step": step, "evaluate": evaluate, name: value}
    kw = {k: v for k, v in args.items() if k not in ("step", "evaluate")}
    with pytest.raises(ValueError, match=f"The '{name}' parameter of PBT must be {rule}"):
        PBT(args["step"], args["evaluate"], **{**dict(space=SPACE, members=4, steps=4), **kw})


def _same_run(a, b):
    """Two PBT results equal in every recorded number."""
    assert a.scores == b.scores and a.configs == b.configs
    assert a.lineage == b.lineage and a.schedules == b.schedules


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_members_over_an_executor_give_the_one_by_one_result(executor):
    alone = make(seed=3).run()
    _same_run(make(seed=3).run(n_jobs=2, executor=executor), alone)
    assert alone.lineage  # ready points happened, so copies crossed workers


def test_members_train_side_by_side_with_threads():
    meet = __import__("threading").Barrier(2, timeout=10)

    def step_together(state, config):
        if not state["lrs"]:  # each member's first step waits for another member's
            meet.wait()
        return step(state, config)

    run = PBT(step_together, evaluate, space=SPACE, members=2, steps=2, init=init, seed=0)
    assert len(run.run(n_jobs=2).scores) == 2  # one by one, the barrier would break


def test_members_over_a_given_executor(tmp_path):
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(2) as pool:
        _same_run(make(seed=1).run(executor=pool), make(seed=1).run())


@pytest.mark.parametrize(
    ("kw", "rule"),
    [
        ({"n_jobs": 0}, "The 'n_jobs' parameter of PBT.run must be an int >= 1, or -1"),
        ({"executor": "gpu"}, "The 'executor' parameter of PBT.run must be 'thread', 'process'"),
    ],
)
def test_run_arguments_name_the_argument_and_rule(kw, rule):
    with pytest.raises(ValueError, match=rule):
        make().run(**kw)
