"""Threads, memory, run time and GPUs of every job, scaled from the config's sizes.

The workflow's ``threads:`` and ``resources:`` directives call :func:`job_resources`,
so the same rules run well on a 2-core laptop (Snakemake caps threads at ``--cores``),
on a GPU workstation (``--resources gpu=1`` runs one CUDA job at a time) and on a
cluster (``mem_mb``, ``runtime`` and ``gpu`` become the Slurm request).

The numbers are estimates with a margin, calibrated on the quick run's measured jobs
(``results/benchmarks/``): a training mini-batch of 1024 examples through a
width-32, depth-3 network costs about 0.4 s on one CPU core with SANN's sub-steps, and
every job that imports torch holds about 0.6 GB. Memory and run time grow with the
attempt, so ``--retries 1`` resubmits a job killed for either with twice as much.
A site overrides any of them per rule in its profile (``set-resources``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hampipe.core.methods import resolve_method
from hampipe.plan.checks import partition_pairs
from hampipe.plan.learners import LEARNERS

#: Rules that run learned models with torch, on the device the config's ``device`` names.
TORCH_RULES = ("train", "partition_search", "evaluate", "probe")
#: Rules that put their model on a GPU when the config asks for CUDA.
GPU_RULES = ("train", "partition_search", "evaluate")

_TORCH_MB = 1536  # a torch job's resident floor, with room (measured ~600 MB)
_CUDA_MB = 3072  # the CUDA context's host memory
_LIGHT_MB = 1024  # numpy/scipy/xarray jobs (measured 100-350 MB)
_CPU_BATCH_SECONDS = 0.4 / (32 * 3 * 1024)  # per width x depth x example, one core
_GPU_BATCH_SECONDS = 0.02  # per mini-batch, dominated by kernel launches at these widths
_ROLLOUT_STEP_SECONDS = 0.02  # one batched integrator step of <= 100 trajectories, CPU
_SIMULATE_POINT_SECONDS = 0.005  # one observed point of a DOP853 ground truth at 1e-12
_MIN_RUNTIME = 10  # minutes: start-up, I/O, queue slack


@dataclass(frozen=True)
class Resources:
    """One job's request: ``threads``, ``mem_mb``, ``runtime`` (minutes), ``gpu``."""

    threads: int = 1
    mem_mb: int = _LIGHT_MB
    runtime: int = _MIN_RUNTIME
    gpu: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _clamp(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, math.ceil(value))))


def _minutes(seconds: float, attempt: int) -> int:
    """A run-time request: the floor plus twice the estimate, times the attempt."""
    return int(math.ceil((_MIN_RUNTIME + 2 * seconds / 60) * attempt))


def _training_seconds(settings: Any, examples: int, threads: int, cuda: bool) -> float:
    """Estimated wall time of ``settings.epochs`` epochs over ``examples`` examples
    (``settings``: a learner's typed settings)."""
    batch = max(1, min(settings.batch_size, examples))
    batches = math.ceil(examples / batch)
    if cuda:
        per_batch = _GPU_BATCH_SECONDS
    else:
        per_batch = (
            _CPU_BATCH_SECONDS * settings.width * settings.depth * batch / math.sqrt(threads)
        )
    return settings.epochs * batches * per_batch


def job_resources(
    config: Mapping[str, Any],
    rule: str,
    wildcards: Mapping[str, str],
    attempt: int = 1,
) -> Resources:
    """What a job of ``rule`` with ``wildcards`` needs, from the (validated) config.

    Parameters
    ----------
    config
        The workflow's config, schema defaults filled in.
    rule
        The rule's name (``figure_*`` and ``table_*`` rules are all alike).
    wildcards
        The job's wildcards (``system``, ``split``, ``method``, …).
    attempt
        Snakemake's attempt counter (1 on the first try); memory and run time scale
        with it.

    Returns
    -------
    Resources
        ``threads`` (the torch thread count or process-pool size the job uses),
        ``mem_mb``, ``runtime`` in minutes, and ``gpu`` (1 for the learning rules when
        ``device`` is ``cuda``, else 0).
    """
    system = config["systems"].get(wildcards.get("system", ""), {})
    cuda = config["device"] == "cuda"
    if rule == "simulate":
        split = wildcards["split"]
        n, steps = system["trajectories"][split], system["steps"][split]
        threads = _clamp(n / 100, 1, 16)  # one process per ~100 trajectories
        seconds = n * steps * _SIMULATE_POINT_SECONDS / threads
        mem = _LIGHT_MB + 256 * threads + n * steps * 1e-3
        return Resources(threads, int(mem * attempt), _minutes(seconds, attempt))
    if rule in TORCH_RULES:
        learner, resolved = resolve_method(
            config["methods"], wildcards["method"], wildcards["system"]
        )
        settings = LEARNERS[learner].typed(resolved, f"methods.{wildcards['method']}")
        gpu = int(cuda and rule in GPU_RULES)
        mem = _TORCH_MB + gpu * _CUDA_MB
        if rule == "probe":
            return Resources(1, int(mem * attempt), _minutes(60, attempt))
        if rule == "evaluate":
            n = system["trajectories"]["test"]
            steps = system["steps"]["test"] - 1
            step = system["evaluation"]["step"]
            substeps = max(1, round(system["dt"] / step))
            seconds = steps * substeps * _ROLLOUT_STEP_SECONDS * max(1, n / 100)
            mem += n * system["steps"]["test"] * 1e-3
            return Resources(1, int(mem * attempt), _minutes(seconds / (1 + 9 * gpu), attempt), gpu)
        examples = system["trajectories"]["train"] * (system["steps"]["train"] - 1)
        work = settings.width * settings.depth * settings.batch_size
        threads = 2 if gpu else _clamp(work / 1e5, 1, 8)
        seconds = _training_seconds(settings, examples, threads, bool(gpu))
        if rule == "partition_search":
            block = config["tables"]["partition_search"]
            pairs = len(partition_pairs(block["nonstiff"], block["stiff"]))
            seconds *= pairs * block["epochs"] / settings.epochs
        mem += examples * 1e-3
        return Resources(threads, int(mem * attempt), _minutes(seconds, attempt), gpu)
    if rule == "collect":
        n = system["trajectories"]["test"] * system["steps"]["test"]
        runs = len(config["methods"]) * config["seeds"]
        return Resources(1, int((_LIGHT_MB + 3 * runs * n * 1e-4) * attempt), _minutes(60, attempt))
    if rule == "integrator_drift":
        block = config["integrator_drift"][wildcards["system"]]
        runs = block["trajectories"] * len(block["methods"]) * len(block["rtol"])
        return Resources(1, _LIGHT_MB * attempt, _minutes(runs * 0.5, attempt))
    if rule == "figure_animation":
        return Resources(1, 2 * _LIGHT_MB * attempt, _minutes(300, attempt))
    return Resources(1, _LIGHT_MB * attempt, _minutes(60, attempt))
