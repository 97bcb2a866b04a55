"""Heat map of one method's |relative energy error| per test trajectory and time.

Reads a *collected* dataset (layout in :mod:`hampipe.plotting.rollout_helpers`) and
returns ``(fig, table)``, the table holding exactly the numbers drawn. Never imports
torch.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from hampipe.plotting.rollout_helpers import _style, _styles, _system  # noqa: E402

__all__ = ["ENERGY_ERROR_FLOOR", "energy_heatmap_figure"]

#: Smallest |relative energy error| shown on the log colour scale (an exact zero, as at
#: t = 0, would otherwise have no colour).
ENERGY_ERROR_FLOOR = 1e-12


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
