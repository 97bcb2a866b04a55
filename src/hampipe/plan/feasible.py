"""Whether a checked plan could ever finish: its estimated work and data against what a
cluster can give, before any job.

Every key has its bounds in the schema, yet keys multiply: epochs × trajectories ×
steps × sub-steps × seeds × entries. A product no machine could finish (a typo such as
``epochs: 1000000`` for 1000, an evaluation step of 1e-9 s) would otherwise start, hold
a GPU and be killed months later. So :func:`check_feasible` estimates every job of ``all``
with the estimates the jobs' resource requests use (:mod:`hampipe.plan.resources`)
and refuses, naming the keys and the estimate, a plan beyond the limits below, unless
``limits.allow_huge`` is set.

The limits are far above the papers' study (``config.yaml``, a real one, run on a GPU
cluster): its 129 training runs take about 356 CPU-days or 41 GPU-days in all, its
longest one about 1.1 GPU-days and its largest data split (three-body, 1000 × 60 × 12
values) about 6 MB. A training run can only go on one device, epoch after epoch, so a
run estimated at over a year (300 times the paper's longest) would outlast any
cluster's allocation; all the jobs together at over ten years of device time (90 times
the paper's) would hold a 100-GPU cluster for a month; a split is read whole by each
of its jobs, which hold two or three copies of it, and the largest nodes hold 1 to
2 TB of memory, so a split of over 256 GiB fits none.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hampipe.core import ConfigError
from hampipe.core.methods import setting_owner
from hampipe.plan.checks import partition_pairs
from hampipe.plan.learners import LEARNERS
from hampipe.plan.resources import evaluation_seconds, simulation_seconds, training_estimate

if TYPE_CHECKING:
    from hampipe.plan.experiment import Plan

_YEAR = 365 * 86400
#: The longest one job may be estimated to run (seconds, on the faster device allowed).
MAX_JOB_SECONDS = _YEAR
#: The most device time all the jobs of ``all`` may be estimated to take (seconds).
MAX_TOTAL_SECONDS = 10 * _YEAR
#: The most bytes one data split may hold (trajectories × steps × 2 dof × 8 bytes).
MAX_SPLIT_BYTES = 256 * 2**30
#: The settings whose product makes a training run long, as they are named.
_TRAINING_KEYS = (
    "epochs",
    "width",
    "depth",
    "batch_size",
    "substeps",
    "window",
    "partitions.stiff",
    "partitions.nonstiff",
    "replication",
)
_OVERRIDE = "or set limits.allow_huge: true to run it anyway"


def check_feasible(plan: Plan) -> None:
    """Refuse a plan that no machine or cluster could finish, before any job.

    Estimated (:mod:`hampipe.plan.resources`): every data split's size
    (trajectories × steps × 2 dof × 8 bytes, at most :data:`MAX_SPLIT_BYTES`); each
    job's time (at most :data:`MAX_JOB_SECONDS`): the simulations, each training run
    that ``all`` makes (entries that train alike once, on the faster of the CPU and one
    GPU where ``device`` is ``auto``; an entry with ``ensemble`` trains all its seeds
    in one job, costed as the runs one after another), each evaluation, and the
    partition search; and
    the sum of them all, every seed counted (at most :data:`MAX_TOTAL_SECONDS`). Raises
    :class:`~hampipe.core.ConfigError` naming the keys and the estimate of each job
    beyond a limit, and the total; nothing when ``limits.allow_huge`` is set.
    """
    config = plan.config
    if config["limits"]["allow_huge"]:
        return
    problems = _data_problems(plan)
    jobs = list(_jobs(plan))
    for seconds, _, key, why in jobs:
        if seconds > MAX_JOB_SECONDS:
            problems.append(
                f"config key '{key}': {why} is estimated at {_duration(seconds)} per job; "
                f"allowed: at most {_duration(MAX_JOB_SECONDS)} per job, {_OVERRIDE}"
            )
    total = sum(seconds * count for seconds, count, _, _ in jobs)
    if total > MAX_TOTAL_SECONDS and not problems:
        seconds, count, key, why = max(jobs, key=lambda job: job[0] * job[1])
        problems.append(
            f"config keys 'seeds', 'experiments': the {sum(c for _, c, _, _ in jobs)} jobs "
            f"of `all` ({config['seeds']} seed(s) each) are estimated at "
            f"{_duration(total)} of device time in all, the most in {key} ({why}: "
            f"{count} × {_duration(seconds)}); allowed: at most "
            f"{_duration(MAX_TOTAL_SECONDS)} in all, {_OVERRIDE}"
        )
    if problems:
        raise ConfigError.of(problems)


def _data_problems(plan: Plan) -> list[str]:
    """A problem for every data split larger than :data:`MAX_SPLIT_BYTES`."""
    problems = []
    for name, block in plan.config["systems"].items():
        dof = plan.systems[name].dof
        for split in ("train", "test"):
            n, steps = block["trajectories"][split], block["steps"][split]
            size = n * steps * 2 * dof * 8
            if size > MAX_SPLIT_BYTES:
                problems.append(
                    f"config key 'systems.{name}.trajectories.{split}': {n} trajectories × "
                    f"{steps} time points (systems.{name}.steps.{split}) × {2 * dof} "
                    f"values (q and p of {dof} dof) × 8 bytes is {_bytes(size)} for the "
                    f"{split} split; allowed: at most {_bytes(MAX_SPLIT_BYTES)} per "
                    f"split, {_OVERRIDE}"
                )
    return problems


def _jobs(plan: Plan):
    """Every kind of job of ``all``: ``(seconds of one, how many, key, what it is)``."""
    config = plan.config
    seeds, device = plan.seeds, config["device"]
    for name, block in config["systems"].items():
        for split in ("train", "test"):
            yield (
                simulation_seconds(block, split),
                1,
                f"systems.{name}.trajectories.{split}",
                f"simulating {block['trajectories'][split]} trajectories of "
                f"{block['steps'][split]} points (systems.{name}.steps.{split})",
            )
    for system, listed in config["experiments"].items():
        block = config["systems"][system]
        step = block["evaluation"]["step"]
        yield (
            evaluation_seconds(block, device == "cuda"),
            len(listed) * seeds,
            f"systems.{system}.evaluation.step",
            f"evaluating on {system} in steps of {step:g} "
            f"({max(1, round(block['dt'] / step))} per observed interval of "
            f"systems.{system}.dt = {block['dt']:g}, {block['steps']['test'] - 1} "
            f"intervals, {block['trajectories']['test']} test trajectories)",
        )
        for entry in dict.fromkeys(plan.trained_as(m, system) for m in listed):
            sizes = _training_sizes(plan, system, entry)
            if plan.ensemble(entry, system):  # one job of every seed
                yield (
                    _training_seconds(config, system, entry) * seeds,
                    1,
                    f"methods.{entry}",
                    f"training {seeds} seeds in one ensemble job on {system} ({sizes}, "
                    f"methods.{entry}.ensemble = true)",
                )
                continue
            yield (
                _training_seconds(config, system, entry),
                seeds,
                f"methods.{entry}",
                f"training on {system} ({sizes})",
            )
    search = config["tables"].get("partition_search")
    if search:
        system, entry = search["system"], search["method"]
        pairs = len(partition_pairs(search["nonstiff"], search["stiff"]))
        share = pairs * search["epochs"] / plan.setting(entry, system, "epochs")
        yield (
            _training_seconds(config, system, entry) * share,
            1,
            "tables.partition_search",
            f"the partition search of {entry} on {system} ({pairs} pairs × "
            f"{search['epochs']} epochs)",
        )


def _training_seconds(config: dict[str, Any], system: str, entry: str) -> float:
    """One training run's estimate on the device ``device`` allows (``auto``: the
    faster of the CPU and one GPU)."""
    estimate = training_estimate(config, system, entry)
    device = {"cpu": "cpu", "cuda": "gpu"}.get(config["device"])
    return estimate[device] if device else min(estimate.values())


def _training_sizes(plan: Plan, system: str, entry: str) -> str:
    """The settings and data sizes a training run's time grows with, each named by the
    key that sets it."""
    learner_keys = LEARNERS[plan.learner(entry, system)].defaults()
    parts = []
    for key in _TRAINING_KEYS:
        top, *nested = key.split(".")
        if top not in learner_keys:
            continue
        value = plan.setting(entry, system, top)
        for part in nested:
            value = value[part]
        if value is not None:
            owner = setting_owner(plan.config["methods"], entry, system, key)
            parts.append(f"{owner} = {value}")
    block = plan.config["systems"][system]
    parts += [
        f"systems.{system}.trajectories.train = {block['trajectories']['train']}",
        f"systems.{system}.steps.train = {block['steps']['train']}",
    ]
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    """``seconds`` in years, days or hours, whichever reads best."""
    for unit, size in (("year", _YEAR), ("day", 86400), ("hour", 3600)):
        if seconds >= size:
            value = f"{seconds / size:.3g}"
            return f"{value} {unit}{'' if value == '1' else 's'}"
    return f"{math.ceil(seconds)} s"


def _bytes(size: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} bytes"
