"""Time one epoch of a method's training step and of its references', with FLOPs and memory.

:func:`time_training` runs ours, the benchmark's reference, the stricter plain one with
merged kicks where it applies and the generic autograd one
(:func:`hampipe.bench.plain.benchmark_references`) on the same batches (FLOP count,
warm-up, median of interleaved timed epochs), synchronising CUDA around each timed epoch
and resetting and reading the peak memory of each epoch as :data:`PEAK_MEMORY` says.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import resource
import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

import torch
import xarray as xr

from hampipe.bench.flops import count_flops, synchronize
from hampipe.bench.plain import GENERIC, PLAIN_MERGED, benchmark_references
from hampipe.bench.workload import batch_order, prepare
from hampipe.models.compiled import compiled_kernels

#: How ``peak_memory_bytes`` is measured, by device type (and whether the CPU peak could
#: be reset before each timed side).
PEAK_MEMORY = {
    "cuda": "torch.cuda.max_memory_allocated during the side's timed epochs, reset before each",
    "cpu": "process peak RSS (getrusage ru_maxrss) during an untimed epoch of the side, reset "
    "before it (malloc_trim, /proc/self/clear_refs); includes what the process holds",
    "cpu, not reset": "process peak RSS (getrusage ru_maxrss) since the process started",
}


def _reset_peak_memory(device: torch.device) -> str:
    """Reset the peak-memory counter; return how :func:`_peak_memory` will measure it.

    On CUDA, torch's peak-allocation statistics. On the CPU (Linux ≥ 4.0), freed heap
    is first handed back to the system (glibc's ``malloc_trim``; otherwise an earlier
    step's freed memory stays resident and sets the peak), then writing ``5`` to
    ``/proc/self/clear_refs`` resets the resident-set high-water mark that ``getrusage``
    reports. Elsewhere the peak covers the whole process so far.
    """
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return PEAK_MEMORY["cuda"]
    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the reset below still helps, the peak may include freed memory
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return PEAK_MEMORY["cpu, not reset"]
    return PEAK_MEMORY["cpu"]


def _peak_memory(device: torch.device) -> int:
    """Bytes: CUDA's peak allocation since the last reset, else the process's peak RSS."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS: bytes, Linux: KiB


def time_training(
    learner: str,
    hyperparameters: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset,
    device: torch.device | str = "cpu",
    seed: int = 0,
    batches: int | None = None,
    repeats: int = 1,
) -> dict[str, Any]:
    """Seconds and FLOPs per epoch of our training step and of each reference's (same batches).

    One epoch is one pass over all examples in mini-batches of ``batch_size`` (a seeded
    permutation, as in ``fit``); each step is zero_grad, loss, backward, Adam step and
    ``loss.item()``. The sides run in turn, each on the model the previous steps left:
    ours, the benchmark's reference (the first of
    :func:`~hampipe.bench.plain.benchmark_references`: the plain separable step for
    SANN and SRNN, the generic autograd one otherwise), the plain step with merged
    half-kicks where it applies and, where that is not already the reference, the
    generic one. Each side first runs the timed batches once untimed
    under :func:`~hampipe.bench.flops.count_flops` (its matrix-product FLOPs, through
    the eager rational kernels even where the compiled ones are timed: those have no
    matrix product, the eager backward sums its moments by one) and one warm-up batch;
    then ``repeats`` rounds each time one epoch of every side in turn (interleaved, so
    that the load of a shared machine weighs on all sides alike) and
    the median of each side's epochs is kept. Peak memory is the largest of a side's
    timed epochs' on CUDA; on the CPU, where resetting it returns freed heap to the
    system (which the next epoch would pay for in page faults), it is read in one
    untimed epoch of each side before the timed rounds. With ``batches``, only the
    first ``batches`` batches are timed and counted, and both are scaled to the
    epoch's examples.

    Returns a dict with ``reference`` (the benchmark reference's name),
    ``examples_per_epoch``, ``batches_per_epoch``, ``batches_timed``, ``peak_memory``
    (how memory was measured, a :data:`PEAK_MEMORY` value) and, for each side ``""``
    (ours), ``reference_``, ``merged_`` and ``generic_``, ``<side>seconds_per_epoch``,
    ``<side>flops_per_epoch`` and ``<side>peak_memory_bytes`` (the generic side's
    equal to the reference's when the reference is the generic one; the merged side's
    ``None`` where there is no plain separable reference).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if batches is not None and batches < 1:
        raise ValueError(f"batches must be >= 1, got {batches}")
    device = torch.device(device)
    method, examples = prepare(learner, hyperparameters, data, sai, device, seed)
    model = method.model.train()
    n = next(iter(examples.values())).shape[0]
    epoch = [index.to(device) for index in batch_order(n, hyperparameters["batch_size"], seed)]
    timed = epoch[:batches] if batches else epoch
    timed_examples = sum(index.numel() for index in timed)
    optimizer = torch.optim.Adam(model.parameters(), lr=hyperparameters["learning_rate"])
    references = benchmark_references(learner, model, hyperparameters)
    sides = {"": method.loss, "reference_": next(iter(references.values()))}
    if PLAIN_MERGED in references:
        sides["merged_"] = references[PLAIN_MERGED]
    if len(references) > 1:
        sides["generic_"] = references[GENERIC]

    def step(loss_of, index: torch.Tensor) -> float:
        loss = loss_of({k: v[index] for k, v in examples.items()})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    def count_pass(loss_of) -> None:
        for index in timed:
            step(loss_of, index)

    out: dict[str, Any] = {"reference": next(iter(references))}
    for key, loss_of in sides.items():
        # counted through the eager kernels: under the counter's dispatch mode TorchDynamo
        # would compile the compiled ones again, and keep code that runs twice as slowly
        with compiled_kernels(False):
            flops = count_flops(lambda loss_of=loss_of: count_pass(loss_of))
        out[f"{key}flops_per_epoch"] = flops * n / timed_examples
        step(loss_of, epoch[0])  # warm-up
    seconds: dict[str, list[float]] = {key: [] for key in sides}
    peaks = dict.fromkeys(sides, 0)
    # On the CPU, resetting the peak hands freed heap back to the system, and the next
    # epoch's allocations fault it in again: a cost no training run pays. There the
    # memory is read in an untimed epoch of each side, before the timed ones.
    separate = device.type == "cpu"
    if separate:
        for key, loss_of in sides.items():
            out["peak_memory"] = _reset_peak_memory(device)
            for index in timed:
                step(loss_of, index)
            peaks[key] = _peak_memory(device)
    for _ in range(repeats):  # the sides interleaved: a slow spell of a shared machine
        for key, loss_of in sides.items():  # falls on all of them, not on one
            if not separate:
                out["peak_memory"] = _reset_peak_memory(device)
            synchronize(device)
            start = time.perf_counter()
            for index in timed:
                step(loss_of, index)
            synchronize(device)
            seconds[key].append((time.perf_counter() - start) * n / timed_examples)
            if not separate:
                peaks[key] = max(peaks[key], _peak_memory(device))
    for key in sides:
        out[f"{key}seconds_per_epoch"] = statistics.median(seconds[key])
        out[f"{key}peak_memory_bytes"] = peaks[key]
    if "generic_" not in sides:
        for name in ("seconds_per_epoch", "flops_per_epoch", "peak_memory_bytes"):
            out[f"generic_{name}"] = out[f"reference_{name}"]
    if "merged_" not in sides:
        for name in ("seconds_per_epoch", "flops_per_epoch", "peak_memory_bytes"):
            out[f"merged_{name}"] = None
    out.update(examples_per_epoch=n, batches_per_epoch=len(epoch), batches_timed=len(timed))
    return out
