"""Valid prediction time (VPT) of every rollout, and its bar chart across systems.

Reads *collected* datasets (layout in :mod:`hampipe.plotting.rollout_helpers`); the
figure returns ``(fig, table)``, the table holding every VPT the bars summarise. Never
imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from hampipe.plotting.rollout_helpers import _methods, _style, _styles, _system  # noqa: E402

__all__ = ["valid_prediction_time", "valid_prediction_time_figure"]


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
        ``valid_prediction_time`` with dims ``(method, seed, trajectory)``, units "s",
        and the coordinate ``censored`` (same dims): the rollout never exceeded the
        threshold, so its VPT is the final time, a lower bound.

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
    crossed = exceeds.any("time").values
    vpt = np.where(crossed, time[first], time[-1])
    dims = ("method", "seed", "trajectory")
    return xr.DataArray(
        vpt.astype(float),
        dims=dims,
        coords={
            **{k: collected.coords[k] for k in dims},
            "censored": (dims, ~crossed),
        },
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
        ``valid_prediction_time`` (s) and ``censored`` (the rollout never left the
        threshold, so its VPT is the end of the test rollout, a lower bound): every VPT
        the bars and error bars summarise.

    Each system has its own panel and y axis (the test rollouts' lengths differ), with
    the end of the rollout dotted and, above a bar, how many of its VPTs are cut there.
    """
    if not collected_by_system:
        raise ValueError("valid_prediction_time_figure needs at least one system")
    frames, labels, colours, order, horizons = [], {}, {}, [], {}
    for system, ds in collected_by_system.items():
        lab, col = _styles(ds)
        for m in _methods(ds):
            if m not in labels:
                order.append(m)
                labels[m], colours[m] = lab[m], col[m]
        vpt = valid_prediction_time(ds, threshold)
        df = vpt.drop_vars(["label", "colour"], errors="ignore").to_dataframe().reset_index()
        df = df[["method", "seed", "trajectory", "valid_prediction_time", "censored"]]
        df.insert(0, "system", system)
        horizons[system] = float(ds.time.values[-1])
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
        widths = [max(1, table[table.system == s].method.nunique()) for s in collected_by_system]
        fig, axes = plt.subplots(
            1,
            n_sys,
            figsize=(min(14.0, max(5.0, 0.35 * sum(widths) + 1.1 * n_sys + 2.5)), 3.6),
            width_ratios=[w + 1 for w in widths],
            squeeze=False,
            layout="constrained",
        )
        drawn = set()
        for ax, system in zip(axes[0], collected_by_system, strict=True):
            sub = table[table.system == system]
            horizon = float(horizons[system])
            present = [m for m in order if m in set(sub.method)]
            for k, m in enumerate(present):
                vals = sub[sub.method == m]
                height = float(vals.valid_prediction_time.mean())
                if single_seed[system]:
                    err = float(vals.valid_prediction_time.std(ddof=1))
                else:
                    err = float(vals.groupby("seed").valid_prediction_time.mean().std(ddof=1))
                err = 0.0 if not np.isfinite(err) else err
                bars = ax.bar(
                    k,
                    height,
                    width=0.8,
                    yerr=err,
                    color=colours[m],
                    label=labels[m] if m not in drawn else "_nolegend_",
                    error_kw={"elinewidth": 0.9, "capsize": 2.0, "ecolor": "0.2"},
                )
                bars.patches[0].set_gid(f"vpt/{system}/{m}")
                bars.errorbar.lines[2][0].set_gid(f"vpt_err/{system}/{m}")
                drawn.add(m)
                censored = int(vals.censored.sum())
                if censored:  # these never left the threshold: their VPT is the horizon
                    note = ax.text(
                        k, min(height + err, horizon) * 1.02, f"{censored}/{len(vals)}\nat end",
                        ha="center", va="bottom", fontsize="xx-small",
                    )  # fmt: skip
                    note.set_gid(f"censored/{system}/{m}")
            line = ax.axhline(horizon, color="0.4", ls=":", lw=1.0)
            line.set_gid(f"horizon/{system}")
            ax.set_xticks([])
            ax.set_title(system.replace("_", "-"), fontsize="small")
            ax.set_xlim(-0.7, len(present) - 0.3)
            ax.set_ylim(0, horizon * 1.25)
            ax.grid(axis="x", visible=False)
        axes[0, 0].set_ylabel("valid prediction time (s)")
        fig.suptitle(f"valid prediction time (normalised error > {threshold:g})")
        handles = [h for ax in axes[0] for h in ax.get_legend_handles_labels()[0]]
        texts = [t for ax in axes[0] for t in ax.get_legend_handles_labels()[1]]
        axes[0, -1].legend(
            handles,
            texts,
            title=f"bars: mean over seeds\nand test trajectories;\nerror bars: {spread};\n"
            "dotted: the test rollout's end;\nk/n at end: rollouts still\nvalid there",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize="x-small",
            title_fontsize="x-small",
            alignment="left",
            frameon=False,
        )
    return fig, table
