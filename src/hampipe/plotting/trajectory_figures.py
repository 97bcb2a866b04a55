"""Figures of single test rollouts: orbits, energy heat maps, valid prediction time, GIFs.

Every function reads a *collected* dataset (one per system, see
:mod:`hampipe.plotting.collect`)::

    q, p              (trajectory, time, dof)                 the test split's true states
    energy            (trajectory, time)                      true H on the true states
    q_pred, p_pred    (method, seed, trajectory, time, dof)   rollouts, NaN once diverged
    mse               (method, seed, trajectory, time)        mean over the 2n components
                                                              of the squared error of (q, p)
    energy_error      (method, seed, trajectory, time)        (H(t) − H(0)) / |H(0)|
    true_energy_pred  (method, seed, trajectory, time)        true H on the predictions
    coords:  label(method), colour(method)                    display name, "#rrggbb"
    attrs:   system, spatial_dim (2: bodies in the plane, 0: not positions), bodies

Each public figure function returns ``(fig, table)``: a matplotlib figure and a tidy
:class:`pandas.DataFrame` holding exactly the numbers drawn, one row per plotted point.
Methods are always drawn in the dataset's ``colour`` and named by its ``label``.
Nothing here changes global matplotlib state (styles are applied in a context), and
only :func:`write_orbit_animation` writes a file. Never imports torch.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import LogNorm, to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

__all__ = [
    "energy_heatmap_figure",
    "orbits_figure",
    "valid_prediction_time",
    "valid_prediction_time_figure",
    "write_orbit_animation",
]

#: Colour of the reference (true) curves.
TRUE_COLOUR = "black"
#: Smallest |relative energy error| shown on the log colour scale (an exact zero, as at
#: t = 0, would otherwise have no colour).
ENERGY_ERROR_FLOOR = 1e-12
#: Axis limits follow the truth and the predictions, but reach at most this many
#: half-ranges of the truth beyond its centre, so one blown-up rollout does not shrink
#: the true orbit to a dot (the table keeps every number, also those off the axes).
ORBIT_REACH = 3.0
#: Same for the energy panel, in units of |mean true H|.
ENERGY_REACH = 1.0


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """Seaborn's "paper" context and "whitegrid" style, for the ``with`` block only."""
    rc = {**sns.plotting_context("paper"), **sns.axes_style("whitegrid")}
    with plt.rc_context(rc):
        yield


def _methods(collected: xr.Dataset) -> list[str]:
    return [str(m) for m in collected.method.values]


def _styles(collected: xr.Dataset) -> tuple[dict[str, str], dict[str, str]]:
    """``(label, colour)`` dictionaries keyed by method, from the dataset's coordinates."""
    missing = [c for c in ("label", "colour") if c not in collected.coords]
    if missing:
        raise ValueError(
            f"collected dataset of {_system(collected)!r} lacks the method coordinate(s) "
            f"{', '.join(missing)}; figures use the configured labels and colours only"
        )
    methods = _methods(collected)
    labels = dict(zip(methods, (str(v) for v in collected.label.values), strict=True))
    colours = dict(zip(methods, (str(v) for v in collected.colour.values), strict=True))
    return labels, colours


def _system(collected: xr.Dataset) -> str:
    return str(collected.attrs.get("system", "unnamed system"))


_POWER = re.compile(r"(?<=[A-Za-z])(-?\d+)")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _unit_label(name: str, units: object) -> str:
    """``"p (kg m² s⁻¹)"`` from CF-style units ``"kg m2 s-1"``; ``"1"`` is dimensionless."""
    if units is None or str(units).strip() == "":
        return name
    units = str(units).strip()
    if units == "1":
        return f"{name} (dimensionless)"
    return f"{name} ({_POWER.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), units)})"


def _format_time(t: float) -> str:
    return f"{t:.3g}"


def _diverged_at(q_pred: np.ndarray, p_pred: np.ndarray, time: np.ndarray) -> float | None:
    """First time at which a ``(time, dof)`` rollout has a non-finite state, else None."""
    bad = ~(np.isfinite(q_pred).all(-1) & np.isfinite(p_pred).all(-1))
    return float(time[int(np.argmax(bad))]) if bad.any() else None


