"""``python -m hampipe.bench gpu``: the prepared run for a borrowed GPU machine.

A GPU is lent to this project now and then, for minutes, on a machine without
Snakemake or netCDF4. This command measures in one go what ``docs/performance.md``
needs from such a machine and writes every number to one folder:

- ``environment.json``: the device, torch and CUDA versions, CPU count, date;
- ``matmul.jsonl``: the device's measured matrix-product throughput (FLOP/s) at a
  large square size and at the shape of one hidden layer of a paper-scale model
  (batch 1024 × width 256), in float32 and bfloat16: the ceiling a training step
  is judged against;
- ``train_<scale>.jsonl``: ``python -m hampipe.bench train`` records (our step and
  the plain autograd reference, after their equality check) for every benchmark
  method at each scale, ``paper`` first;
- ``ensemble.jsonl``: ``python -m hampipe.bench ensemble`` records: 3 and 9 seeds of
  SANN and HNN trained as one vectorised ensemble against as many separate fits, at
  width 256 and batches of 1024 (:data:`ENSEMBLE`): whether several runs per device pay;
- ``comparison.jsonl``: a time-boxed slice of the three-body comparison at the first
  scale's sizes (:mod:`hampipe.bench.comparison`; at ``paper``, ``config.yaml``'s 1000 +
  300 trajectories, each method with its paper settings): the ground truth and SAI as
  the workflow makes them, then HNN, SRNN, SANN and the ODE net trained on the device for
  an equal share of the stage's seconds each, evaluated on the first 100 test
  trajectories, and the full comparison's device time projected from their seconds per
  epoch; every record says ``"scale": "paper-sized slice"`` and the epochs run beside
  the configured ones;
- ``summary.md``: the tables of all of the above; ``log.txt``: the run's log.

Each method is checked and timed on its own, and its record is written as soon as it
exists, so a run cut short keeps what it measured. With ``--budget B`` the comparison's
share S (``--comparison-seconds``, default 240) is kept for last: the train benchmark
and the ensemble start nothing once B − S seconds have passed, and the comparison
time-boxes itself to min(S, B − elapsed) (skipped parts are recorded as such). With
``--budget 420`` that is 180 s for the benchmark and the ensemble (the benchmark took
62 s on one H200 with ``--batches 4 --repeats 1``; the ensemble is not yet timed on a
GPU) and 240 s for the comparison: 7 minutes, under 8 with the last part's overrun.
Run it on the GPU machine from the project root with the library on the path::

    PYTHONPATH=src python3 -m hampipe.bench gpu --out "$OUT" --budget 420 --workers 8 \
        --batches 4 --repeats 1

It runs on a CPU too (``--scale tiny --device cpu``), which is how the tests check it.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import platform
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from hampipe.bench import comparison as slice_run
from hampipe.bench.ensemble import run as run_ensemble
from hampipe.bench.flops import matmul_throughput
from hampipe.bench.train import format_table
from hampipe.bench.train import run as run_train
from hampipe.bench.workload import BENCH_METHODS, benchmark_data, scale_config
from hampipe.core import __version__
from hampipe.models.device import pick_device

log = logging.getLogger(__name__)

#: Matrix products timed by default: (rows, inner, columns). The square one shows the
#: device's peak; the second is one hidden layer of a paper-scale model (SANN paper §4:
#: batch 1024, width 256), the size the training step actually multiplies.
MATMUL_SHAPES: tuple[tuple[int, int, int], ...] = ((8192, 8192, 8192), (1024, 256, 256))
#: Element types of the timed products: the models' (float32, TF32 off as in torch's
#: default) and the tensor cores' fastest common one (bfloat16).
MATMUL_DTYPES: tuple[torch.dtype, ...] = (torch.float32, torch.bfloat16)
#: The ensemble stage: :func:`hampipe.bench.ensemble.run`'s arguments (methods, member
#: counts, data and epochs, the network's settings); ``None`` or empty sizes: skipped.
ENSEMBLE: dict[str, Any] = {
    "methods": ("sann", "hnn"),
    "sizes": (3, 9),
    "trajectories": 64,
    "steps": 60,
    "epochs": 2,
    "settings": {"width": 256, "batch_size": 1024},
}
#: The comparison stage: its share of the run in seconds (kept for last under a budget),
#: its scale (``None``: the run's first scale) and methods entries (``None``: the plan's
#: three-body ``learners``); ``None`` or no seconds: skipped.
COMPARISON: dict[str, Any] = {"seconds": slice_run.SECONDS, "scale": None, "methods": None}


def environment(device: torch.device) -> dict[str, Any]:
    """What the numbers were measured on: device, versions, CPU count, date (UTC)."""
    record: dict[str, Any] = {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "device": str(device),
        "torch_version": torch.__version__,
        "hampipe_version": __version__,
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        record.update(
            device_name=props.name,
            cuda_version=torch.version.cuda,
            compute_capability=f"{props.major}.{props.minor}",
            multiprocessors=props.multi_processor_count,
            memory_bytes=props.total_memory,
        )
    else:
        record["device_name"] = platform.processor() or "cpu"
    return record


def _matmul_table(records: Sequence[dict[str, Any]]) -> str:
    lines = ["| m × k × n | dtype | s per product | TFLOP/s |", "| --- | --- | ---: | ---: |"]
    for r in records:
        lines.append(
            f"| {r['m']} × {r['k']} × {r['n']} | {r['dtype']} | "
            f"{r['seconds_per_product']:.3g} | {r['flops_per_second'] / 1e12:.3g} |"
        )
    return "\n".join(lines)


def _ensemble_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| method | members | width | ensemble s | separate fits s | speed-up |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    lines += [
        f"| {r['method']} | {r['members']} | {r['width']} | {r['ensemble_s']:.3g} | "
        f"{r['separate_fits_s']:.3g} | {r['speedup']:.2f} |"
        for r in rows
    ]
    return "\n".join(lines)


def run(
    out: str | Path,
    scales: Sequence[str] = ("paper", "cpu"),
    methods: Sequence[str] = tuple(BENCH_METHODS),
    device: str = "auto",
    repeats: int = 3,
    batches: int | None = None,
    budget: float | None = None,
    workers: int = 1,
    root: str | Path = ".",
    matmul_shapes: Sequence[tuple[int, int, int]] = MATMUL_SHAPES,
    ensemble: dict[str, Any] | None = ENSEMBLE,
    comparison: dict[str, Any] | None = COMPARISON,
) -> int:
    """Measure everything the module docstring lists into folder ``out``.

    ``batches`` times only the first batches of each epoch and extrapolates (see
    :func:`~hampipe.bench.timing.time_training`): a paper-scale SANN epoch of the
    reference takes minutes on one GPU. Returns the number of stages that failed (their
    tracebacks are in ``log.txt``; a comparison method that failed counts as one); a
    method skipped for the ``budget`` is recorded with ``"skipped": "budget"`` and is
    not a failure. Under a ``budget`` the ``comparison``'s seconds are kept for last
    (module docstring).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out / "log.txt")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logger = logging.getLogger("hampipe")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    start = time.perf_counter()
    failures = 0
    target = pick_device(device)
    share = float(comparison.get("seconds") or 0) if comparison else 0.0
    # the budget of the stages before the comparison: its share is kept for last
    cutoff = None if budget is None else budget - share
    summary = [f"# hampipe benchmark on {device} ({__version__})", ""]
    try:
        env = environment(target)
        (out / "environment.json").write_text(json.dumps(env, indent=2) + "\n")
        summary += ["```", json.dumps(env, indent=2), "```", ""]

        def failed(stage: str) -> None:
            nonlocal failures
            failures += 1
            log.error("%s failed:\n%s", stage, traceback.format_exc())
            summary.extend([f"{stage}: failed (see log.txt)", ""])

        try:
            records = matmul_throughput(target, matmul_shapes, MATMUL_DTYPES)
            with open(out / "matmul.jsonl", "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in records)
            summary += ["## Matrix products", "", _matmul_table(records), ""]
        except Exception:
            failed("matmul")
        for scale in scales:
            path = out / f"train_{scale}.jsonl"
            path.write_text("")
            timed = []
            try:
                config = scale_config(scale, root)
                pair = benchmark_data(config, scale, workers=workers)
            except Exception:
                failed(f"train {scale} data")
                continue
            for method in methods:
                elapsed = time.perf_counter() - start
                if cutoff is not None and elapsed > cutoff:
                    log.warning(
                        "train %s %s skipped: %.0f s > %s s", scale, method, elapsed, cutoff
                    )
                    record: dict[str, Any] = {"method": method, "scale": scale, "skipped": "budget"}
                else:
                    try:
                        (record,) = run_train(
                            [method],
                            scale,
                            device,
                            repeats=repeats,
                            batches=batches,
                            root=root,
                            data=pair,
                        )
                        timed.append(record)
                        log.info(
                            "train %s %s: %.4g s/epoch, reference %.4g s/epoch",
                            scale,
                            method,
                            record["seconds_per_epoch"],
                            record["reference_seconds_per_epoch"],
                        )
                    except Exception:
                        failed(f"train {scale} {method}")
                        continue
                with open(path, "a") as f:
                    f.write(json.dumps(record) + "\n")
            summary += [
                f"## Training step, scale {scale}",
                "",
                "```",
                format_table(timed),
                "```",
                "",
            ]
        if ensemble and ensemble.get("sizes"):
            elapsed = time.perf_counter() - start
            if cutoff is not None and elapsed > cutoff:
                log.warning("ensemble skipped: %.0f s > %s s", elapsed, cutoff)
                summary += ["## Ensemble", "", "skipped: budget", ""]
            else:
                try:
                    rows = list(run_ensemble(root=str(root), device=device, **ensemble))
                    with open(out / "ensemble.jsonl", "w") as f:
                        f.writelines(json.dumps(r) + "\n" for r in rows)
                    summary += ["## Ensemble", "", _ensemble_table(rows), ""]
                except Exception:
                    failed("ensemble")
        if share > 0:
            left = share if budget is None else budget - (time.perf_counter() - start)
            scale = comparison.get("scale") or scales[0]
            label = slice_run.SLICES[scale].label if scale in slice_run.SLICES else scale
            path = out / "comparison.jsonl"
            path.write_text("")
            summary += [f"## Three-body comparison, {label}", ""]
            if left <= 0:
                log.warning("comparison skipped: no time left of the budget %s s", budget)
                with open(path, "a") as f:
                    f.write(json.dumps({"scale": label, "skipped": "budget"}) + "\n")
                summary += ["skipped: budget", ""]
            else:
                try:
                    rows = slice_run.run(
                        path,
                        scale,
                        min(share, left),
                        comparison.get("methods"),
                        device,
                        workers,
                        root,
                    )
                    failures += sum("failed" in r for r in rows)
                    summary += [slice_run.format_table(rows), ""]
                except Exception:
                    failed("comparison")
    finally:
        summary.append(f"Wall time {time.perf_counter() - start:.0f} s; failures: {failures}.")
        (out / "summary.md").write_text("\n".join(summary) + "\n")
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
    return failures
