"""PBT's records: one study trial per member segment, checkpoints in a folder beside it.

At each ready point the population is saved whole (weights, optimizer state, records) as one
``torch.save`` file of tensors and plain data, read back with ``weights_only=True``; then the
member segments that just ended are added to the study in one transaction, each naming the
checkpoint, its member, its segment, its parent segment's trial and whom it was copied from.
A checkpoint without its trials is never read: ``resume`` starts from the last segment the
study holds, so a run stopped anywhere continues as if it had not stopped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tunesmith.population.store import WEIGHTS_ATTR, member_record
from tunesmith.trial import FrozenTrial, TrialState
from tunesmith.validation import param_error

__all__ = ["Book", "check_study"]

_FORMAT = "tunesmith.population.pbt/1"


class Book:
    """A PBT run's records in a study (one trial per member segment) and checkpoints in a
    folder beside it; ``resume`` finds the last ready point both hold."""

    def __init__(self, study: Any, store: str | os.PathLike[str], key: dict[str, Any]):
        self.study, self.folder, self.key = study, Path(store).absolute(), key
        self.numbers: dict[int, int] = {}  # member -> trial of its last recorded segment
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(study.study_name))
        self.prefix = f"{name}-pbt"

    def resume(self) -> dict[str, Any] | None:
        """The checkpoint of the last recorded ready point, or None for a new run."""
        mine = [t for t in self.study.trials if "pbt_segment" in t.user_attrs]
        if not mine:
            return None
        last = max(t.user_attrs["pbt_segment"] for t in mine)
        rows = [t for t in mine if t.user_attrs["pbt_segment"] == last]
        self.numbers = {t.user_attrs["pbt_member"]: t.number for t in rows}
        path = self.folder / Path(rows[0].user_attrs["pbt_checkpoint"]).name  # in this store
        if not path.is_file():
            name = self.study.study_name
            raise FileNotFoundError(f"The PBT checkpoint {path} of study {name!r} is missing.")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        for name, value in self.key.items():
            if saved["key"].get(name) != value:
                raise ValueError(
                    f"The {name!r} parameter of pbt must be {saved['key'].get(name)!r}, as in "
                    f"the run recorded in study {self.study.study_name!r}. Got {value!r} instead."
                )
        return saved

    def _save(self, record: dict[str, Any], name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        partial = path.with_suffix(".partial")
        torch.save(record, partial)
        os.replace(partial, path)
        return path

    def record(self, pop: Any, space: dict) -> None:
        """Checkpoint after segment k - 1, then add its member segments as trials at once."""
        k = pop.k - 1
        record = {"format": _FORMAT, "key": self.key, **pop.snapshot()}
        path = self._save(record, f"{self.prefix}-{k}.pt")
        best_file = None
        if pop.k == len(pop.ends):  # the end: the best member kept for load_best(study)
            result = pop.result()
            best_file = f"{self.prefix}-best.pt"
            self._save(member_record(result.best, -1, result.loss, "loss"), best_file)
        trials = [self._trial(s, path, space) for s in pop.segments[-pop.n :]]
        if best_file is not None:
            trials[result.best_member].user_attrs[WEIGHTS_ATTR] = str(self.folder / best_file)
        added = self.study.add_trials(trials)
        for segment, trial in zip(pop.segments[-pop.n :], added):
            segment["trial"] = trial.number
        self.numbers = {s["member"]: t.number for s, t in zip(pop.segments[-pop.n :], added)}

    def _trial(self, segment: dict[str, Any], path: Path, space: dict) -> FrozenTrial:
        loss = segment["loss"]
        attrs = {
            "pbt_member": segment["member"],
            "pbt_segment": segment["segment"],
            "pbt_start_epoch": segment["start"],
            "pbt_end_epoch": segment["end"],
            "pbt_parent_trial": self.numbers.get(segment["parent"]),
            "pbt_exploited_from": segment["exploited_from"],
            "pbt_checkpoint": str(path),
        }
        finite = bool(np.isfinite(loss))
        return FrozenTrial(
            -1, TrialState.COMPLETE if finite else TrialState.FAIL, dict(segment["params"]),
            dict(space), values=(loss,) if finite else None, user_attrs=attrs,
            error=None if finite else "The member diverged: its validation loss is not finite.",
        )  # fmt: skip

    def number(self, pop: Any) -> None:
        """Name each segment's trial in the population's records (resumed runs included)."""
        numbers = {
            (t.user_attrs["pbt_member"], t.user_attrs["pbt_segment"]): t.number
            for t in self.study.trials
            if "pbt_segment" in t.user_attrs
        }
        for segment in pop.segments:
            segment["trial"] = numbers.get((segment["member"], segment["segment"]))


def check_study(study: Any, store: Any, space: dict) -> None:
    """A study must minimize one value (the validation loss), hold the space, have a store."""
    if study is None:
        if store is not None:
            raise param_error("pbt", "store", "None when no study is given", store)
        return
    if not hasattr(study, "add_trials") or tuple(study.directions) != ("minimize",):
        rule = "None or a tunesmith Study with direction 'minimize' (values: validation losses)"
        raise param_error("pbt", "study", rule, study)
    differ = [n for n in space if study.space and study.space.get(n) != space[n]]
    if differ:
        rule = f"a study whose space declares {differ} as the 'space' of pbt does"
        raise param_error("pbt", "study", rule, study)
    if store is None:
        rule = "a folder path when a study is given (checkpoints are kept there)"
        raise param_error("pbt", "store", rule, store)
