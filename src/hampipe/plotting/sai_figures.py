"""Figures of the SANN paper about the stiffness indices and the billiard potential.

Liang, Huang & Zhang, "Stiffness-aware neural network for learning Hamiltonian systems",
ICLR 2022 (SANN). Four figures, each a pure function returning ``(fig, table)``: a
matplotlib Figure and a tidy :class:`pandas.DataFrame` holding exactly the numbers
plotted, one row per plotted point (long format). Nothing here writes files; pass the
figure to :func:`hampipe.plotting.figures.save_figure` to store it.

- :func:`sai_si_figure` -- SAI and SI against time for one trajectory, stiff intervals
  shaded (SANN §5, Fig. 7 and App. E, Fig. 16);
- :func:`sai_percentiles_figure` -- the sorted, normalised SAIs of every trajectory,
  median and 95 % band (SANN App. G, Fig. 19);
- :func:`sai_translation_figure` -- SAI and the stiff split after translating the
  positions (SANN App. B, Figs. 11-12);
- :func:`billiard_potential_figure` -- the soft-walled billiard's potential, a profile
  and a map (SANN §4.1, Fig. 3a).

Never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from hampipe.plotting.figures import set_style  # noqa: E402
from hampipe.sai import stiff_mask, stiffness_aware_index  # noqa: E402
from hampipe.systems.base import HamiltonianSystem  # noqa: E402

#: Width and height (inches) of a one-panel figure.
FIGSIZE = (5.0, 3.4)
_STIFF_COLOUR = "#f2c14e"  # the paper marks stiff intervals in yellow (App. B, Fig. 11)


def _style() -> None:
    """The one style of every hampipe figure."""
    set_style()


def _system_label(ds: xr.Dataset) -> str:
    return str(ds.attrs.get("system", "")).replace("_", "-")


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


def _log_y(ax: plt.Axes, values: np.ndarray) -> None:
    """Logarithmic y axis; within about a decade, ticks as plain numbers (not a × 10^k)."""
    ax.set_yscale("log")
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() < 20 * v.min():
        plain = ticker.FuncFormatter(lambda y, _: f"{y:.3g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)


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


def sai_si_figure(
    sai: xr.Dataset,
    gamma: float,
    ranking: str = "trajectory",
    trajectory: int = 0,
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
        Position (not label) of the trajectory to draw.
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
        point, so 2 × n_intervals rows with SI and n_intervals without.
    """
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
        ax.plot(x, v, color=colour, lw=1.4, marker="o", ms=2.5, label=names[name])
        _log_y(ax, v)
        ax.set_ylabel(ylabels[name])
        ax.legend(frameon=True, loc="upper left", fontsize="small")
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


def _shift_label(v: float) -> str:
    return f"{v:g}"