def _with_divergence(label: str, at: float | None) -> str:
    return label if at is None else f"{label} (diverged at t = {_format_time(at)} s)"


def _panel_title(label: str, at: float | None) -> str:
    return label if at is None else f"{label}\ndiverged at t = {_format_time(at)} s"


def _capped_range(
    truth: np.ndarray, others: list[np.ndarray], reach: float, scale: float | None = None
) -> tuple[float, float]:
    """Axis range covering ``truth`` and the finite ``others``, capped around the truth.

    The cap is the truth's centre ± ``reach`` × ``scale`` (default: the truth's
    half-range); without a positive scale there is no cap. A 5 % margin is added on
    both sides.
    """
    truth = truth[np.isfinite(truth)]
    lo, hi = float(truth.min()), float(truth.max())
    centre = (lo + hi) / 2
    half = (hi - lo) / 2 if scale is None else scale
    half = half if half > 0 else np.inf
    finite = [o[np.isfinite(o)] for o in others]
    finite = [o for o in finite if o.size]
    if finite:
        lo = min(lo, max(min(float(o.min()) for o in finite), centre - reach * half))
        hi = max(hi, min(max(float(o.max()) for o in finite), centre + reach * half))
    margin = 0.05 * (hi - lo) if hi > lo else max(abs(centre), 1.0) * 0.05
    return lo - margin, hi + margin


