"""Time one epoch of a method's training step and of its reference's, with peak memory.

:func:`time_training` runs ours, then the plain autograd reference, on the same batches
(warm-up, median of timed epochs), synchronising CUDA around each timed epoch and
resetting and reading the peak memory of each side as :data:`PEAK_MEMORY` says.
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

from hampipe.bench.reference import reference_loss
from hampipe.bench.workload import batch_order, prepare
from hampipe.models.method import Batch


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA), so a wall-clock timer measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


#: How ``peak_memory_bytes`` is measured, by device type (and whether the CPU peak could
#: be reset before each timed side).
PEAK_MEMORY = {
    "cuda": "torch.cuda.max_memory_allocated during the timed epochs",
    "cpu": "process peak RSS (getrusage ru_maxrss) during the timed epochs, reset before "
    "each side (malloc_trim, /proc/self/clear_refs); includes what the process holds",
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
    """Seconds per epoch of our training step and of the reference's, on the same batches.

    One epoch is one pass over all examples in mini-batches of ``batch_size`` (a seeded
    permutation, as in ``fit``); each step is zero_grad, loss, backward, Adam step and
    ``loss.item()``. Each side runs one untimed warm-up batch, then ``repeats`` timed
    epochs (the median is kept); with ``batches``, only the first ``batches`` batches
    are timed and the time is scaled to the epoch's examples. Ours runs first, then the
    reference, each on the model the previous steps left.

    Returns a dict with ``seconds_per_epoch``, ``reference_seconds_per_epoch``,
    ``examples_per_epoch``, ``batches_per_epoch``, ``batches_timed``,
    ``peak_memory_bytes``, ``reference_peak_memory_bytes`` and ``peak_memory`` (how
    they were measured, a :data:`PEAK_MEMORY` value).
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

    def ours(batch: Batch) -> torch.Tensor:
        return method.loss(batch)

    def reference(batch: Batch) -> torch.Tensor:
        return reference_loss(learner, model, hyperparameters, batch)

    def step(loss_of, index: torch.Tensor) -> float:
        loss = loss_of({k: v[index] for k, v in examples.items()})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    out: dict[str, Any] = {}
    for key, loss_of in (("", ours), ("reference_", reference)):
        step(loss_of, epoch[0])  # warm-up
        out["peak_memory"] = _reset_peak_memory(device)
        seconds = []
        for _ in range(repeats):
            synchronize(device)
            start = time.perf_counter()
            for index in timed:
                step(loss_of, index)
            synchronize(device)
            seconds.append((time.perf_counter() - start) * n / timed_examples)
        out[f"{key}seconds_per_epoch"] = statistics.median(seconds)
        out[f"{key}peak_memory_bytes"] = _peak_memory(device)
    out.update(examples_per_epoch=n, batches_per_epoch=len(epoch), batches_timed=len(timed))
    return out
