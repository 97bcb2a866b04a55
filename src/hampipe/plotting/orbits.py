"""Orbit figures: learned against true trajectories of one test rollout, and their energy.

Reads a *collected* dataset (layout in :mod:`hampipe.plotting.rollout_helpers`) and
returns ``(fig, table)``, the table holding exactly the numbers drawn. Never imports
torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from hampipe.plotting.rollout_helpers import (  # noqa: E402
    ORBIT_REACH,
    PREDICTED_STYLE,
    START_MARKER,
    TRUE_COLOUR,
    TRUE_STYLE,
    _bodies_xy,
    _capped_range,
    _diverged_at,
    _equal_ranges,
    _methods,
    _panel_title,
    _rollout,
    _style,
    _styles,
    _system,
    _unit_label,
    _with_divergence,
    body_colour,
    draw_outlines,
)

__all__ = ["ENERGY_REACH", "orbits_figure"]

#: Like :data:`~hampipe.plotting.rollout_helpers.ORBIT_REACH`, for the energy panel, in
#: units of |mean true H|.
ENERGY_REACH = 1.0


def orbits_figure(
    collected: xr.Dataset,
    trajectory: int = 0,
    seed: int = 0,
    outlines: Sequence[Mapping[str, float]] = (),
) -> tuple[plt.Figure, pd.DataFrame]:
    """Learned against true trajectories of one test rollout, and their true energy.

    Reproduces the SANN paper's Fig. 4 (two-body orbits), Fig. 6 (three-body orbits) and
    Appendix E, Figs. 13–15 (further systems), and the HINN write-up's figure "learned vs
    true trajectories and energy".

    For bodies in the plane (``spatial_dim == 2``) the top row has one panel per method,
    each with every body's true orbit (dashed) and predicted orbit (solid) in the x–y
    plane at equal aspect: one body in the method's colour against a black truth, several
    bodies each in its own colour (:data:`BODY_COLOURS`, the truth in the body's colour),
    with a circle at each body's start (SANN Fig. 6 marks the initial positions).
    Otherwise (``spatial_dim == 0``, e.g. the 1-dof spring) the panels are phase
    portraits, p against q for every degree of freedom, starting at a circle. The bottom
    panel shows the true H on the true states (black) and the true H evaluated on each
    method's prediction (``true_energy_pred``) against time. The truth is always drawn
    first, dashed and thin (:data:`TRUE_STYLE`), so a prediction on top of it stays
    visible.

    A rollout that diverged (a NaN or inf state) is drawn up to where it diverged and
    its entry in the figure legend (and its panel title) says "diverged at t = … s".
    The legend below the panels keys the truth (black) and every method. Axis ranges
    cover the truth and the predictions but stop :data:`ORBIT_REACH` half-ranges of the
    truth (energy: :data:`ENERGY_REACH` × |mean H|) beyond the truth's centre, so a
    blown-up rollout may leave the axes; the table keeps all of it.

    Parameters
    ----------
    collected
        A system's collected dataset.
    trajectory
        Label (``trajectory`` coordinate) of the test trajectory to draw.
    seed
        Label (``seed`` coordinate) of the training seed whose rollouts are drawn.
    outlines
        Circles (``{"x", "y", "radius"}``) drawn grey under the orbits: the system's
        walls (:meth:`~hampipe.systems.HamiltonianSystem.outlines`).

    Returns
    -------
    fig
        The figure.
    table
        One row per plotted point. Columns: ``panel`` (``"orbit"``, ``"phase"`` or
        ``"energy"``), ``method`` (the panel's method for orbit/phase panels, the
        predicting method in the energy panel, None for the true energy), ``source``
        (``"true"`` or ``"predicted"``), ``seed``, ``trajectory``, ``time`` (s), then
        ``body``, ``x``, ``y`` for orbits or ``dof``, ``q``, ``p`` for phase portraits,
        and ``value`` (H) for the energy panel. Points after a divergence are NaN rows.
    """
    labels, colours = _styles(collected)
    methods = _methods(collected)
    particles = int(collected.attrs.get("spatial_dim", 0)) == 2
    one = _rollout(collected, trajectory, seed)
    time = one.time.values.astype(float)
    q_true, p_true = one.q.values, one.p.values
    dof_names = [str(d) for d in one.dof.values]
    diverged = {
        m: _diverged_at(
            one.q_pred.sel({"method": m}).values, one.p_pred.sel({"method": m}).values, time
        )
        for m in methods
    }
    key = {"seed": seed, "trajectory": trajectory}
    rows: list[pd.DataFrame] = []

    with _style():
        fig = plt.figure(figsize=(2.6 * max(len(methods), 2), 5.2), layout="constrained")
        mosaic = [methods, ["energy"] * len(methods)]
        axes = fig.subplot_mosaic(mosaic, height_ratios=[1.5, 1.0])
        by_body = False  # one colour per body (several bodies in the plane)
        if particles:
            true_xy = _bodies_xy(q_true, collected)  # (time, body, 2)
            pred_xy = {
                m: _bodies_xy(one.q_pred.sel({"method": m}).values, collected) for m in methods
            }
            xlim = _capped_range(
                true_xy[..., 0], [v[..., 0] for v in pred_xy.values()], ORBIT_REACH
            )
            ylim = _capped_range(
                true_xy[..., 1], [v[..., 1] for v in pred_xy.values()], ORBIT_REACH
            )
            xlim, ylim = _equal_ranges(xlim, ylim)
            q_units = collected.q.attrs.get("units")
            n_bodies = true_xy.shape[1]
            by_body = n_bodies > 1
            for m in methods:
                ax = axes[m]
                for source, xy in (("true", true_xy), ("predicted", pred_xy[m])):
                    style = TRUE_STYLE if source == "true" else PREDICTED_STYLE
                    for b in range(n_bodies):
                        colour = (
                            body_colour(b)
                            if by_body
                            else (TRUE_COLOUR if source == "true" else colours[m])
                        )
                        if by_body or b > 0:  # bodies are keyed by colour below
                            legend = "_nolegend_"
                        elif source == "true":
                            legend = "true"
                        else:
                            legend = _with_divergence(labels[m], diverged[m])
                        (line,) = ax.plot(
                            xy[:, b, 0], xy[:, b, 1], color=colour, label=legend, **style
                        )
                        line.set_gid(f"orbit/{m}/{source}/{b + 1}")
                        rows.append(
                            pd.DataFrame(
                                {
                                    "panel": "orbit",
                                    "method": m,
                                    "source": source,
                                    **key,
                                    "time": time,
                                    "body": b + 1,
                                    "x": xy[:, b, 0],
                                    "y": xy[:, b, 1],
                                }
                            )
                        )
                for b in range(n_bodies):
                    ax.plot(
                        *true_xy[0, b],
                        color=body_colour(b) if by_body else TRUE_COLOUR,
                        gid=f"start/{m}/{b + 1}",
                        **START_MARKER,
                    )
                draw_outlines(ax, outlines)
                ax.set(xlim=xlim, ylim=ylim, title=_panel_title(labels[m], diverged[m]))
                ax.set_aspect("equal", adjustable="box")
                ax.set_xlabel(_unit_label("x", q_units))
                ax.set_ylabel(_unit_label("y", q_units))
        else:
            qs = {m: one.q_pred.sel({"method": m}).values for m in methods}
            ps = {m: one.p_pred.sel({"method": m}).values for m in methods}
            qlim = _capped_range(q_true, list(qs.values()), ORBIT_REACH)
            plim = _capped_range(p_true, list(ps.values()), ORBIT_REACH)
            for m in methods:
                ax = axes[m]
                for source, q, p, colour, style in (
                    ("true", q_true, p_true, TRUE_COLOUR, TRUE_STYLE),
                    ("predicted", qs[m], ps[m], colours[m], PREDICTED_STYLE),
                ):
                    for d, name in enumerate(dof_names):
                        base = (
                            "true" if source == "true" else _with_divergence(labels[m], diverged[m])
                        )
                        if len(dof_names) > 1:
                            base = f"{base}, {name}"
                        dashes = {} if d == 0 or source == "true" else {"ls": (0, (4, 1 + d))}
                        (line,) = ax.plot(
                            q[:, d], p[:, d], color=colour, label=base, **{**style, **dashes}
                        )
                        line.set_gid(f"phase/{m}/{source}/{name}")
                        rows.append(
                            pd.DataFrame(
                                {
                                    "panel": "phase",
                                    "method": m,
                                    "source": source,
                                    **key,
                                    "time": time,
                                    "dof": name,
                                    "q": q[:, d],
                                    "p": p[:, d],
                                }
                            )
                        )
                ax.plot(q_true[0], p_true[0], color=TRUE_COLOUR, gid=f"start/{m}", **START_MARKER)
                ax.set(xlim=qlim, ylim=plim, title=_panel_title(labels[m], diverged[m]))
                ax.set_xlabel(_unit_label("q", collected.q.attrs.get("units")))
                ax.set_ylabel(_unit_label("p", collected.p.attrs.get("units")))

        ax = axes["energy"]
        h_true = one.energy.values.astype(float)
        (line,) = ax.plot(time, h_true, color=TRUE_COLOUR, label="true", **TRUE_STYLE)
        line.set_gid("energy/true")
        rows.append(
            pd.DataFrame(
                {
                    "panel": "energy",
                    "method": None,
                    "source": "true",
                    **key,
                    "time": time,
                    "value": h_true,
                }
            )
        )
        h_pred = {m: one.true_energy_pred.sel({"method": m}).values.astype(float) for m in methods}
        for m in methods:
            (line,) = ax.plot(
                time,
                h_pred[m],
                color=colours[m],
                lw=1.2,
                zorder=2,
                label=_with_divergence(labels[m], diverged[m]),
            )
            line.set_gid(f"energy/{m}")
            rows.append(
                pd.DataFrame(
                    {
                        "panel": "energy",
                        "method": m,
                        "source": "predicted",
                        **key,
                        "time": time,
                        "value": h_pred[m],
                    }
                )
            )
        mean_h = float(np.nanmean(h_true))
        ax.set_ylim(_capped_range(h_true, list(h_pred.values()), ENERGY_REACH, scale=abs(mean_h)))
        ax.set_xlabel("time (s)")
        ax.set_ylabel(_unit_label("H", collected.energy.attrs.get("units")))
        ax.set_title("true H on the true and the predicted states")
        handles, texts = ax.get_legend_handles_labels()
        if by_body:
            for b in range(n_bodies):
                handles.append(Line2D([], [], color=body_colour(b), lw=PREDICTED_STYLE["lw"]))
                texts.append(f"body {b + 1}")
        handles.append(Line2D([], [], color=TRUE_COLOUR, **START_MARKER))
        texts.append("start")
        if not particles and len(dof_names) > 1:
            for d, name in enumerate(dof_names):
                handles.append(
                    Line2D([], [], color="0.4", lw=1.0, ls="-" if d == 0 else (0, (4, 1 + d)))
                )
                texts.append(name)
        fig.legend(
            handles,
            texts,
            loc="outside lower center",
            ncol=min(len(texts), 4),
            fontsize="small",
            frameon=False,
        )
        fig.suptitle(
            f"{_system(collected).replace('_', '-')}: test trajectory {trajectory}, seed {seed}"
        )

    table = pd.concat(rows, ignore_index=True)
    return fig, table
