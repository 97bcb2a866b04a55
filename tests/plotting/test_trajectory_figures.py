"""Trajectory figures on synthetic collected datasets with known answers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import LogNorm, to_hex  # noqa: E402
from PIL import Image, ImageSequence  # noqa: E402

from hampipe.plotting.trajectory_figures import (  # noqa: E402
    ENERGY_ERROR_FLOOR,
    energy_heatmap_figure,
    orbits_figure,
    valid_prediction_time,
    valid_prediction_time_figure,
    write_orbit_animation,
)

COLOURS = {"sann": "#0173b2", "hnn": "#de8f05", "ode": "#029e73"}
LABELS = {"sann": "SANN", "hnn": "HNN", "ode": "ODE"}


def _collected(q, p, q_pred, p_pred, energy, h_pred, time, dof, attrs) -> xr.Dataset:
    """A collected dataset from arrays: truth (traj, time, dof), predictions (method, seed, …)."""
    methods = list(LABELS)[: q_pred.shape[0]]
    mse = np.concatenate([(q_pred - q) ** 2, (p_pred - p) ** 2], -1).mean(-1)
    with np.errstate(invalid="ignore"):
        energy_error = (h_pred - h_pred[..., :1]) / np.abs(h_pred[..., :1])
    d3, d5, d4 = (
        ("trajectory", "time", "dof"),
        ("method", "seed", "trajectory", "time", "dof"),
        ("method", "seed", "trajectory", "time"),
    )
    return xr.Dataset(
        {
            "q": (d3, q, {"units": "m"}),
            "p": (d3, p, {"units": "kg m s-1"}),
            "energy": (("trajectory", "time"), energy, {"units": "J"}),
            "q_pred": (d5, q_pred),
            "p_pred": (d5, p_pred),
            "mse": (d4, mse),
            "energy_error": (d4, energy_error),
            "true_energy_pred": (d4, h_pred),
        },
        coords={
            "method": methods,
            "seed": np.arange(q_pred.shape[1]),
            "trajectory": np.arange(q.shape[0]),
            "time": time,
            "dof": dof,
            "label": ("method", [LABELS[m] for m in methods]),
            "colour": ("method", [COLOURS[m] for m in methods]),
        },
        attrs=attrs,
    )


def circles(phase_rate, n_traj=3, seeds=2, n_time=41, diverge_method=None, diverge_at=25):
    """Two bodies on opposite points of the unit circle, ω = 1, m = 1.

    Method k runs at angular rate ω (1 + phase_rate[k]) (a known phase drift) and on a
    radius 1 + phase_rate[k] (so its energy is off too). ``diverge_method`` turns into
    NaN from time index ``diverge_at`` on, for every seed and trajectory.
    """
    time = np.linspace(0.0, 4.0, n_time)
    phase0 = np.linspace(0, np.pi, n_traj)[:, None]

    def state(rate, radius):
        angle = phase0 + rate * time[None, :]  # (traj, time)
        q = np.stack([radius * np.cos(angle), radius * np.sin(angle)], -1)
        v = np.stack([-radius * rate * np.sin(angle), radius * rate * np.cos(angle)], -1)
        return np.concatenate([q, -q], -1), np.concatenate([v, -v], -1)

    def hamiltonian(q, p):
        return (p**2).sum(-1) / 2 - 2.0  # a bound orbit: H = -1 on the truth

    q, p = state(1.0, 1.0)
    preds = [state(1.0 + e, 1.0 + e) for e in phase_rate]
    q_pred = np.stack([np.stack([qp] * seeds) for qp, _ in preds])
    p_pred = np.stack([np.stack([pp] * seeds) for _, pp in preds])
    if diverge_method is not None:
        q_pred[diverge_method, :, :, diverge_at:] = np.nan
        p_pred[diverge_method, :, :, diverge_at:] = np.nan
    return _collected(
        q,
        p,
        q_pred,
        p_pred,
        hamiltonian(q, p),
        hamiltonian(q_pred, p_pred),
        time,
        ["x1", "y1", "x2", "y2"],
        {"system": "two_body", "spatial_dim": 2, "bodies": 2},
    )


def spring(n_traj=2, seeds=1, n_time=31):
    """k = m = 1 spring, H = (q² + p²)/2; the methods have frequency errors 2 % and 10 %."""
    time = np.linspace(0.0, 3.0, n_time)
    amp = np.arange(1, n_traj + 1)[:, None]

    def state(rate):
        return (amp * np.cos(rate * time))[..., None], (-amp * np.sin(rate * time))[..., None]

    q, p = state(1.0)
    preds = [state(r) for r in (1.02, 1.1)]
    q_pred = np.stack([np.stack([a] * seeds) for a, _ in preds])
    p_pred = np.stack([np.stack([b] * seeds) for _, b in preds]) * 1.01
    h = (q[..., 0] ** 2 + p[..., 0] ** 2) / 2
    h_pred = (q_pred[..., 0] ** 2 + p_pred[..., 0] ** 2) / 2
    return _collected(
        q,
        p,
        q_pred,
        p_pred,
        h,
        h_pred,
        time,
        ["x"],
        {"system": "spring", "spatial_dim": 0, "bodies": 0},
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a, float), np.asarray(b, float))


def _check_lines_against_table(fig, table, coords):
    """Every data line's points are the table's rows for that line, and nothing more."""
    seen = 0
    for ax in fig.axes:
        for line in ax.get_lines():
            gid = line.get_gid()
            if gid is None:
                continue
            parts = gid.split("/")
            if parts[0] == "energy":
                rows = table[table.panel == "energy"]
                rows = (
                    rows[rows.source == "true"]
                    if parts[1] == "true"
                    else rows[(rows.source == "predicted") & (rows.method == parts[1])]
                )
                _same(line.get_xdata(), rows.time)
                _same(line.get_ydata(), rows.value)
            else:
                panel, method, source, item = parts
                key = "body" if panel == "orbit" else "dof"
                item = int(item) if key == "body" else item
                rows = table[
                    (table.panel == panel)
                    & (table.method == method)
                    & (table.source == source)
                    & (table[key] == item)
                ]
                _same(line.get_xdata(), rows[coords[0]])
                _same(line.get_ydata(), rows[coords[1]])
            assert len(rows) > 0
            seen += len(rows)
    assert seen == len(table)


# --------------------------------------------------------------------------- orbits


def test_orbits_table_is_what_is_plotted():
    ds = circles([0.01, 0.05])
    fig, table = orbits_figure(ds, trajectory=1, seed=1)
    assert set(table.columns) >= {"panel", "method", "source", "time", "body", "x", "y", "value"}
    assert (table.seed == 1).all() and (table.trajectory == 1).all()
    # 2 methods × (true + predicted) × 2 bodies + energy (true + 2 methods), 41 points each
    assert len(table) == 41 * (2 * 2 * 2 + 3)
    _check_lines_against_table(fig, table, ("x", "y"))
    # the predicted orbit of body 1 of HNN is the dataset's prediction
    rows = table[(table.panel == "orbit") & (table.method == "hnn") & (table.source == "predicted")]
    _same(
        rows[rows.body == 1].x,
        ds.q_pred.sel({"method": "hnn", "seed": 1, "trajectory": 1, "dof": "x1"}),
    )
    _same(
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
    _check_lines_against_table(fig, table, ("x", "y"))


def test_orbits_of_a_spring_are_phase_portraits():
    ds = spring()
    fig, table = orbits_figure(ds, trajectory=1)
    assert set(table.panel) == {"phase", "energy"}
    assert {"dof", "q", "p"} <= set(table.columns) and "body" not in table.columns
    _check_lines_against_table(fig, table, ("q", "p"))
    truth = table[(table.panel == "phase") & (table.source == "true") & (table.method == "sann")]
    _same(truth.q, ds.q.sel(trajectory=1, dof="x"))
    _same(truth.p, ds.p.sel(trajectory=1, dof="x"))
    labels = {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}
    assert {"q (m)", "p (kg m s⁻¹)", "H (J)"} <= labels


# --------------------------------------------------------------------------- energy heat map


def test_energy_heatmap_table_is_the_drawn_mesh():
    ds = circles([0.01, 0.05], diverge_method=1, diverge_at=30)
    fig, table = energy_heatmap_figure(ds, "hnn", seed=0)
    assert list(table.columns) == ["method", "seed", "trajectory", "time", "value"]
    assert len(table) == 3 * 41
    (mesh,) = [c for ax in fig.axes for c in ax.collections if c.get_gid()]
    drawn = np.ma.filled(mesh.get_array().astype(float), np.nan).ravel()
    _same(drawn, table.value)
    assert isinstance(mesh.norm, LogNorm)
    # |error| with the floor at t = 0 (exact zero) and NaN once diverged
    expected = np.abs(ds.energy_error.sel({"method": "hnn", "seed": 0}).values)
    expected = np.where(np.isnan(expected), np.nan, np.maximum(expected, ENERGY_ERROR_FLOOR))
    _same(table.value, expected.ravel())
    assert (table[table.time == 0].value == ENERGY_ERROR_FLOOR).all()
    assert table[table.time >= float(ds.time[30])].value.isna().all()
    assert "|relative energy error|" in [ax.get_ylabel() for ax in fig.axes]
    with pytest.raises(ValueError, match="valid: sann, hnn"):
        energy_heatmap_figure(ds, "srnn")


# --------------------------------------------------------------------------- VPT


def _vpt_dataset(errors: np.ndarray, time: np.ndarray) -> xr.Dataset:
    """Truth with s = mean (q² + p²)/2 = 2 (q = p = ±2... here q = 2, p = 0 → s = 2)
    and mse = s · errors², so the normalised error is exactly ``errors`` (method, seed,
    trajectory, time)."""
    n_m, n_s, n_t, n_time = errors.shape
    q = np.full((n_t, n_time, 1), 2.0)
    p = np.zeros((n_t, n_time, 1))
    s = 2.0
    return xr.Dataset(
        {
            "q": (("trajectory", "time", "dof"), q),
            "p": (("trajectory", "time", "dof"), p),
            "mse": (("method", "seed", "trajectory", "time"), s * errors**2),
        },
        coords={
            "method": list(LABELS)[:n_m],
            "seed": np.arange(n_s),
            "trajectory": np.arange(n_t),
            "time": time,
            "dof": ["q"],
            "label": ("method", list(LABELS.values())[:n_m]),
            "colour": ("method", list(COLOURS.values())[:n_m]),
        },
        attrs={"system": "toy", "spatial_dim": 0, "bodies": 0},
    )


def test_valid_prediction_time_known_crossings():
    time = np.linspace(0.0, 1.0, 11)
    ramp = time * 0.5  # normalised error 0 … 0.5, exceeds 0.2 first at t = 0.5 (0.25)
    errors = np.stack([ramp, 0.1 * ramp, ramp.copy(), np.full(11, 0.2)])[None, None]
    errors[0, 0, 2, 3] = np.nan  # diverged at t = 0.3 (before the ramp crosses)
    vpt = valid_prediction_time(_vpt_dataset(errors, time), threshold=0.2)
    assert vpt.dims == ("method", "seed", "trajectory") and vpt.attrs["units"] == "s"
    # crossing at a known time; never crossing → final time; NaN counts as crossing;
    # exactly at the threshold is not exceeding it
    np.testing.assert_allclose(vpt.values[0, 0], [0.5, 1.0, 0.3, 1.0])


def test_valid_prediction_time_normalises_by_the_true_state():
    time = np.linspace(0.0, 1.0, 5)
    ds = _vpt_dataset(np.zeros((1, 1, 1, 5)), time)
    # mse 0.32 on s = 2: e = 0.4
    ds["mse"][:] = np.array([0.0, 0.0, 0.32, 0.32, 0.32])
    assert float(valid_prediction_time(ds, 0.39)[0, 0, 0]) == 0.5
    assert float(valid_prediction_time(ds, 0.41)[0, 0, 0]) == 1.0
    with pytest.raises(ValueError, match="positive"):
        valid_prediction_time(ds, 0.0)
    ds["q"][:] = 0.0
    with pytest.raises(ValueError, match="identically zero"):
        valid_prediction_time(ds, 0.1)


def test_valid_prediction_time_figure_bars_summarise_the_table():
    two = circles([0.01, 0.2], seeds=2)
    two["mse"][1, 1] *= 40.0  # seed 1 of HNN is worse, so the seeds differ
    one = spring(n_traj=3)
    one["mse"][:, :, 2] *= 30.0  # a worse trajectory, so the trajectories differ
    fig, table = valid_prediction_time_figure({"two_body": two, "spring": one}, threshold=0.5)
    assert list(table.columns) == [
        "system",
        "method",
        "seed",
        "trajectory",
        "valid_prediction_time",
    ]
    assert len(table) == 2 * 2 * 3 + 2 * 1 * 3
    ax = fig.axes[0]
    bars = {p.get_gid(): p for p in ax.patches if p.get_gid()}
    errs = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    assert len(bars) == 4 and len(errs) == 4
    for (system, method), rows in table.groupby(["system", "method"]):
        bar = bars[f"vpt/{system}/{method}"]
        assert bar.get_height() == pytest.approx(rows.valid_prediction_time.mean())
        assert to_hex(bar.get_facecolor()) == COLOURS[method]
        if system == "spring":  # one seed: spread across trajectories
            sd = rows.valid_prediction_time.std(ddof=1)
        else:
            sd = rows.groupby("seed").valid_prediction_time.mean().std(ddof=1)
        (segment,) = errs[f"vpt_err/{system}/{method}"].get_segments()
        assert segment[1, 1] - segment[0, 1] == pytest.approx(2 * sd)
    # the spreads are real: HNN's seeds differ on the two-body system, the spring's
    # trajectories differ, and SANN never crosses on the two-body system (final time)
    assert (
        table.query("system == 'two_body' and method == 'hnn'")
        .groupby("seed")
        .valid_prediction_time.mean()
        .nunique()
        == 2
    )
    assert (
        table.query("system == 'spring' and method == 'hnn'").valid_prediction_time.nunique() == 2
    )
    assert (
        table.query("system == 'two_body' and method == 'sann'").valid_prediction_time == 4.0
    ).all()
    title = ax.get_legend().get_title().get_text()
    assert "across seeds" in title and "spring" in title and "one seed" in title
    assert ax.get_ylabel() == "valid prediction time (s)"
    assert [t.get_text() for t in ax.get_legend().texts] == ["SANN", "HNN"]


# --------------------------------------------------------------------------- animation


def test_orbit_animation_writes_a_gif_with_the_requested_frames(tmp_path):
    ds = circles([0.01, 0.05], diverge_method=1, diverge_at=30)
    out = tmp_path / "anim" / "orbits.gif"
    times = write_orbit_animation(ds, out, trajectory=2, seed=1, frames=7, fps=10)
    assert isinstance(times, np.ndarray) and len(times) == 7
    np.testing.assert_allclose(times, ds.time.values[[0, 7, 13, 20, 27, 33, 40]])
    assert times[0] == ds.time.values[0] and times[-1] == ds.time.values[-1]
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert sum(1 for _ in ImageSequence.Iterator(gif)) == 7
    assert [p.name for p in out.parent.iterdir()] == ["orbits.gif"]  # no temporary left
    assert plt.get_fignums() == []


def test_orbit_animation_caps_frames_and_refuses_non_planar_systems(tmp_path):
    ds = circles([0.01], n_traj=1, seeds=1, n_time=5)
    times = write_orbit_animation(ds, tmp_path / "short.gif", frames=60)
    _same(times, ds.time)
    with pytest.raises(ValueError, match="'spring'"):
        write_orbit_animation(spring(), tmp_path / "spring.gif")
    with pytest.raises(ValueError, match=r"\.gif"):
        write_orbit_animation(ds, tmp_path / "orbits.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.gif"]


def test_tables_are_plain_dataframes():
    fig, table = orbits_figure(circles([0.01]))
    assert isinstance(table, pd.DataFrame) and table.index.equals(pd.RangeIndex(len(table)))


def test_on_a_dataset_built_by_collect(collected, tmp_path):
    """The real ``collect`` output (two-body, four methods × two seeds) draws end to end."""
    fig, table = orbits_figure(collected, trajectory=int(collected.trajectory[1]), seed=1)
    _check_lines_against_table(fig, table, ("x", "y"))
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
