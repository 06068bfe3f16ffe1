"""Hostile input and resumption: whatever goes in comes back verbatim; a resumed study goes on
exactly as if it had never stopped."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith import TrialState

names = st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s)


@st.composite
def spaces(draw):
    out = {}
    for name in draw(st.lists(names, min_size=1, max_size=5, unique=True)):
        kind = draw(st.sampled_from(["float", "log", "int", "choice"]))
        if kind == "float":
            low = draw(st.floats(-1e6, 1e6))
            out[name] = ts.Float(low, low + draw(st.floats(1e-3, 1e6)))
        elif kind == "log":
            low = draw(st.floats(1e-8, 1e3))
            out[name] = ts.Float(low, low * draw(st.floats(1.5, 1e6)), log=True)
        elif kind == "int":
            low = draw(st.integers(-1000, 1000))
            out[name] = ts.Int(low, low + draw(st.integers(1, 1000)))
        else:
            opts = draw(
                st.lists(
                    st.one_of(names, st.integers(), st.none()),
                    min_size=1,
                    max_size=4,
                    unique_by=lambda x: (type(x), x),
                )
            )
            out[name] = ts.Choice(opts)
    return out


values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(1e308),
    st.just(-1e308),
    st.text(max_size=5),
    st.none(),
    st.lists(st.floats(-10, 10), max_size=3),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    space=spaces(),
    returned=st.lists(values, min_size=1, max_size=6),
    strategy=st.sampled_from(["random", "genetic"]),
    name=names.filter(str.strip),  # a study name must hold more than whitespace
)
def test_random_spaces_and_histories_round_trip(tmp_path_factory, space, returned, strategy, name):
    url = f"sqlite:///{tmp_path_factory.mktemp('h') / 'h.db'}"
    study = ts.create_study(name=name, storage=url, space=space, strategy=strategy, seed=0)
    it = iter(returned)
    study.optimize(lambda t: next(it), n_trials=len(returned))
    loaded = ts.load_study(name, storage=url)
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]
    for trial, raw in zip(loaded.trials, returned):
        assert all(space[k].contains(v) for k, v in trial.params.items())
        if isinstance(raw, list) and len(raw) == 1:  # one value for one objective is fine
            raw = raw[0]
        good = isinstance(raw, float) and math.isfinite(raw)
        assert trial.state is (TrialState.COMPLETE if good else TrialState.FAIL)
        if good:
            assert trial.value == raw
        else:
            assert trial.error and trial.values is None


def _rastrigin(trial):
    xs = [trial.params[k] for k in sorted(trial.params)]
    return 10 * len(xs) + sum(x * x - 10 * math.cos(2 * math.pi * x) for x in xs)


def test_resumed_study_continues_the_same_strategy_state(tmp_path):
    space = {f"x{i}": ts.Float(-5.12, 5.12) for i in range(3)}
    for strategy in ("genetic", "grid"):
        if strategy == "grid":
            space = {"a": ts.Int(0, 9), "b": ts.Choice(["p", "q", "r"])}
        # The same two optimize calls on a study that is never closed: reopening between them
        # must change nothing.
        whole = ts.create_study(space=space, strategy=strategy, seed=7)
        for n in (27, 23):
            whole.optimize(
                _rastrigin if strategy == "genetic" else (lambda t: t.params["a"]), n_trials=n
            )
        url = f"sqlite:///{tmp_path / (strategy + '.db')}"
        first = ts.create_study(name="r", storage=url, space=space, strategy=strategy, seed=7)
        objective = _rastrigin if strategy == "genetic" else (lambda t: t.params["a"])
        first.optimize(objective, n_trials=27)  # "crash" mid-generation, mid-grid
        del first
        resumed = ts.load_study("r", storage=url)
        resumed.optimize(objective, n_trials=23)
        assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
