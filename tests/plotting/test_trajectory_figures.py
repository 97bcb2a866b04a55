"""The rollout figures re-exported by ``trajectory_figures``, on the real ``collect`` output.

Each figure's own tests are in ``test_orbits.py``, ``test_energy_heatmap.py``,
``test_prediction_time.py`` and ``test_animation.py``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from hampipe.plotting import animation, energy_heatmap, orbits, prediction_time  # noqa: E402
from hampipe.plotting import trajectory_figures as tf  # noqa: E402
from hampipe.plotting.trajectory_figures import (  # noqa: E402
    energy_heatmap_figure,
    orbits_figure,
    valid_prediction_time,
    valid_prediction_time_figure,
    write_orbit_animation,
)

from .rollout_fakes import check_lines_against_table  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_names_are_re_exported_from_where_they_live():
    for module in (orbits, energy_heatmap, prediction_time, animation):
        for name in module.__all__:
            assert getattr(tf, name) is getattr(module, name)
    assert set(tf.__all__) >= {
        "energy_heatmap_figure",
        "orbits_figure",
        "valid_prediction_time",
        "valid_prediction_time_figure",
        "write_orbit_animation",
    }


def test_on_a_dataset_built_by_collect(collected, tmp_path):
    """The real ``collect`` output (two-body, four methods × two seeds) draws end to end."""
    fig, table = orbits_figure(collected, trajectory=int(collected.trajectory[1]), seed=1)
    check_lines_against_table(fig, table, ("x", "y"))
    assert set(table.method.dropna()) == {str(m) for m in collected.method.values}
    fig, table = energy_heatmap_figure(collected, "sann_k1", seed=1)
    assert len(table) == collected.sizes["trajectory"] * collected.sizes["time"]
    vpt = valid_prediction_time(collected, 0.01)
    assert vpt.sizes == {"method": 4, "seed": 2, "trajectory": collected.sizes["trajectory"]}
    # the larger a method's error, the sooner it leaves the threshold (seed 1 is worse)
    mean = vpt.mean("trajectory")
    assert (mean.sel(seed=0) >= mean.sel(seed=1)).all()
    assert float(mean.sel({"method": "sann", "seed": 0})) >= float(
        mean.sel({"method": "hnn", "seed": 0})
    )
    fig, table = valid_prediction_time_figure({"two_body": collected}, 0.01)
    assert len(table) == vpt.size
    times = write_orbit_animation(collected, tmp_path / "o.gif", frames=4)
    assert len(times) == 4