def sai_translation_figure(
    data: xr.Dataset,
    shifts: Sequence[float] = (0.1, 1, 10, 100, 1e3, 1e6),
    random_shifts: int = 1,
    seed: int = 0,
    gamma: float = 0.1,
    trajectory: int = 0,
) -> tuple[plt.Figure, pd.DataFrame]:
    """SAI and the stiff split of one trajectory after translating its positions.

    Reproduces SANN App. B, Figs. 11-12 ("Generality of SAI-based stiffness
    classification"). The positions are translated two ways, the momenta left alone:

    - fixed direction: every position coordinate gets the same v, "a fixed vector
      V = (0, ⋯, 0, v, ⋯, v)", for each v in ``shifts``;
    - random direction: "a random vector V = (0, ⋯, 0, v_1, ⋯, v_n)" with the v_i i.i.d.
      uniform on [0, v], "7 occurrences of the random vector V uniformly sampled from
      [0, v]" -- here ``random_shifts`` draws per nonzero v in ``shifts``, each trajectory
      its own vector, from ``numpy.random.default_rng(seed)``.

    The SAI of every translated data set is computed by
    :func:`hampipe.sai.stiffness_aware_index` (Eq. 5) and classified by
    :func:`hampipe.sai.stiff_mask` (per-trajectory ranking, top γ). Translation leaves
    ‖u_{i+1} − u_i‖ unchanged but changes ‖u_i‖, so the SAI values change (they fall
    roughly as 1/v once v dominates the positions); the paper's point is that the
    ranking, and so the stiff intervals, hardly change: "coordinate translation has
    almost no impact on the classification results". Panel (a) shows the fixed
    translations, panel (b) the random ones, each with the untranslated SAI (shift 0,
    dashed black) and the stiff intervals of each line as markers; the legend counts the
    stiff intervals each translation shares with the untranslated split.

    Parameters
    ----------
    data
        A training split: ``q``, ``p`` of shape ``(trajectory, time, dof)`` and ``time``.
    shifts
        The values v of the fixed translations (0 may be included; the untranslated SAI is
        drawn in any case), also the upper ends of the random ones.
    random_shifts
        Random vectors drawn per nonzero v (0 draws none: panel (b) is left out).
    seed
        Seed of the random translations.
    gamma
        Stiff ratio γ in [0, 1).
    trajectory
        Position of the trajectory to draw.

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``panel`` (``"fixed"`` or ``"random"``), ``shift`` (label: ``"0"``,
        ``"0.1"``, …, or ``"random"``), ``scale`` (v: the fixed shift, or the upper end of
        the uniform draw), ``draw`` (index of the random draw, 0 for fixed ones),
        ``trajectory`` (label), ``interval``, ``time`` (interval start, s), ``sai`` (1/s),
        ``stiff`` (bool). One row per plotted point; the untranslated line is drawn, and
        listed, in both panels.
    """
    if random_shifts < 0:
        raise ValueError(f"random_shifts must be >= 0, got {random_shifts}")
    q = np.asarray(data["q"].values, np.float64)
    p = np.asarray(data["p"].values, np.float64)
    t = np.asarray(data["time"].values, np.float64)
    n_traj, _, dof = q.shape
    label = data["trajectory"].values[trajectory] if "trajectory" in data.coords else trajectory
    intervals = np.arange(t.size - 1)
    fixed = [float(v) for v in shifts]
    scales = [v for v in fixed if v != 0]
    rng = np.random.default_rng(seed)
    # One vector per (scale, draw, trajectory), drawn in that order; U[0, v] per coordinate.
    unit = rng.uniform(0.0, 1.0, size=(len(scales), random_shifts, n_traj, 1, dof))

    def classified(offset: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        sai = stiffness_aware_index(q + offset, p, t)
        return sai[trajectory], stiff_mask(sai, gamma, "trajectory")[trajectory]

    lines = [("fixed", "0", 0.0, 0, *classified(0.0))]
    lines += [("fixed", _shift_label(v), v, 0, *classified(v)) for v in fixed if v != 0]
    if random_shifts:
        lines.append(("random", "0", 0.0, 0, *lines[0][4:]))
        for i, v in enumerate(scales):
            for k in range(random_shifts):
                lines.append(("random", "random", v, k, *classified(v * unit[i, k])))
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "panel": panel,
                    "shift": shift,
                    "scale": scale,
                    "draw": draw,
                    "trajectory": label,
                    "interval": intervals,
                    "time": t[:-1],
                    "sai": s,
                    "stiff": st,
                }
            )
            for panel, shift, scale, draw, s, st in lines
        ],
        ignore_index=True,
    )

    _style()
    panels = ["fixed", "random"] if random_shifts else ["fixed"]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(7.0, 3.2 * len(panels) + 0.4),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    magnitudes = np.log10(np.abs(scales)) if scales else np.zeros(0)
    span = (magnitudes.min(), magnitudes.max()) if scales else (0.0, 1.0)
    cmap = sns.color_palette("crest", as_cmap=True)

    def colour(v: float):
        if v == 0:
            return "black"
        lo, hi = span
        return cmap(0.15 if hi == lo else 0.15 + 0.85 * (np.log10(abs(v)) - lo) / (hi - lo))

    x = t[:-1]
    reference = lines[0][5]
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        for kind, shift, v, k, s, st in lines:
            if kind != panel:
                continue
            c = colour(v)
            shared = int((st & reference).sum())
            if v == 0:
                name = "untranslated"
            elif shift == "random":
                name = f"U[0, {v:g}]" + (f" #{k + 1}" if random_shifts > 1 else "")
            else:
                name = f"v = {v:g}"
            ax.plot(
                x,
                s,
                color=c,
                lw=1.5 if v == 0 else 1.1,
                ls="--" if v == 0 else "-",
                label=f"{name} ({shared}/{int(st.sum())})",
            )
            ax.plot(x[st], s[st], ls="none", marker="o", ms=4, mfc=_STIFF_COLOUR, mec=c, mew=0.8)
        _log_y(ax, table["sai"].to_numpy())
        ax.set_ylabel("SAI (1/s)")
        ax.set_title(
            "(a) fixed translation q + v" if panel == "fixed" else "(b) random q + V, V ~ U[0, v]"
        )
        ax.legend(
            title="shift (stiff shared\nwith untranslated)",
            fontsize="x-small",
            title_fontsize="x-small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(
        f"{_system_label(data)} trajectory {label}: SAI after translating q "
        f"(stiff: top γ = {gamma:g}, marked ●)".strip()
    )
    return fig, table


