"""The billiard potential figure (SANN §4.1, Fig. 3a) against Eq. 8 written out."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hampipe.plotting.potential_figures import billiard_potential_figure
from hampipe.systems import make_system


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _billiard_v(x, y, r_alpha, r_beta, s, q0):
    """SANN Eq. 8 with p = 0, written out independently of hampipe.systems.billiard."""
    outer = 1.0 / (1.0 + np.exp((r_alpha - np.hypot(x, y)) / s))
    inner = 1.0 / (1.0 + np.exp((r_beta - np.hypot(x - q0, y)) / s))
    return outer - inner


@pytest.mark.parametrize(
    "parameters",
    [
        {"r_alpha": 1.0, "r_beta": 0.5, "softness": 0.05, "shift": 0.1},
        {"r_alpha": 1.5, "r_beta": 0.6, "softness": 0.1, "shift": 0.3},
    ],
)
def test_billiard_potential_matches_eq8(parameters):
    system = make_system("billiard", parameters=parameters)
    fig, table = billiard_potential_figure(system, points=61)
    assert list(table.columns) == ["panel", "x", "y", "potential"]
    profile, grid = table[table.panel == "profile"], table[table.panel == "map"]
    assert len(profile) == 61 and len(grid) == 61**2
    r = 1.25 * parameters["r_alpha"]
    assert profile.x.min() == -r and profile.x.max() == r and (profile.y == 0).all()
    assert grid.y.min() == -r and grid.y.max() == r
    args = (parameters["r_alpha"], parameters["r_beta"], parameters["softness"])
    for rows in (profile, grid):
        expected = _billiard_v(rows.x.to_numpy(), rows.y.to_numpy(), *args, parameters["shift"])
        np.testing.assert_allclose(rows.potential, expected, rtol=1e-12, atol=1e-15)
    assert -1.0 < profile.potential.min() < -0.9  # the ring's floor
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), profile.potential)


def test_billiard_potential_extent_and_errors():
    system = make_system("billiard")
    _, table = billiard_potential_figure(system, extent=(0.2, 0.9, 0.5, 1.0), points=5)
    profile = table[table.panel == "profile"]
    np.testing.assert_allclose(profile.x, np.linspace(0.2, 0.9, 5))
    assert (profile.y == 0.75).all()  # y = 0 lies outside: the middle of the y range
    with pytest.raises(ValueError, match="dof 2"):
        billiard_potential_figure(make_system("three_body"))
    with pytest.raises(ValueError, match="extent"):
        billiard_potential_figure(system, extent=(1, 0, 0, 1))
