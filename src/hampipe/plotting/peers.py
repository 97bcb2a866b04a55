"""The ``peers`` table and figure: our baselines beside their own papers' published numbers.

For every comparison of the config's ``peers`` block (:mod:`hampipe.plan.peers`), every
published row and metric, and each recipe (``peer``: the peer's own training recipe;
``hampipe``: the same network with hampipe's default recipe), one table row holds:

- ``published`` and ``published_uncertainty`` (as the paper states it, or empty);
- ``ours``: the geometric mean over seeds of the run's metric (each seed's value the mean
  over test trajectories, :func:`~hampipe.plotting.tables.run_metrics`), with
  ``ours_spread`` the geometric standard deviation factor over seeds (exp of the sample
  std of the logs; NaN for one seed) and ``ours_min``, ``ours_max``;
- ``ratio`` = ours / published, ``band`` the factor of the config's ``peers.bands`` and
  ``within_band``: 1/band ≤ ratio ≤ band;
- ``published_ratio`` and ``ours_ratio``: the row's value over the comparison's first
  row's (same metric and recipe), and ``ordering_preserved``: whether ours ranks the
  comparison's rows as the paper does (empty with one row).

Geometric, because the metrics are squared errors spread over orders of magnitude: a
factor is what is compared, and the band is a factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from hampipe.plan.peers import PEER_METRICS
from hampipe.plotting.figures import legend_outside, set_style
from hampipe.plotting.tables import TABLES, run_metrics

#: The recipes a comparison row may be reproduced with, in the table's order.
RECIPES = ("peer", "hampipe")
#: How the figure draws each recipe: marker, face filled, offset from the row's centre.
_MARKERS = {"peer": ("o", True, -0.15), "hampipe": ("s", False, 0.15)}


def geometric_summary(values: np.ndarray) -> dict[str, float]:
    """Geometric mean, geometric std factor (ddof 1), min and max of the finite positive
    ``values``; NaN where there are none (or, for the factor, fewer than two)."""
    values = np.asarray(values, dtype=float)
    good = values[np.isfinite(values) & (values > 0)]
    if not good.size:
        return {"ours": np.nan, "ours_spread": np.nan, "ours_min": np.nan, "ours_max": np.nan}
    logs = np.log(good)
    return {
        "ours": float(np.exp(logs.mean())),
        "ours_spread": float(np.exp(logs.std(ddof=1))) if good.size > 1 else np.nan,
        "ours_min": float(good.min()),
        "ours_max": float(good.max()),
    }


@TABLES.register("peers")
def peers(
    collected: Mapping[str, xr.Dataset],
    comparisons: Mapping[str, Mapping[str, Any]],
    bands: Mapping[str, float],
    published: Mapping[str, Any],
) -> pd.DataFrame:
    """One row per (comparison, published row, metric, recipe); see the module docstring.

    ``collected`` maps each system to its collected ``peers`` selection, ``comparisons``
    and ``bands`` are the config's ``peers`` block, ``published`` the published file as
    :func:`~hampipe.plan.peers.read_published` returns it.
    """
    rows = []
    for name, comparison in comparisons.items():
        ds = collected[comparison["system"]]
        source = published[name]
        for row, entries in comparison["rows"].items():
            paper = source["rows"][row]
            for metric in PEER_METRICS:
                if metric not in paper:
                    continue
                value, uncertainty = paper[metric]
                for recipe in RECIPES:
                    if recipe not in entries:
                        continue
                    per_seed = run_metrics(ds, entries[recipe])
                    stats = geometric_summary(per_seed[metric].to_numpy())
                    ratio = stats["ours"] / value
                    band = float(bands[metric])
                    rows.append(
                        {
                            "comparison": name,
                            "system": comparison["system"],
                            "row": row,
                            "label": paper["label"],
                            "metric": metric,
                            "recipe": recipe,
                            "entry": entries[recipe],
                            "published": value,
                            "published_uncertainty": uncertainty,
                            **stats,
                            "seeds": int(np.isfinite(per_seed[metric]).sum()),
                            "diverged": int(per_seed["diverged"].sum()),
                            "ratio": ratio,
                            "band": band,
                            "within_band": bool(1 / band <= ratio <= band),
                        }
                    )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return _with_ordering(table)


def _with_ordering(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``published_ratio``, ``ours_ratio`` and ``ordering_preserved`` per group of one
    comparison, metric and recipe (rows in the config's order, the first the reference)."""
    table = table.copy()
    table["published_ratio"] = np.nan
    table["ours_ratio"] = np.nan
    table["ordering_preserved"] = None
    for _, group in table.groupby(["comparison", "metric", "recipe"], sort=False):
        first = group.iloc[0]
        table.loc[group.index, "published_ratio"] = group.published / first.published
        table.loc[group.index, "ours_ratio"] = group.ours / first.ours
        if len(group) > 1:
            same = bool(
                (np.argsort(group.published.to_numpy()) == np.argsort(group.ours.to_numpy())).all()
            )
            table.loc[group.index, "ordering_preserved"] = same
    return table


def peers_figure(table: pd.DataFrame) -> tuple[plt.Figure, pd.DataFrame]:
    """One panel per (comparison, metric): the published value (black diamond, with its
    stated uncertainty) in its band (grey bar), and ours per recipe (geometric mean over
    seeds, bars from min to max), on a log scale."""
    set_style()
    panels = list(dict.fromkeys(zip(table.comparison, table.metric, strict=True)))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False, layout="constrained"
    )
    for ax, (comparison, metric) in zip(axes[0], panels, strict=True):
        part = table[(table.comparison == comparison) & (table.metric == metric)]
        labels = list(dict.fromkeys(part.label))
        for x, label in enumerate(labels):
            first = part[part.label == label].iloc[0]
            value, band = first.published, first.band
            ax.bar(
                x, value * band - value / band, bottom=value / band, width=0.7,
                color="0.88", edgecolor="none", zorder=0,
                label="band" if x == 0 else None,
            )  # fmt: skip
            err = first.published_uncertainty
            ax.errorbar(
                x, value, yerr=None if pd.isna(err) else err, marker="D", color="black",
                linestyle="none", markersize=6, zorder=3, label="published" if x == 0 else None,
            )  # fmt: skip
            for k, recipe in enumerate(RECIPES):
                hit = part[(part.label == label) & (part.recipe == recipe)]
                if hit.empty:
                    continue
                r = hit.iloc[0]
                marker, filled, offset = _MARKERS[recipe]
                ax.errorbar(
                    x + offset, r.ours,
                    yerr=[[r.ours - r.ours_min], [r.ours_max - r.ours]],
                    marker=marker, markersize=6, linestyle="none", capsize=3,
                    color=f"C{k}", markerfacecolor=f"C{k}" if filled else "white",
                    label=f"ours, {recipe} recipe" if x == 0 else None, zorder=4,
                )  # fmt: skip
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yscale("log")
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_title(f"{comparison}: {metric}")
        ax.set_ylabel(metric.replace("_", " "))
    legend_outside(axes[0][-1], "published and ours")
    seeds = int(table.seeds.max()) if len(table) else 0
    fig.suptitle(
        f"Baselines against their published numbers (geometric mean over {seeds} seeds, "
        "bars: min to max)",
        fontsize="medium",
    )
    return fig, table


__all__ = ["RECIPES", "geometric_summary", "peers", "peers_figure"]