def billiard_potential_figure(
    system: HamiltonianSystem,
    extent: Sequence[float] | None = None,
    points: int = 401,
) -> tuple[plt.Figure, pd.DataFrame]:
    """The soft-walled billiard's potential: a profile along y = 0 and a map of V(x, y).

    Reproduces SANN §4.1, Fig. 3(a) ("Profile of the potential function for the billiard
    model"; Eq. 8: V(q) = 1/(1 + exp((r_α − ‖q‖)/s)) − 1/(1 + exp((r_β − ‖q − (q₀, 0)‖)/s))).
    "the potential function becomes sharp near the boundaries of the ring, causing a rapid
    change of the momenta of the billiard ball when it gets close to the boundaries."
    The potential is the system's own Hamiltonian at p = 0. The profile runs along the
    x axis (y = 0, or the middle of the y range when that excludes 0), the line through
    both walls' centres, so it crosses the outer wall twice and the shifted inner wall
    twice; panel (b) is the colour map over ``extent`` with that line dashed.

    Parameters
    ----------
    system
        A system with two degrees of freedom (``make_system("billiard")`` or one rebuilt
        by :func:`hampipe.systems.system_from_attrs`).
    extent
        ``(x_min, x_max, y_min, y_max)``; by default ±1.25 r_α for a system with an
        ``r_alpha`` parameter (required otherwise).
    points
        Grid points per axis, for the profile and for each side of the map.

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``panel`` (``"profile"`` or ``"map"``), ``x``, ``y``, ``potential``:
        ``points`` profile rows, then ``points²`` map rows (x varying fastest).
    """
    if system.dof != 2:
        raise ValueError(f"the potential map needs a planar system (dof 2), got dof {system.dof}")
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    if extent is None:
        if "r_alpha" not in system.parameters:
            raise ValueError("give extent=(x_min, x_max, y_min, y_max) for this system")
        r = 1.25 * float(system.parameters["r_alpha"])
        extent = (-r, r, -r, r)
    x_min, x_max, y_min, y_max = (float(e) for e in extent)
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(f"extent must be (x_min, x_max, y_min, y_max) increasing, got {extent}")

    def potential(q: np.ndarray) -> np.ndarray:
        return system.hamiltonian(q, np.zeros_like(q))

    xs = np.linspace(x_min, x_max, points)
    ys = np.linspace(y_min, y_max, points)
    y_line = 0.0 if y_min <= 0.0 <= y_max else 0.5 * (y_min + y_max)
    profile = potential(np.stack([xs, np.full(points, y_line)], axis=1))
    gx, gy = np.meshgrid(xs, ys)
    grid = potential(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    table = pd.concat(
        [
            pd.DataFrame({"panel": "profile", "x": xs, "y": y_line, "potential": profile}),
            pd.DataFrame(
                {"panel": "map", "x": gx.ravel(), "y": gy.ravel(), "potential": grid.ravel()}
            ),
        ],
        ignore_index=True,
    )

    _style()
    names = getattr(system, "dof_names", ["x", "y"])
    fig, (ax_line, ax_map) = plt.subplots(
        1, 2, figsize=(9.0, 3.6), layout="constrained", gridspec_kw={"width_ratios": [1.1, 1]}
    )
    ax_line.plot(xs, profile, color=sns.color_palette("colorblind", 1)[0], lw=1.6)
    ax_line.set_xlabel(f"$q_{names[0]}$ ($q_{names[1]}$ = {y_line:g})")
    ax_line.set_ylabel("V(q) = H(q, p = 0)")
    ax_line.set_title("(a) profile")
    mesh = ax_map.pcolormesh(gx, gy, grid, shading="nearest", cmap="viridis", rasterized=True)
    ax_map.axhline(y_line, color="white", ls="--", lw=0.8)
    ax_map.set_aspect("equal")
    ax_map.grid(False)
    ax_map.set_xlabel(f"$q_{names[0]}$")
    ax_map.set_ylabel(f"$q_{names[1]}$")
    ax_map.set_title("(b) V(q)")
    fig.colorbar(mesh, ax=ax_map, label="V(q)")
    params = ", ".join(f"{k} = {v:g}" for k, v in sorted(system.parameters.items()))
    fig.suptitle(f"{system.name.replace('_', '-')} potential ({params})")
    return fig, table
