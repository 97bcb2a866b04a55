"""Time the training step of every method against plain references, and against the machine.

``python -m hampipe.bench train`` runs, in one process and on the same examples of the
planar three-body problem (SANN paper §4.2):

- *ours*: the project's training step, as :func:`hampipe.training.loop.fit` takes it:
  ``method.loss(batch)``, ``backward()``, an Adam step (hand-written ∂H/∂q, ∂H/∂p and
  merged integrator steps, one backward pass);
- *reference*: the same step with the loss a reader of the method's paper would write.
  For SANN and SRNN that is the plain separable step of :mod:`hampipe.bench.plain`
  (∂V/∂q by autograd of the model's potential, ∂T/∂p in closed form, leapfrog as the
  SRNN code writes it); for every other method the generic one of
  :mod:`hampipe.bench.reference` (H from ``model.forward``, its gradients by
  ``torch.autograd.grad(..., create_graph=True)``, every sub-step spelled out);
- *merged*: for SANN and SRNN, the plain separable step with the closing half-kick's
  ∂V/∂q reused by the next sub-step (:data:`~hampipe.bench.plain.PLAIN_MERGED`, as the
  SRNN code keeps it): the strictest reference, a column beside the first;
- *generic*: the generic reference for SANN and SRNN too, another column (for the
  other methods it is the reference itself).

Each side's matrix-product FLOPs per epoch are counted
(:func:`~hampipe.bench.flops.count_flops`) and set against the machine's dense matmul
throughput, measured in the same run with the same threads and dtype
(:func:`~hampipe.bench.flops.dense_matmul_ceiling`): ``fraction_of_matmul`` is
FLOPs / seconds / that throughput, how far the step is from the machine's limit.

Before timing anything it checks, in float64 on the first batch of every method, that
all give the same loss and parameter gradients (largest relative difference at most
:data:`~hampipe.bench.equivalence.TOLERANCE`), and raises
:class:`~hampipe.bench.equivalence.MismatchError` otherwise: a speed-up of a step
that computes something else means nothing.

Method settings are the config's, resolved for ``three_body`` (variants and per-system
blocks merged, schema defaults filled), with the sizes of the chosen
:data:`~hampipe.bench.workload.SCALES` entry: the benchmark times what the pipeline trains.

The workload (scales, settings, data) is :mod:`hampipe.bench.workload`, the check
:mod:`hampipe.bench.equivalence`, the timed epochs :mod:`hampipe.bench.timing`; this
module runs them in order and turns each method's timing into a record (:func:`run`,
:data:`RECORD_KEYS`, :func:`format_table`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import xarray as xr

from hampipe.bench.equivalence import TOLERANCE, check_equivalence
from hampipe.bench.flops import dense_matmul_ceiling, fraction_of_ceiling
from hampipe.bench.timing import time_training
from hampipe.bench.workload import BENCH_METHODS, benchmark_data, method_settings, scale_config
from hampipe.core import __version__
from hampipe.models import compiled
from hampipe.models.compiled import compiled_kernels
from hampipe.models.device import pick_device
from hampipe.models.method import DTYPES

log = logging.getLogger(__name__)


def run(
    methods: Sequence[str] = tuple(BENCH_METHODS),
    scale: str = "cpu",
    device: str = "auto",
    threads: int | None = None,
    repeats: int = 3,
    batches: int | None = None,
    trajectories: int | None = None,
    seed: int = 0,
    workers: int = 1,
    root: str | Path = ".",
    tolerance: float = TOLERANCE,
    data: tuple[xr.Dataset, xr.Dataset] | None = None,
    width: int | None = None,
    compile: bool | None = None,
) -> Iterator[dict[str, Any]]:
    """Check every method, then time each; yield one record per method.

    All ``methods`` pass :func:`~hampipe.bench.equivalence.check_equivalence` before
    the first is timed (else :class:`~hampipe.bench.equivalence.MismatchError`
    propagates and nothing is timed). ``device`` is ``auto`` (CUDA when available),
    ``cpu``, ``cuda``, …; ``threads`` sets torch's intra-op threads (default: torch's
    current); ``batches`` times only the first batches of each epoch (see
    :func:`~hampipe.bench.timing.time_training`); ``data`` is a ``(data, sai)`` pair
    from :func:`~hampipe.bench.workload.benchmark_data` to time on instead of simulating
    (``trajectories``, ``seed`` and ``workers`` then only label the run); ``width``
    overrides the scale's hidden width and ``compile`` every method's ``compile``
    setting (compiled rational kernels on the CPU; ``None``: the config's). The dense
    matmul throughput is measured once per dtype, after the threads are set and before
    the first method is timed. Records
    hold at least :data:`RECORD_KEYS`.
    """
    unknown = [m for m in methods if m not in BENCH_METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; valid: {', '.join(BENCH_METHODS)}")
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        target = pick_device(device)
    except RuntimeError as error:
        raise ValueError(f"device {device!r}: {error}") from None
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available here; use cpu or auto")
    config = scale_config(scale, root)
    data, sai = data or benchmark_data(config, scale, trajectories, seed, workers)
    settings = {m: method_settings(config, m, scale) for m in methods}
    if width is not None:
        if width < 1:
            raise ValueError(f"width must be a positive integer, got {width}")
        for _, h in settings.values():
            h["width"] = width
    if compile is not None:
        for _, h in settings.values():
            h["compile"] = compile
    differences = {}
    for m, (learner, h) in settings.items():
        with _kernels(m, h, target):
            differences[m] = check_equivalence(m, learner, h, data, sai, target, seed, tolerance)
        log.info("%s: loss and gradients match the reference (%.1e)", m, differences[m])
    ceilings: dict[str, dict[str, Any]] = {}
    for m, (learner, h) in settings.items():
        if h["dtype"] not in ceilings:
            ceilings[h["dtype"]] = dense_matmul_ceiling(target, DTYPES[h["dtype"]])
        ceiling = ceilings[h["dtype"]]
        with _kernels(m, h, target):
            timing = time_training(learner, h, data, sai, target, seed, batches, repeats)
            kernels_compiled = compiled.ACTIVE["cpu"]
        peak = ceiling["flops_per_second"]
        record = {
            "method": m,
            "config_entry": f"methods.{BENCH_METHODS[m]}",
            "learner": learner,
            "scale": scale,
            "device": str(target),
            "device_name": (torch.cuda.get_device_name(target) if target.type == "cuda" else "cpu"),
            "threads": torch.get_num_threads(),
            "model": h["model"],
            "integrator": h.get("integrator"),
            "width": h["width"],
            "depth": h["depth"],
            "dtype": h["dtype"],
            "batch_size": h["batch_size"],
            "trajectories": data.sizes["trajectory"],
            "time_points": data.sizes["time"],
            **timing,
            "repeats": repeats,
            "ratio": timing["reference_seconds_per_epoch"] / timing["seconds_per_epoch"],
            "merged_ratio": (
                timing["merged_seconds_per_epoch"] / timing["seconds_per_epoch"]
                if timing["merged_seconds_per_epoch"] is not None
                else None
            ),
            "generic_ratio": timing["generic_seconds_per_epoch"] / timing["seconds_per_epoch"],
            "matmul_flops_per_second": peak,
            "matmul_shape": [ceiling["m"], ceiling["k"], ceiling["n"]],
            "flops_counted": FLOPS_COUNTED,
            **{
                f"{side}fraction_of_matmul": (
                    fraction_of_ceiling(
                        timing[f"{side}flops_per_epoch"], timing[f"{side}seconds_per_epoch"], peak
                    )
                    if timing[f"{side}seconds_per_epoch"] is not None
                    else None
                )
                for side in ("", "reference_", "merged_", "generic_")
            },
            "compiled_kernels": kernels_compiled,
            "max_relative_difference": differences[m],
            "tolerance": tolerance,
            "torch_version": torch.__version__,
            "hampipe_version": __version__,
        }
        yield record


def _kernels(method: str, h: Mapping[str, Any], device: torch.device):
    """The rational kernels a training job of ``method`` would use on ``device``: compiled
    where its ``compile`` setting asks for them on the CPU (as ``training.train``)."""
    key = f"methods.{BENCH_METHODS[method]}.compile"
    return compiled_kernels(bool(h.get("compile")), key, device)


#: What ``flops_per_epoch`` counts, as the records say it.
FLOPS_COUNTED = (
    "matrix-product FLOPs (torch.utils.flop_counter formulas: 2mkn per product, forward "
    "and backward; elementwise work counts zero) of the timed batches, scaled to the epoch"
)

#: The keys every record of :func:`run` holds (``--json`` prints them all, and more).
RECORD_KEYS = (
    "method",
    "scale",
    "device",
    "threads",
    "width",
    "batch_size",
    "examples_per_epoch",
    "batches_per_epoch",
    "batches_timed",
    "seconds_per_epoch",
    "reference",
    "reference_seconds_per_epoch",
    "ratio",
    "merged_seconds_per_epoch",
    "merged_ratio",
    "generic_seconds_per_epoch",
    "generic_ratio",
    "flops_per_epoch",
    "reference_flops_per_epoch",
    "merged_flops_per_epoch",
    "generic_flops_per_epoch",
    "matmul_flops_per_second",
    "fraction_of_matmul",
    "reference_fraction_of_matmul",
    "merged_fraction_of_matmul",
    "generic_fraction_of_matmul",
    "compiled_kernels",
    "max_relative_difference",
    "peak_memory_bytes",
    "torch_version",
)


def format_table(records: Sequence[Mapping[str, Any]]) -> str:
    """The records as a plain-text table, one row per method."""
    columns = [
        ("method", "method", "{}"),
        ("width", "width", "{}"),
        ("batch", "batch_size", "{}"),
        ("examples", "examples_per_epoch", "{}"),
        ("timed", "batches_timed", "{}"),
        ("ours s/epoch", "seconds_per_epoch", "{:.4g}"),
        ("reference", "reference", "{}"),
        ("ref s/epoch", "reference_seconds_per_epoch", "{:.4g}"),
        ("ratio", "ratio", "{:.2f}"),
        ("merged s/epoch", "merged_seconds_per_epoch", "{:.4g}"),
        ("merged ratio", "merged_ratio", "{:.2f}"),
        ("generic s/epoch", "generic_seconds_per_epoch", "{:.4g}"),
        ("generic ratio", "generic_ratio", "{:.2f}"),
        ("GFLOP/epoch", "flops_per_epoch", "{:.4g}"),
        ("% of matmul", "fraction_of_matmul", "{:.2f}"),
        ("ref % of matmul", "reference_fraction_of_matmul", "{:.2f}"),
        ("max rel diff", "max_relative_difference", "{:.1e}"),
        ("peak MiB", "peak_memory_bytes", "{:.0f}"),
        ("ref peak MiB", "reference_peak_memory_bytes", "{:.0f}"),
    ]
    rows = [[title for title, _, _ in columns]]
    for r in records:
        cells = []
        for _, key, fmt in columns:
            value = r[key]
            if value is None:
                cells.append("-")
                continue
            if key.endswith("peak_memory_bytes"):
                value = value / 2**20
            elif key.endswith("flops_per_epoch"):
                value = value / 1e9
            elif key.endswith("fraction_of_matmul"):
                value = 100 * value
            if key == "batches_timed":
                value = f"{value}/{r['batches_per_epoch']}"
            cells.append(fmt.format(value))
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    if records:
        first = records[0]
        lines.insert(
            0,
            f"scale {first['scale']}, device {first['device']} ({first['device_name']}), "
            f"{first['threads']} threads, torch {first['torch_version']}; "
            f"dense matmul {first['matmul_flops_per_second'] / 1e9:.4g} GFLOP/s "
            f"({'×'.join(map(str, first['matmul_shape']))}, {first['dtype']}); "
            f"ratio = reference / ours; peak memory: {first['peak_memory']}",
        )
    return "\n".join(lines)
