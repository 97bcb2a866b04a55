"""The tables of the sources, from collected evaluation datasets (never typed in).

Every number comes from ``results/collected/{system}.nc`` (:mod:`hampipe.plotting.
collect`): the runs' own settings, training histories and test rollouts. Each table is
written as CSV, with Markdown and an HTML page beside it (:func:`save_table`).

Definitions shared by the tables, per run (method, seed), then mean and standard
deviation across seeds:

- *test MSE*: the evaluation's ``mse`` averaged over test trajectories and time;
- *last-step MSE*: ``mse`` at the final test time, averaged over test trajectories;
- *energy error*: |relative energy error| averaged over test trajectories and time;
- *derivative MSE*: the evaluation's ``derivative_mse`` (the learned field's squared
  error at the test states; the HNN paper's test loss) averaged over test trajectories;
- *energy MSE*: the evaluation's ``energy_mse`` (mean over time of (H(x̂(t)) − H(x₀))²
  in the system's energy units squared; the HNN paper's energy MSE) averaged over test
  trajectories;
- *train loss*: the last epoch's mean training loss (for SRNN/SANN the one-interval
  squared error of Eq. 7, i.e. the training MSE; for HNN the vector-field error);
- *s / epoch*: the mean wall time of a training epoch.

Diverged rollouts (NaN) are left out of the means and counted in ``diverged``: the
evaluations' own ``diverged`` flags, summed over test trajectories.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from hampipe.core.files import write_text
from hampipe.core.provenance import html_meta, markdown_comment, record_json
from hampipe.core.registry import Registry
from hampipe.data.io import read_dataset
from hampipe.plotting.collect import label_of, method_settings
from hampipe.plotting.stiffness import stiffness_table
from hampipe.plotting.uncertainty import improvement_interval, paired_ratio

TableFunction = Callable[..., pd.DataFrame]
TABLES: Registry[TableFunction] = Registry("table")
#: Significant digits of the numbers in a table's Markdown copy (the CSV keeps them all).
MARKDOWN_DIGITS = 3
#: Partition-search pairs whose validation loss is within this fraction of the best one's
#: are flagged as tied with it.
TIE_TOLERANCE = 0.01


def run_metrics(collected: xr.Dataset, method: str) -> pd.DataFrame:
    """Per seed of ``method``: test MSE, last-step MSE, energy error, derivative MSE,
    energy MSE, train loss, s/epoch, diverged rollouts (see the module docstring for the
    definitions)."""
    missing = [v for v in ("diverged", "derivative_mse", "energy_mse") if v not in collected]
    if missing:
        raise ValueError(
            f"the collected dataset lacks {', '.join(map(repr, missing))} (collected from "
            "evaluations that did not store it): rerun evaluate and collect"
        )
    runs = collected.sel({"method": method})
    energy = np.abs(runs.energy_error)
    table = pd.DataFrame(
        {
            "seed": runs.seed.values,
            "test_mse": runs.mse.mean(("trajectory", "time"), skipna=True).values,
            "last_step_mse": runs.mse.isel(time=-1).mean("trajectory", skipna=True).values,
            "energy_error": energy.mean(("trajectory", "time"), skipna=True).values,
            "derivative_mse": runs.derivative_mse.mean("trajectory", skipna=True).values,
            "energy_mse": runs.energy_mse.mean("trajectory", skipna=True).values,
            "diverged": runs.diverged.sum("trajectory").values,
        }
    )
    for column, variable, reduce in (
        ("train_loss", "train_loss", "last"),
        ("seconds_per_epoch", "epoch_seconds", "mean"),
    ):
        if variable not in runs:
            table[column] = np.nan
            continue
        values = runs[variable].values  # (seed, epoch), NaN-padded
        if reduce == "mean":
            table[column] = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=-1)
        else:
            table[column] = [row[np.isfinite(row)][-1] if np.isfinite(row).any() else np.nan
                             for row in np.atleast_2d(values)]  # fmt: skip
    return table


def across_seeds(per_seed: pd.DataFrame, columns: Sequence[str]) -> dict[str, float]:
    """``{column}`` (mean) and ``{column}_std`` (sample std, NaN for one seed) per column;
    ``seeds`` and the summed ``diverged``."""
    out: dict[str, float] = {"seeds": len(per_seed)}
    for column in columns:
        values = per_seed[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        out[column] = float(finite.mean()) if finite.size else float("nan")
        out[f"{column}_std"] = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
    out["diverged"] = int(per_seed["diverged"].sum())
    return out


def improvement(baseline: float, ours: float) -> float:
    """Percent by which ``ours`` is below ``baseline``: 100 (baseline − ours) / baseline."""
    if not (np.isfinite(baseline) and np.isfinite(ours)) or baseline == 0:
        return float("nan")
    return 100.0 * (baseline - ours) / baseline


@TABLES.register("summary")
def summary(
    collected: Mapping[str, xr.Dataset], methods: Mapping[str, Sequence[str]], seed: int = 0
):
    """Per system and method: energy error, last-step MSE, test MSE, derivative MSE and
    energy MSE with their spread across seeds, and SANN's improvement over SRNN and HNN
    in percent (SANN §4 quotes these improvements for the billiard and the three-body
    problem) with its 95 % interval (``_low``, ``_high``: a bootstrap paired by seed and
    test trajectory, :func:`~hampipe.plotting.uncertainty.paired_ratio`, drawn from
    ``seed``). An interval that holds 0 says the difference is inside the noise.

    ``methods`` maps each system to the entries to list.
    """
    rows = []
    for system, ds in collected.items():
        per_method = {}
        for method in methods[system]:
            stats = across_seeds(
                run_metrics(ds, method),
                ("energy_error", "last_step_mse", "test_mse", "derivative_mse", "energy_mse"),
            )
            per_method[method] = stats
            label = label_of(ds, method)
            ended = stop_columns(ds, method)
            rows.append({"system": system, "method": method, "label": label, **stats, **ended})
        if "sann" in per_method:
            sann = per_method["sann"]
            for row in rows:
                if row["system"] == system and row["method"] == "sann":
                    for base in ("srnn", "hnn"):
                        if base in per_method:
                            for metric in ("energy_error", "last_step_mse"):
                                column = f"sann_vs_{base}_{metric}_pct"
                                row[column] = improvement(per_method[base][metric], sann[metric])
                                interval = improvement_interval(
                                    paired_ratio(
                                        per_trajectory(ds, "sann", metric),
                                        per_trajectory(ds, base, metric),
                                        seed=seed,
                                    )
                                )
                                row[f"{column}_low"] = interval.low
                                row[f"{column}_high"] = interval.high
    return pd.DataFrame(rows)


def stop_columns(collected: xr.Dataset, method: str) -> dict[str, float | int]:
    """How the entry's training ended: the epochs run (mean over seeds) and how many of
    its seeds stopped by convergence rather than by the epoch cap (nothing for
    collections made before the evaluations recorded it)."""
    if "converged" not in collected:
        return {}
    runs = collected.sel({"method": method})
    return {"epochs_run": float(runs.epochs_run.mean()), "converged": int(runs.converged.sum())}


def per_trajectory(collected: xr.Dataset, method: str, metric: str) -> np.ndarray:
    """``(seed, trajectory)`` values of a summary metric (``energy_error``: the mean
    |relative energy error| over time; ``last_step_mse``: the MSE at the last time),
    NaN for a diverged rollout: the units a paired bootstrap resamples."""
    runs = collected.sel({"method": method})
    if metric == "energy_error":
        values = np.abs(runs.energy_error).mean("time", skipna=False)
    elif metric == "last_step_mse":
        values = runs.mse.isel(time=-1)
    else:
        raise ValueError(f"no per-trajectory form of {metric!r}")
    return values.transpose("seed", "trajectory").values


TABLES.register("stiffness")(stiffness_table)


@TABLES.register("ablation")
def ablation(collected: Mapping[str, xr.Dataset], system: str, methods: Sequence[str]):
    """SANN Table 1: one row per entry with its (γ, S_nonstiff, S_stiff, K), read from
    the run's settings, its epoch cap and how training ended (epochs run, seeds
    converged), and train loss, test MSE, energy error and seconds per epoch (mean and
    spread across seeds)."""
    ds = collected[system]
    rows = []
    for method in methods:
        h = method_settings(ds, method)
        stats = across_seeds(
            run_metrics(ds, method),
            ("train_loss", "test_mse", "energy_error", "seconds_per_epoch"),
        )
        rows.append(
            {
                "experiment": method,
                "gamma": h["gamma"],
                "s_nonstiff": h["partitions"]["nonstiff"],
                "s_stiff": h["partitions"]["stiff"],
                "replication": h["replication"],
                "epochs": h["epochs"],
                **stop_columns(ds, method),
                **stats,
            }
        )
    return pd.DataFrame(rows)


@TABLES.register("inseparable")
def inseparable(
    collected: Mapping[str, xr.Dataset], systems: Sequence[str], methods: Sequence[str]
):
    """SANN Table 2: train loss and test MSE of each method with the general (inseparable)
    model on each system, with the spread across seeds, and how its training ended."""
    rows = []
    for system in systems:
        ds = collected[system]
        for method in methods:
            stats = across_seeds(
                run_metrics(ds, method), ("train_loss", "test_mse", "energy_error")
            )
            h = method_settings(ds, method)
            rows.append(
                {
                    "system": system,
                    "method": method,
                    "label": label_of(ds, method),
                    "model": h["model"],
                    # HNN's loss integrates nothing: no training integrator
                    "integrator": h["integrator"] if "integrator" in h else "",
                    "prediction": h["prediction"]["integrator"],
                    **stop_columns(ds, method),
                    **stats,
                }
            )
    return pd.DataFrame(rows)


@TABLES.register("partition_search")
def partition_search(inputs: Mapping[str, xr.Dataset]):
    """SANN App. G: each (S_nonstiff, S_stiff) pair's validation loss after its short
    run, best first, with the chosen pair marked, and ``tied_with_best`` on the pairs
    whose loss is within :data:`TIE_TOLERANCE` of the chosen one's (one short run per
    pair cannot tell those apart). Seconds are rounded to the millisecond."""
    ds = inputs["search"]
    table = pd.DataFrame(
        {
            "rank": ds["rank"].values,
            "s_nonstiff": ds.nonstiff.values,
            "s_stiff": ds.stiff.values,
            "validation_loss": ds.validation_loss.values,
            "train_loss": ds.train_loss.values,
            "seconds": np.round(ds.seconds.values.astype(float), 3),
            "epochs": int(ds.attrs["epochs"]),
        }
    ).sort_values("rank", ignore_index=True)
    best = table["validation_loss"].min()
    tied = (table["validation_loss"] - best).abs() <= TIE_TOLERANCE * abs(best)
    return table.assign(chosen=table["rank"] == 1, tied_with_best=tied & (table["rank"] != 1))


def _empty_columns(table: pd.DataFrame) -> list[str]:
    """Number columns without a value in any row (the ``_std`` columns of one seed)."""
    return [
        c
        for c in table.columns
        if pd.api.types.is_float_dtype(table[c]) and table[c].isna().all() and len(table)
    ]


def _left_out(empty: Sequence[str]) -> str:
    return f"Without a value in any row, left out: {', '.join(empty)}."


def markdown_table(table: pd.DataFrame) -> str:
    """The Markdown copy of a table: numbers to :data:`MARKDOWN_DIGITS` significant
    digits, and without the columns that hold no number at all (the ``_std`` columns of
    a one-seed run), which a line under the table names."""
    empty = _empty_columns(table)
    text = table.drop(columns=empty).to_markdown(index=False, floatfmt=f".{MARKDOWN_DIGITS}g")
    return text + (f"\n\n{_left_out(empty)}" if empty else "") + "\n"


def _number(value: float) -> str:
    return f"{value:.{MARKDOWN_DIGITS}g}"


def paired_columns(table: pd.DataFrame) -> pd.DataFrame:
    """A narrower copy for reading: ``x`` and ``x_std`` become one column ``x`` of
    ``mean ± std``, and ``x``, ``x_low``, ``x_high`` one of ``value [low, high]``, each
    number to :data:`MARKDOWN_DIGITS` significant digits (a missing part left out;
    pairs whose second part is missing in every row stay as they are)."""
    out = table.copy()
    for column in table.columns:
        parts = [f"{column}_std"] if f"{column}_std" in table else []
        if f"{column}_low" in table and f"{column}_high" in table:
            parts = [f"{column}_low", f"{column}_high"]
        numeric = all(pd.api.types.is_float_dtype(table[c]) for c in (column, *parts))
        if not parts or not numeric or table[parts].isna().all().all():
            continue

        def joined(row, parts=parts, column=column):
            value, rest = row[column], [row[c] for c in parts]
            if pd.isna(value):
                return ""
            if any(pd.isna(r) for r in rest):
                return _number(value)
            if len(rest) == 1:
                return f"{_number(value)} ± {_number(rest[0])}"
            return f"{_number(value)} [{_number(rest[0])}, {_number(rest[1])}]"

        out[column] = table.apply(joined, axis=1)
        out = out.drop(columns=parts)
    return out


def html_table(table: pd.DataFrame, header: str | None = None, record: str | None = None) -> str:
    """The HTML page of a table (what the report shows): the scale line, then the table
    rounded and trimmed as :func:`markdown_table`, each mean with its spread in one cell
    (:func:`paired_columns`), a missing value shown as a blank; ``record`` (a provenance
    record's JSON) goes in a ``<meta>`` element of the head."""
    empty = _empty_columns(table)
    body = paired_columns(table.drop(columns=empty)).to_html(
        index=False,
        border=0,
        na_rep="",
        float_format=lambda x: f"{x:.{MARKDOWN_DIGITS}g}",
        classes="hampipe",
    )
    parts = [f"<p>Scale: {html.escape(header)}</p>" if header else "", body]
    if empty:
        parts.append(f"<p>{html.escape(_left_out(empty))}</p>")
    style = (
        "body{font-family:sans-serif;font-size:13px}"
        "table.hampipe{border-collapse:collapse}"
        "table.hampipe th,table.hampipe td{padding:2px 8px;text-align:right;"
        "border-bottom:1px solid #ddd}"
        "table.hampipe th{background:#f3f3f3}"
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        + (html_meta(record) if record else "")
        + f"<style>{style}</style></head>"
        "<body>\n" + "\n".join(p for p in parts if p) + "\n</body></html>\n"
    )


def save_table(table: pd.DataFrame, path: str | os.PathLike, header: str | None = None) -> Path:
    """Write ``path`` (CSV) and the same table as Markdown (``.md``) and as an HTML page
    (``.html``, what the report shows) beside it, each atomically
    (:func:`hampipe.core.files.write_text`: a full disk raises
    :class:`~hampipe.core.files.DiskFullError` naming the file).

    ``header`` (the run's scale, :class:`hampipe.plan.scale.Scale`) opens the Markdown
    copy and the page as a line of its own. The job's provenance record ends the
    Markdown copy as an HTML comment (invisible once rendered) and sits in the page's
    head (``hampipe provenance FILE`` prints it, for the CSV from the page beside it);
    the CSV stays plain.
    """
    path = Path(path)
    record = record_json()
    markdown = markdown_table(table)
    if header:
        markdown = f"Scale: {header}\n\n{markdown}"
    markdown = f"{markdown.rstrip()}\n\n{markdown_comment(record)}\n"
    for target, text in (
        (path, table.to_csv(index=False)),
        (path.with_suffix(".md"), markdown),
        (path.with_suffix(".html"), html_table(table, header, record)),
    ):
        write_text(target, text)
    return path


def make_table(
    name: str,
    inputs: Mapping[str, Any],
    output: str | os.PathLike,
    header: str | None = None,
    **options,
) -> Path:
    """Read the input files (``inputs``: system or input name → NetCDF path; the input
    ``published``, a YAML file of published numbers, goes to the table as that option)
    and write table ``name`` (``header``: see :func:`save_table`)."""
    from hampipe.plan.peers import read_published

    inputs = dict(inputs)
    if "published" in inputs:
        options["published"] = read_published(inputs.pop("published"))
    collected = {s: read_dataset(p) for s, p in inputs.items()}
    return save_table(TABLES[name](collected, **options), output, header)
