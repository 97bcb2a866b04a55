"""Figures comparing methods over the test rollouts (never imports torch)."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from hampipe.core.files import atomic_write  # noqa: E402
from hampipe.core.provenance import PDF_INFO_KEY, PNG_TEXT_KEY, provenance  # noqa: E402
from hampipe.plotting.collect import colour_of, label_of  # noqa: E402

METRICS = {
    "energy_error": ("|relative energy error|", "|H(t) − H(0)| / |H(0)|"),
    "mse": ("MSE of (q, p)", "mean squared error"),
}


def set_style() -> None:
    """The one style of every figure: seaborn's paper context on a white grid."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def metric_summary(values: xr.DataArray, over: Sequence[str] = ("trajectory",)) -> xr.Dataset:
    """Mean, 25 % and 75 % quantiles of a metric over the dimensions ``over``, per time.

    Diverged rollouts (NaN) are left out of the statistics; ``n`` counts the rollouts
    used at each time.
    """
    over = [d for d in over if d in values.dims]
    stacked = values.stack(run=over) if len(over) > 1 else values.rename({over[0]: "run"})
    return xr.Dataset(
        {
            "mean": stacked.mean("run", skipna=True),
            "q25": stacked.quantile(0.25, "run", skipna=True).drop_vars("quantile"),
            "q75": stacked.quantile(0.75, "run", skipna=True).drop_vars("quantile"),
            "n": stacked.notnull().sum("run"),
        }
    )


def diverged_label(collected: xr.Dataset, method: str) -> str:
    """The method's display name, with the count of diverged rollouts if there are any."""
    label = label_of(collected, method)
    rollouts = collected.q_pred.sel({"method": method}).isel(time=-1)
    diverged = int(rollouts.isnull().any("dof").sum())
    return f"{label} ({diverged} diverged)" if diverged else label


def metric_curve(
    ax, collected: xr.Dataset, variable: str, method: str, band: bool = True, **style
) -> pd.DataFrame:
    """Draw one method's metric against time on ``ax``; return the plotted numbers.

    The line is the mean over test trajectories and seeds, the optional band their
    interquartile range (``style`` goes to both, e.g. ``color``). The energy error
    enters as its absolute value. Every caller draws on a log axis, so points that are
    not positive (the error at t = 0, zero by construction) are left out of the line
    and the band, instead of dropping to the axis' floor; the table keeps them.
    """
    values = collected[variable].sel({"method": method})
    if variable == "energy_error":
        values = np.abs(values)
    s = metric_summary(values, ("seed", "trajectory"))
    t = collected.time.values
    ax.plot(t, s["mean"].where(s["mean"] > 0), **{"lw": 1.6, **style})
    if band:
        low, high = (s[q].where(s[q] > 0) for q in ("q25", "q75"))
        ax.fill_between(t, low, high, color=style.get("color"), alpha=0.2, lw=0)
    return pd.DataFrame(
        {
            "method": method,
            "metric": variable,
            "time": t,
            "mean": s["mean"].values,
            "q25": s["q25"].values,
            "q75": s["q75"].values,
            "n": s["n"].values,
        }
    )


def metric_panel(ax, collected: xr.Dataset, variable: str, methods: Sequence[str]) -> pd.DataFrame:
    """Draw one metric against time for ``methods`` on ``ax``; return the plotted numbers.

    Lines are means over test trajectories and seeds, bands their interquartile range,
    on a log axis (SANN paper, Figs. 3 and 5), in each method's colour.
    """
    if variable not in METRICS:
        raise ValueError(f"unknown metric {variable!r}; valid: {', '.join(METRICS)}")
    ylabel, _ = METRICS[variable]
    rows = [
        metric_curve(
            ax,
            collected,
            variable,
            method,
            color=colour_of(collected, method),
            label=diverged_label(collected, method),
        )
        for method in methods
    ]
    ax.set_yscale("log")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    return pd.concat(rows, ignore_index=True)


def legend_outside(ax, title: str) -> None:
    """The legend to the right of the axes, so it never hides a curve. A one-line title
    is broken before its first "over"; one with line breaks is kept as it is."""
    ax.legend(
        title=title if "\n" in title else title.replace(" over ", "\nover ", 1),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize="small",
        title_fontsize="small",
    )


def band_title(collected: xr.Dataset) -> str:
    """Legend title saying what the line and band are over."""
    n_seed, n_traj = collected.sizes["seed"], collected.sizes["trajectory"]
    return f"mean, IQR over {n_traj} test trajectories × {n_seed} seed(s)"


