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
