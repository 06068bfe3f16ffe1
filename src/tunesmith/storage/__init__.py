"""Where studies and trials live: memory, SQLite or PostgreSQL, behind one narrow contract."""

from __future__ import annotations

from typing import Any

from tunesmith.storage.base import (
    DuplicatedStudyError,
    Proposal,
    Storage,
    StorageError,
    StudyInfo,
    StudyNotFoundError,
    TrialLostError,
)
from tunesmith.storage.memory import InMemoryStorage

__all__ = [
    "Storage",
    "InMemoryStorage",
    "SQLStorage",
    "StudyInfo",
    "Proposal",
    "StorageError",
    "DuplicatedStudyError",
    "StudyNotFoundError",
    "TrialLostError",
    "get_storage",
]


def get_storage(storage: Any, *, create: bool = True) -> Storage:
    """Resolve ``None`` (memory), a URL string, or a Storage instance; with ``create=False`` a
    URL must name an existing tunesmith database (StudyNotFoundError, nothing written)."""
    if not isinstance(create, bool):
        raise TypeError(
            f"The 'create' parameter of get_storage must be a bool. Got {create!r} instead."
        )
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        from tunesmith.storage.sql import SQLStorage

        return SQLStorage(storage, create=create)
    raise ValueError(
        "The 'storage' parameter must be None, a Storage, 'sqlite:///PATH' or "
        f"'postgresql://...'. Got {storage!r} instead."
    )


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from tunesmith.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(name)
