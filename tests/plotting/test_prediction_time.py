"""Valid prediction time and its figure on synthetic datasets with known crossings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from hampipe.plotting.prediction_time import (  # noqa: E402
    valid_prediction_time,
    valid_prediction_time_figure,
)

from .rollout_fakes import COLOURS, LABELS, circles, spring  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
        "censored",
    ]
    assert len(table) == 2 * 2 * 3 + 2 * 1 * 3
    # one panel per system, each with its own axis up past the end of its rollouts
    two_body_ax, spring_ax = fig.axes
    assert two_body_ax.get_title() == "two-body" and spring_ax.get_title() == "spring"
    for ax, ds in ((two_body_ax, two), (spring_ax, one)):
        (end,) = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("horizon/")]
        assert end.get_ydata()[0] == float(ds.time[-1]) < ax.get_ylim()[1]
    # SANN never crosses on the two-body system: all its times are cut at the end, and
    # its bar says so; HNN's are not
    sann = table.query("system == 'two_body' and method == 'sann'")
    assert (
        sann.censored.all()
        and not table.query("system == 'two_body' and method == 'hnn'").censored.all()
    )
    notes = {t.get_gid(): t.get_text() for t in two_body_ax.texts}
    assert notes["censored/two_body/sann"] == f"{len(sann)}/{len(sann)}\nat end"
    ax = fig.axes[-1]
    bars = {p.get_gid(): p for a in fig.axes for p in a.patches if p.get_gid()}
    errs = {c.get_gid(): c for a in fig.axes for c in a.collections if c.get_gid()}
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
    assert fig.axes[0].get_ylabel() == "valid prediction time (s)"
    assert [t.get_text() for t in ax.get_legend().texts] == ["SANN", "HNN"]
