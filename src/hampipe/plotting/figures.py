"""Figures comparing methods over the test rollouts (never imports torch)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

#: Display names and a fixed colour per method, so a method looks the same in every figure.
METHOD_LABELS = {"hnn": "HNN", "srnn": "SRNN", "sann": "SANN", "hinn": "HINN", "ode": "ODE"}
METRICS = {
    "energy_error": ("|relative energy error|", "|H(t) − H(0)| / |H(0)|"),
    "mse": ("MSE of (q, p)", "mean squared error"),
}


def method_colours(methods) -> dict[str, tuple]:
    """A stable colour per method name (the same across systems and figures)."""
    palette = sns.color_palette("colorblind", len(METHOD_LABELS))
    known = list(METHOD_LABELS)
    extra = sorted(m for m in methods if m not in known)
    colours = dict(zip(known, palette, strict=True))
    colours.update(zip(extra, sns.color_palette("dark", len(extra)), strict=True))
    return {m: colours[m] for m in methods}


def metric_summary(ds: xr.Dataset, variable: str) -> xr.Dataset:
    """Mean, 25 % and 75 % quantiles over test trajectories of a metric, per time step.

    The energy error enters as its absolute value. Diverged rollouts (NaN) are left
    out of the statistics; ``n`` counts the trajectories used at each time.
    """
    values = np.abs(ds[variable]) if variable == "energy_error" else ds[variable]
    return xr.Dataset(
        {
            "mean": values.mean("trajectory", skipna=True),
            "q25": values.quantile(0.25, "trajectory", skipna=True).drop_vars("quantile"),
            "q75": values.quantile(0.75, "trajectory", skipna=True).drop_vars("quantile"),
            "n": values.notnull().sum("trajectory"),
        }
    )


def metric_figure(evals: Mapping[str, xr.Dataset], variable: str, system: str) -> plt.Figure:
    """Line plot of a metric against the time step, one line per method.

    Lines are means over the test trajectories, bands their interquartile range;
    the y axis is logarithmic (SANN paper, Figs. 3 and 5).
    """
    if variable not in METRICS:
        raise ValueError(f"unknown metric {variable!r}; valid: {', '.join(METRICS)}")
    ylabel, _ = METRICS[variable]
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
    fig, ax = plt.subplots(figsize=(5.0, 3.4), layout="constrained")
    colours = method_colours(list(evals))
    dt = None
    for method, ds in evals.items():
        s = metric_summary(ds, variable)
        step = np.arange(ds.sizes["time"])
        dt = float(ds.time[1] - ds.time[0])
        label = METHOD_LABELS.get(method, method)
        diverged = int(ds.attrs.get("n_diverged", 0))
        if diverged:
            label += f" ({diverged} diverged)"
        ax.plot(step, s["mean"], color=colours[method], label=label, lw=1.6)
        ax.fill_between(step, s["q25"], s["q75"], color=colours[method], alpha=0.2, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel(f"time step (Δt = {dt:g} s)" if dt else "time step")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{system.replace('_', '-')}: {ylabel} on the test set")
    ax.legend(title="mean, IQR band", frameon=True)
    return fig


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> Path:
    """Save as PDF without a creation date (same data, same bytes) and close the figure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"CreationDate": None, "Creator": "hampipe"})
    plt.close(fig)
    return path


def pool_seeds(datasets: Sequence[xr.Dataset]) -> xr.Dataset:
    """The evaluations of several seeds of one method as one set of test rollouts.

    The seeds' trajectories are stacked along ``trajectory`` (seed-major), so the
    figure's statistics run over every (seed, test trajectory) pair; ``n_diverged``
    and ``seeds`` in the attrs count over all of them.
    """
    if len(datasets) == 1:
        return datasets[0].assign_attrs(seeds=1)
    pooled = xr.concat(
        [ds.drop_vars("trajectory", errors="ignore") for ds in datasets], dim="trajectory"
    )
    diverged = sum(int(ds.attrs.get("n_diverged", 0)) for ds in datasets)
    return pooled.assign_attrs(n_diverged=diverged, seeds=len(datasets))


def plot_metric_files(
    evals: Mapping[str, str | os.PathLike | Sequence[str | os.PathLike]],
    output: str | os.PathLike,
    variable: str,
    system: str,
) -> Path:
    """Read evaluation files (method → path, or → the paths of its seeds) and draw.

    Seeds of a method are pooled (:func:`pool_seeds`); ``variable`` goes to ``output``.
    """
    datasets = {}
    for method, paths in evals.items():
        paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        datasets[method] = pool_seeds([xr.load_dataset(p, engine="netcdf4") for p in paths])
    return save_figure(metric_figure(datasets, variable, system), output)


def drift_figure(ds: xr.Dataset) -> plt.Figure:
    """Energy drift of the adaptive integrators: one panel per tolerance, one line per method.

    Lines are medians of |H(t) − H(0)| / |H(0)| over the initial states, bands their
    interquartile range, on a log axis (the spring study's Fig. 3 shows the same comparison
    of RK45 and DOP853 for one trajectory). t = 0, where the error is exactly zero, is
    left out.
    """
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.0)
    n_tol = ds.sizes["tolerance"]
    fig, axes = plt.subplots(
        1, n_tol, figsize=(3.2 * n_tol, 3.2), sharey=True, squeeze=False, layout="constrained"
    )
    methods = [str(m) for m in ds.integrator.values]
    palette = dict(zip(methods, sns.color_palette("colorblind", len(methods)), strict=True))
    t = ds.time.values[1:]
    error = np.abs(ds.energy_error.values[..., 1:])
    for k, ax in enumerate(axes[0]):
        for i, method in enumerate(methods):
            q25, median, q75 = np.quantile(error[i, k], [0.25, 0.5, 0.75], axis=0)
            ax.plot(t, median, color=palette[method], label=method, lw=1.4)
            ax.fill_between(t, q25, q75, color=palette[method], alpha=0.2, lw=0)
        ax.set_yscale("log")
        ax.set_xlabel("time (s)")
        rtol, atol = float(ds.rtol[k]), float(ds.atol[k])
        ax.set_title(f"rtol = {rtol:g}, atol = {atol:g}")
    axes[0, 0].set_ylabel("|H(t) − H(0)| / |H(0)|")
    axes[0, -1].legend(title=f"median, IQR of {ds.sizes['trajectory']}", frameon=True)
    fig.suptitle(f"{str(ds.attrs.get('system', '')).replace('_', '-')}: energy drift of solve_ivp")
    return fig


def plot_drift_file(drift: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Read an ``integrator_drift`` file and draw :func:`drift_figure` into ``output``."""
    return save_figure(drift_figure(xr.load_dataset(drift, engine="netcdf4")), output)
