"""Studies: the ask -> evaluate -> tell loop, the only place that talks to strategy and storage."""

from tunesmith.study.create import create_study, delete_study, load_study
from tunesmith.study.study import Study, StudyExhausted

__all__ = ["Study", "StudyExhausted", "create_study", "load_study", "delete_study"]
