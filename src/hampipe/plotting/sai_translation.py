"""SAI and the stiff split of one trajectory after translating its positions.

SANN (Liang, Huang & Zhang, ICLR 2022), App. B, Figs. 11-12: a pure function returning
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
import xarray as xr  # noqa: E402

from hampipe.plotting.sai_helpers import _STIFF_COLOUR, _log_y, _style, _system_label  # noqa: E402
from hampipe.sai import stiff_mask, stiffness_aware_index  # noqa: E402

__all__ = ["sai_translation_figure"]


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
