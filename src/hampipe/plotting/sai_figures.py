"""Figures of the SANN paper about the stiffness-aware index (SAI) and stiffness index (SI).

Liang, Huang & Zhang, "Stiffness-aware neural network for learning Hamiltonian systems",
ICLR 2022 (SANN). Each figure is a pure function returning ``(fig, table)``: a
matplotlib Figure and a tidy :class:`pandas.DataFrame` holding exactly the numbers
plotted, one row per plotted point (long format). Nothing here writes files; pass the
figure to :func:`hampipe.plotting.figures.save_figure` to store it.

- :func:`sai_si_figure` -- SAI and SI against time for one trajectory, stiff intervals
  shaded (SANN §5, Fig. 7 and App. E, Fig. 16);
- :func:`sai_percentiles_figure` -- the sorted, normalised SAIs of every trajectory,
  median and 95 % band (SANN App. G, Fig. 19).

Re-exported here so that existing imports keep working, but living in their own modules:

- :func:`~hampipe.plotting.sai_translation.sai_translation_figure` -- SAI and the stiff
  split after translating the positions (SANN App. B, Figs. 11-12);
- :func:`~hampipe.plotting.potential_figures.billiard_potential_figure` -- the
  soft-walled billiard's potential, a profile and a map (SANN §4.1, Fig. 3a).

The look they share is in :mod:`hampipe.plotting.sai_helpers`. Never imports torch.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from hampipe.plotting.potential_figures import billiard_potential_figure  # noqa: E402
from hampipe.plotting.sai_helpers import (  # noqa: E402
    _STIFF_COLOUR,
    FIGSIZE,
    _log_y,
    _style,
    _system_label,
)
from hampipe.plotting.sai_translation import sai_translation_figure  # noqa: E402
from hampipe.sai import stiff_mask  # noqa: E402

__all__ = [
    "FIGSIZE",
    "billiard_potential_figure",
    "normalised_sorted_sai",
    "sai_percentiles_figure",
    "sai_si_figure",
    "sai_translation_figure",
]


def _interval_times(sai: xr.Dataset, time) -> np.ndarray | None:
    """Start time of every interval: ``None`` for none, from ``interval_start`` or given."""
    n = sai.sizes["interval"]
    if time is None:
        return None
    if time is True:
        if "interval_start" not in sai.coords:
            raise ValueError("time=True needs the SAI file's 'interval_start' coordinate")
        return np.asarray(sai["interval_start"].values, np.float64)
    times = np.asarray(time, np.float64)
    if times.ndim == 1 and times.size == n + 1:  # observation times: intervals start at [:-1]
        times = times[:-1]
    if times.shape != (n,):
        raise ValueError(
            f"time must hold the {n} interval start times (or the {n + 1} observation "
            f"times), got shape {np.shape(time)}"
        )
    return times


def _span_edges(x: np.ndarray) -> np.ndarray:
    """Edges x_0 … x_n of the intervals starting at ``x`` (the last one as wide as the one
    before it), so that interval i is shaded from x_i to x_{i+1}."""
    if x.size == 1:
        return np.array([x[0], x[0] + 1.0])
    return np.append(x, x[-1] + (x[-1] - x[-2]))


def _shade(ax: plt.Axes, edges: np.ndarray, stiff: np.ndarray, label: str | None) -> None:
    """Shade each run of consecutive stiff intervals with one span."""
    flags = np.concatenate([[False], stiff, [False]]).astype(int)
    starts = np.flatnonzero(np.diff(flags) == 1)
    stops = np.flatnonzero(np.diff(flags) == -1)
    for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
        ax.axvspan(
            edges[a],
            edges[b],
            color=_STIFF_COLOUR,
            alpha=0.45,
            lw=0,
            label=label if k == 0 else None,
        )


#: SI below this fraction of the trajectory's largest SAI is round-off of a Jacobian whose
#: eigenvalues are imaginary (Re λ = 0: the pendulum chains, the billiard between its
#: walls): drawn and tabled as 0, not as 1e-15 on a log axis.
SI_ROUND_OFF = 1e-9


def strongest_event(sai: xr.Dataset) -> int:
    """Position of the trajectory with the strongest stiff event: the largest ratio of its
    maximum SAI to its median SAI (a close encounter, a wall hit)."""
    values = np.asarray(sai["sai"].values, np.float64)
    median = np.nanmedian(values, axis=1)
    ratio = np.nanmax(values, axis=1) / np.where(median > 0, median, np.inf)
    return int(np.nanargmax(ratio))


def sai_si_figure(
    sai: xr.Dataset,
    gamma: float,
    ranking: str = "trajectory",
    trajectory: int | str = 0,
    time=None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """SAI and SI of one training trajectory against time, stiff intervals shaded.

    Reproduces SANN §5, Fig. 7 and its supplement App. E, Fig. 16 ("Comparison of SAI and
    SI with time ... The trends of SAI and SI are consistent"): the stiffness-aware index
    SAI_i = ‖u_{i+1} − u_i‖₂ / ((t_{i+1} − t_i) ‖u_i‖₂) (Eq. 5) and the stiffness index
    SI = max |Re λ(∂f/∂u)| at u_i (§3.1), in two stacked panels sharing the time axis,
    both on a logarithmic y axis. The intervals that
    :func:`hampipe.sai.stiff_mask` marks stiff (the top-γ by SAI, §3.1) are shaded.

    Parameters
    ----------
    sai
        An SAI file (:func:`hampipe.sai.annotate`): ``sai(trajectory, interval)`` and, where
        the true Hamiltonian is known, ``si(trajectory, interval)``. Without ``si``, or with
        ``si`` NaN everywhere for this trajectory, only SAI is drawn and the title says so.
    gamma
        Stiff ratio γ in [0, 1).
    ranking
        ``"trajectory"`` (rank each trajectory's intervals on their own) or ``"dataset"``;
        the classification uses every trajectory of ``sai``, as training does.
    trajectory
        Position (not label) of the trajectory to draw, or ``"strongest"``: the one with
        the strongest stiff event (:func:`strongest_event`; the paper's Fig. 7 shows
        peaks at close encounters).
    time
        x axis: ``None`` plots against the interval index; ``True`` against the file's
        ``interval_start`` coordinate; an array against those times (the n interval
        start times, or the n + 1 observation times of the training split).

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``trajectory`` (label), ``interval``, ``time`` (interval start in s; NaN
        when ``time`` is None and the file has no ``interval_start``), ``quantity``
        (``"sai"`` or ``"si"``), ``value`` (1/s), ``stiff`` (bool): one row per plotted
        point, so 2 × n_intervals rows with SI and n_intervals without. SI below
        :data:`SI_ROUND_OFF` × the trajectory's largest SAI is round-off and is 0 here
        (left off the log axis; all of it 0: a linear axis that says so).
    """
    if trajectory == "strongest":
        trajectory = strongest_event(sai)
    values = np.asarray(sai["sai"].values, np.float64)
    stiff = stiff_mask(values, gamma, ranking)[trajectory]
    row = sai.isel(trajectory=trajectory)
    label = row["trajectory"].item() if "trajectory" in row.coords else trajectory
    n = sai.sizes["interval"]
    intervals = np.asarray(sai["interval"].values) if "interval" in sai.coords else np.arange(n)
    times = _interval_times(sai, time)
    x = intervals.astype(np.float64) if times is None else times
    table_time = times
    if table_time is None:
        table_time = (
            np.asarray(sai["interval_start"].values, np.float64)
            if "interval_start" in sai.coords
            else np.full(n, np.nan)
        )
    si = np.asarray(row["si"].values, np.float64) if "si" in sai else None
    has_si = si is not None and bool(np.isfinite(si).any())
    if has_si:
        floor = SI_ROUND_OFF * np.nanmax(np.asarray(row["sai"].values, np.float64))
        si = np.where(np.abs(si) < floor, 0.0, si)

    quantities = {"sai": np.asarray(row["sai"].values, np.float64)}
    if has_si:
        quantities["si"] = si
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "trajectory": label,
                    "interval": intervals,
                    "time": table_time,
                    "quantity": name,
                    "value": v,
                    "stiff": stiff,
                }
            )
            for name, v in quantities.items()
        ],
        ignore_index=True,
    )

    _style()
    colours = sns.color_palette("colorblind", 2)
    fig, axes = plt.subplots(
        len(quantities),
        1,
        figsize=(FIGSIZE[0], 2.3 * len(quantities) + 0.6),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    axes = axes[:, 0]
    edges = _span_edges(x)
    ylabels = {"sai": "SAI (1/s)", "si": "SI (1/s)"}
    names = {"sai": "SAI, Eq. 5", "si": "SI = max |Re λ(J)|"}
    for ax, (name, v), colour in zip(axes, quantities.items(), colours, strict=False):
        _shade(ax, edges, stiff, f"stiff (top γ = {gamma:g} by SAI, {ranking} ranking)")
        zero = np.asarray(v) == 0
        flat = bool(zero.all())  # SI round-off everywhere: imaginary eigenvalues only
        if zero.any() and not flat:
            names[name] += f" ({int(zero.sum())} intervals at 0, not drawn)"
        shown = v if flat else np.where(zero, np.nan, v)
        ax.plot(x, shown, color=colour, lw=1.4, marker="o", ms=2.5, label=names[name])
        if flat:
            ax.set_ylim(-1, 1)
            ax.text(
                0.5, 0.7, "SI = 0 (round-off): Re λ = 0 all along this trajectory",
                transform=ax.transAxes, ha="center", fontsize="small",
            )  # fmt: skip
        else:
            _log_y(ax, shown)
        ax.set_ylabel(ylabels[name])
        # off the data: outside the axes, on the right
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes[-1].set_xlabel("interval index" if times is None else "time (s)")
    title = f"{_system_label(sai)} trajectory {label}: SAI and SI"
    if not has_si:
        title = f"{_system_label(sai)} trajectory {label}: SAI (SI not available)"
    fig.suptitle(title.strip())
    return fig, table


def normalised_sorted_sai(sai: xr.Dataset | np.ndarray) -> np.ndarray:
    """Each trajectory's SAIs divided by that trajectory's maximum, in increasing order.

    SANN App. G: "We normalize the SAIs of a trajectory to [0, 1] and show the increasing
    order of SAIs". Returns shape ``(trajectory, interval)``, each row increasing and
    ending in 1.
    """
    values = np.asarray(sai["sai"].values if isinstance(sai, xr.Dataset) else sai, np.float64)
    if not np.isfinite(values).all():
        raise ValueError("SAI is not finite everywhere (a state with zero norm?)")
    peak = values.max(axis=1, keepdims=True)
    if (peak <= 0).any():
        raise ValueError("a trajectory has no positive SAI (it does not move); cannot normalise")
    return np.sort(values / peak, axis=1)


def sai_percentiles_figure(sai: xr.Dataset) -> tuple[plt.Figure, pd.DataFrame]:
    """Sorted normalised SAIs over a data set: median and 2.5-97.5 % band (SANN App. G).

    Reproduces SANN App. G, Fig. 19 ("The increasing order of the normalized SAIs over the
    three-body dataset of 1,000 trajectories. The shaded area represents the 95 %
    confidence interval."), which the paper uses to pick the stiff ratio γ: "large SAIs
    mainly concentrate around the order index from 90 to 100. Hence, we choose
    90-percentile (γ = 0.1) as the threshold." Each trajectory's SAIs are divided by its
    maximum (so lie in (0, 1]) and sorted in increasing order, as the paper does; across
    trajectories the median of each order position is drawn with the band between the
    2.5th and 97.5th percentiles (the spread of the trajectories, our reading of the
    paper's "95 % confidence interval").

    Parameters
    ----------
    sai
        An SAI file with ``sai(trajectory, interval)``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``rank_fraction`` (order position k / (n − 1), 0 … 1, increasing SAI),
        ``median``, ``lower`` (2.5 %), ``upper`` (97.5 %): one row per interval position.
    """
    sorted_sai = normalised_sorted_sai(sai)
    n_traj, n = sorted_sai.shape
    rank = np.arange(n) / (n - 1) if n > 1 else np.ones(1)
    lower, median, upper = np.percentile(sorted_sai, [2.5, 50.0, 97.5], axis=0)
    table = pd.DataFrame({"rank_fraction": rank, "median": median, "lower": lower, "upper": upper})

    _style()
    colour = sns.color_palette("colorblind", 1)[0]
    fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    ax.fill_between(rank, lower, upper, color=colour, alpha=0.25, lw=0, label="2.5-97.5 %")
    ax.plot(rank, median, color=colour, lw=1.6, label="median")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("order index (fraction of intervals, increasing SAI)")
    ax.set_ylabel("SAI / max SAI of the trajectory")
    ax.set_title(f"{_system_label(sai)}: sorted normalised SAI ({n_traj} trajectories)".strip(": "))
    ax.legend(title=f"over {n_traj} trajectories", frameon=True, loc="upper left")
    return fig, table
