"""Every figure the workflow draws, by name: read the inputs, draw, save PDF, PNG and CSV.

A ``figure_*`` rule names a :data:`FIGURES` entry and passes its input files and
options; :func:`draw` reads the files, calls the entry and saves the figure with the
numbers it plots (:func:`~hampipe.plotting.figures.save_figure`). Adding a figure is one
function here (or in a module it imports) and one rule.

Each entry is ``fn(inputs, **options) -> (figure, table)`` where ``inputs`` maps the
rule's input names to paths (or lists of paths).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr

from hampipe.core.registry import Registry
from hampipe.data.io import read_dataset
from hampipe.plan.families import learner_families, setting_family  # noqa: F401 (re-exported)
from hampipe.plotting.collect import LEARNER_LABELS, colour_of, label_of, method_settings
from hampipe.plotting.figures import (
    METRICS,
    band_title,
    drift_figure,
    legend_outside,
    metric_curve,
    metric_figure,
    metric_panel,
    save_figure,
    set_style,
)
from hampipe.plotting.peers import peers_figure
from hampipe.plotting.probe_figures import learned_potential_figure, meshgrid_error_figure
from hampipe.plotting.sai_figures import (
    billiard_potential_figure,
    sai_percentiles_figure,
    sai_si_figure,
    sai_translation_figure,
)
from hampipe.plotting.stiffness import error_by_stiffness_figure, stiff_share
from hampipe.plotting.trajectory_figures import (
    energy_heatmap_figure,
    orbits_figure,
    valid_prediction_time_figure,
    write_animation_page,
    write_orbit_animation,
)
from hampipe.systems import system_from_spec

Inputs = Mapping[str, Any]
FigureFunction = Callable[..., tuple[plt.Figure, pd.DataFrame]]
FIGURES: Registry[FigureFunction] = Registry("figure")


def load(path: str | os.PathLike) -> xr.Dataset:
    """A NetCDF file, read into memory (a clear error naming an unreadable file)."""
    return read_dataset(path)


def draw(
    name: str, inputs: Inputs, output: str | os.PathLike, footer: str | None = None, **options: Any
) -> Path:
    """Draw figure ``name`` from ``inputs`` into ``output`` (PDF; PNG and CSV beside it),
    with ``footer`` (the run's scale) along its bottom edge."""
    fig, table = FIGURES[name](inputs, **options)
    return save_figure(fig, output, table, footer)


@FIGURES.register("energy")
def energy(
    inputs: Inputs,
    methods: Sequence[str] | None = None,
    gamma: float | None = None,
    ranking: str = "trajectory",
):
    """|Relative energy error| of the test rollouts against time (SANN Figs. 3b, 5); with
    SANN's ``gamma`` and ``ranking``, a strip marks when the test trajectories pass
    through their stiff intervals (:func:`~hampipe.plotting.stiffness.stiff_share`)."""
    collected = load(inputs["collected"])
    share = stiff_share(collected, gamma, ranking) if gamma else None
    return metric_figure(collected, "energy_error", methods, share)


@FIGURES.register("mse")
def mse(inputs: Inputs, methods: Sequence[str] | None = None):
    """MSE of the test rollouts against time (SANN Figs. 3c, 5)."""
    return metric_figure(load(inputs["collected"]), "mse", methods)


@FIGURES.register("integrator_drift")
def integrator_drift(inputs: Inputs):
    """Energy drift of solve_ivp's adaptive integrators (spring study, Fig. 3)."""
    return drift_figure(load(inputs["drift"]))


@FIGURES.register("sai_si")
def sai_si(
    inputs: Inputs, gamma: float, ranking: str = "trajectory", trajectory: int | str = "strongest"
):
    """SAI against SI for one training trajectory (by default the one with the strongest
    stiff event), stiff intervals shaded (SANN Fig. 7)."""
    return sai_si_figure(load(inputs["sai"]), gamma, ranking, trajectory, time=True)


@FIGURES.register("sai_percentiles")
def sai_percentiles(inputs: Inputs):
    """Normalised SAI sorted over the dataset, median and 95 % band (SANN App. G, Fig. 19)."""
    return sai_percentiles_figure(load(inputs["sai"]))


@FIGURES.register("sai_translation")
def sai_translation(
    inputs: Inputs, shifts: Sequence[float], gamma: float, trajectory: int = 0, seed: int = 0
):
    """SAI of a training trajectory after translating q (SANN App. B, Figs. 11–12)."""
    return sai_translation_figure(
        load(inputs["data"]), shifts=shifts, gamma=gamma, trajectory=trajectory, seed=seed
    )


@FIGURES.register("billiard_potential")
def billiard_potential(inputs: Inputs, system: Mapping[str, Any], points: int = 201):
    """The soft-walled billiard's potential: a profile and a map (SANN Fig. 3a).

    ``system`` is the true system's spec (:func:`hampipe.systems.system_from_spec`); the
    figure reads no input file (``inputs`` is empty).
    """
    return billiard_potential_figure(system_from_spec(system), points=points)


@FIGURES.register("learned_potential")
def learned_potential(inputs: Inputs, styles: Mapping[str, Mapping[str, str]]):
    """Learned potentials of separable models against the true one (SANN App. A, Fig. 9).

    ``inputs`` maps each method to its potential probe; ``styles`` to label and colour.
    """
    probes = {m: load(path) for m, path in inputs.items()}
    labels = {m: styles[m]["label"] for m in probes}
    colours = {m: styles[m]["colour"] for m in probes}
    return learned_potential_figure(probes, labels, colours)


@FIGURES.register("meshgrid_error")
def meshgrid_error(
    inputs: Inputs, styles: Mapping[str, Mapping[str, str]], tolerances: Sequence[float]
):
    """Relative error of the learned vector field (spring study Figs. 8–9) and of the
    learned energy (Fig. 5) on the (q, p) meshgrid, with tolerance contours. ``inputs``
    maps each method to its field probe."""
    probes = {m: load(path) for m, path in inputs.items()}
    labels = {m: styles[m]["label"] for m in probes}
    return meshgrid_error_figure(probes, labels, tuple(tolerances), ("norm", "energy"))


def _subset(collected: xr.Dataset, methods: Sequence[str] | None) -> xr.Dataset:
    return collected if methods is None else collected.sel({"method": list(methods)})


@FIGURES.register("orbits")
def orbits(
    inputs: Inputs,
    methods: Sequence[str] | None = None,
    trajectory: int = 0,
    outlines: Sequence[Mapping[str, float]] = (),
):
    """One test trajectory: orbits (or phase portraits) and energy of every method
    against the truth (SANN Figs. 4, 6, 13–15; the HINN write-up's comparisons), over the
    system's walls (``outlines``)."""
    return orbits_figure(
        _subset(load(inputs["collected"]), methods), trajectory=trajectory, outlines=outlines
    )


@FIGURES.register("energy_heatmap")
def energy_heatmap(inputs: Inputs, method: str):
    """|Relative energy error| per test trajectory and time (spring study, Fig. 4)."""
    return energy_heatmap_figure(load(inputs["collected"]), method)


@FIGURES.register("valid_prediction_time")
def valid_prediction_time(
    inputs: Inputs, threshold: float, methods: Mapping[str, Sequence[str]] | None = None
):
    """Valid prediction time per method and system (``inputs``: system → collected file)."""
    collected = {
        system: _subset(load(path), None if methods is None else methods[system])
        for system, path in inputs.items()
    }
    return valid_prediction_time_figure(collected, threshold)


def animate(
    collected: str | os.PathLike,
    output: str | os.PathLike,
    methods: Sequence[str] | None = None,
    trajectory: int = 0,
    frames: int = 120,
    footer: str | None = None,
    outlines: Sequence[Mapping[str, float]] = (),
    page: str | os.PathLike | None = None,
) -> Path:
    """Write the animated orbits of one test trajectory, reference and every method (GIF),
    over the system's walls (``outlines``), with ``footer`` (the run's scale) along the
    bottom; and, with ``page``, an HTML page showing it (what the report shows)."""
    data = load(collected)
    write_orbit_animation(
        _subset(data, methods),
        output,
        trajectory=trajectory,
        frames=frames,
        footer=footer,
        outlines=outlines,
    )
    if page is not None:
        system = str(data.attrs.get("system", "")).replace("_", "-")
        write_animation_page(output, page, f"{system}: test trajectory {trajectory}")
    return Path(output)


#: Line styles that tell runs of one learner apart (by rank of the varied setting).
LINESTYLES = ("-", "--", "-.", ":", (0, (1, 1)), (0, (5, 1)))


def means_title(collected: xr.Dataset) -> str:
    """What a line of the means-only figures is over."""
    n_seed, n_traj = collected.sizes["seed"], collected.sizes["trajectory"]
    return f"lines: means over {n_traj} test trajectories × {n_seed} seed(s)"


def _by_learner(collected: xr.Dataset, methods: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for m in methods:
        groups.setdefault(str(collected.learner.sel({"method": m}).item()), []).append(m)
    return groups


@FIGURES.register("noise")
def noise(inputs: Inputs, methods: Sequence[str]):
    """Learning from noisy observations (SANN App. F, Figs. 17–18).

    One column per learner, MSE (top) and |energy error| (bottom) against time, one line
    per noise level (the ``noise`` std of the run's settings; the same level has the same
    colour in every column). Lines are means over test trajectories and seeds.
    """
    set_style()
    collected = load(inputs["collected"])
    level = {m: float(method_settings(collected, m)["noise"]) for m in methods}
    levels = sorted(set(level.values()))
    palette = dict(zip(levels, sns.color_palette("flare", len(levels)), strict=True))
    groups = _by_learner(collected, methods)
    fig, axes = plt.subplots(
        2, len(groups), figsize=(3.4 * len(groups), 5.6), squeeze=False, sharex=True,
        layout="constrained",
    )  # fmt: skip
    tables = []
    for j, (learner, entries) in enumerate(groups.items()):
        for i, variable in enumerate(("mse", "energy_error")):
            ax = axes[i, j]
            for m in sorted(entries, key=level.get):
                table = metric_curve(
                    ax, collected, variable, m, band=False, lw=1.4,
                    color=palette[level[m]], label=f"σ = {level[m]:g}",
                )  # fmt: skip
                tables.append(table.assign(learner=learner, noise=level[m]))
            ax.set_yscale("log")
            ax.set_ylabel(METRICS[variable][0] if j == 0 else "")
        axes[0, j].set_title(LEARNER_LABELS.get(learner, learner))
        axes[1, j].set_xlabel("time (s)")
    axes[0, -1].legend(title="observation noise", fontsize="small")
    system = str(collected.attrs["system"]).replace("_", "-")
    fig.suptitle(f"{system}: training on noisy observations ({means_title(collected)})")
    return fig, pd.concat(tables, ignore_index=True)


@FIGURES.register("epochs")
def epochs(inputs: Inputs, methods: Sequence[str]):
    """Longer training of the baselines against SANN (SANN App. A.2, Fig. 10).

    (a) training loss against epoch, (b) MSE and (c) |energy error| of the test rollouts
    against time, one line per run: the learner's colour, a line style per epoch count.
    """
    set_style()
    collected = load(inputs["collected"])
    count = {m: int(method_settings(collected, m)["epochs"]) for m in methods}
    groups = _by_learner(collected, methods)
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6), layout="constrained")
    tables = []
    for learner, entries in groups.items():
        colour = colour_of(collected, learner) if learner in collected.method else None
        for rank, m in enumerate(sorted(entries, key=count.get)):
            style = {
                "color": colour or colour_of(collected, m),
                "ls": LINESTYLES[rank % len(LINESTYLES)],
                "label": f"{LEARNER_LABELS.get(learner, learner)} {count[m]} epochs",
            }
            loss = collected.train_loss.sel({"method": m})
            mean_loss = loss.mean("seed", skipna=True).values
            finite = np.isfinite(mean_loss)
            epoch = collected.epoch.values
            axes[0].plot(epoch[finite], mean_loss[finite], lw=1.2, **style)
            tables.append(
                pd.DataFrame(
                    {
                        "method": m,
                        "metric": "train_loss",
                        "epoch": epoch[finite],
                        "mean": mean_loss[finite],
                    }
                ).assign(learner=learner, epochs=count[m])  # fmt: skip
            )
            for ax, variable in zip(axes[1:], ("mse", "energy_error"), strict=True):
                table = metric_curve(ax, collected, variable, m, band=False, lw=1.4, **style)
                tables.append(table.assign(learner=learner, epochs=count[m]))
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss (mean over seeds)")
    for ax, variable in zip(axes, ("train_loss", "mse", "energy_error"), strict=True):
        ax.set_yscale("log")
        if variable in METRICS:
            ax.set_xlabel("time (s)")
            ax.set_ylabel(METRICS[variable][0])
    for ax, letter in zip(axes, "abc", strict=True):
        ax.set_title(f"({letter})", loc="left")
    axes[0].legend(fontsize="x-small")
    system = str(collected.attrs["system"]).replace("_", "-")
    fig.suptitle(f"{system}: longer training of the baselines ({means_title(collected)})")
    return fig, pd.concat(tables, ignore_index=True)


