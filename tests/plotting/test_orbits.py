"""Orbit figures on synthetic collected datasets with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from hampipe.plotting.orbits import orbits_figure  # noqa: E402

from .rollout_fakes import COLOURS, check_lines_against_table, circles, same, spring  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_orbits_table_is_what_is_plotted():
    ds = circles([0.01, 0.05])
    fig, table = orbits_figure(ds, trajectory=1, seed=1)
    assert set(table.columns) >= {"panel", "method", "source", "time", "body", "x", "y", "value"}
    assert (table.seed == 1).all() and (table.trajectory == 1).all()
    # 2 methods × (true + predicted) × 2 bodies + energy (true + 2 methods), 41 points each
    assert len(table) == 41 * (2 * 2 * 2 + 3)
    check_lines_against_table(fig, table, ("x", "y"))
    # the predicted orbit of body 1 of HNN is the dataset's prediction
    rows = table[(table.panel == "orbit") & (table.method == "hnn") & (table.source == "predicted")]
    same(
        rows[rows.body == 1].x,
        ds.q_pred.sel({"method": "hnn", "seed": 1, "trajectory": 1, "dof": "x1"}),
    )
    same(
        rows[rows.body == 2].y,
        ds.q_pred.sel({"method": "hnn", "seed": 1, "trajectory": 1, "dof": "y2"}),
    )
    # method colours from the dataset, truth in black, orbit panels at equal aspect
    for m, colour in (("sann", COLOURS["sann"]), ("hnn", COLOURS["hnn"])):
        (line,) = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == f"energy/{m}"]
        assert to_hex(line.get_color()) == colour
    orbit_axes = [ax for ax in fig.axes if ax.get_title() in ("SANN", "HNN")]
    assert len(orbit_axes) == 2 and all(ax.get_aspect() == 1.0 for ax in orbit_axes)
    assert any("time (s)" == ax.get_xlabel() for ax in fig.axes)


def test_orbits_mark_a_diverged_rollout_in_the_legend():
    ds = circles([0.01, 0.05], diverge_method=1, diverge_at=25)
    fig, table = orbits_figure(ds)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + fig.legends
    texts = [t.get_text() for legend in legends for t in legend.texts]
    t_div = float(ds.time[25])
    assert f"HNN (diverged at t = {t_div:.3g} s)" in texts
    assert not any("SANN (diverged" in t for t in texts)
    # the diverged part is kept in the table as NaN, not dropped
    rows = table[(table.method == "hnn") & (table.source == "predicted") & (table.panel == "orbit")]
    assert len(rows) == 2 * 41 and rows.x.isna().sum() == 2 * (41 - 25)
    check_lines_against_table(fig, table, ("x", "y"))


def test_orbits_of_a_spring_are_phase_portraits():
    ds = spring()
    fig, table = orbits_figure(ds, trajectory=1)
    assert set(table.panel) == {"phase", "energy"}
    assert {"dof", "q", "p"} <= set(table.columns) and "body" not in table.columns
    check_lines_against_table(fig, table, ("q", "p"))
    truth = table[(table.panel == "phase") & (table.source == "true") & (table.method == "sann")]
    same(truth.q, ds.q.sel(trajectory=1, dof="x"))
    same(truth.p, ds.p.sel(trajectory=1, dof="x"))
    labels = {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}
    assert {"q (m)", "p (kg m s⁻¹)", "H (J)"} <= labels


def test_tables_are_plain_dataframes():
    fig, table = orbits_figure(circles([0.01]))
    assert isinstance(table, pd.DataFrame) and table.index.equals(pd.RangeIndex(len(table)))


def test_predictions_are_drawn_over_a_dashed_truth():
    for ds in (circles([0.01, 0.05]), spring()):
        fig, _ = orbits_figure(ds, trajectory=1)
        lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()]
        truth = [ln for ln in lines if "/true" in ln.get_gid()]
        predicted = [
            ln
            for ln in lines
            if "/predicted" in ln.get_gid()
            or (ln.get_gid().startswith("energy/") and ln.get_gid() != "energy/true")
        ]
        assert truth and predicted
        assert max(ln.get_zorder() for ln in truth) < min(ln.get_zorder() for ln in predicted)
        assert all(ln.get_linestyle() == "--" for ln in truth)
        assert all(
            ln.get_linestyle() == "-"
            for ln in predicted
            if ln.get_gid().endswith(("/1", "/x", "energy/hnn", "energy/sann"))
        )
        plt.close(fig)


def test_several_bodies_have_a_colour_each_and_a_start_marker():
    ds = circles([0.01, 0.05])
    fig, table = orbits_figure(ds, trajectory=1, seed=1)
    (hnn,) = [ax for ax in fig.axes if ax.get_title() == "HNN"]
    by_gid = {ln.get_gid(): ln for ln in hnn.get_lines()}
    colours = {b: to_hex(by_gid[f"orbit/hnn/predicted/{b}"].get_color()) for b in (1, 2)}
    assert colours[1] != colours[2]
    # the truth of a body has the body's colour; its start marker sits on the first point
    for b in (1, 2):
        assert to_hex(by_gid[f"orbit/hnn/true/{b}"].get_color()) == colours[b]
        start = by_gid[f"start/hnn/{b}"]
        first = table[
            (table.panel == "orbit")
            & (table.method == "hnn")
            & (table.source == "true")
            & (table.body == b)
        ].iloc[0]
        assert (start.get_xdata()[0], start.get_ydata()[0]) == (first.x, first.y)
        assert start.get_marker() == "o"
    texts = [t.get_text() for legend in fig.legends for t in legend.texts]
    assert {"body 1", "body 2", "start", "true"} <= set(texts)


def test_walls_are_drawn_under_every_orbit_panel():
    walls = [{"x": 0.0, "y": 0.0, "radius": 1.2}, {"x": 0.1, "y": 0.0, "radius": 0.5}]
    fig, _ = orbits_figure(circles([0.01, 0.05]), trajectory=1, outlines=walls)
    for title in ("SANN", "HNN"):
        (ax,) = [a for a in fig.axes if a.get_title() == title]
        drawn = {p.get_gid(): p for p in ax.patches}
        assert set(drawn) == {"outline/0", "outline/1"}
        assert drawn["outline/1"].get_radius() == 0.5
        assert drawn["outline/1"].center == (0.1, 0.0)
        assert all(p.get_zorder() < ln.get_zorder() for p in ax.patches for ln in ax.get_lines())
    fig, _ = orbits_figure(circles([0.01]), trajectory=1)
    assert not any(a.patches for a in fig.axes)
