"""The energy error heat map on synthetic collected datasets with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from hampipe.plotting.energy_heatmap import ENERGY_ERROR_FLOOR, energy_heatmap_figure  # noqa: E402

from .rollout_fakes import circles, same  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_energy_heatmap_table_is_the_drawn_mesh():
    ds = circles([0.01, 0.05], diverge_method=1, diverge_at=30)
    fig, table = energy_heatmap_figure(ds, "hnn", seed=0)
    assert list(table.columns) == ["method", "seed", "trajectory", "time", "value"]
    assert len(table) == 3 * 41
    (mesh,) = [c for ax in fig.axes for c in ax.collections if c.get_gid()]
    drawn = np.ma.filled(mesh.get_array().astype(float), np.nan).ravel()
    same(drawn, table.value)
    assert isinstance(mesh.norm, LogNorm)
    # |error| with the floor at t = 0 (exact zero) and NaN once diverged
    expected = np.abs(ds.energy_error.sel({"method": "hnn", "seed": 0}).values)
    expected = np.where(np.isnan(expected), np.nan, np.maximum(expected, ENERGY_ERROR_FLOOR))
    same(table.value, expected.ravel())
    assert (table[table.time == 0].value == ENERGY_ERROR_FLOOR).all()
    assert table[table.time >= float(ds.time[30])].value.isna().all()
    assert "|relative energy error|" in [ax.get_ylabel() for ax in fig.axes]
    with pytest.raises(ValueError, match="valid: sann, hnn"):
        energy_heatmap_figure(ds, "srnn")
