"""Shared pieces of the rollout figures: styles, labels, divergence and axis ranges.

The figures of single test rollouts (:mod:`~hampipe.plotting.orbits`,
:mod:`~hampipe.plotting.energy_heatmap`, :mod:`~hampipe.plotting.prediction_time`,
:mod:`~hampipe.plotting.animation`) each read a *collected* dataset (one per system, see
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
Nothing here changes global matplotlib state (styles are applied in a context). Never
imports torch.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

#: Colour of the reference (true) curves.
TRUE_COLOUR = "black"
#: The truth is drawn dashed and thin, under the predictions, so that a prediction that
#: follows it exactly stays visible.
TRUE_STYLE = {"ls": (0, (4, 2)), "lw": 0.9, "zorder": 1}
#: Body colours of multi-body orbit panels (from ColorBrewer Dark2, leaving out its teal
#: and orange, which are close to the first methods' colours, SANN's green and SRNN's
#: orange); each panel is one method, named in its title.
BODY_COLOURS = ("#7570b3", "#e7298a", "#666666", "#a6761d", "#66a61e", "#e6ab02")
#: A prediction: solid, over the truth.
PREDICTED_STYLE = {"lw": 1.4, "zorder": 2}
#: The marker at a trajectory's start, over everything.
START_MARKER = {"marker": "o", "ls": "", "mec": "white", "ms": 5, "zorder": 4}


def body_colour(body: int) -> str:
    """The colour of body ``body`` (from 0) on a multi-body orbit panel."""
    return BODY_COLOURS[body % len(BODY_COLOURS)]


#: Axis limits follow the truth and the predictions, but reach at most this many
#: half-ranges of the truth beyond its centre, so one blown-up rollout does not shrink
#: the true orbit to a dot (the table keeps every number, also those off the axes).
ORBIT_REACH = 3.0


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


def draw_outlines(ax, outlines) -> None:
    """The system's walls (:meth:`HamiltonianSystem.outlines`: circles ``{"x", "y",
    "radius"}``) as thin grey circles under everything else, gid ``outline/<k>``."""
    for k, c in enumerate(outlines or ()):
        circle = plt.Circle(
            (c["x"], c["y"]), c["radius"], fill=False, color="0.55", lw=1.0, zorder=0.5
        )
        circle.set_gid(f"outline/{k}")
        ax.add_patch(circle)
