"""The checked solve_ivp wrapper used for ground truth."""

import numpy as np
import pytest

from hampipe.integrators import IntegrationError, solve


def test_solve_matches_exact_solution():
    t = np.linspace(0.0, 2.0, 5)
    y = solve(lambda t, y: np.array([y[1], -y[0]]), np.array([1.0, 0.0]), t)
    np.testing.assert_allclose(y, np.stack([np.cos(t), -np.sin(t)], axis=1), atol=1e-10)


def test_solve_ivp_wrapper_raises_on_failure():
    with pytest.raises(IntegrationError, match="failed"):
        solve(lambda t, y: y**2, np.array([1.0]), np.linspace(0, 2, 5), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="unknown method"):
        solve(lambda t, y: -y, np.array([1.0]), np.linspace(0, 1, 3), method="Euler")


def test_nan_at_the_start_stops_before_the_first_step():
    """A NaN derivative at y0 (sqrt of a negative number) used to give solve_ivp a NaN
    first step, on which it looped for ever; now it raises at once, naming the state."""
    calls = {"n": 0}

    def root(t, y):
        calls["n"] += 1
        with np.errstate(invalid="ignore"):
            return np.array([np.sqrt(y[0])])

    with pytest.raises(IntegrationError, match=r"t = 0, u = \[-0\.25\]: du/dt is NaN") as info:
        solve(root, np.array([-0.25]), np.linspace(0.0, 1.0, 3))
    assert info.value.reason == "undefined"
    assert info.value.state.tolist() == [-0.25]
    assert calls["n"] <= 2  # the check and its re-evaluation; solve_ivp never started


def test_running_into_an_undefined_region_names_where():
    """dy/dt = -sqrt(y) reaches y = 0 in finite time; past it the field is NaN. The step
    control shrinks the step to nothing; the error names the first NaN state (y < 0)."""

    def root(t, y):
        with np.errstate(invalid="ignore"):
            return np.array([-np.sqrt(y[0])])

    with pytest.raises(IntegrationError, match="NaN there") as info:
        solve(root, np.array([0.25]), np.linspace(0.0, 2.0, 3))
    assert info.value.reason == "undefined"
    assert info.value.state[0] < 0
    assert 0.9 < info.value.t < 1.1  # y = (0.5 - t/2)**2 reaches 0 at t = 1


@pytest.mark.parametrize(
    ("fun", "y0", "what"),
    [
        (lambda t, y: 1.0 / y, [0.0], "infinite"),
        # inf - inf: a NaN that comes from an overflow, not from a non-real value
        (lambda t, y: y * 1e308 * 10 - y * 1e308 * 10, [1.0], "overflow"),
    ],
)
def test_singularity_or_overflow_is_unbounded_not_undefined(fun, y0, what):
    with np.errstate(all="ignore"), pytest.raises(IntegrationError, match=what) as info:
        solve(fun, np.array(y0), np.linspace(0.0, 1.0, 3))
    assert info.value.reason == "unbounded"


def test_blow_up_is_told_from_a_tolerance_failure():
    """y' = y² from 1 blows up at t = 1: unbounded growth. A harmonic oscillator at
    t = 1e16, where the float spacing of t (2) is larger than any step meeting the
    tolerance, fails with moderate states: a tolerance problem."""
    with pytest.raises(IntegrationError, match="grew without bound") as info:
        solve(lambda t, y: y**2, np.array([1.0]), np.linspace(0, 2, 5), rtol=1e-10, atol=1e-10)
    assert info.value.reason == "unbounded"
    assert info.value.t == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(IntegrationError, match="tolerances cannot be met") as info:
        solve(
            lambda t, y: np.array([y[1], -y[0]]), np.array([1.0, 0.0]), 1e16 + np.array([0, 64.0])
        )
    assert info.value.reason == "tolerance"


def test_error_survives_pickling():
    """Ground truth runs in worker processes: the reason and the state must come back."""
    import pickle

    error = IntegrationError(
        "stopped", "undefined", 0.5, np.array([-1.0, 2.0]), np.array([np.nan, 0.0])
    )
    back = pickle.loads(pickle.dumps(error))
    assert (str(back), back.reason, back.t) == ("stopped", "undefined", 0.5)
    assert back.state.tolist() == [-1.0, 2.0]
