"""Studies: the ask -> evaluate -> tell loop, the only place that talks to strategy and storage."""

from tunesmith.study.study import Study, StudyExhausted, create_study, load_study

__all__ = ["Study", "StudyExhausted", "create_study", "load_study"]
