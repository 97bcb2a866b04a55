"""A time-boxed slice of the three-body comparison at the paper's sizes (issue 24).

``config.yaml``'s three-body comparison (SANN paper §4.2: the ``learners`` selection of
``experiments.three_body``, HNN, SRNN, SANN and the black-box ODE net) trains each
method for 3000 epochs and 3 seeds: at 36.5 s per SANN epoch on one H200
(``docs/performance.md``) that is days, not a borrowed GPU's minutes. :func:`run` does,
in one process and within a given number of seconds, what the workflow's jobs for that
comparison do, through the same library calls and with the same per-job params
(:class:`hampipe.plan.Plan`, as ``workflow/rules/common.smk`` resolves them); it
writes nothing but its records:

1. ``simulate``: the train and test splits at the config's sizes, dt, solver and seeds
   (the data equal the workflow's ``results/data/three_body/*.nc``), in worker processes;
2. ``sai``: the training split's SAI (SANN Eq. 5) and SI, as the ``sai`` job;
3. ``train``: each method with its resolved settings (width, batch size, learning rate,
   SANN's γ, partitions and K) and run 0's seed, on the device, for as many epochs as
   fit its share of the seconds left (estimated from a few timed mini-batches,
   :mod:`hampipe.bench.timeboxed`); the cosine learning-rate schedule runs over those
   epochs, so each model is a complete short run, not the start of a 3000-epoch one;
4. ``evaluate``: rollouts of each model from the first test trajectories with the
   method's prediction integrator and the system's evaluation step, and the summary
   table's metrics (:mod:`hampipe.plotting.tables`) with their spread over trajectories
   (:func:`~hampipe.bench.timeboxed.rollout_metrics`);
5. a projection of the full comparison's device time from the measured seconds per
   epoch (configured epochs × seeds, per method), and of every three-body training job
   of ``experiments`` whose epoch costs the same as a measured one.

Every record carries ``scale`` (:attr:`Slice.label`, ``"paper-sized slice"`` at the
paper's sizes) and each method's epochs run beside those configured: a slice's
metrics are those of short runs, never the converged comparison's.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from hampipe.bench.ground_truth import simulate_split
from hampipe.bench.timeboxed import (
    epochs_for,
    estimate_seconds_per_epoch,
    train_and_evaluate,
)
from hampipe.models.device import pick_device
from hampipe.plan import Plan, load_config, requires_sai
from hampipe.plan.config import SCHEMA
from hampipe.sai import annotate
from hampipe.sai.index import check_finite_sai
from hampipe.systems import system_from_spec

log = logging.getLogger(__name__)

#: The system of the comparison (SANN paper §4.2) and the selection it compares.
SYSTEM = "three_body"
SELECTION = "learners"
#: Default seconds of the stage: its share of the GPU run (``hampipe.bench.gpu``).
SECONDS = 240.0
#: Training settings in which an entry may differ from a measured one and still cost the
#: same per epoch: the epoch count, and observation noise (other data, the same work).
SAME_COST = ("epochs", "noise")


@dataclass(frozen=True)
class Slice:
    """The sizes a comparison slice runs at.

    Attributes
    ----------
    label
        The ``scale`` every record of the slice carries.
    configfiles
        Config files merged in order under the project root (Snakemake's
        ``--configfile`` overlays), loaded and checked by :func:`hampipe.plan.load_config`.
    test_trajectories
        Test trajectories evaluated, the first ones of the split (``None``: all).
    overrides
        Keys merged over the files (``load_config``'s ``overrides``).
    """

    label: str
    configfiles: tuple[str, ...]
    test_trajectories: int | None
    overrides: Mapping[str, Any] = field(default_factory=dict)


#: The tiny slice of the tests: a few short trajectories, width-8 networks, 3 epochs.
_TINY = {
    "systems": {
        SYSTEM: {"trajectories": {"train": 10, "test": 3}, "steps": {"train": 10, "test": 12}}
    },
    "methods": {
        entry: {"width": 8, "batch_size": 32, "per_system": {SYSTEM: {"epochs": 3}}}
        for entry in ("hnn", "srnn", "sann", "ode")
    },
}
#: Slices by the names of the train benchmark's scales (``hampipe.bench.workload.SCALES``):
#: ``paper``, ``config.yaml`` (1000 + 300 trajectories of 60 and 100 points, width 256,
#: batches of 1024), evaluated on the first 100 test trajectories, a third of the split;
#: ``cpu``, the quick config's; ``tiny``, seconds on a CPU.
SLICES: dict[str, Slice] = {
    "tiny": Slice("tiny slice", ("config.yaml", "config.quick.yaml"), 2, _TINY),
    "cpu": Slice("quick-config slice", ("config.yaml", "config.quick.yaml"), None),
    "paper": Slice("paper-sized slice", ("config.yaml",), 100),
}


def slice_plan(scale: str, root: str | Path = ".") -> tuple[Plan, Slice]:
    """The checked plan of slice ``scale``'s config under ``root``, and the slice.

    Raises ``ValueError`` listing the valid scales, ``FileNotFoundError`` naming a
    missing config file.
    """
    if scale not in SLICES:
        raise ValueError(f"unknown scale {scale!r}; valid: {', '.join(SLICES)}")
    spec = SLICES[scale]
    config = load_config(*spec.configfiles, overrides=spec.overrides or None, root=root)
    return Plan.from_config(config, Path(root) / SCHEMA), spec


def ground_truth(plan: Plan, split: str, workers: int = 1) -> tuple[xr.Dataset, dict[str, Any]]:
    """One split of the three-body ground truth as its ``simulate`` job makes it, and a record.

    The data are :func:`~hampipe.bench.ground_truth.simulate_split`'s (the job's params
    from ``plan``); the record says what it took.
    """
    block = plan.config["systems"][SYSTEM]
    seed = plan.seed("simulate", SYSTEM, split)
    start = time.perf_counter()
    ds = simulate_split(plan, SYSTEM, split, workers)
    return ds, {
        "stage": "simulate",
        "split": split,
        "trajectories": ds.sizes["trajectory"],
        "time_points": ds.sizes["time"],
        "dt": block["dt"],
        "solver": dict(block["ground_truth"]),
        "seed": seed,
        "workers": workers,
        "seconds": time.perf_counter() - start,
        "n_resampled": int(ds.attrs["n_resampled"]),
        "max_relative_energy_drift": float(ds.attrs["max_relative_energy_drift"]),
    }


def _same_cost_as(plan: Plan, entry: str, measured: Sequence[str]) -> str | None:
    """The measured entry whose epoch costs what ``entry``'s does: the same learner and
    training settings but for :data:`SAME_COST`; ``None`` if there is none."""

    def key(name: str) -> tuple[str, dict[str, Any]]:
        settings = plan.hyperparameters(name, SYSTEM)
        return plan.learner(name, SYSTEM), {k: settings[k] for k in settings if k not in SAME_COST}

    return next((name for name in measured if key(name) == key(entry)), None)


def projection(
    plan: Plan,
    rates: Mapping[str, tuple[float, str]],
    label: str,
    compared: Sequence[str] = (),
) -> dict[str, Any]:
    """The device time of the full three-body comparison, from the slice's rates.

    ``rates`` maps each methods entry to its seconds per epoch and where they come from
    (the trained epochs, or the calibration batches of a method the budget skipped).
    ``hours``: each measured entry's configured epochs × the config's ``seeds`` × its
    rate, summed; ``not_measured``: the entries of ``compared`` without a rate (their
    time is not in ``hours``). ``all_jobs``: every training job ``experiments.three_body`` runs (one
    per seed of each entry that does not train as another, :meth:`Plan.trained_as`),
    ``priced`` the ones whose epoch costs what a measured entry's does
    (:func:`_same_cost_as`) with their hours, ``not_priced`` the rest (other partitions,
    activations or models: other work per epoch).
    """
    seeds = plan.seeds
    methods = {}
    for entry, (rate, source) in rates.items():
        epochs = plan.setting(entry, SYSTEM, "epochs")
        methods[entry] = {
            "seconds_per_epoch": rate,
            "from": source,
            "epochs": epochs,
            "hours": rate * epochs * seeds / 3600,
        }
    jobs = list(dict.fromkeys(plan.trained_as(m, SYSTEM) for m in plan.listed(SYSTEM)))
    priced, not_priced = {}, []
    for job in jobs:
        base = _same_cost_as(plan, job, list(rates))
        if base is None:
            not_priced.append(job)
            continue
        hours = rates[base][0] * plan.setting(job, SYSTEM, "epochs") * seeds / 3600
        priced[job] = {"priced_as": base, "hours": hours}
    return {
        "stage": "projection",
        "scale": label,
        "system": SYSTEM,
        "seeds": seeds,
        "methods": methods,
        "hours": sum(m["hours"] for m in methods.values()),
        "not_measured": [entry for entry in compared if entry not in rates],
        "all_jobs": {
            "entries": len(jobs),
            "runs": len(jobs) * seeds,
            "priced": priced,
            "priced_hours": sum(p["hours"] for p in priced.values()),
            "not_priced": not_priced,
        },
    }


def run(
    path: str | Path,
    scale: str = "paper",
    seconds: float = SECONDS,
    methods: Sequence[str] | None = None,
    device: str = "auto",
    workers: int = 1,
    root: str | Path = ".",
    index: int = 0,
) -> list[dict[str, Any]]:
    """Run the slice (module docstring) within about ``seconds``; append each record to
    ``path`` (JSON lines) as soon as it exists, and return them all.

    ``methods``: methods entries to compare, in order (default: the plan's ``learners``
    selection of ``three_body``); ``index``: the run (``seed{index}``) whose seed they
    train with. The ground truth and SAI always run; then each method in turn gets an
    equal share of the seconds left (:func:`~hampipe.bench.timeboxed.epochs_for`). A
    method started past the deadline, or whose estimated epoch is longer than all the
    time left, is recorded with ``"skipped": "budget"``; one that raises is recorded
    with ``"failed"`` (the traceback logged) and the others still run.
    """
    path = Path(path)
    records: list[dict[str, Any]] = []
    deadline = time.perf_counter() + seconds
    plan, spec = slice_plan(scale, root)
    target = pick_device(device)

    def emit(record: dict[str, Any]) -> None:
        records.append({"scale": spec.label, **record})
        with open(path, "a") as f:
            f.write(json.dumps(records[-1]) + "\n")

    entries = list(methods) if methods else plan.selection(SYSTEM, SELECTION)
    unknown = [m for m in entries if m not in plan.config["methods"]]
    if unknown:
        raise ValueError(
            f"methods {', '.join(unknown)} not in the config's methods block; valid: "
            f"{', '.join(plan.config['methods'])}"
        )
    splits = {}
    for split in ("train", "test"):
        splits[split], record = ground_truth(plan, split, workers)
        log.info("comparison: %s split simulated in %.1f s", split, record["seconds"])
        emit(record)
    true_system = system_from_spec(plan.system_spec(SYSTEM))
    start = time.perf_counter()
    sai = annotate(splits["train"], true_system)
    check_finite_sai(sai.sai.values, f"{SYSTEM} training split")
    emit({"stage": "sai", "intervals": int(sai.sai.size), "seconds": time.perf_counter() - start})
    test = splits["test"].isel(trajectory=slice(0, spec.test_trajectories))
    seed = plan.seed("train", SYSTEM, index)
    rates: dict[str, tuple[float, str]] = {}
    for position, entry in enumerate(entries):
        base = {"stage": "method", "method": entry, "system": SYSTEM, "run": index, "seed": seed}
        base.update(device=str(target), epochs_configured=plan.setting(entry, SYSTEM, "epochs"))
        left = deadline - time.perf_counter()
        if left <= 0:
            log.warning("comparison %s skipped: past the stage's %.0f s", entry, seconds)
            emit({**base, "skipped": "budget"})
            continue
        share = left / (len(entries) - position)
        base["seconds_share"] = share
        try:
            learner = plan.learner(entry, SYSTEM)
            estimate = estimate_seconds_per_epoch(
                learner,
                plan.hyperparameters(entry, SYSTEM),
                splits["train"],
                sai if requires_sai(learner) else None,
                true_system,
                target,
                seed,
            )
            base["estimated_seconds_per_epoch"] = estimate
            if estimate > deadline - time.perf_counter():
                log.warning("comparison %s skipped: an epoch (%.3g s) > time left", entry, estimate)
                rates[entry] = (estimate, "timed batches")
                emit({**base, "skipped": "budget"})
                continue
            epochs = epochs_for(share, estimate, base["epochs_configured"])
            record = train_and_evaluate(
                plan, SYSTEM, entry, epochs, splits["train"], sai, test, true_system, target, seed
            )
        except Exception as error:
            log.error("comparison %s failed:\n%s", entry, traceback.format_exc())
            emit({**base, "failed": f"{type(error).__name__}: {error}"})
            continue
        rates[entry] = (record["seconds_per_epoch"], "trained epochs")
        log.info(
            "comparison %s: %d of %d epochs, %.3g s/epoch, energy error %.3g",
            entry,
            record["epochs_run"],
            base["epochs_configured"],
            record["seconds_per_epoch"],
            record["metrics"]["energy_error"]["mean"],
        )
        emit({**base, **record})
    emit(projection(plan, rates, spec.label, entries))
    return records


def format_table(records: Sequence[dict[str, Any]]) -> str:
    """The slice's records as Markdown: the data, one row per method, the projection."""
    lines = []
    for r in records:
        if r["stage"] == "simulate":
            lines.append(
                f"- {r['split']} split: {r['trajectories']} trajectories × {r['time_points']} "
                f"points in {r['seconds']:.1f} s ({r['workers']} workers)"
            )
        elif r["stage"] == "sai":
            lines.append(f"- SAI of {r['intervals']} intervals in {r['seconds']:.2f} s")
    lines += [
        "",
        "| method | epochs run / configured | s/epoch | train s | evaluate s | test "
        "trajectories | energy error, mean (std) | last-step MSE, mean (std) | test MSE | "
        "diverged |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in records:
        if r["stage"] != "method":
            continue
        if "metrics" not in r:
            why = r.get("skipped") or r.get("failed")
            cells = [r["method"], f"0 / {r['epochs_configured']}", why, *[""] * 7]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        m = r["metrics"]
        lines.append(
            f"| {r['method']} | {r['epochs_run']} / {r['epochs_configured']} | "
            f"{r['seconds_per_epoch']:.3g} | {r['train_seconds']:.3g} | "
            f"{r['evaluate_seconds']:.3g} | {r['test_trajectories']} | "
            f"{m['energy_error']['mean']:.3g} ({m['energy_error']['std']:.2g}) | "
            f"{m['last_step_mse']['mean']:.3g} ({m['last_step_mse']['std']:.2g}) | "
            f"{m['test_mse']['mean']:.3g} | {r['diverged']} |"
        )
    for r in records:
        if r["stage"] == "projection":
            each = ", ".join(
                f"{name} {p['hours']:.3g} h ({p['epochs']} epochs at {p['seconds_per_epoch']:.3g} "
                f"s, from {p['from']})"
                for name, p in r["methods"].items()
            )
            jobs = r["all_jobs"]
            lines += [
                "",
                f"Projected device time of the full comparison ({r['seeds']} seeds): "
                f"{r['hours']:.3g} h ({each or 'nothing measured'}"
                + (f"; not measured: {', '.join(r['not_measured'])}" if r["not_measured"] else "")
                + f"). Of the {jobs['runs']} training runs of "
                f"experiments.{SYSTEM}, those priced at a measured rate: "
                f"{jobs['priced_hours']:.3g} h ({len(jobs['priced'])} entries); not priced "
                f"(other work per epoch): {', '.join(jobs['not_priced']) or 'none'}.",
            ]
    return "\n".join(lines)
