"""Threads, memory, run time and GPUs of every job, scaled from the config's sizes.

The workflow's ``threads:`` and ``resources:`` directives call :func:`job_resources`,
so the same rules run well on a 2-core laptop (Snakemake caps threads at ``--cores``),
on a GPU workstation (``--resources gpu=1`` runs one CUDA job at a time) and on a
cluster (``mem_mb``, ``runtime`` and ``gpu`` become the Slurm request).

The numbers are estimates with a margin. Training is costed per mini-batch as a count
of field evaluations (:func:`training_work`): the sub-steps of the learner's
integrator, SANN's stiff and nonstiff groups and its replication K, SRNN's window. On
the CPU a mini-batch costs a fixed time per evaluation in sequence (the operations'
overhead, which dominates small networks) plus the arithmetic, per example and
evaluation, of ``depth`` layers of ``width``²; both constants were measured on the
2-core machine (three-body, width 32, 2026-12-05: an SANN step of 128 examples took
0.082 s, one of 1024 0.18 s). On a GPU only the evaluations in sequence count,
calibrated on the SANN paper's Table 1 (Exp. 5: 32.35 s per epoch over about 98
mini-batches of 60 sub-steps in sequence). Every job that imports torch holds about
0.6 GB. Memory and run time grow with the
attempt, so ``--retries 1`` resubmits a job killed for either with twice as much.
A site overrides any of them per rule in its profile (``set-resources``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hampipe.core.methods import resolve_method
from hampipe.plan.checks import partition_pairs
from hampipe.plan.learners import LEARNERS

#: Rules that run learned models with torch, on the device the config's ``device`` names.
TORCH_RULES = ("train", "train_ensemble", "partition_search", "evaluate", "probe")
#: Rules that put their model on a GPU when the config asks for CUDA.
GPU_RULES = ("train", "train_ensemble", "partition_search", "evaluate")

_TORCH_MB = 1536  # a torch job's resident floor, with room (measured ~600 MB)
_CUDA_MB = 3072  # the CUDA context's host memory
_LIGHT_MB = 1024  # numpy/scipy/xarray jobs (measured 100-350 MB)
_CPU_EVALUATION_SECONDS = 1.4e-3  # per field evaluation in sequence (with its backward)
_CPU_ARITHMETIC_SECONDS = 1.06e-9  # per example, evaluation, layer and width², one core
_GPU_EVALUATION_SECONDS = 5e-3  # per field evaluation in sequence (SANN Table 1, Exp. 5)
#: Field evaluations per sub-step of each integrator (leapfrog merges its half-kicks;
#: stormer_verlet iterates its implicit stages; dopri5 has six stages).
EVALUATIONS_PER_STEP = {
    "euler": 1,
    "symplectic_euler": 1,
    "leapfrog": 1,
    "midpoint": 2,
    "rk4": 4,
    "dopri5": 6,
}
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


def training_work(learner: str, settings: Any) -> tuple[float, float, float]:
    """What one observed interval costs a learner's training, in field evaluations.

    Returns ``(examples, evaluations, in_sequence)``: the examples an observed interval
    makes (SANN's replication K adds K − 1 per stiff interval), the mean field
    evaluations per example (sub-steps × the integrator's evaluations per step × the
    window, SANN's groups weighted by their shares), and the evaluations one
    mini-batch runs one after another (SANN's two groups in turn). HNN and the others
    without an integrator in their loss: one evaluation.
    """
    settings_ = settings.as_dict()
    integrator = settings_.get("integrator")
    if integrator is None:
        return 1.0, 1.0, 1.0
    per_step = EVALUATIONS_PER_STEP.get(integrator, 1 + 2 * int(settings_.get("iterations", 3)))
    window = int(settings_.get("window", 1))
    if "partitions" in settings_:  # SANN: stiff and nonstiff groups
        gamma, k = float(settings_["gamma"]), int(settings_["replication"])
        stiff, nonstiff = (int(settings_["partitions"][g]) for g in ("stiff", "nonstiff"))
        examples = (1 - gamma) + gamma * k
        evaluations = ((1 - gamma) * nonstiff + gamma * k * stiff) / examples * per_step
        return examples, evaluations * window, (stiff + nonstiff) * per_step * window
    steps = int(settings_.get("substeps", 1)) * per_step * window
    return 1.0, float(steps), float(steps)


def training_seconds(
    learner: str, settings: Any, intervals: int, threads: int, cuda: bool
) -> float:
    """Estimated wall time of ``settings.epochs`` epochs over ``intervals`` observed
    intervals (``settings``: a learner's typed settings; see :func:`training_work`)."""
    per_interval, evaluations, in_sequence = training_work(learner, settings)
    examples = max(1, round(intervals * per_interval))
    batch = max(1, min(settings.batch_size, examples))
    batches = math.ceil(examples / batch)
    if cuda:
        per_batch = in_sequence * _GPU_EVALUATION_SECONDS
    else:
        arithmetic = batch * evaluations * settings.depth * settings.width**2
        per_batch = (
            in_sequence * _CPU_EVALUATION_SECONDS
            + arithmetic * _CPU_ARITHMETIC_SECONDS / math.sqrt(threads)
        )
    return settings.epochs * batches * per_batch


def _training_run(config: Mapping[str, Any], system: str, method: str) -> tuple[str, Any, int]:
    """Entry ``method``'s learner and typed settings on ``system``, and the observed
    intervals of the system's training split."""
    learner, resolved = resolve_method(config["methods"], method, system)
    settings = LEARNERS[learner].typed(resolved, f"methods.{method}")
    block = config["systems"][system]
    return learner, settings, block["trajectories"]["train"] * (block["steps"]["train"] - 1)


def training_estimate(config: Mapping[str, Any], system: str, method: str) -> dict[str, float]:
    """One training run's estimated wall time in seconds, ``{"cpu": …, "gpu": …}``, on the
    threads its job gets (:func:`job_resources`) or on one GPU."""
    learner, settings, intervals = _training_run(config, system, method)
    threads = _training_threads(settings)
    return {
        "cpu": training_seconds(learner, settings, intervals, threads, False),
        "gpu": training_seconds(learner, settings, intervals, 2, True),
    }


def simulation_seconds(system: Mapping[str, Any], split: str) -> float:
    """Estimated wall time of simulating one split of a system (its config block):
    every observed point of every trajectory, one process per ~100 trajectories."""
    n, steps = system["trajectories"][split], system["steps"][split]
    return n * steps * _SIMULATE_POINT_SECONDS / _simulation_threads(n)


def _simulation_threads(n: int) -> int:
    return _clamp(n / 100, 1, 16)  # one process per ~100 trajectories


def evaluation_seconds(system: Mapping[str, Any], gpu: bool) -> float:
    """Estimated wall time of one evaluation job on a system (its config block): the
    test trajectories rolled out over every observed interval in steps of
    ``evaluation.step`` (on one GPU, ten times faster)."""
    n = system["trajectories"]["test"]
    substeps = max(1, round(system["dt"] / system["evaluation"]["step"]))
    seconds = (system["steps"]["test"] - 1) * substeps * _ROLLOUT_STEP_SECONDS * max(1, n / 100)
    return seconds / (1 + 9 * gpu)


def _training_threads(settings: Any) -> int:
    """CPU threads of a training job: one at the quick scale, eight at the papers'."""
    return _clamp(settings.width * settings.depth * settings.batch_size / 1e5, 1, 8)


def ensemble_members(config: Mapping[str, Any], rule: str) -> int:
    """The training runs one job of ``rule`` holds: every seed in a ``train_ensemble``
    job, else one.

    An ensemble job is costed as its runs one after another, and holds each run's
    examples: the vectorised step was measured 1.04 (SANN) to 1.46 (HNN) times as fast
    as separate runs at 9 members on the 2-core CPU (``python -m hampipe.bench
    ensemble``), and slower at 1 and 3, so the estimate keeps no gain (a margin on a
    GPU, where it is meant to pay more).
    """
    return int(config["seeds"]) if rule == "train_ensemble" else 1


def resource_functions(config: Mapping[str, Any], rule: str) -> dict[str, Callable[..., int]]:
    """The ``resources:`` of ``rule``'s jobs as Snakemake functions of the job's
    ``wildcards`` and ``attempt``: ``mem_mb``, ``runtime`` (minutes) and ``gpu`` of
    :func:`job_resources`, so memory and run time double on each retry."""

    def resource(name: str) -> Callable[..., int]:
        def value(wildcards, attempt):
            job = job_resources(config, rule, dict(wildcards.items()), attempt)
            return getattr(job, name)

        return value

    return {name: resource(name) for name in ("mem_mb", "runtime", "gpu")}


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
        ``device`` is ``cuda``, else 0). A ``train_ensemble`` job asks for the time and
        data memory of all its runs (:func:`ensemble_members`), on one run's threads.
    """
    system = config["systems"].get(wildcards.get("system", ""), {})
    cuda = config["device"] == "cuda"
    if rule == "simulate":
        split = wildcards["split"]
        n, steps = system["trajectories"][split], system["steps"][split]
        threads = _simulation_threads(n)
        mem = _LIGHT_MB + 256 * threads + n * steps * 1e-3
        seconds = simulation_seconds(system, split)
        return Resources(threads, int(mem * attempt), _minutes(seconds, attempt))
    if rule in TORCH_RULES:
        learner, settings, intervals = _training_run(
            config, wildcards["system"], wildcards["method"]
        )
        gpu = int(cuda and rule in GPU_RULES)
        mem = _TORCH_MB + gpu * _CUDA_MB
        if rule == "probe":
            return Resources(1, int(mem * attempt), _minutes(60, attempt))
        if rule == "evaluate":
            mem += system["trajectories"]["test"] * system["steps"]["test"] * 1e-3
            seconds = evaluation_seconds(system, bool(gpu))
            return Resources(1, int(mem * attempt), _minutes(seconds, attempt), gpu)
        threads = 2 if gpu else _training_threads(settings)
        seconds = training_seconds(learner, settings, intervals, threads, bool(gpu))
        if rule == "partition_search":
            block = config["tables"]["partition_search"]
            pairs = len(partition_pairs(block["nonstiff"], block["stiff"]))
            seconds *= pairs * block["epochs"] / settings.epochs
        members = ensemble_members(config, rule)
        mem += members * intervals * 1e-3
        seconds *= members
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
