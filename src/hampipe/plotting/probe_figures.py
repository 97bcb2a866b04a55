"""Figures of the probe stage: learned potentials and vector-field error maps.

Each figure is a pure function of probe datasets (:mod:`hampipe.evaluation.probe`,
read back from their NetCDF files) returning ``(fig, table)``: a matplotlib Figure and a
tidy :class:`pandas.DataFrame` holding exactly the numbers plotted, one row per plotted
point (long format). Nothing here writes files; pass the figure to
:func:`hampipe.plotting.figures.save_figure` to store it.

- :func:`learned_potential_figure` -- the learned potential of each method beside the
  true one, a side view (profile along y = 0) and top views (colour maps): SANN paper
  (Liang, Huang & Zhang, ICLR 2022), Appendix A.1, Fig. 9, "The learned potential
  function of the billiard model";
- :func:`meshgrid_error_figure` -- the relative error of the learned vector field over
  the (q, p) meshgrid, per method, on a log colour scale with the tolerance levels drawn
  as contours: the spring study (Chen, seed 001), Figs. 5, 8 and 9 (tolerance ranges
  [−1e-3, 1e-3] and [−5e-4, 5e-4]).

Never imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from hampipe.plan.styles import LEARNER_LABELS, PALETTE  # noqa: E402
from hampipe.plotting.figures import set_style  # noqa: E402

#: The relative errors :func:`meshgrid_error_figure` can draw: component → variable of a
#: field probe (see :func:`hampipe.evaluation.probe.field_probe`).
COMPONENTS = {
    "norm": "relative_error",
    "q": "relative_error_q",
    "p": "relative_error_p",
    "energy": "relative_error_energy",
}
#: Panel titles of the components.
COMPONENT_TITLES = {
    "norm": "‖f̂ − f‖ / ‖f‖",
    "q": "dq/dt",
    "p": "dp/dt",
    "energy": "H",
}
#: Line styles of the tolerance contours, in the order the tolerances are given.
TOLERANCE_STYLES = ("solid", "dashed", "dotted", "dashdot")
#: The colour of the true potential in the profile (SANN Fig. 9's reference).
TRUE_COLOUR = "black"
#: The colour of the tolerance contours (and their legend lines): visible on the whole
#: "magma" colour map of the error.
CONTOUR_COLOUR = "#00e5ff"
#: The colour of grid points where the relative error is undefined (NaN, the truth 0).
NAN_COLOUR = "#bdbdbd"
#: The lowest |error| shown, relative to the smallest tolerance: errors below it (an
#: exact model's rounding errors, or exact zeros, which a log scale cannot show) take
#: the bottom colour.
FLOOR = 1e-4


def _check(probes: Mapping[str, xr.Dataset], variables: Sequence[str], dims) -> list[str]:
    if not probes:
        raise ValueError("no probes to draw")
    methods = list(probes)
    first = probes[methods[0]]
    for method in methods:
        ds = probes[method]
        missing = [v for v in variables if v not in ds]
        if missing or tuple(ds[variables[0]].dims) != dims:
            raise ValueError(
                f"probe of {method!r} is not a {dims} probe with {', '.join(variables)} "
                f"(missing {missing or 'the dims ' + str(dims)})"
            )
        for dim in dims:
            same = ds.sizes[dim] == first.sizes[dim] and np.allclose(ds[dim], first[dim])
            if not same:
                raise ValueError(
                    f"probe of {method!r} has another {dim} grid than that of {methods[0]!r}"
                )
    return methods


def _label(method: str, labels: Mapping[str, str] | None) -> str:
    return str((labels or {}).get(method, LEARNER_LABELS.get(method, method)))


def _colour(method: str, index: int, colours: Mapping[str, str] | None) -> str:
    return str((colours or {}).get(method, PALETTE[index % len(PALETTE)]))


# ------------------------------------------------------------------ learned potential
def learned_potential_figure(
    probes: Mapping[str, xr.Dataset],
    labels: Mapping[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
) -> tuple[plt.Figure, pd.DataFrame]:
    """The aligned learned potential of each method beside the true one (SANN Fig. 9).

    SANN paper, Appendix A.1, Fig. 9: "the top view and side view of the potential
    function of the billiard model from different methods. The reference potential
    function becomes sharp near the boundaries of the ring." The top row is the side
    view: the profile along the x axis (the grid row nearest y = 0, through both walls'
    centres), the true V in black and each method's ``potential_aligned`` (V_θ shifted
    by its least-squares constant, since H_θ is learned up to a constant) in its colour.
    The bottom row is the top view: colour maps of the true V and of each method's
    aligned V_θ, on one shared colour scale.

    Parameters
    ----------
    probes
        Method → potential probe (:func:`hampipe.evaluation.probe.potential_probe`), all
        on the same (x, y) grid and of the same system; the true V is taken from the
        first.
    labels
        Method → display name (default: the learner's name, e.g. ``"SANN"``, else the
        key).
    colours
        Method → colour (default: :data:`hampipe.plotting.collect.PALETTE` in order).

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``panel`` (``"profile"`` or ``"map"``), ``method`` (``"true"`` or the
        key), ``x``, ``y``, ``potential``: the profile rows (nx per curve, true first),
        then the map rows (nx × ny per map, x varying fastest, true first).
    """
    variables = ("potential_true", "potential_aligned")
    methods = _check(probes, variables, ("x", "y"))
    if "true" in methods:
        raise ValueError("'true' is reserved for the true potential; rename that method")
    first = probes[methods[0]]
    x, y = first.x.values, first.y.values
    j = int(np.argmin(np.abs(y)))
    surfaces = {"true": first.potential_true.transpose("x", "y").values}
    for method in methods:
        surfaces[method] = probes[method].potential_aligned.transpose("x", "y").values
    styles = {"true": ("true V", TRUE_COLOUR)}
    for i, method in enumerate(methods):
        styles[method] = (_label(method, labels), _colour(method, i, colours))

    set_style()
    n = len(surfaces)
    fig = plt.figure(figsize=(2.6 * n + 1.0, 6.2), layout="constrained")
    grid = fig.add_gridspec(2, n, height_ratios=[1.0, 1.15])
    ax_line = fig.add_subplot(grid[0, :])
    map_axes = [fig.add_subplot(grid[1, k]) for k in range(n)]
    values = np.concatenate([v.ravel() for v in surfaces.values()])
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    norm = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0)
    gx, gy = np.meshgrid(x, y)  # (ny, nx): x varies fastest
    profiles, maps = [], []
    for ax_map, (key, surface) in zip(map_axes, surfaces.items(), strict=True):
        label, colour = styles[key]
        profile = surface[:, j]
        true = key == "true"
        ax_line.plot(
            x, profile, color=colour, label=label, lw=1.8 if true else 1.4, ls="-" if true else "--"
        )
        profiles.append(
            pd.DataFrame(
                {"panel": "profile", "method": key, "x": x, "y": y[j], "potential": profile}
            )
        )
        top = surface.T  # (ny, nx)
        mesh = ax_map.pcolormesh(
            gx, gy, top, shading="nearest", cmap="viridis", norm=norm, rasterized=True
        )
        maps.append(
            pd.DataFrame(
                {
                    "panel": "map",
                    "method": key,
                    "x": gx.ravel(),
                    "y": gy.ravel(),
                    "potential": top.ravel(),
                }
            )
        )
        ax_map.axhline(y[j], color="white", ls=":", lw=0.8)
        ax_map.set_aspect("equal")
        ax_map.grid(False)
        ax_map.set_title(label, color=colour)
        ax_map.set_xlabel("x")
    map_axes[0].set_ylabel("y")
    for ax in map_axes[1:]:
        ax.tick_params(labelleft=False)
    units = first.potential_true.attrs.get("units", "1")
    unit_text = "" if units in ("1", "") else f" ({units})"
    fig.colorbar(mesh, ax=map_axes, shrink=0.9, label=f"V{unit_text}")
    ax_line.set_xlabel(f"x (y = {y[j]:g})")
    ax_line.set_ylabel(f"V{unit_text}")
    ax_line.legend(frameon=True, fontsize="small", title="learned V aligned by a constant")
    system = str(first.attrs.get("system", "")).replace("_", "-")
    ax_line.set_title(f"{system}: learned potential, side view (top) and top views")
    return fig, pd.concat(profiles + maps, ignore_index=True)


# ------------------------------------------------------------------ meshgrid error
def meshgrid_error_figure(
    probes: Mapping[str, xr.Dataset],
    labels: Mapping[str, str] | None = None,
    tolerances: Sequence[float] = (1e-3, 5e-4),
    components: Sequence[str] = ("norm",),
) -> tuple[plt.Figure, pd.DataFrame]:
    """Maps of the learned field's relative error over the (q, p) meshgrid, per method.

    The spring study (Chen, seed 001) evaluates the trained HNN "on the meshgrid
    [−100, 100]": Fig. 5 (relative error of the learned energy, §4.2.2), Fig. 8
    (relative error of the time derivatives, trained on analytic derivatives, §4.3) and
    Fig. 9 (trained on central finite differences, §4.4), each read against the
    tolerance ranges "[−1e-3, 1e-3]" and "[−5e-4, 5e-4]": "The white part in the figure
    means that the relative error of data in that region is larger than the tolerance."
    Here each panel shows |relative error| on a log colour scale shared by all panels,
    with a contour line at each tolerance that the error field crosses; the region
    inside a contour (|error| ≤ tol, the band [−tol, tol]) is the part the study counts
    as predicted within tolerance, and the panel title gives that share of the grid.

    Parameters
    ----------
    probes
        Method → field probe (:func:`hampipe.evaluation.probe.field_probe`) on the same
        (q, p) grid, e.g. ``{"hnn": …, "hnn_exact": …}`` for Figs. 9 and 8.
    labels
        Method → display name (default: the learner's name, else the key).
    tolerances
        The tolerance levels drawn as contours (solid, dashed, … in this order).
    components
        Columns of the figure, any of ``"norm"`` (the combined ‖f̂ − f‖/‖f‖, default),
        ``"q"``, ``"p"`` (the signed per-component errors) and ``"energy"`` (the aligned
        H, Fig. 5; a model without a Hamiltonian gets an empty panel).

    Returns
    -------
    fig : matplotlib.figure.Figure
    table : pandas.DataFrame
        Columns ``method``, ``q``, ``p``, ``component``, ``relative_error`` (the value
        stored in the probe, signed for ``q``, ``p``, ``energy``; the colour shows its
        absolute value, drawn at the floor colour below ``FLOOR × min(tolerances)``;
        NaN where the truth is 0): one row per grid point of each panel drawn, panels
        by method then component, q varying fastest.
    """
    components = (components,) if isinstance(components, str) else tuple(components)
    unknown = [c for c in components if c not in COMPONENTS]
    if unknown or not components:
        raise ValueError(f"unknown component(s) {unknown}; valid: {', '.join(COMPONENTS)}")
    tolerances = [float(t) for t in tolerances]
    if (
        not tolerances
        or any(not t > 0 for t in tolerances)
        or len(set(tolerances)) < len(tolerances)
    ):
        raise ValueError(f"tolerances must be distinct positive numbers, got {tolerances}")
    methods = _check(probes, ("dq_dt_true",), ("q", "p"))
    first = probes[methods[0]]
    q, p = first.q.values, first.p.values
    gq, gp = np.meshgrid(q, p)  # (np, nq): q varies fastest
    panels: dict[tuple[str, str], np.ndarray | None] = {}
    for method in methods:
        for component in components:
            name = COMPONENTS[component]
            ds = probes[method]
            panels[method, component] = ds[name].transpose("p", "q").values if name in ds else None
    magnitudes = [np.abs(v) for v in panels.values() if v is not None]
    finite = np.concatenate([m[np.isfinite(m)] for m in magnitudes] + [np.empty(0)])
    floor = FLOOR * min(tolerances)
    positive = finite[finite > 0]
    vmin = max(float(positive.min()), floor) if positive.size else floor
    vmax = max(float(finite.max()) if finite.size else vmin, 10 * max(tolerances))
    norm = LogNorm(vmin=vmin, vmax=vmax if vmax > vmin else vmin * 10)

    cmap = plt.get_cmap("magma").with_extremes(bad=NAN_COLOUR)
    set_style()
    n_rows, n_cols = len(methods), len(components)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(3.4 * n_cols + 1.2, 3.2 * n_rows),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    ascending = sorted(range(len(tolerances)), key=tolerances.__getitem__)  # contour levels
    rows = []
    mesh = None
    for r, method in enumerate(methods):
        label = _label(method, labels)
        for c, component in enumerate(components):
            ax = axes[r, c]
            values = panels[method, component]
            ax.grid(False)
            ax.set_aspect("auto")
            if r == n_rows - 1:
                ax.set_xlabel("q")
            if c == 0:
                ax.set_ylabel(f"{label}\np")
            if values is None:
                ax.text(
                    0.5, 0.5, "no Hamiltonian", ha="center", va="center", transform=ax.transAxes
                )
                ax.set_title(f"{label}: {COMPONENT_TITLES[component]}")
                continue
            rows.append(
                pd.DataFrame(
                    {
                        "method": method,
                        "q": gq.ravel(),
                        "p": gp.ravel(),
                        "component": component,
                        "relative_error": values.ravel(),
                    }
                )
            )
            magnitude = np.abs(values)
            shown = np.ma.masked_invalid(np.clip(magnitude, norm.vmin, None))
            mesh = ax.pcolormesh(
                gq, gp, shown, shading="nearest", cmap=cmap, norm=norm, rasterized=True
            )
            crossed = _crossed(magnitude, tolerances)
            drawn = [k for k in ascending if tolerances[k] in crossed]
            if drawn:
                ax.contour(
                    gq,
                    gp,
                    np.ma.masked_invalid(np.log10(np.clip(magnitude, norm.vmin, None))),
                    levels=[np.log10(tolerances[k]) for k in drawn],
                    colors=CONTOUR_COLOUR,
                    linestyles=[_tolerance_style(k) for k in drawn],
                    linewidths=1.0,
                )
            share = [_within(magnitude, t) for t in tolerances]
            within = ", ".join(f"≤{t:.0e}: {s:.0%}" for t, s in zip(tolerances, share, strict=True))
            ax.set_title(f"{label}: {COMPONENT_TITLES[component]}\n{within}", fontsize="small")
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, shrink=0.9, label="|relative error|")
    handles = [
        Line2D(
            [], [], color=CONTOUR_COLOUR, lw=1.5, ls=_tolerance_style(k), label=f"|error| = {t:g}"
        )
        for k, t in enumerate(tolerances)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    system = str(first.attrs.get("system", "")).replace("_", "-")
    fig.suptitle(f"{system}: relative error of the learned vector field on the meshgrid")
    table = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["method", "q", "p", "component", "relative_error"])
    )
    return fig, table


def _tolerance_style(k: int) -> str:
    """The contour line style of the ``k``-th tolerance given."""
    return TOLERANCE_STYLES[k % len(TOLERANCE_STYLES)]


def _crossed(magnitude: np.ndarray, tolerances: Sequence[float]) -> set[float]:
    """The tolerances strictly between the smallest and largest finite |error|."""
    finite = magnitude[np.isfinite(magnitude)]
    if not finite.size:
        return set()
    lo, hi = float(finite.min()), float(finite.max())
    return {t for t in tolerances if lo < t < hi}


def _within(magnitude: np.ndarray, tolerance: float) -> float:
    """Share of the grid's finite points with |error| ≤ tolerance."""
    finite = magnitude[np.isfinite(magnitude)]
    return float((finite <= tolerance).mean()) if finite.size else float("nan")


__all__ = ["COMPONENTS", "learned_potential_figure", "meshgrid_error_figure"]
