"""The soft-walled billiard's potential: a profile along y = 0 and a map of V(x, y).

SANN (Liang, Huang & Zhang, ICLR 2022), §4.1, Fig. 3(a): a pure function returning
``(fig, table)``, the table holding exactly the numbers plotted. Nothing here writes
files. Never imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from hampipe.plotting.figures import set_style  # noqa: E402
from hampipe.systems.base import HamiltonianSystem  # noqa: E402

__all__ = ["billiard_potential_figure"]


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
        ``(x_min, x_max, y_min, y_max)``; by default the system's ``potential_extent()``
        (±1.25 r_α for the billiard; required for a system that declares none).
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
        extent = system.potential_extent()
        if extent is None:
            raise ValueError("give extent=(x_min, x_max, y_min, y_max) for this system")
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

    set_style()
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