def _equal_ranges(
    xlim: tuple[float, float], ylim: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Widen the shorter of two ranges about its centre to the longer one's length."""
    half = max(xlim[1] - xlim[0], ylim[1] - ylim[0]) / 2
    cx, cy = sum(xlim) / 2, sum(ylim) / 2
    return (cx - half, cx + half), (cy - half, cy + half)


def _bodies_xy(values: np.ndarray, collected: xr.Dataset) -> np.ndarray:
    """``(..., dof)`` positions as ``(..., body, 2)``: bodies are consecutive blocks of
    ``spatial_dim`` coordinates (``x1, y1, x2, y2, …``)."""
    spatial_dim = int(collected.attrs.get("spatial_dim", 0))
    bodies = int(collected.attrs.get("bodies", 0)) or values.shape[-1] // max(spatial_dim, 1)
    if spatial_dim != 2 or bodies * spatial_dim != values.shape[-1]:
        raise ValueError(
            f"system {_system(collected)!r} has spatial_dim {spatial_dim} and "
            f"{values.shape[-1]} coordinates; orbits need bodies in the plane (spatial_dim 2)"
        )
    return values.reshape(*values.shape[:-1], bodies, spatial_dim)


def _rollout(collected: xr.Dataset, trajectory: int, seed: int) -> xr.Dataset:
    """One test trajectory (by its ``trajectory`` label) and one seed of every method."""
    return collected.sel(trajectory=trajectory, seed=seed)


# --------------------------------------------------------------------------- orbits


def orbits_figure(
    collected: xr.Dataset, trajectory: int = 0, seed: int = 0
) -> tuple[plt.Figure, pd.DataFrame]:
    """Learned against true trajectories of one test rollout, and their true energy.

    Reproduces the SANN paper's Fig. 4 (two-body orbits), Fig. 6 (three-body orbits) and
    Appendix E, Figs. 13–15 (further systems), and the HINN write-up's figure "learned vs
    true trajectories and energy".

    For bodies in the plane (``spatial_dim == 2``) the top row has one panel per method,
    each with every body's true orbit (thin black) and predicted orbit (method colour) in
    the x–y plane at equal aspect. Otherwise (``spatial_dim == 0``, e.g. the 1-dof spring)
    the panels are phase portraits, p against q for every degree of freedom. The bottom
    panel shows the true H on the true states (black) and the true H evaluated on each
    method's prediction (``true_energy_pred``) against time.

    A rollout that diverged (a NaN or inf state) is drawn up to where it diverged and
    its entry in the figure legend (and its panel title) says "diverged at t = … s".
    The legend below the panels keys the truth (black) and every method. Axis ranges
    cover the truth and the predictions but stop :data:`ORBIT_REACH` half-ranges of the
    truth (energy: :data:`ENERGY_REACH` × |mean H|) beyond the truth's centre, so a
    blown-up rollout may leave the axes; the table keeps all of it.

    Parameters
    ----------
    collected
        A system's collected dataset.
    trajectory
        Label (``trajectory`` coordinate) of the test trajectory to draw.
    seed
        Label (``seed`` coordinate) of the training seed whose rollouts are drawn.

    Returns
    -------
    fig
        The figure.
    table
        One row per plotted point. Columns: ``panel`` (``"orbit"``, ``"phase"`` or
        ``"energy"``), ``method`` (the panel's method for orbit/phase panels, the
        predicting method in the energy panel, None for the true energy), ``source``
        (``"true"`` or ``"predicted"``), ``seed``, ``trajectory``, ``time`` (s), then
        ``body``, ``x``, ``y`` for orbits or ``dof``, ``q``, ``p`` for phase portraits,
        and ``value`` (H) for the energy panel. Points after a divergence are NaN rows.
    """
    labels, colours = _styles(collected)
    methods = _methods(collected)
    particles = int(collected.attrs.get("spatial_dim", 0)) == 2
    one = _rollout(collected, trajectory, seed)
    time = one.time.values.astype(float)
    q_true, p_true = one.q.values, one.p.values
    dof_names = [str(d) for d in one.dof.values]
    diverged = {
        m: _diverged_at(
            one.q_pred.sel({"method": m}).values, one.p_pred.sel({"method": m}).values, time
        )
        for m in methods
    }
    key = {"seed": seed, "trajectory": trajectory}
    rows: list[pd.DataFrame] = []

    with _style():
        fig = plt.figure(figsize=(2.6 * max(len(methods), 2), 5.2), layout="constrained")
        mosaic = [methods, ["energy"] * len(methods)]
        axes = fig.subplot_mosaic(mosaic, height_ratios=[1.5, 1.0])
        if particles:
            true_xy = _bodies_xy(q_true, collected)  # (time, body, 2)
            pred_xy = {
                m: _bodies_xy(one.q_pred.sel({"method": m}).values, collected) for m in methods
            }
            xlim = _capped_range(
                true_xy[..., 0], [v[..., 0] for v in pred_xy.values()], ORBIT_REACH
            )
            ylim = _capped_range(
                true_xy[..., 1], [v[..., 1] for v in pred_xy.values()], ORBIT_REACH
            )
            xlim, ylim = _equal_ranges(xlim, ylim)
            q_units = collected.q.attrs.get("units")
            for m in methods:
                ax = axes[m]
                for source, xy, colour, lw in (
                    ("true", true_xy, TRUE_COLOUR, 0.8),
                    ("predicted", pred_xy[m], colours[m], 1.4),
                ):
                    for b in range(xy.shape[1]):
                        legend = (
                            (
                                "true"
                                if source == "true"
                                else _with_divergence(labels[m], diverged[m])
                            )
                            if b == 0
                            else "_nolegend_"
                        )
                        (line,) = ax.plot(
                            xy[:, b, 0],
                            xy[:, b, 1],
                            color=colour,
                            lw=lw,
                            label=legend,
                            zorder=3 if source == "true" else 2,
                        )
                        line.set_gid(f"orbit/{m}/{source}/{b + 1}")
                        rows.append(
                            pd.DataFrame(
                                {
                                    "panel": "orbit",
                                    "method": m,
                                    "source": source,
                                    **key,
                                    "time": time,
                                    "body": b + 1,
                                    "x": xy[:, b, 0],
                                    "y": xy[:, b, 1],
                                }
                            )
                        )
                ax.set(xlim=xlim, ylim=ylim, title=_panel_title(labels[m], diverged[m]))
                ax.set_aspect("equal", adjustable="box")
                ax.set_xlabel(_unit_label("x", q_units))
                ax.set_ylabel(_unit_label("y", q_units))
        else:
            qs = {m: one.q_pred.sel({"method": m}).values for m in methods}
            ps = {m: one.p_pred.sel({"method": m}).values for m in methods}
            qlim = _capped_range(q_true, list(qs.values()), ORBIT_REACH)
            plim = _capped_range(p_true, list(ps.values()), ORBIT_REACH)
            for m in methods:
                ax = axes[m]
                for source, q, p, colour, lw in (
                    ("true", q_true, p_true, TRUE_COLOUR, 0.8),
                    ("predicted", qs[m], ps[m], colours[m], 1.4),
                ):
                    for d, name in enumerate(dof_names):
                        base = (
                            "true" if source == "true" else _with_divergence(labels[m], diverged[m])
                        )
                        if len(dof_names) > 1:
                            base = f"{base}, {name}"
                        (line,) = ax.plot(
                            q[:, d],
                            p[:, d],
                            color=colour,
                            lw=lw,
                            label=base,
                            ls="-" if d == 0 else (0, (4, 1 + d)),
                            zorder=3 if source == "true" else 2,
                        )
                        line.set_gid(f"phase/{m}/{source}/{name}")
                        rows.append(
                            pd.DataFrame(
                                {
                                    "panel": "phase",
                                    "method": m,
                                    "source": source,
                                    **key,
                                    "time": time,
                                    "dof": name,
                                    "q": q[:, d],
                                    "p": p[:, d],
                                }
                            )
                        )
                ax.set(xlim=qlim, ylim=plim, title=_panel_title(labels[m], diverged[m]))
                ax.set_xlabel(_unit_label("q", collected.q.attrs.get("units")))
                ax.set_ylabel(_unit_label("p", collected.p.attrs.get("units")))

        ax = axes["energy"]
        h_true = one.energy.values.astype(float)
        (line,) = ax.plot(time, h_true, color=TRUE_COLOUR, lw=1.0, label="true", zorder=3)
        line.set_gid("energy/true")
        rows.append(
            pd.DataFrame(
                {
                    "panel": "energy",
                    "method": None,
                    "source": "true",
                    **key,
                    "time": time,
                    "value": h_true,
                }
            )
        )
        h_pred = {m: one.true_energy_pred.sel({"method": m}).values.astype(float) for m in methods}
        for m in methods:
            (line,) = ax.plot(
                time,
                h_pred[m],
                color=colours[m],
                lw=1.2,
                label=_with_divergence(labels[m], diverged[m]),
            )
            line.set_gid(f"energy/{m}")
            rows.append(
                pd.DataFrame(
                    {
                        "panel": "energy",
                        "method": m,
                        "source": "predicted",
                        **key,
                        "time": time,
                        "value": h_pred[m],
                    }
                )
            )
        mean_h = float(np.nanmean(h_true))
        ax.set_ylim(_capped_range(h_true, list(h_pred.values()), ENERGY_REACH, scale=abs(mean_h)))
        ax.set_xlabel("time (s)")
        ax.set_ylabel(_unit_label("H", collected.energy.attrs.get("units")))
        ax.set_title("true H on the true and the predicted states")
        handles, texts = ax.get_legend_handles_labels()
        if not particles and len(dof_names) > 1:
            for d, name in enumerate(dof_names):
                handles.append(
                    Line2D([], [], color="0.4", lw=1.0, ls="-" if d == 0 else (0, (4, 1 + d)))
                )
                texts.append(name)
        fig.legend(
            handles,
            texts,
            loc="outside lower center",
            ncol=min(len(texts), 4),
            fontsize="small",
            frameon=False,
        )
        fig.suptitle(
            f"{_system(collected).replace('_', '-')}: test trajectory {trajectory}, seed {seed}"
        )

    table = pd.concat(rows, ignore_index=True)
    return fig, table


# --------------------------------------------------------------------------- energy heat map


def energy_heatmap_figure(
    collected: xr.Dataset, method: str, seed: int = 0
) -> tuple[plt.Figure, pd.DataFrame]:
    """Heat map of one method's |relative energy error| per test trajectory and time.

    Reproduces the spring study's Fig. 4 (Greydanus-style HNN study, seed document 001):
    rows are the test trajectories, columns the time points, the colour is
    |(H(t) − H(0)) / |H(0)|| on a logarithmic scale. Values below
    :data:`ENERGY_ERROR_FLOOR` (the exact zero at t = 0) are raised to it; cells of a
    diverged rollout (NaN) are light grey.

    Parameters
    ----------
    collected
        A system's collected dataset.
    method
        The ``method`` coordinate value to draw.
    seed
        Label of the training seed.

    Returns
    -------
    fig
        The figure.
    table
        Columns ``method``, ``seed``, ``trajectory``, ``time`` (s), ``value``: one row per
        cell, ``value`` being the drawn (floored) |relative energy error|, NaN where the
        rollout had diverged.
    """
    labels, _ = _styles(collected)
    if method not in labels:
        raise ValueError(
            f"method {method!r} is not in the collected dataset of {_system(collected)!r}; "
            f"valid: {', '.join(labels)}"
        )
    err = collected.energy_error.sel({"method": method, "seed": seed}).transpose(
        "trajectory", "time"
    )
    time = err.time.values.astype(float)
    trajectories = err.trajectory.values
    raw = np.abs(err.values.astype(float))
    value = np.where(np.isnan(raw), np.nan, np.maximum(raw, ENERGY_ERROR_FLOOR))
    above = value[np.isfinite(value) & (value > ENERGY_ERROR_FLOOR)]
    vmin = float(above.min()) if above.size else ENERGY_ERROR_FLOOR
    vmax = float(np.nanmax(value)) if np.isfinite(value).any() else 1.0
    vmax = max(vmax, vmin * 10)
    below = bool((value[np.isfinite(value)] < vmin).any())

    if len(time) > 1:
        mid = (time[1:] + time[:-1]) / 2
        t_edges = np.concatenate(
            [[time[0] - (mid[0] - time[0])], mid, [time[-1] + (time[-1] - mid[-1])]]
        )
    else:
        t_edges = np.array([time[0] - 0.5, time[0] + 0.5])
    row_edges = np.arange(len(trajectories) + 1) - 0.5

    with _style():
        fig, ax = plt.subplots(
            figsize=(6.0, 1.2 + 0.12 * len(trajectories) + 1.0), layout="constrained"
        )
        cmap = plt.get_cmap("viridis").with_extremes(bad="lightgrey")
        mesh = ax.pcolormesh(
            t_edges,
            row_edges,
            np.ma.masked_invalid(value),
            cmap=cmap,
            norm=LogNorm(vmin=vmin, vmax=vmax),
            shading="flat",
            rasterized=True,
        )
        mesh.set_gid(f"energy_heatmap/{method}")
        bar = fig.colorbar(mesh, ax=ax, extend="min" if below else "neither")
        bar.set_label("|relative energy error|")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("test trajectory")
        ax.grid(False)
        step = max(1, len(trajectories) // 10)
        ax.set_yticks(np.arange(0, len(trajectories), step))
        ax.set_yticklabels([str(t) for t in trajectories[::step]])
        ax.set_ylim(row_edges[-1], row_edges[0])
        title = f"{_system(collected).replace('_', '-')}: {labels[method]}, seed {seed}"
        if np.isnan(value).any():
            title += " (grey: diverged)"
        ax.set_title(title)

    n_traj, n_time = value.shape
    table = pd.DataFrame(
        {
            "method": method,
            "seed": seed,
            "trajectory": np.repeat(trajectories, n_time),
            "time": np.tile(time, n_traj),
            "value": value.ravel(),
        }
    )
    return fig, table


# --------------------------------------------------------------------------- valid prediction time


def valid_prediction_time(collected: xr.Dataset, threshold: float) -> xr.DataArray:
    """Valid prediction time: the first time the normalised state error exceeds a threshold.

    Follows the valid prediction time (VPT) of DeepMind's physics-inspired models
    benchmark (Botev et al. 2021, "Which priors matter? Benchmarking models for learning
    latent dynamics"): the first time at which the normalised error of the prediction
    exceeds ``threshold``. The normalisation is defined here, so that one threshold is
    meaningful across systems of different scale. For each rollout,

    .. math::

        e(t) = \\sqrt{\\frac{\\mathrm{mse}(t)}{s}}, \\qquad
        s = \\frac{1}{T}\\sum_{t}\\frac{1}{n}\\sum_{i=1}^{n}\\frac{q_i(t)^2 + p_i(t)^2}{2},

    where ``mse(t)`` is the mean over the 2n state components of the squared error of
    (q, p) (the collected ``mse``) and s the same mean of the squares of the *true*
    states, averaged over the T time points of the true test trajectory; e is thus the
    relative root-mean-square error of the state.

    VPT is the time coordinate (in s, as stored) of the first point with
    e(t) > ``threshold``; a rollout that never exceeds it gets the final time, and a
    non-finite error (a diverged rollout) counts as exceeding it.

    Parameters
    ----------
    collected
        A system's collected dataset.
    threshold
        Positive, finite threshold on e.

    Returns
    -------
    xarray.DataArray
        ``valid_prediction_time`` with dims ``(method, seed, trajectory)``, units "s".

    Raises
    ------
    ValueError
        If ``threshold`` is not positive and finite, or a true trajectory is identically
        zero (s = 0, no scale to normalise by).
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be positive and finite, got {threshold!r}")
    scale = ((collected.q**2 + collected.p**2) / 2).mean(("time", "dof"))
    if bool((scale <= 0).any()):
        zero = collected.trajectory.values[(scale <= 0).values]
        raise ValueError(
            f"system {_system(collected)!r}: true trajectories {list(zero)} are identically "
            "zero, so the state error cannot be normalised"
        )
    mse = collected.mse.transpose("method", "seed", "trajectory", "time")
    with np.errstate(invalid="ignore"):
        error = np.sqrt(mse / scale)
        exceeds = ~(error <= threshold)  # NaN (diverged) compares False: counts as exceeding
    time = collected.time.values
    first = exceeds.argmax("time").values
    vpt = np.where(exceeds.any("time").values, time[first], time[-1])
    return xr.DataArray(
        vpt.astype(float),
        dims=("method", "seed", "trajectory"),
        coords={k: collected.coords[k] for k in ("method", "seed", "trajectory")},
        name="valid_prediction_time",
        attrs={
            "units": "s",
            "threshold": float(threshold),
            "long_name": "first time the normalised state error exceeds the threshold",
        },
    )


def valid_prediction_time_figure(
    collected_by_system: Mapping[str, xr.Dataset], threshold: float
) -> tuple[plt.Figure, pd.DataFrame]:
    """Bar chart of the valid prediction time per system and method.

    The benchmark figure of Botev et al. (2021, "Which priors matter? Benchmarking
    models for learning latent dynamics"; VPT per model and dataset): one group of bars
    per system, one bar per method in its colour. A bar is the mean VPT
    (:func:`valid_prediction_time`) over seeds and test trajectories; its error bar is
    the sample standard deviation across seeds of the per-seed mean, or, for a system
    trained with a single seed, across its test trajectories (the legend title says
    which). Methods missing from a system get no bar.

    Parameters
    ----------
    collected_by_system
        System name → collected dataset, in the order the groups are drawn.
    threshold
        Threshold on the normalised error (see :func:`valid_prediction_time`).

    Returns
    -------
    fig
        The figure.
    table
        Columns ``system``, ``method``, ``seed``, ``trajectory``,
        ``valid_prediction_time`` (s): every VPT the bars and error bars summarise.
    """
    if not collected_by_system:
        raise ValueError("valid_prediction_time_figure needs at least one system")
    frames, labels, colours, order = [], {}, {}, []
    for system, ds in collected_by_system.items():
        lab, col = _styles(ds)
        for m in _methods(ds):
            if m not in labels:
                order.append(m)
                labels[m], colours[m] = lab[m], col[m]
        vpt = valid_prediction_time(ds, threshold)
        df = vpt.drop_vars(["label", "colour"], errors="ignore").to_dataframe().reset_index()
        df = df[["method", "seed", "trajectory", "valid_prediction_time"]]
        df.insert(0, "system", system)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    table["method"] = table["method"].astype(str)

    single_seed = {s: ds.sizes["seed"] == 1 for s, ds in collected_by_system.items()}
    if not any(single_seed.values()):
        spread = "s.d. across seeds\nof the per-seed mean"
    elif all(single_seed.values()):
        spread = "s.d. across test\ntrajectories (one seed)"
    else:
        one = ", ".join(s.replace("_", "-") for s, v in single_seed.items() if v)
        spread = (
            "s.d. across seeds\nof the per-seed mean;\nacross test trajectories\n"
            f"for {one} (one seed)"
        )

    with _style():
        n_sys = len(collected_by_system)
        n_bars = int(table.groupby("system").method.nunique().sum())
        fig, ax = plt.subplots(
            figsize=(min(14.0, max(5.0, 0.3 * n_bars + 0.4 * n_sys + 2.5)), 3.6),
            layout="constrained",
        )
        drawn = set()
        for g, system in enumerate(collected_by_system):
            sub = table[table.system == system]
            present = [m for m in order if m in set(sub.method)]
            width = 0.8 / len(present)
            for k, m in enumerate(present):
                vals = sub[sub.method == m]
                height = float(vals.valid_prediction_time.mean())
                if single_seed[system]:
                    err = float(vals.valid_prediction_time.std(ddof=1))
                else:
                    err = float(vals.groupby("seed").valid_prediction_time.mean().std(ddof=1))
                err = 0.0 if not np.isfinite(err) else err
                x = g - 0.4 + width * (k + 0.5)
                bars = ax.bar(
                    x,
                    height,
                    width=width * 0.92,
                    yerr=err,
                    color=colours[m],
                    label=labels[m] if m not in drawn else "_nolegend_",
                    error_kw={"elinewidth": 0.9, "capsize": 2.0, "ecolor": "0.2"},
                )
                bars.patches[0].set_gid(f"vpt/{system}/{m}")
                bars.errorbar.lines[2][0].set_gid(f"vpt_err/{system}/{m}")
                drawn.add(m)
        ax.set_xticks(range(n_sys))
        ax.set_xticklabels([s.replace("_", "-") for s in collected_by_system])
        ax.set_xlim(-0.6, n_sys - 0.4)
        ax.set_ylabel("valid prediction time (s)")
        fig.suptitle(f"valid prediction time (normalised error > {threshold:g})")
        ax.set_ylim(bottom=0)
        ax.grid(axis="x", visible=False)
        ax.legend(
            title=f"bars: mean over seeds\nand test trajectories;\nerror bars: {spread}",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize="x-small",
            title_fontsize="x-small",
            alignment="left",
            frameon=False,
        )
    return fig, table


# --------------------------------------------------------------------------- animation


def write_orbit_animation(
    collected: xr.Dataset,
    path: str | os.PathLike,
    trajectory: int = 0,
    seed: int = 0,
    frames: int = 60,
    fps: int = 15,
) -> np.ndarray:
    """Write an animated GIF of one test trajectory: the reference and every method.

    The animated counterpart of the SANN paper's orbit figures (Figs. 4 and 6) and of
    :func:`orbits_figure`: one panel for the reference (true) motion and one per method,
    side by side, with every body as a dot trailed by a fading line of its recent path
    (the last fifth of the trajectory), the faint full true orbit behind it, and the
    time in the title. A method's panel title says when its rollout diverged. Time is
    subsampled to ``frames`` evenly spaced time points (all of them if there are fewer).

    The GIF is first written to a hidden temporary file in ``path``'s directory and then
    moved onto ``path`` with :func:`os.replace`, so ``path`` is either absent, the old
    file, or the complete new one.

    Parameters
    ----------
    collected
        A system's collected dataset with bodies in the plane (``spatial_dim == 2``).
    path
        Output file; must end in ``.gif``. Its directory is created if missing.
    trajectory, seed
        Labels of the test trajectory and the training seed.
    frames
        Number of frames (≥ 1).
    fps
        Frames per second (≥ 1).

    Returns
    -------
    numpy.ndarray
        The time (s) of every frame, in order.

    Raises
    ------
    ValueError
        If the system's positions are not bodies in the plane (naming the system), the
        path does not end in ``.gif``, or ``frames`` or ``fps`` is below 1.
    """
    if int(collected.attrs.get("spatial_dim", 0)) != 2:
        raise ValueError(
            f"system {_system(collected)!r} has spatial_dim "
            f"{collected.attrs.get('spatial_dim', 0)}: orbit animations need bodies in the "
            "plane (spatial_dim 2)"
        )
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"{path}: an orbit animation is written as a .gif file")
    if frames < 1 or fps < 1:
        raise ValueError(f"frames and fps must be at least 1, got frames={frames}, fps={fps}")

    labels, colours = _styles(collected)
    methods = _methods(collected)
    one = _rollout(collected, trajectory, seed)
    time = one.time.values.astype(float)
    n_time = len(time)
    index = np.unique(np.round(np.linspace(0, n_time - 1, min(frames, n_time))).astype(int))
    frame_times = time[index]
    trail = max(2, n_time // 5)

    panels = ["reference", *methods]
    xy = {"reference": _bodies_xy(one.q.values, collected)}
    xy.update({m: _bodies_xy(one.q_pred.sel({"method": m}).values, collected) for m in methods})
    colour = {"reference": TRUE_COLOUR, **colours}
    title = {"reference": "reference", **labels}
    diverged = {"reference": None}
    diverged.update(
        {
            m: _diverged_at(
                one.q_pred.sel({"method": m}).values, one.p_pred.sel({"method": m}).values, time
            )
            for m in methods
        }
    )
    others = [xy[m] for m in methods]
    xlim = _capped_range(xy["reference"][..., 0], [o[..., 0] for o in others], ORBIT_REACH)
    ylim = _capped_range(xy["reference"][..., 1], [o[..., 1] for o in others], ORBIT_REACH)
    xlim, ylim = _equal_ranges(xlim, ylim)
    n_bodies = xy["reference"].shape[1]
    if len(frame_times) > 1:
        spacing = float(np.min(np.diff(frame_times)))
        digits = max(0, -math.floor(math.log10(spacing)) + 1) if spacing > 0 else 3
    else:
        digits = 2
    system = _system(collected).replace("_", "-")

    with _style():
        fig, axes = plt.subplots(
            1,
            len(panels),
            figsize=(2.3 * len(panels), 2.7),
            dpi=80,
            squeeze=False,
            layout="constrained",
        )
        axes = dict(zip(panels, axes[0], strict=True))
        dots, trails = {}, {}
        for name, ax in axes.items():
            for b in range(n_bodies):
                ax.plot(*xy["reference"][:, b].T, color="0.8", lw=0.6, zorder=1)
            trails[name] = []
            for _ in range(n_bodies):
                lc = LineCollection([], linewidths=1.4, zorder=2)
                ax.add_collection(lc)
                trails[name].append(lc)
            (dots[name],) = ax.plot([], [], "o", color=colour[name], ms=5, zorder=3)
            ax.set(xlim=xlim, ylim=ylim, title=title[name])
            ax.set_aspect("equal", adjustable="box")
            ax.set_xlabel(_unit_label("x", collected.q.attrs.get("units")))
        axes["reference"].set_ylabel(_unit_label("y", collected.q.attrs.get("units")))
        suptitle = fig.suptitle("")
        rgba = {name: np.array(to_rgba(colour[name])) for name in panels}

        def draw(frame: int) -> list:
            k = int(index[frame])
            start = max(0, k - trail)
            for name in panels:
                pos = xy[name]
                dots[name].set_data(pos[k, :, 0], pos[k, :, 1])
                for b, lc in enumerate(trails[name]):
                    pts = pos[start : k + 1, b]
                    segs = np.stack([pts[:-1], pts[1:]], axis=1) if len(pts) > 1 else []
                    lc.set_segments(segs)
                    if len(pts) > 1:
                        colours_ = np.tile(rgba[name], (len(pts) - 1, 1))
                        colours_[:, 3] = np.linspace(0.05, 1.0, len(pts) - 1)
                        lc.set_colors(colours_)
                at = diverged[name]
                if at is not None and time[k] >= at:
                    axes[name].set_title(_panel_title(title[name], at))
                else:
                    axes[name].set_title(title[name])
            suptitle.set_text(f"{system}, test trajectory {trajectory}: t = {time[k]:.{digits}f} s")
            return [*dots.values(), suptitle]

        animation = FuncAnimation(
            fig, draw, frames=len(index), init_func=lambda: draw(0), blit=False, repeat=False
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.gif")
        try:
            animation.save(tmp, writer=PillowWriter(fps=fps))
            os.replace(tmp, path)
        finally:
            plt.close(fig)
            tmp.unlink(missing_ok=True)
    return frame_times
