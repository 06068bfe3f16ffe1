"""PB2's explore: proposals follow the reward changes to their peak, spread out in a batch, stay
in the space, repeat for a seed; segments become observations; ``tunesmith.PBT`` runs with it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.exploration import explore
from tunesmith.pbt import PBT
from tunesmith.strategies.pb2 import pb2_explore, segment_observations

SPACE = {"lr": ts.Float(1e-4, 1.0, log=True), "momentum": ts.Float(0.0, 0.9)}
PEAK = 0.7  # the unit value of lr where the reward change is highest


def peaked(n_times: int = 3, members: int = 16, seed: int = 0) -> list:
    """Observations whose reward change is a bump in lr's unit value at PEAK, momentum idle."""
    rng, out = np.random.default_rng(seed), []
    for t in range(1, n_times + 1):
        for _ in range(members):
            u = float(rng.random())
            values = {"lr": SPACE["lr"].from_unit(u), "momentum": float(rng.random() * 0.9)}
            change = np.exp(-(((u - PEAK) / 0.15) ** 2)) + 0.01 * rng.normal()
            out.append((2.0 * t, values, float(change)))
    return out


def unit(values: dict) -> float:
    return SPACE["lr"].to_unit(values["lr"])


def test_pb2_lands_near_the_peak_where_perturb_cannot_in_one_step() -> None:
    source = {"lr": SPACE["lr"].from_unit(0.2), "momentum": 0.5}
    [new] = pb2_explore(SPACE, peaked(), [source], np.random.default_rng(0), now=8)
    assert abs(unit(new) - PEAK) < 0.08
    for seed in range(20):
        moved = explore(SPACE, source, np.random.default_rng(seed), "perturb")
        assert abs(unit(moved) - PEAK) > 0.45  # ×0.8 or ×1.2 moves lr by 0.02 in the unit cube


def test_a_batch_gets_distinct_proposals() -> None:
    space = {"lr": SPACE["lr"]}  # one coordinate: without the believer all four would coincide
    observed = [(t, {"lr": v["lr"]}, r) for t, v, r in peaked()]
    batch = pb2_explore(space, observed, [{"lr": 0.01}] * 4, np.random.default_rng(1), now=8)
    units = sorted(unit(b) for b in batch)
    assert min(np.diff(units)) > 1e-5  # close where the GP is sure; alone, within 1e-8
    assert abs(unit(batch[0]) - PEAK) < 0.08  # the first of the batch is the plain maximum


def test_proposals_stay_inside_a_mixed_space_and_repeat_for_a_seed() -> None:
    space = {
        "lr": ts.Float(1e-4, 1.0, log=True),
        "width": ts.Int(4, 64, log=True),
        "layers": ts.Int(1, 5),
        "dropout": ts.Float(0.0, 0.5, step=0.1),
        "act": ts.Choice(["relu", "tanh", "gelu"]),
    }
    rng = np.random.default_rng(2)
    draw = [{n: d.from_unit(float(rng.random())) for n, d in space.items()} for _ in range(40)]
    obs = [(float(i // 8), v, float(rng.normal())) for i, v in enumerate(draw)]
    sources = draw[:6]
    first = pb2_explore(space, obs, sources, np.random.default_rng(3), now=5, p=0.5)
    again = pb2_explore(space, obs, sources, np.random.default_rng(3), now=5, p=0.5)
    assert first == again and len(first) == 6
    for values in first:
        assert set(values) == set(space)
        assert all(space[n].contains(v) for n, v in values.items())
        assert type(values["width"]) is int and type(values["layers"]) is int
    kept = sum(v["act"] == s["act"] for v, s in zip(first, sources))
    assert kept >= 2  # a Choice is kept unless drawn again (p = 0.5: 2 in 3 kept)
    only = {"act": space["act"]}
    acts = [(t, {"act": v["act"]}, r) for t, v, r in obs]
    kept = pb2_explore(only, acts, [{"act": "tanh"}] * 3, np.random.default_rng(3), now=5, p=0)
    assert kept == [{"act": "tanh"}] * 3  # nothing numeric to move, no redraw at p = 0


def test_few_observations_fall_back_to_perturb() -> None:
    source = {"lr": 0.01, "momentum": 0.5}
    few = peaked()[:3]
    got = pb2_explore(SPACE, few, [source, source], np.random.default_rng(4), now=8)
    rng = np.random.default_rng(4)
    assert got == [explore(SPACE, source, rng, "perturb") for _ in range(2)]


def test_segments_become_start_time_values_and_loss_fall() -> None:
    segments = [
        {"member": 0, "segment": 0, "start": 0, "parent": 0, "params": {"lr": 1}, "loss": 2.0},
        {"member": 1, "segment": 0, "start": 0, "parent": 1, "params": {"lr": 2}, "loss": 1.0},
        {"member": 0, "segment": 1, "start": 3, "parent": 1, "params": {"lr": 3}, "loss": 0.25},
        {"member": 1, "segment": 1, "start": 3, "parent": 1, "params": {"lr": 4}, "loss": 0.5},
        {"member": 0, "segment": 2, "start": 6, "parent": 0, "params": {"lr": 5}, "loss": np.nan},
    ]
    assert segment_observations(segments) == [(3.0, {"lr": 3}, 0.75), (3.0, {"lr": 4}, 0.5)]
    scores = [{**s, "config": s["params"], "score": -s["loss"]} for s in segments]
    maximized = segment_observations(scores, config="config", value="score", sign=-1.0)
    assert maximized == [(3.0, {"lr": 3}, 0.75), (3.0, {"lr": 4}, 0.5)]


def quadratic_pbt(**kwargs) -> PBT:
    args = {"space": {"lr": ts.Float(0.01, 0.5, log=True)}, "members": 6, "steps": 24}
    args.update(ready_every=3, init=lambda config: 1.0, seed=5, **kwargs)
    return PBT(lambda x, c: x - c["lr"] * 2 * x, lambda x: x * x, **args)


def test_pbt_over_a_user_loop_runs_with_pb2() -> None:
    result = quadratic_pbt(explore="pb2").run()
    assert len(result.segments) == 6 * 8 and result.best_score < 1e-3
    moved = []  # the copied config against the config it was copied from
    for copy in result.lineage:
        [source] = [
            s for s in result.segments if s["member"] == copy["source"] and s["end"] == copy["step"]
        ]
        moved.append(result.schedules[copy["member"]][copy["step"]]["lr"] / source["config"]["lr"])
    assert moved and not all(np.isclose(r, 0.8) or np.isclose(r, 1.2) for r in moved)
    assert all(0.01 <= c["lr"] <= 0.5 for c in result.configs)
    assert quadratic_pbt(explore="pb2").run().schedules == result.schedules


def test_a_bad_explore_names_the_argument() -> None:
    with pytest.raises(ValueError, match="The 'explore' parameter of PBT must be one of"):
        quadratic_pbt(explore="pb3")


def test_pb2_without_scipy_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # its import now fails
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[gp\]"'):
        quadratic_pbt(explore="pb2")
    with pytest.raises(ImportError, match="explore='pb2' of pb2_explore needs scipy"):
        pb2_explore(SPACE, peaked(), [{"lr": 0.01, "momentum": 0.5}], np.random.default_rng(0))
    quadratic_pbt(explore="perturb")  # other explores need no scipy
