"""The SQL schema (SQLAlchemy Core) and its version check."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Table as _Table

SCHEMA_VERSION = 1

metadata = MetaData()

meta_table = _Table(
    "tunesmith_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

studies_table = _Table(
    "tunesmith_studies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("directions", Text, nullable=False),
    Column("attrs", Text, nullable=False),
    Column("revision", Integer, nullable=False, default=0),
    Column("next_number", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
)

trials_table = _Table(
    "tunesmith_trials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("tunesmith_studies.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("params", Text, nullable=False),
    Column("distributions", Text, nullable=False),
    Column("values_json", Text),
    Column("intermediate", Text, nullable=False),
    Column("user_attrs", Text, nullable=False),
    Column("system_attrs", Text, nullable=False),
    Column("error", Text),
    Column("started", Float),
    Column("finished", Float),
    Column("heartbeat", Float),
    Column("revision", Integer, nullable=False),
    UniqueConstraint("study_id", "number", name="uq_tunesmith_trial_number"),
    Index("ix_tunesmith_trials_revision", "study_id", "revision"),
    Index("ix_tunesmith_trials_state", "study_id", "state", "number"),
)

TABLE_NAMES = {t.name for t in metadata.sorted_tables}
