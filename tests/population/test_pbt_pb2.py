"""``population.pbt`` with ``explore="pb2"``: the copied members take the GP bandit's values,
inside the space, and a stopped run resumed from its study ends as an unstopped one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tunesmith as ts
from tunesmith import population as pop
from tunesmith.population.engine import PopulationRun

torch.set_num_threads(1)

SPACE = {"lr": ts.Float(1e-3, 1e-1, log=True), "weight_decay": ts.Float(1e-6, 1e-2, log=True)}


def small_pbt(digits: dict, **kwargs) -> pop.PBTResult:
    args = {"space": SPACE, "members": 6, "epochs": 8, "ready_every": 2, "seed": 3}
    args.update({"batch_size": 50, "explore": "pb2", **kwargs})
    return pop.pbt(
        pop.MLP(hidden=(8,)), digits["X"], digits["y"], X_val=digits["X_val"],
        y_val=digits["y_val"], **args,
    )  # fmt: skip


def ratios(result: pop.PBTResult) -> list[float]:
    """Each copy's new lr over the lr of the member it copied (0.8 or 1.2 when perturbed)."""
    out = []
    for copy in result.lineage:
        [source] = [
            s
            for s in result.segments
            if s["member"] == copy["source"] and s["end"] == copy["epoch"]
        ]
        out.append(result.schedules[copy["member"]][copy["epoch"]]["lr"] / source["params"]["lr"])
    return out


def test_pb2_moves_the_copied_values_inside_the_space(digits) -> None:
    result = small_pbt(digits)
    moved = ratios(result)
    assert len(moved) == 3  # one copy (the bottom quarter of 6) at each of 3 ready points
    assert np.isclose(moved[0], 0.8) or np.isclose(moved[0], 1.2)  # no observation yet: perturb
    assert not any(np.isclose(r, 0.8) or np.isclose(r, 1.2) for r in moved[1:])
    for schedule in result.schedules:
        for values in schedule.values():
            assert all(SPACE[n].contains(v) for n, v in values.items())
    assert len(result.segments) == 24 and np.all(np.isfinite(result.losses))


class Stop(Exception):
    pass


def test_a_resumed_pb2_run_ends_as_an_uninterrupted_one(digits, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'pb2.db'}"
    whole = small_pbt(digits)
    study = ts.create_study(name="s", storage=url, direction="minimize", seed=0)
    original = PopulationRun.advance

    def advance(self, until, lr_scale=None):
        if until > 4:
            raise Stop
        original(self, until, lr_scale)

    monkeypatch.setattr(PopulationRun, "advance", advance)
    with pytest.raises(Stop):
        small_pbt(digits, study=study, store=tmp_path)
    monkeypatch.undo()
    assert len(study.trials) == 12  # two segments of 6 members, then stopped
    again = small_pbt(digits, study=ts.load_study("s", storage=url), store=tmp_path)
    assert again.schedules == whole.schedules and again.lineage == whole.lineage
    assert again.losses == whole.losses and again.best_member == whole.best_member
    assert [t.value for t in study.trials] == [s["loss"] for s in whole.segments]


def test_a_bad_explore_names_the_argument(digits) -> None:
    with pytest.raises(ValueError) as info:
        small_pbt(digits, explore="bandit")
    assert "The 'explore' parameter of pbt must be one of 'perturb', 'resample', 'pb2'" in str(
        info.value
    )
