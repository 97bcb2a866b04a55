"""The SAI/SI figures of the SANN paper: each table holds exactly what is plotted."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hampipe.plotting.sai_figures import (
    billiard_potential_figure,
    sai_percentiles_figure,
    sai_si_figure,
    sai_translation_figure,
)
from hampipe.sai import stiff_mask
from hampipe.systems import make_system

from .sai_fakes import DT, N_INTERVALS, three_body_sai, three_body_split


@pytest.fixture(scope="module")
def data():
    return three_body_split()


@pytest.fixture(scope="module")
def sai(data):
    return three_body_sai(data)


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


def test_sai_figures_do_not_import_torch():
    code = "import sys, hampipe.plotting.sai_figures; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_strongest_stiff_event_is_drawn_and_round_off_si_is_zero(sai):
    from hampipe.plotting.sai_figures import strongest_event

    spiked = sai.copy(deep=True)
    spiked["sai"].values[1, 5] = 1e3 * np.nanmax(sai.sai.values)
    assert strongest_event(spiked) == 1
    fig, table = sai_si_figure(spiked, 0.1, trajectory="strongest")
    assert (table.trajectory == spiked.trajectory.values[1]).all()
    # SI of an elliptic trajectory is round-off: 0 in the table, a linear axis saying so
    spiked["si"].values[1] = 1e-16
    fig, table = sai_si_figure(spiked, 0.1, trajectory=1)
    assert (table[table.quantity == "si"].value == 0).all()
    bottom = fig.axes[1]
    assert bottom.get_yscale() == "linear"
    assert any("round-off" in t.get_text() for t in bottom.texts)
    # partly round-off: those points are left off the log axis and counted in the legend
    spiked["si"].values[1, :3] = 1e-16
    spiked["si"].values[1, 3:] = sai.si.values[1, 3:]
    fig, table = sai_si_figure(spiked, 0.1, trajectory=1)
    assert fig.axes[1].get_yscale() == "log"
    assert np.isnan(fig.axes[1].lines[0].get_ydata()[:3]).all()
    assert "3 intervals at 0" in fig.axes[1].get_legend().texts[-1].get_text()