def metric_figure(
    collected: xr.Dataset,
    variable: str,
    methods: Sequence[str] | None = None,
    stiff_share: np.ndarray | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """A metric of the test rollouts against time, one line per method (SANN Figs. 3, 5).

    ``stiff_share`` (per observed interval of the test split, the share of test
    trajectories inside one of their stiff intervals) adds a strip below the axes that
    shows when the test trajectories pass through their stiff intervals (close
    encounters, wall hits).
    """
    set_style()
    methods = list(collected.method.values) if methods is None else list(methods)
    if stiff_share is None:
        fig, ax = plt.subplots(figsize=(6.6, 3.4), layout="constrained")
    else:
        fig, (ax, strip) = plt.subplots(
            2, 1, figsize=(6.6, 4.1), layout="constrained", sharex=True,
            gridspec_kw={"height_ratios": [4, 1]},
        )  # fmt: skip
    table = metric_panel(ax, collected, variable, methods)
    system = str(collected.attrs.get("system", ""))
    ax.set_title(f"{system.replace('_', '-')}: {METRICS[variable][0]} on the test set")
    legend_outside(ax, band_title(collected))
    if stiff_share is not None:
        t = collected.time.values
        strip.bar(t[:-1], stiff_share, width=np.diff(t), align="edge", color="0.55", lw=0)
        strip.set_ylim(0, 1)
        strip.set_ylabel("in a stiff\ninterval", fontsize="small")
        strip.set_xlabel(ax.get_xlabel())
        ax.set_xlabel("")
        share = pd.DataFrame(
            {"method": "", "metric": "stiff_share", "time": t[:-1], "mean": stiff_share}
        )
        table = pd.concat([table, share], ignore_index=True)
    return fig, table


def add_footer(fig: plt.Figure, text: str) -> None:
    """Write "Scale: ``text``" (the run's scale, :class:`hampipe.plan.scale.Scale`) small
    along the figure's bottom edge, with room made for it below the axes."""
    # wrapped by hand, so that the room below the axes fits the lines it takes
    lines = textwrap.wrap(f"Scale: {text}", int(fig.get_figwidth() * 72 / (6.5 * 0.52)))
    engine = fig.get_layout_engine()
    margin = (0.04 + 0.11 * len(lines)) / fig.get_figheight()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, margin, 1, 1 - margin))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, margin + 0.08))
    fig.text(0.005, 0.004, "\n".join(lines), fontsize=6.5, color="0.35", ha="left", va="bottom")


def save_figure(
    fig: plt.Figure,
    path: str | os.PathLike,
    table: pd.DataFrame | None = None,
    footer: str | None = None,
) -> Path:
    """Save ``path`` (PDF, no creation date: same data, same bytes), a PNG beside it and,
    with ``table``, the plotted numbers as a tidy CSV beside it; close the figure.
    ``footer`` (the run's scale, :class:`hampipe.plan.scale.Scale`) is written along the
    bottom edge (:func:`add_footer`).

    The PDF and the PNG carry the job's provenance record
    (:func:`hampipe.core.provenance.provenance`) as JSON: in the PDF's ``Keywords`` (with
    a summary in ``Subject``), in the PNG's ``hampipe_provenance`` text chunk
    (``hampipe provenance FILE`` prints it). The CSV stays plain. Each file is written
    to a temporary name in its directory and renamed
    (:func:`hampipe.core.files.atomic_write`), so a failed run never leaves a
    half-written figure, and a full disk raises
    :class:`~hampipe.core.files.DiskFullError` naming the file.
    """
    path = Path(path)
    if footer:
        add_footer(fig, footer)
    record = provenance()
    text = json.dumps(record, sort_keys=True)
    summary = f"hampipe {record['hampipe_version']}" + (
        f", rule {record['rule']}" if "rule" in record else ""
    )
    pdf = {"CreationDate": None, "Creator": "hampipe", "Subject": summary, PDF_INFO_KEY: text}
    png = {"Software": None, PNG_TEXT_KEY: text}
    targets = [(path, {"metadata": pdf}), (path.with_suffix(".png"), {"dpi": 150, "metadata": png})]
    try:
        for target, options in targets:
            with atomic_write(target) as tmp:
                fig.savefig(tmp, format=target.suffix[1:], **options)
    finally:
        plt.close(fig)
    if table is not None:
        with atomic_write(path.with_suffix(".csv")) as tmp:
            table.to_csv(tmp, index=False)
    return path


def drift_figure(ds: xr.Dataset) -> tuple[plt.Figure, pd.DataFrame]:
    """Energy drift of the adaptive integrators: one panel per tolerance, one line per method.

    Lines are medians of |H(t) − H(0)| / |H(0)| over the initial states, bands their
    interquartile range, on a log axis (the spring study's Fig. 3 shows the same comparison
    of RK45 and DOP853 for one trajectory). t = 0, where the error is exactly zero, is
    left out.
    """
    set_style()
    n_tol = ds.sizes["tolerance"]
    fig, axes = plt.subplots(
        1, n_tol, figsize=(3.2 * n_tol, 3.2), sharey=True, squeeze=False, layout="constrained"
    )
    methods = [str(m) for m in ds.integrator.values]
    palette = dict(zip(methods, sns.color_palette("colorblind", len(methods)), strict=True))
    t = ds.time.values[1:]
    error = np.abs(ds.energy_error.values[..., 1:])
    rows = []
    for k, ax in enumerate(axes[0]):
        rtol, atol = float(ds.rtol[k]), float(ds.atol[k])
        for i, method in enumerate(methods):
            q25, median, q75 = np.quantile(error[i, k], [0.25, 0.5, 0.75], axis=0)
            ax.plot(t, median, color=palette[method], label=method, lw=1.4)
            ax.fill_between(t, q25, q75, color=palette[method], alpha=0.2, lw=0)
            rows.append(
                pd.DataFrame(
                    {
                        "integrator": method,
                        "rtol": rtol,
                        "atol": atol,
                        "time": t,
                        "median": median,
                        "q25": q25,
                        "q75": q75,
                    }
                )
            )
        ax.set_yscale("log")
        ax.set_xlabel("time (s)")
        ax.set_title(f"rtol = {rtol:g}, atol = {atol:g}")
    axes[0, 0].set_ylabel("|H(t) − H(0)| / |H(0)|")
    axes[0, -1].legend(title=f"median, IQR of {ds.sizes['trajectory']}", frameon=True)
    fig.suptitle(f"{str(ds.attrs.get('system', '')).replace('_', '-')}: energy drift of solve_ivp")
    return fig, pd.concat(rows, ignore_index=True)
