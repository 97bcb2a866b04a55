"""The one definition of the relative energy error (hampipe.data.energy), by hand."""

import numpy as np
import pytest

from hampipe.data import ENERGY_SCALE_FLOOR, energy_scale, relative_energy_error
from hampipe.data.ground_truth import relative_energy_drift


def test_relative_energy_error_by_hand():
    """(H(t) − H(0)) / |H(0)|: H(0) = 2 → (3 − 2) / 2 = 0.5; H(0) = −4 (a bound orbit)
    → (−3 − (−4)) / 4 = 0.25 (energy gained is positive); H(0) = 0 → scale 1."""
    H = np.array([[2.0, 3.0, 1.0], [-4.0, -3.0, -5.0], [0.0, 0.5, -0.25]])
    np.testing.assert_array_equal(
        relative_energy_error(H),
        [[0.0, 0.5, -0.5], [0.0, 0.25, -0.25], [0.0, 0.5, -0.25]],
    )
    # a given H(0) instead of the first column
    np.testing.assert_array_equal(
        relative_energy_error(np.array([[3.0, 1.0]]), reference=np.array([2.0])), [[0.5, -0.5]]
    )
    # any leading shape: (integrator, trajectory, time)
    assert relative_energy_error(np.ones((2, 3, 4))).shape == (2, 3, 4)


def test_the_floor_is_a_fraction_of_the_median_initial_energy():
    """With floor f, s = max(|H(0)|, f × median |H(0)|): here median(0, 2, 4) = 2, so
    a trajectory starting at H(0) = 0 is scaled by f × 2 and the others by |H(0)|."""
    H = np.array([[0.0, 0.001], [2.0, 3.0], [-4.0, -2.0]])
    scale, floor = energy_scale(H[:, 0], 1e-3)
    assert floor == 2e-3
    np.testing.assert_array_equal(scale, [2e-3, 2.0, 4.0])
    np.testing.assert_array_equal(
        relative_energy_error(H, floor=1e-3), [[0.0, 0.5], [0.0, 0.5], [0.0, 0.5]]
    )
    assert ENERGY_SCALE_FLOOR == 1e-3
    # every H(0) zero: the floor falls back to 1; NaN H(0) are left out of the median
    assert energy_scale(np.zeros(3), 1e-3)[1] == 1.0
    assert energy_scale(np.array([np.nan, 1.0, 3.0]), 0.5)[1] == 1.0
    # without a floor: |H(0)|, or 1 where H(0) = 0, and no floor value
    scale, floor = energy_scale(np.array([0.0, -2.0]))
    np.testing.assert_array_equal(scale, [1.0, 2.0])
    assert floor is None


def test_nan_energies_stay_nan():
    H = np.array([[1.0, np.nan], [np.nan, np.nan]])
    error = relative_energy_error(H, floor=1e-3)
    assert error[0, 0] == 0 and np.isnan(error[0, 1]) and np.isnan(error[1]).all()


@pytest.mark.parametrize("seed", range(3))
def test_the_operations_are_those_the_stages_used(seed):
    """Bit for bit the formulas simulate, integrator_drift and evaluate each had."""
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(7, 11)) * 10.0 ** rng.integers(-3, 3, size=(7, 1))
    H[2, 0] = 0.0
    # simulate's rejection rule: max |H − H(0)| / s, s = |H(0)| or 1
    h0 = H[:, :1]
    scale = np.where(np.abs(h0) > 0, np.abs(h0), 1.0)
    assert np.array_equal(relative_energy_drift(H), np.max(np.abs(H - h0) / scale, axis=1))
    # integrator_drift: (H − H(0)) / s with H(0) given
    reference = H[:, 0] * (1 + 1e-9)
    s = np.where(np.abs(reference) > 0, np.abs(reference), 1.0)
    expected = np.stack([(H[j] - reference[j]) / s[j] for j in range(len(H))])
    assert np.array_equal(relative_energy_error(H, reference=reference), expected)
    # evaluate: s = max(|H(0)|, 1e-3 × median |H(0)|)
    magnitude = np.abs(H[:, 0])
    floored = np.maximum(magnitude, 1e-3 * np.median(magnitude))
    assert np.array_equal(relative_energy_error(H, floor=1e-3), (H - H[:, :1]) / floored[:, None])
