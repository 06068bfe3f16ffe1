"""Trained members kept as files: the best of a study's population trials, and loading them.

A kept member is one ``torch.save`` file of plain data (the state dict's tensors, the config,
the model's class name and arguments, the data's shapes and classes) that
``torch.load(..., weights_only=True)`` reads back: nothing is pickled, and nothing but the
file's path (a trial user attribute) goes into the study's storage.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tunesmith.population.cnn import CNN
from tunesmith.population.config import member_config
from tunesmith.population.models import MLP, Linear, Logistic, Model
from tunesmith.population.module import MemberModule
from tunesmith.population.results import MemberResult
from tunesmith.trial import TrialState

__all__ = ["WEIGHTS_ATTR", "MemberStore", "default_store", "load_best", "load_member"]

WEIGHTS_ATTR = "weights_file"  # the trial user attribute naming a kept member's file
_FORMAT = "tunesmith.population.member/1"
_BUILT_IN: dict[str, type[Model]] = {c.__name__: c for c in (MLP, CNN, Linear, Logistic)}


def _plain(value: Any) -> Any:
    """Python scalars, tuples, lists and dicts of them (what a weights-only load accepts)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def member_record(result: MemberResult, number: int, value: float, metric: str) -> dict[str, Any]:
    """The plain data of one kept member (rule: torch tensors and Python scalars only)."""
    arch = result.architecture
    if arch is None:
        raise ValueError("The 'result' parameter of member_record must hold trained weights.")
    return {
        "format": _FORMAT,
        "trial": int(number),
        "value": float(value),
        "metric": metric,
        "config": _plain(result.params),
        "model": type(arch).__name__,
        "model_args": _plain(vars(arch)),
        "key": repr(arch.key()),
        "input_shape": list(result.input_shape),
        "n_outputs": int(result.n_outputs),
        "classes": None if result.classes is None else _plain(result.classes),
        "target_ndim": int(result.target_ndim),
        "state_dict": {k: torch.as_tensor(np.asarray(w)) for k, w in result.weights.items()},
    }


def default_store(database: str | os.PathLike[str], study_name: str) -> Path:
    """The folder kept members go to when no ``store`` is given (rule: beside the study's
    SQLite file, ``<db stem>.tunesmith-weights/<study name>/``).

    Args:
        database: The study's SQLite file (``Study.sqlite_file``).
        study_name: The study's name; characters other than letters, digits, ``_``, ``.``
            and ``-`` become ``_``, and dots at its ends are dropped.

    Returns:
        The folder, absolute (it is created when the first member is kept).

    Examples:
        >>> default_store("/runs/search.db", "mlp digits").as_posix()
        '/runs/search.tunesmith-weights/mlp_digits'
    """
    db = Path(database).absolute()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(study_name)).strip(".") or "_"  # never ".."
    return db.parent / f"{db.stem}.tunesmith-weights" / name


class MemberStore:
    """A folder of kept members: the ``keep`` best this process trained, the rest deleted.

    ``direction`` ("maximize" or "minimize") ranks the values; files are written whole (to a
    temporary name, then renamed), named by trial number and a random suffix so that studies
    may share a folder.
    """

    def __init__(self, folder: str | os.PathLike[str], keep: int, direction: str):
        self.folder = Path(folder)
        self.keep, self.direction = keep, direction
        self.kept: list[tuple[float, Path]] = []  # (loss, file), best first

    def offer(self, result: MemberResult, number: int, value: float, metric: str) -> Path | None:
        """Save a member if it ranks among the ``keep`` best so far; its file, else None."""
        loss = -value if self.direction == "maximize" else value
        if not math.isfinite(loss) or self.keep == 0:
            return None
        if len(self.kept) >= self.keep and loss >= self.kept[-1][0]:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"trial-{number}-{uuid.uuid4().hex[:8]}.pt"
        partial = path.with_suffix(".partial")
        torch.save(member_record(result, number, value, metric), partial)
        os.replace(partial, path)
        self.kept.append((loss, path))
        self.kept.sort(key=lambda item: item[0])
        for _, dropped in self.kept[self.keep :]:
            dropped.unlink(missing_ok=True)
        self.kept = self.kept[: self.keep]
        return path


def _model_for(record: Mapping[str, Any], model: Model | None, where: str) -> Model:
    """The resolved model of a record: ``model`` resolved with the stored config, or a
    built-in model rebuilt from its stored arguments."""
    if model is None:
        cls = _BUILT_IN.get(record["model"])
        if cls is None:
            raise ValueError(
                f"The 'model' parameter of {where} must be given for a {record['model']} member "
                "(only MLP, CNN, Linear and Logistic are rebuilt from the file). Got None instead."
            )
        return cls(**record["model_args"])
    _, structure = member_config(record["config"], 0, model.structure_keys, model.dropout, where)
    arch = model.resolve(structure)
    if repr(arch.key()) != record["key"]:
        raise ValueError(
            f"The 'model' parameter of {where} must describe the stored member "
            f"{record['key']}. Got {model!r} instead."
        )
    return arch


def load_member(path: str | os.PathLike[str], model: Model | None = None) -> MemberModule:
    """A kept member's file as a ``MemberModule`` (read with ``weights_only=True``).

    Args:
        path: The member's file.
        model: The model trained (needed for a custom ``Model`` subclass; MLP, CNN, Linear
            and Logistic are rebuilt from the file).

    Returns:
        The member as a ``torch.nn.Module``.

    Raises:
        ValueError: ``path`` is not a kept member file.
    """
    record = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        raise ValueError(
            f"The 'path' parameter of load_member must name a kept member file. Got {path!r}."
        )
    arch = _model_for(record, model, "load_member")
    return MemberModule(
        arch,
        record["state_dict"],
        record["input_shape"],
        record["n_outputs"],
        record["classes"],
        record["target_ndim"],
    )


def load_best(study: Any, model: Model | None = None, *, rank: int = 0) -> MemberModule:
    """The best trained member of ``study`` kept on disk (``rank`` 1 is the second best).

    Trials rank by the study's direction; only completed trials whose files were kept (by
    ``objective(..., store=...)``, or ``objective(..., keep=K)`` in the folder beside the
    study's SQLite file, ``default_store``) count: each trial names its file in its user
    attribute ``weights_file``.

    Args:
        study: The study whose population trials kept their members.
        model: The model trained; needed for a custom ``Model`` only.
        rank: 0 for the best member, 1 for the second best, ...

    Returns:
        The member as a ``torch.nn.Module``.

    Raises:
        ValueError: ``rank`` is not below the number of kept members.
    """
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
        raise ValueError(f"The 'rank' parameter of load_best must be an int >= 0. Got {rank!r}.")
    sign = -1.0 if study.direction == "maximize" else 1.0
    kept = [
        t
        for t in study.trials
        if t.state == TrialState.COMPLETE
        and t.value is not None
        and Path(str(t.user_attrs.get(WEIGHTS_ATTR, ""))).is_file()
    ]
    kept.sort(key=lambda t: (sign * t.value, t.number))
    if rank >= len(kept):
        raise ValueError(
            f"The 'rank' parameter of load_best must be below the {len(kept)} kept members of "
            f"study {study.study_name!r} (train with objective(..., store=FOLDER), or "
            "objective(..., keep=K) with SQLite storage). "
            f"Got {rank} instead."
        )
    return load_member(kept[rank].user_attrs[WEIGHTS_ATTR], model)
