"""Animated GIF of one test trajectory: the reference motion and every method's rollout.

Reads a *collected* dataset (layout in :mod:`hampipe.plotting.rollout_helpers`); the
only rollout figure that writes a file. Never imports torch.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from hampipe.core.files import atomic_write, write_text  # noqa: E402
from hampipe.core.provenance import gif_with_comment, html_meta, record_json  # noqa: E402
from hampipe.plotting.figures import add_footer
from hampipe.plotting.rollout_helpers import (  # noqa: E402
    ORBIT_REACH,
    TRUE_COLOUR,
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
    draw_outlines,
)

__all__ = ["write_animation_page", "write_orbit_animation"]

#: Resolution of the animations: their 2.7-inch height is 405 pixels.
DPI = 150


def write_orbit_animation(
    collected: xr.Dataset,
    path: str | os.PathLike,
    trajectory: int = 0,
    seed: int = 0,
    frames: int = 120,
    fps: int | None = None,
    footer: str | None = None,
    seconds: float = 10.0,
    outlines: Sequence[Mapping[str, float]] = (),
) -> np.ndarray:
    """Write an animated GIF of one test trajectory: the reference and every method.

    The animated counterpart of the SANN paper's orbit figures (Figs. 4 and 6) and of
    :func:`~hampipe.plotting.orbits.orbits_figure`: one panel for the reference (true)
    motion and one per method, side by side, with every body as a dot trailed by a
    fading line of its recent path (the last fifth of the trajectory), the faint full
    true orbit behind it, and the time in the title. A method's panel title says when
    its rollout diverged. Time is subsampled to ``frames`` evenly spaced time points
    (all of them if there are fewer), shown over about ``seconds`` (``fps`` frames per
    second if given instead), at :data:`DPI` dots per inch: 405 pixels tall, so its
    text is readable.

    The GIF carries the job's provenance record in a comment extension
    (``hampipe provenance FILE`` prints it). It is first written to a hidden temporary
    file in ``path``'s directory and then moved onto ``path`` with :func:`os.replace`
    (:func:`hampipe.core.files.atomic_write`), so ``path`` is either absent, the old
    file, or the complete new one; a full disk raises
    :class:`~hampipe.core.files.DiskFullError` naming ``path``.

    Parameters
    ----------
    collected
        A system's collected dataset with bodies in the plane (``spatial_dim == 2``).
    path
        Output file; must end in ``.gif``. Its directory is created if missing.
    trajectory, seed
        Labels of the test trajectory and the training seed.
    frames
        Number of frames (≥ 1).
    fps
        Frames per second (≥ 1); ``None``: as many as make the loop last ``seconds``.
    footer
        A line along the bottom (the run's scale).
    seconds
        Duration of one loop when ``fps`` is ``None`` (at least one frame per second).
    outlines
        Circles (``{"x", "y", "radius"}``) drawn grey in every panel: the system's walls.

    Returns
    -------
    numpy.ndarray
        The time (s) of every frame, in order.

    Raises
    ------
    ValueError
        If the system's positions are not bodies in the plane (naming the system), the
        path does not end in ``.gif``, or ``frames`` or ``fps`` is below 1.
    """
    if int(collected.attrs.get("spatial_dim", 0)) != 2:
        raise ValueError(
            f"system {_system(collected)!r} has spatial_dim "
            f"{collected.attrs.get('spatial_dim', 0)}: orbit animations need bodies in the "
            "plane (spatial_dim 2)"
        )
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"{path}: an orbit animation is written as a .gif file")
    if frames < 1 or (fps is not None and fps < 1) or not seconds > 0:
        raise ValueError(
            "frames and fps must be at least 1 and seconds positive, got "
            f"frames={frames}, fps={fps}, seconds={seconds}"
        )

    labels, colours = _styles(collected)
    methods = _methods(collected)
    one = _rollout(collected, trajectory, seed)
    time = one.time.values.astype(float)
    n_time = len(time)
    index = np.unique(np.round(np.linspace(0, n_time - 1, min(frames, n_time))).astype(int))
    frame_times = time[index]
    if fps is None:
        fps = max(1, math.floor(len(index) / seconds))
    trail = max(2, n_time // 5)

    panels = ["reference", *methods]
    xy = {"reference": _bodies_xy(one.q.values, collected)}
    xy.update({m: _bodies_xy(one.q_pred.sel({"method": m}).values, collected) for m in methods})
    colour = {"reference": TRUE_COLOUR, **colours}
    title = {"reference": "reference", **labels}
    diverged = {"reference": None}
    diverged.update(
        {
            m: _diverged_at(
                one.q_pred.sel({"method": m}).values, one.p_pred.sel({"method": m}).values, time
            )
            for m in methods
        }
    )
    others = [xy[m] for m in methods]
    xlim = _capped_range(xy["reference"][..., 0], [o[..., 0] for o in others], ORBIT_REACH)
    ylim = _capped_range(xy["reference"][..., 1], [o[..., 1] for o in others], ORBIT_REACH)
    xlim, ylim = _equal_ranges(xlim, ylim)
    n_bodies = xy["reference"].shape[1]
    if len(frame_times) > 1:
        spacing = float(np.min(np.diff(frame_times)))
        digits = max(0, -math.floor(math.log10(spacing)) + 1) if spacing > 0 else 3
    else:
        digits = 2
    system = _system(collected).replace("_", "-")

    with _style():
        fig, axes = plt.subplots(
            1,
            len(panels),
            figsize=(2.3 * len(panels), 2.7),
            dpi=DPI,
            squeeze=False,
            layout="constrained",
        )
        axes = dict(zip(panels, axes[0], strict=True))
        dots, trails = {}, {}
        for name, ax in axes.items():
            for b in range(n_bodies):
                ax.plot(*xy["reference"][:, b].T, color="0.8", lw=0.6, zorder=1)
            trails[name] = []
            for _ in range(n_bodies):
                lc = LineCollection([], linewidths=1.4, zorder=2)
                ax.add_collection(lc)
                trails[name].append(lc)
            (dots[name],) = ax.plot([], [], "o", color=colour[name], ms=5, zorder=3)
            draw_outlines(ax, outlines)
            ax.set(xlim=xlim, ylim=ylim, title=title[name])
            ax.set_aspect("equal", adjustable="box")
            ax.set_xlabel(_unit_label("x", collected.q.attrs.get("units")))
        axes["reference"].set_ylabel(_unit_label("y", collected.q.attrs.get("units")))
        suptitle = fig.suptitle("")
        if footer:  # the run's scale (hampipe.plan.scale)
            add_footer(fig, footer)
        rgba = {name: np.array(to_rgba(colour[name])) for name in panels}

        def draw(frame: int) -> list:
            k = int(index[frame])
            start = max(0, k - trail)
            for name in panels:
                pos = xy[name]
                dots[name].set_data(pos[k, :, 0], pos[k, :, 1])
                for b, lc in enumerate(trails[name]):
                    pts = pos[start : k + 1, b]
                    segs = np.stack([pts[:-1], pts[1:]], axis=1) if len(pts) > 1 else []
                    lc.set_segments(segs)
                    if len(pts) > 1:
                        colours_ = np.tile(rgba[name], (len(pts) - 1, 1))
                        colours_[:, 3] = np.linspace(0.05, 1.0, len(pts) - 1)
                        lc.set_colors(colours_)
                at = diverged[name]
                if at is not None and time[k] >= at:
                    axes[name].set_title(_panel_title(title[name], at))
                else:
                    axes[name].set_title(title[name])
            suptitle.set_text(f"{system}, test trajectory {trajectory}: t = {time[k]:.{digits}f} s")
            return [*dots.values(), suptitle]

        animation = FuncAnimation(
            fig, draw, frames=len(index), init_func=lambda: draw(0), blit=False, repeat=False
        )
        try:
            # Pillow picks the format from the name: the temp file ends in .gif too.
            with atomic_write(path, suffix=".tmp.gif") as tmp:
                animation.save(tmp, writer=PillowWriter(fps=fps))
                tmp.write_bytes(gif_with_comment(tmp.read_bytes(), record_json()))
        finally:
            plt.close(fig)
    return frame_times


def write_animation_page(
    gif: str | os.PathLike, page: str | os.PathLike, title: str = "", footer: str | None = None
) -> Path:
    """Write an HTML page that shows the GIF ``gif`` (embedded, so the page stands alone)
    under ``title`` and over ``footer``: what the report shows, since browsers play a GIF
    in a page but the report only offers a GIF for download. Written atomically, with
    the job's provenance record in a ``<meta>`` element of its head."""
    data = base64.b64encode(Path(gif).read_bytes()).decode("ascii")
    lines = [
        "<!DOCTYPE html>",
        "<html><head><meta charset='utf-8'>",
        html_meta(record_json()),
        f"<title>{html.escape(title)}</title></head>",
        "<body style='font-family:sans-serif;font-size:13px'>",
        f"<p>{html.escape(title)}</p>" if title else "",
        f"<img src='data:image/gif;base64,{data}' alt='{html.escape(title)}' "
        "style='max-width:100%'>",
        f"<p>{html.escape(footer)}</p>" if footer else "",
        "</body></html>",
    ]
    return write_text(page, "\n".join(line for line in lines if line) + "\n")
