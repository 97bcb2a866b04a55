"""One dataset per system with every method and seed: what the figures and tables draw.

The ``collect`` rule stacks a system's evaluation files (``results/eval/{system}/
{method}/seed{i}.nc``) along ``method`` and ``seed`` beside the test split's truth, and
attaches what the figures need to label them: a display name and a colour per method
(from the config's ``presentation`` block, never from a method's hyperparameters) and
each method's resolved settings as JSON (so a table of the ablation reads γ, S and K from
the runs' own settings, none typed in).

Layout of ``results/collected/{system}.nc``::

    q, p              (trajectory, time, dof)            the test split's true states
    energy            (trajectory, time)                 true H on the true states
    q_pred, p_pred    (method, seed, trajectory, time, dof)
    mse, energy_error (method, seed, trajectory, time)   as in the evaluation files
    true_energy_pred  (method, seed, trajectory, time)   true H on the predicted states
                                                         (the evaluations' energy_pred)
    diverged, diverged_time (method, seed, trajectory)   as in the evaluation files
    train_loss, validation_loss, epoch_seconds (method, seed, epoch)   NaN-padded
    interval_error    (method, seed, trajectory, interval)  as in the evaluation files
    epochs_run, best_epoch, converged (method, seed)     how each training ended
    coords: method, seed, trajectory, time, dof, epoch, interval, interval_start,
            label(method), colour(method), learner(method), settings(method) (JSON)
    attrs:  system, spatial_dim (2 for bodies in the plane, else 0), bodies,
            n_diverged (JSON: method -> diverged rollouts over the seeds)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from hampipe.core.provenance import __version__
from hampipe.data.io import InputFileError, read_dataset
from hampipe.plan.checks import planar_bodies
from hampipe.plan.styles import LEARNER_LABELS, PALETTE, presentation  # noqa: F401 (re-exported)


def spatial_layout(dof_names: Sequence[str]) -> tuple[int, int]:
    """(spatial_dim, bodies): (2, n) for n bodies in the plane (``x1, y1, …`` or ``x, y``),
    (0, 0) when the coordinates are not positions of bodies (angles, a 1-D spring).

    ``dof_names`` are a system's ``dof_names``, or a data file's ``dof`` coordinate.
    """
    names = [str(name) for name in dof_names]
    return (2, len(names) // 2) if planar_bodies(names) else (0, 0)


def training_end_of(evaluation: xr.Dataset) -> dict[str, xr.DataArray]:
    """How the evaluated model's training ended, as scalar variables to stack by method
    and seed: ``epochs_run``, ``best_epoch`` and ``converged`` (1: stopped by early
    stopping, 0: ran its epochs). An evaluation written before these were recorded
    trained its fixed epochs."""
    attrs = evaluation.attrs
    epochs = int(attrs.get("epochs_run", evaluation.sizes.get("epoch", 0)))
    return {
        "epochs_run": xr.DataArray(epochs, attrs={"long_name": "epochs trained"}),
        "best_epoch": xr.DataArray(
            int(attrs.get("best_epoch", epochs)),
            attrs={"long_name": "epoch whose weights were evaluated"},
        ),
        "converged": xr.DataArray(
            np.int8(attrs.get("stopped") == "converged"),
            attrs={
                "long_name": "whether training stopped by early stopping",
                "flag_values": np.array([0, 1], dtype=np.int8),
                "flag_meanings": "epochs converged",
            },
        ),
    }


def collect(
    evals: Mapping[str, Sequence[str | os.PathLike]],
    test: xr.Dataset,
    styles: Mapping[str, Mapping[str, str]],
    learners: Mapping[str, str],
    settings: Mapping[str, Mapping[str, Any]],
) -> xr.Dataset:
    """Stack evaluation files (method → paths of seeds 0, 1, …) with the test split.

    ``styles`` is :func:`presentation`'s output, ``learners`` and ``settings`` each
    method's learner and resolved settings. Only stacks and labels: the true H on the
    predictions (``true_energy_pred``) is each evaluation's ``energy_pred``, so no
    system is needed. Raises ``ValueError`` naming the file when an evaluation does not
    match the test split (another system or time grid) or lacks ``energy_pred``, and
    :class:`~hampipe.data.io.InputFileError` when it was written for another method or
    seed than its place in ``evals`` (:func:`hampipe.data.io.check_identity`).
    """
    system = test.attrs["system"]
    per_method = []
    diverged = {}
    for method, paths in evals.items():
        seeds = []
        for seed, path in enumerate(paths):
            # written by the evaluate job of this method and seed (another's is refused)
            ds = read_dataset(path, "evaluation", expect={"method": method, "seed": seed})
            if ds.attrs.get("system") != system or ds.sizes["time"] != test.sizes["time"]:
                raise ValueError(
                    f"{path}: evaluation of system {ds.attrs.get('system')!r} with "
                    f"{ds.sizes['time']} time points does not match the test split of "
                    f"{system!r} ({test.sizes['time']} time points)"
                )
            if "energy_pred" not in ds:
                raise InputFileError(
                    f"{path}: evaluation file lacks 'energy_pred' (the true H on its "
                    "predictions; written before evaluate stored it): rerun evaluate"
                )
            ds = ds.drop_vars(["trajectory", "time", "dof"], errors="ignore").assign(
                training_end_of(ds)
            )
            if "epoch" in ds.dims:  # histories of different lengths align by epoch number
                ds = ds.assign_coords(epoch=np.arange(1, ds.sizes["epoch"] + 1))
            seeds.append(ds)
        diverged[method] = sum(int(ds.attrs.get("n_diverged", 0)) for ds in seeds)
        stacked = xr.concat(seeds, dim="seed", join="outer", combine_attrs="drop")
        per_method.append(stacked.assign_coords(seed=np.arange(len(seeds))))
    runs = xr.concat(per_method, dim="method", join="outer", combine_attrs="drop")
    methods = list(evals)
    H = runs.energy_pred.transpose("method", "seed", "trajectory", "time").values
    spatial_dim, bodies = spatial_layout(test.dof.values)
    out = runs.drop_vars("energy_pred").assign(
        q=test.q,
        p=test.p,
        energy=test.energy,
        true_energy_pred=(
            ("method", "seed", "trajectory", "time"),
            H,
            {"units": test.energy.attrs.get("units", "1"), "long_name": "true H on predictions"},
        ),
    )
    return out.assign_coords(
        method=methods,
        trajectory=test.trajectory.values,
        time=test.time,
        dof=test.dof,
        label=("method", [styles[m]["label"] for m in methods]),
        colour=("method", [styles[m]["colour"] for m in methods]),
        learner=("method", [learners[m] for m in methods]),
        settings=("method", [json.dumps(settings[m], sort_keys=True) for m in methods]),
    ).assign_attrs(
        Conventions="CF-1.10",
        system=system,
        spatial_dim=spatial_dim,
        bodies=bodies,
        n_diverged=json.dumps(diverged),
        hampipe_version=__version__,
    )


def method_settings(collected: xr.Dataset, method: str) -> dict[str, Any]:
    """The resolved settings a method of a collected dataset was trained with."""
    return json.loads(str(collected.settings.sel({"method": method}).item()))


def label_of(collected: xr.Dataset, method: str) -> str:
    """The display name of a method of a collected dataset."""
    return str(collected.label.sel({"method": method}).item())


def colour_of(collected: xr.Dataset, method: str) -> str:
    """The colour of a method of a collected dataset."""
    return str(collected.colour.sel({"method": method}).item())
