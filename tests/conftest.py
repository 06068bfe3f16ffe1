import pytest

from tunesmith.storage import InMemoryStorage


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    """Every storage backend the machine can run; the conformance suite runs over each."""
    if request.param == "memory":
        return InMemoryStorage()
    return f"sqlite:///{tmp_path / 'study.db'}"
