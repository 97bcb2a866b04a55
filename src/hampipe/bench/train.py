"""Time the training step of every method against its plain autograd reference.

``python -m hampipe.bench train`` runs, in one process and on the same examples of the
planar three-body problem (SANN paper §4.2):

- *ours*: the project's training step, as :func:`hampipe.training.loop.fit` takes it:
  ``method.loss(batch)``, ``backward()``, an Adam step (hand-written ∂H/∂q, ∂H/∂p and
  merged integrator steps, one backward pass);
- *reference*: the same step with the loss of :mod:`hampipe.bench.reference` (H from
  ``model.forward``, its gradients by ``torch.autograd.grad(..., create_graph=True)``,
  every sub-step spelled out; a double backward).

Before timing anything it checks, in float64 on the first batch of every method, that
both give the same loss and parameter gradients (largest relative difference at most
:data:`TOLERANCE`), and raises :class:`MismatchError` otherwise: a speed-up of a step
that computes something else means nothing.

Method settings are the config's, resolved for ``three_body`` (variants and per-system
blocks merged, schema defaults filled), with the sizes of the chosen :data:`SCALES`
entry: the benchmark times what the pipeline trains.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import math
import resource
import statistics
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import xarray as xr
import yaml

from hampipe.bench.reference import reference_loss
from hampipe.core import __version__, merge_config, resolve_method, validate_config
from hampipe.data import GroundTruthSolver, simulate
from hampipe.models import METHODS
from hampipe.models.method import Batch, Method
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training.loop import pick_device

log = logging.getLogger(__name__)

#: The system every benchmark runs on (SANN paper §4.2).
SYSTEM = "three_body"
#: Benchmark method name → the ``methods`` entry of the config it times. ``general`` is
#: SANN with the general (inseparable) Hamiltonian and explicit Euler (``sann_general``,
#: SANN Appendix H).
BENCH_METHODS: dict[str, str] = {
    "sann": "sann",
    "srnn": "srnn",
    "hnn": "hnn",
    "hinn": "hinn",
    "ode": "ode",
    "general": "sann_general",
}
#: Largest relative difference of the loss and of any parameter's gradient (float64)
#: between ours and the reference that lets the benchmark time them.
TOLERANCE = 1e-5
#: The config schema, relative to the project root (fills the settings' defaults).
SCHEMA = "workflow/schemas/config.schema.yaml"


@dataclass(frozen=True)
class Scale:
    """The sizes of a benchmark run; ``None`` keeps the config's value.

    Attributes
    ----------
    configfiles
        Config files merged in order, relative to the project root (as Snakemake's
        ``--configfile`` overlays).
    width
        Hidden units per layer of every method's network (``width``).
    trajectories, time_points
        Three-body trajectories simulated and observed time points per trajectory
        (default: the config's ``systems.three_body`` training split).
    batch_size
        Examples per mini-batch (default: each method's ``batch_size``).
    """

    configfiles: tuple[str, ...]
    width: int
    trajectories: int | None = None
    time_points: int | None = None
    batch_size: int | None = None


#: ``tiny``: a few trajectories and width 8, seconds (tests, CI); ``cpu``: the quick
#: config's three-body split (40 × 30) at width 64; ``paper``: SANN Exp. 5 on three-body
#: (1000 trajectories × 60 time points, γ = 0.1, S = 10/50, K = 8, batch 1024, width 256,
#: depth 3, rational activation, pairwise distances).
SCALES: dict[str, Scale] = {
    "tiny": Scale(
        ("config.yaml", "config.quick.yaml"), width=8, trajectories=3, time_points=8, batch_size=16
    ),
    "cpu": Scale(("config.yaml", "config.quick.yaml"), width=64),
    "paper": Scale(("config.yaml",), width=256, trajectories=1000, time_points=60, batch_size=1024),
}


class MismatchError(RuntimeError):
    """Our loss or gradients differ from the plain autograd reference beyond the tolerance."""


def _scale(name: str) -> Scale:
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; valid: {', '.join(SCALES)}")
    return SCALES[name]


def load_config(scale: str, root: str | Path = ".") -> dict[str, Any]:
    """The config files of ``scale`` under ``root``, merged and validated (defaults filled).

    Raises ``FileNotFoundError`` naming the missing file when ``root`` is not the project
    directory (the one holding ``config.yaml`` and ``workflow/``).
    """
    root = Path(root)
    paths = [root / name for name in _scale(scale).configfiles] + [root / SCHEMA]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found: run from the project root or pass it as --root"
            )
    config: dict[str, Any] = {}
    for path in paths[:-1]:
        config = merge_config(config, yaml.safe_load(path.read_text()) or {})
    return validate_config(config, paths[-1])


def method_settings(config: Mapping[str, Any], method: str, scale: str) -> tuple[str, dict]:
    """The learner and settings that benchmark method ``method`` trains at ``scale``.

    The config entry :data:`BENCH_METHODS` names, resolved for :data:`SYSTEM`, with the
    scale's ``width`` and ``batch_size``. Raises ``ValueError`` listing the valid methods.
    """
    if method not in BENCH_METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(BENCH_METHODS)}")
    sizes = _scale(scale)
    learner, h = resolve_method(config["methods"], BENCH_METHODS[method], SYSTEM)
    h["width"] = sizes.width
    if sizes.batch_size is not None:
        h["batch_size"] = sizes.batch_size
    return learner, h


def benchmark_data(
    config: Mapping[str, Any],
    scale: str,
    trajectories: int | None = None,
    seed: int = 0,
    workers: int = 1,
) -> tuple[xr.Dataset, xr.Dataset]:
    """Simulate the three-body training data of ``scale`` and annotate it with SAI.

    The system, observation step and ground-truth solver are ``systems.three_body`` of
    ``config``; ``trajectories`` overrides the scale's count. Returns ``(data, sai)``.
    """
    sizes = _scale(scale)
    spec = config["systems"][SYSTEM]
    system = make_system(SYSTEM, parameters=spec["parameters"], initial_state=spec["initial_state"])
    n_traj = trajectories or sizes.trajectories or spec["trajectories"]["train"]
    n_time = sizes.time_points or spec["steps"]["train"]
    start = time.perf_counter()
    ds = simulate(
        system,
        n_traj,
        n_time,
        spec["dt"],
        seed,
        solver=GroundTruthSolver(**spec["ground_truth"]),
        workers=workers,
    )
    log.info(
        "simulated %d %s trajectories of %d points in %.1f s",
        n_traj,
        SYSTEM,
        n_time,
        time.perf_counter() - start,
    )
    return ds, annotate(ds)


def batch_order(n: int, batch_size: int, seed: int) -> list[torch.Tensor]:
    """The index batches of one epoch: a permutation seeded by ``seed``, cut as ``fit`` cuts it."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[begin : begin + batch_size] for begin in range(0, n, batch_size)]


def _prepare(
    learner: str,
    h: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset,
    device: torch.device,
    seed: int,
) -> tuple[Method, Batch]:
    """A freshly initialised method (seeded) on ``device`` and its examples there."""
    torch.manual_seed(seed)
    method = METHODS[learner].build(h, data)
    method.model.to(device)
    examples = method.examples(data, sai)
    return method, {k: v.to(device) for k, v in examples.items()}


def _relative_difference(ours: torch.Tensor | None, reference: torch.Tensor | None) -> float:
    """max |ours − reference| / max |reference| (``None`` counts as zeros; NaN as inf)."""
    if ours is None and reference is None:
        return 0.0
    like = ours if ours is not None else reference
    ours = torch.zeros_like(like) if ours is None else ours
    reference = torch.zeros_like(like) if reference is None else reference
    error = (ours - reference).abs().max().item()
    scale = reference.abs().max().item()
    if error == 0.0:
        return 0.0
    if not (math.isfinite(error) and scale > 0):
        return math.inf
    return error / scale


def check_equivalence(
    method: str,
    learner: str,
    hyperparameters: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset,
    device: torch.device | str = "cpu",
    seed: int = 0,
    tolerance: float = TOLERANCE,
) -> float:
    """The largest relative difference, in float64, between our loss and the reference's.

    On the first batch of the epoch (as :func:`time_training` cuts it) of a fresh model,
    compares the loss and every parameter's gradient of ``method.loss`` with
    :func:`~hampipe.bench.reference.reference_loss`; each difference is
    max |ours − reference| / max |reference| over the tensor.

    Raises
    ------
    MismatchError
        When the largest difference exceeds ``tolerance`` (or is not finite), naming
        the method and the tensor where it occurs.
    """
    h = {**hyperparameters, "dtype": "float64"}
    ours_method, examples = _prepare(learner, h, data, sai, torch.device(device), seed)
    n = next(iter(examples.values())).shape[0]
    index = batch_order(n, h["batch_size"], seed)[0].to(device)
    batch = {k: v[index] for k, v in examples.items()}
    model = ours_method.model
    names, params = zip(*model.named_parameters(), strict=True)
    ours = ours_method.loss(batch)
    reference = reference_loss(learner, model, h, batch)
    ours_grads = torch.autograd.grad(ours, params, allow_unused=True)
    reference_grads = torch.autograd.grad(reference, params, allow_unused=True)
    differences = {"loss": _relative_difference(ours.detach(), reference.detach())}
    for name, g, w in zip(names, ours_grads, reference_grads, strict=True):
        differences[f"gradient of {name}"] = _relative_difference(g, w)
    where, worst = max(differences.items(), key=lambda item: item[1])
    if not worst <= tolerance:
        raise MismatchError(
            f"method {method!r} (config entry methods.{BENCH_METHODS.get(method, method)}): "
            f"the training loss or its gradients differ from the plain autograd reference "
            f"in float64 by "
            f"{worst:.3e} (relative, largest in the {where}; loss {ours.item():.10e} vs "
            f"{reference.item():.10e}) > tolerance {tolerance:g}; refusing to time a step "
            "that computes something else"
        )
    return worst


def _synchronize(device: torch.device) -> None:
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
    method, examples = _prepare(learner, hyperparameters, data, sai, device, seed)
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
            _synchronize(device)
            start = time.perf_counter()
            for index in timed:
                step(loss_of, index)
            _synchronize(device)
            seconds.append((time.perf_counter() - start) * n / timed_examples)
        out[f"{key}seconds_per_epoch"] = statistics.median(seconds)
        out[f"{key}peak_memory_bytes"] = _peak_memory(device)
    out.update(examples_per_epoch=n, batches_per_epoch=len(epoch), batches_timed=len(timed))
    return out


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
) -> Iterator[dict[str, Any]]:
    """Check every method, then time each; yield one record per method.

    All ``methods`` pass :func:`check_equivalence` before the first is timed (else
    :class:`MismatchError` propagates and nothing is timed). ``device`` is ``auto``
    (CUDA when available), ``cpu``, ``cuda``, …; ``threads`` sets torch's intra-op
    threads (default: torch's current); ``batches`` times only the first batches of
    each epoch (see :func:`time_training`). Records hold at least :data:`RECORD_KEYS`.
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
    config = load_config(scale, root)
    data, sai = benchmark_data(config, scale, trajectories, seed, workers)
    settings = {m: method_settings(config, m, scale) for m in methods}
    differences = {}
    for m, (learner, h) in settings.items():
        differences[m] = check_equivalence(m, learner, h, data, sai, target, seed, tolerance)
        log.info("%s: loss and gradients match the reference (%.1e)", m, differences[m])
    for m, (learner, h) in settings.items():
        timing = time_training(learner, h, data, sai, target, seed, batches, repeats)
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
            "max_relative_difference": differences[m],
            "tolerance": tolerance,
            "torch_version": torch.__version__,
            "hampipe_version": __version__,
        }
        yield record


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
    "reference_seconds_per_epoch",
    "ratio",
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
        ("ref s/epoch", "reference_seconds_per_epoch", "{:.4g}"),
        ("ratio", "ratio", "{:.2f}"),
        ("max rel diff", "max_relative_difference", "{:.1e}"),
        ("peak MiB", "peak_memory_bytes", "{:.0f}"),
        ("ref peak MiB", "reference_peak_memory_bytes", "{:.0f}"),
    ]
    rows = [[title for title, _, _ in columns]]
    for r in records:
        cells = []
        for _, key, fmt in columns:
            value = r[key]
            if key.endswith("peak_memory_bytes"):
                value = value / 2**20
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
            f"ratio = reference / ours; peak memory: {first['peak_memory']}",
        )
    return "\n".join(lines)
