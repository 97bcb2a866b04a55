"""The look shared by the SAI figures: size, stiff colour, style, log axis, title label.

Used by :mod:`hampipe.plotting.sai_figures` and :mod:`hampipe.plotting.sai_translation`.
Never imports torch.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as ticker  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from hampipe.plotting.figures import set_style  # noqa: E402

#: Width and height (inches) of a one-panel figure.
FIGSIZE = (5.0, 3.4)
_STIFF_COLOUR = "#f2c14e"  # the paper marks stiff intervals in yellow (App. B, Fig. 11)


def _style() -> None:
    """The one style of every hampipe figure."""
    set_style()


def _system_label(ds: xr.Dataset) -> str:
    return str(ds.attrs.get("system", "")).replace("_", "-")


def _log_y(ax: plt.Axes, values: np.ndarray) -> None:
    """Logarithmic y axis; within about a decade, ticks as plain numbers (not a × 10^k)."""
    ax.set_yscale("log")
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() < 20 * v.min():
        plain = ticker.FuncFormatter(lambda y, _: f"{y:.3g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
