"""The SAI/SI figures of the SANN paper: each table holds exactly what is plotted."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hampipe.data import simulate
from hampipe.plotting.sai_figures import (
    billiard_potential_figure,
    sai_percentiles_figure,
    sai_si_figure,
    sai_translation_figure,
)
from hampipe.sai import annotate, stiff_mask, stiffness_aware_index
from hampipe.systems import make_system

N_TRAJ, N_TIME, DT = 6, 41, 0.1
N_INTERVALS = N_TIME - 1


@pytest.fixture(scope="module")
def data():
    return simulate(make_system("three_body"), N_TRAJ, N_TIME, DT, seed=0)


@pytest.fixture(scope="module")
def sai(data):
    return annotate(data, make_system("three_body"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("ranking", ["trajectory", "dataset"])
def test_sai_si_table_matches_data_and_stiff_mask(sai, ranking):
    fig, table = sai_si_figure(sai, 0.1, ranking=ranking, trajectory=2)
    assert isinstance(fig, plt.Figure)
    assert list(table.columns) == ["trajectory", "interval", "time", "quantity", "value", "stiff"]
    assert len(table) == 2 * N_INTERVALS
    expected_stiff = stiff_mask(sai.sai.values, 0.1, ranking)[2]
    for quantity in ("sai", "si"):
        rows = table[table.quantity == quantity]
        np.testing.assert_array_equal(rows.interval, np.arange(N_INTERVALS))
        np.testing.assert_array_equal(rows.value, sai[quantity].values[2])
        np.testing.assert_array_equal(rows.stiff, expected_stiff)
        np.testing.assert_allclose(rows.time, np.arange(N_INTERVALS) * DT)
    assert (table.trajectory == 2).all()
    # Two log panels, x = interval index by default; the lines carry the table's values.
    top, bottom = fig.axes
    assert top.get_yscale() == bottom.get_yscale() == "log"
    np.testing.assert_array_equal(top.lines[0].get_xdata(), np.arange(N_INTERVALS))
    np.testing.assert_array_equal(top.lines[0].get_ydata(), sai.sai.values[2])
    np.testing.assert_array_equal(bottom.lines[0].get_ydata(), sai.si.values[2])
    assert "SI" in fig._suptitle.get_text()


def test_sai_si_time_axis(sai, data):
    fig, _ = sai_si_figure(sai, 0.1, time=True)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), sai.interval_start.values)
    assert fig.axes[-1].get_xlabel() == "time (s)"
    fig, _ = sai_si_figure(sai, 0.1, time=data.time.values)  # observation times: n + 1
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), data.time.values[:-1])
    with pytest.raises(ValueError, match="interval start times"):
        sai_si_figure(sai, 0.1, time=np.arange(3.0))


@pytest.mark.parametrize("how", ["absent", "nan"])
def test_sai_si_without_si_draws_sai_only(sai, how):
    ds = sai.drop_vars("si") if how == "absent" else sai.assign(si=sai.si * np.nan)
    fig, table = sai_si_figure(ds, 0.1)
    assert len(table) == N_INTERVALS and set(table.quantity) == {"sai"}
    assert len(fig.axes) == 1
    assert "SI not available" in fig._suptitle.get_text()


def test_sai_percentiles_band_and_normalisation(sai):
    fig, table = sai_percentiles_figure(sai)
    assert list(table.columns) == ["rank_fraction", "median", "lower", "upper"]
    assert len(table) == N_INTERVALS
    assert table.rank_fraction.iloc[0] == 0 and table.rank_fraction.iloc[-1] == 1
    assert (np.diff(table.rank_fraction) > 0).all()
    assert (table.lower <= table["median"]).all() and (table["median"] <= table.upper).all()
    for column in ("lower", "median", "upper"):
        assert ((table[column] > 0) & (table[column] <= 1)).all()
        assert (np.diff(table[column]) >= 0).all()  # increasing order, as App. G
    # Independent: per-trajectory SAI / max, sorted, then percentiles over trajectories.
    normalised = np.sort(sai.sai.values / sai.sai.values.max(1, keepdims=True), axis=1)
    np.testing.assert_allclose(table["median"], np.median(normalised, axis=0))
    np.testing.assert_allclose(table.upper.iloc[-1], 1.0)  # every trajectory ends at its max
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), table["median"])


def test_sai_translation_zero_shift_is_the_untranslated_sai(data, sai):
    fig, table = sai_translation_figure(data, shifts=(0, 1, 10), random_shifts=0, trajectory=1)
    assert list(table.columns) == [
        "panel",
        "shift",
        "scale",
        "draw",
        "trajectory",
        "interval",
        "time",
        "sai",
        "stiff",
    ]
    assert len(fig.axes) == 1 and set(table.panel) == {"fixed"}
    assert len(table) == 3 * N_INTERVALS  # 0 is not drawn twice
    zero = table[table["shift"] == "0"]
    np.testing.assert_allclose(zero.sai, sai.sai.values[1], rtol=1e-12)
    np.testing.assert_array_equal(zero.stiff, stiff_mask(sai.sai.values, 0.1)[1])
    np.testing.assert_allclose(zero.time, data.time.values[:-1])
    assert len(fig.axes[0].lines) == 2 * 3  # a line and its stiff markers per shift


def test_sai_translation_fixed_shifts_scale_sai_down(data):
    shifts = (0.1, 1, 10, 100, 1e3, 1e6)
    _, table = sai_translation_figure(data, shifts=shifts, random_shifts=0)
    fixed = table[table["shift"] != "0"]
    assert list(fixed["shift"].unique()) == ["0.1", "1", "10", "100", "1000", "1e+06"]
    means = fixed.groupby("scale", sort=True).sai.mean()
    assert list(means.index) == sorted(shifts)
    assert (np.diff(means.to_numpy()) < 0).all()  # ‖u_i‖ grows with the shift
    for v in shifts:  # each line is Eq. 5 on q + v with its own top-γ stiff split
        rows = fixed[fixed.scale == v]
        expected = stiffness_aware_index(data.q.values + v, data.p.values, data.time.values)
        np.testing.assert_allclose(rows.sai, expected[0], rtol=1e-12)
        np.testing.assert_array_equal(rows.stiff, stiff_mask(expected, 0.1)[0])
        assert rows.stiff.sum() == round(0.1 * N_INTERVALS)
    # For v ≫ ‖q‖, ‖u_i‖ ≈ v √dof, so SAI ≈ ‖u_{i+1} − u_i‖ / (Δt v √dof).
    u = np.concatenate([data.q.values[0], data.p.values[0]], axis=-1)
    step = np.linalg.norm(np.diff(u, axis=0), axis=-1) / DT
    big = fixed[fixed.scale == 1e6].sai.to_numpy()
    np.testing.assert_allclose(big * 1e6 * np.sqrt(data.sizes["dof"]), step, rtol=1e-4)


def test_sai_translation_random_shifts_are_seeded(data):
    shifts = (1, 100, 1e4)
    fig, table = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=3)
    assert [ax.get_title()[:3] for ax in fig.axes] == ["(a)", "(b)"]
    rand = table[table["shift"] == "random"]
    assert (rand.panel == "random").all()
    assert len(rand) == len(shifts) * 2 * N_INTERVALS
    assert sorted(set(zip(rand.scale, rand.draw, strict=True))) == [
        (v, k) for v in shifts for k in (0, 1)
    ]
    # the untranslated line is drawn (and listed) in both panels
    assert (table[table["shift"] == "0"].groupby("panel").size() == N_INTERVALS).all()
    again = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=3)[1]
    other = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=4)[1]
    np.testing.assert_array_equal(again.sai, table.sai)
    assert not np.allclose(other[other["shift"] == "random"].sai, rand.sai)
    # V ~ U[0, v] per coordinate: ‖V‖ ≤ v √dof = ‖(v, …, v)‖, so for v ≫ ‖q‖ the random
    # translation shrinks SAI less than the fixed one, and never by more than v √dof.
    fixed = table[(table.panel == "fixed") & (table.scale == 1e4)].sai.to_numpy()
    for k in (0, 1):
        random_sai = rand[(rand.scale == 1e4) & (rand.draw == k)].sai.to_numpy()
        assert (random_sai >= 0.999 * fixed).all()
        assert not np.allclose(random_sai, fixed)
        assert rand[(rand.scale == 1e4) & (rand.draw == k)].stiff.sum() == 4


def test_figures_render_and_write_no_files(tmp_path, monkeypatch, data, sai):
    monkeypatch.chdir(tmp_path)
    figures = [
        sai_si_figure(sai, 0.1, time=True)[0],
        sai_percentiles_figure(sai)[0],
        sai_translation_figure(data, shifts=(1, 10))[0],
        billiard_potential_figure(make_system("billiard"), points=11)[0],
    ]
    for fig in figures:
        fig.canvas.draw()  # labels (mathtext) and layouts render
    assert list(tmp_path.iterdir()) == []


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


def test_sai_figures_do_not_import_torch():
    code = "import sys, hampipe.plotting.sai_figures; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
