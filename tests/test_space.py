import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith.space import Distribution, grid_points


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ts.Float(1, 1), "'low' parameter of Float must be < high"),
        (lambda: ts.Float(2, 1), "must be < high"),
        (lambda: ts.Float(0, 1, log=True), "'low' parameter of Float must be > 0 when log=True"),
        (lambda: ts.Float(1, 10, log=True, step=1), "cannot be used together with log=True"),
        (lambda: ts.Float(0, 1, step=0.3), "must divide high - low"),
        (lambda: ts.Float(0, 1, step=-0.5), "'step' parameter of Float must be > 0"),
        (lambda: ts.Float(float("nan"), 1), "'low' parameter of Float must be finite"),
        (lambda: ts.Float(0, float("inf")), "'high' parameter of Float must be finite"),
        (lambda: ts.Float("a", 1), "must be a real number"),
        (lambda: ts.Int(5, 5), "'low' parameter of Int must be < high"),
        (lambda: ts.Int(0, 10, log=True), "must be >= 1 when log=True"),
        (lambda: ts.Int(0, 10, step=3), "must divide high - low"),
        (lambda: ts.Int(0, 10, step=0), "'step' parameter of Int must be >= 1"),
        (lambda: ts.Int(1, 10, log=True, step=3), "must be 1 when log=True"),
        (lambda: ts.Int(0.5, 3), "'low' parameter of Int must be an int"),
        (lambda: ts.Choice([]), "'options' parameter of Choice must not be empty"),
        (lambda: ts.Choice([object()]), "must hold only JSON scalars"),
        (lambda: ts.Choice([[1, [2]]]), "JSON scalars"),  # tuples of scalars only
        (lambda: ts.Choice(["a", "a"]), "must not repeat"),
        (lambda: ts.Choice("abc"), "must be a list"),
        (lambda: ts.Choice([float("nan")]), "finite"),
    ],
)
def test_invalid_distributions_name_the_parameter_and_rule(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_create_study_rejects_non_distribution_in_space():
    with pytest.raises(ValueError, match="'space' parameter of create_study must map names"):
        ts.create_study(space={"x": (0, 1)})


@settings(max_examples=200, deadline=None)
@given(st.integers(-1000, 1000), st.integers(1, 500), st.integers(1, 7), st.data())
def test_int_round_trip_exact(low, width, step, data):
    high = low + width * step
    dist = ts.Int(low, high, step=step)
    value = data.draw(st.sampled_from(dist.grid()))
    assert dist.from_unit(dist.to_unit(value)) == value
    assert 0.0 <= dist.to_unit(value) <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 10_000), st.data())
def test_log_int_round_trip_exact(low, width, data):
    dist = ts.Int(low, low + width, log=True)
    value = data.draw(st.integers(low, low + width))
    assert dist.from_unit(dist.to_unit(value)) == value


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()),
        min_size=1,
        max_size=8,
        unique_by=lambda x: (type(x), x),
    ),
    st.data(),
)
def test_choice_round_trip_exact(options, data):
    try:
        dist = ts.Choice(options)
    except ValueError:  # 1 and True compare equal in JSON terms only when types match
        return
    value = data.draw(st.sampled_from(options))
    assert dist.from_unit(dist.to_unit(value)) == value
    assert type(dist.from_unit(dist.to_unit(value))) is type(value)


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-6, 1e3), st.floats(1.001, 1e6), st.floats(0, 1))
def test_log_float_round_trip_and_log_scale(low, ratio, u):
    dist = ts.Float(low, low * ratio, log=True)
    x = dist.from_unit(u)
    assert dist.low <= x <= dist.high
    assert math.isclose(dist.to_unit(x), u, rel_tol=1e-9, abs_tol=1e-9)
    # log scale: the unit midpoint is the geometric mean
    assert math.isclose(dist.from_unit(0.5), math.sqrt(dist.low * dist.high), rel_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(-100, 100), st.integers(1, 50), st.floats(0.01, 10), st.floats(0, 1))
def test_stepped_float_stays_on_lattice(low, n, step, u):
    dist = ts.Float(low, low + n * step, step=step)
    x = dist.from_unit(u)
    k = (x - low) / step
    assert abs(k - round(k)) < 1e-6
    assert math.isclose(dist.from_unit(dist.to_unit(x)), x, rel_tol=1e-12, abs_tol=1e-12)


def test_uniform_unit_draw_is_uniform_over_int_values():
    import numpy as np

    dist = ts.Int(1, 4)
    draws = [dist.from_unit(u) for u in np.random.default_rng(0).random(40_000)]
    counts = np.bincount(draws)[1:]
    assert counts.min() > 9_500 and counts.max() < 10_500


def test_grid_points():
    assert ts.Float(0, 1, step=0.25).grid() == [0, 0.25, 0.5, 0.75, 1.0]
    assert ts.Float(1, 100, log=True).grid(3) == pytest.approx([1, 10, 100])
    assert ts.Int(1, 9, step=2).grid() == [1, 3, 5, 7, 9]
    assert ts.Choice(["a", "b"]).grid() == ["a", "b"]
    with pytest.raises(ValueError, match="no step, so its grid is undefined: give grid=n"):
        ts.Float(0, 1).grid()
    pts = grid_points({"a": ts.Int(0, 2), "b": ts.Choice(["x", "y"])})
    assert pts == [
        {"a": 0, "b": "x"},
        {"a": 0, "b": "y"},
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]


def test_json_round_trip_of_distributions():
    for dist in [
        ts.Float(0.1, 2, log=True),
        ts.Float(0, 1, step=0.5),
        ts.Int(1, 9, step=2),
        ts.Choice(["a", 1, None, True]),
    ]:
        assert Distribution.from_json(dist.to_json()) == dist
    with pytest.raises(ValueError, match="Unknown distribution kind"):
        Distribution.from_json({"kind": "pickle"})