def metric_pair(
    collected: xr.Dataset, methods: Sequence[str], title: str, labels: Mapping[str, str] | None
):
    """MSE and |energy error| side by side for ``methods`` (optionally relabelled)."""
    set_style()
    if labels:
        relabelled = [
            labels.get(str(m), str(v))
            for m, v in zip(collected.method.values, collected.label.values, strict=True)
        ]
        collected = collected.assign_coords(label=("method", relabelled))
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.4), layout="constrained")
    tables = [metric_panel(ax, collected, v, methods) for ax, v in zip(axes, METRICS, strict=False)]
    legend_outside(axes[1], band_title(collected))
    fig.suptitle(title)
    return fig, pd.concat(tables, ignore_index=True)


@FIGURES.register("activations")
def activations(inputs: Inputs, methods: Sequence[str]):
    """SANN with the rational, tanh and ReLU activations of φ (SANN §6, Fig. 8)."""
    collected = load(inputs["collected"])
    labels = {
        m: f"{label_of(collected, m)}: {method_settings(collected, m)['activation']}"
        for m in methods
    }
    system = str(collected.attrs["system"]).replace("_", "-")
    fig, table = metric_pair(collected, methods, f"{system}: activation of φ", labels)
    activation = {m: method_settings(collected, m)["activation"] for m in methods}
    return fig, table.assign(activation=table["method"].map(activation))


@FIGURES.register("resampling")
def resampling(inputs: Inputs, methods: Sequence[str]):
    """SANN with and without resampling of the stiff intervals (SANN Fig. 5 right).

    ``methods`` share every setting but the replication K; each is labelled by its K.
    """
    collected = load(inputs["collected"])
    replication = {m: int(method_settings(collected, m)["replication"]) for m in methods}
    labels = {m: f"K = {replication[m]} ({m})" for m in methods}
    system = str(collected.attrs["system"]).replace("_", "-")
    fig, table = metric_pair(collected, methods, f"{system}: resampling of stiff intervals", labels)
    return fig, table.assign(replication=table["method"].map(replication))


@FIGURES.register("error_by_stiffness")
def error_by_stiffness(
    inputs: Inputs, methods: Sequence[str], gamma: float, ranking: str = "trajectory"
):
    """One-interval error of each method against the interval's SAI decile (issue 21)."""
    return error_by_stiffness_figure(load(inputs["collected"]), methods, ranking, gamma)


@FIGURES.register("peers")
def peers(inputs: Inputs):
    """Our baselines beside their papers' published numbers (``results/tables/peers.csv``)."""
    return peers_figure(pd.read_csv(inputs["table"]))
