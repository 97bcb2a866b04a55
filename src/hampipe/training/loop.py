"""The training loop: Adam with a learning-rate schedule, validation, one run per seed."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.core import logs
from hampipe.core.choices import LR_SCHEDULES
from hampipe.models.compiled import compiled_kernels
from hampipe.models.device import pick_device
from hampipe.models.io import save_model
from hampipe.models.method import Batch, Method
from hampipe.plan.learners import LEARNING
from hampipe.systems import HamiltonianSystem
from hampipe.training.prepare import prepare_run, read_training_inputs
from hampipe.training.resume import Checkpointer, checkpoint_key
from hampipe.training.stopping import EarlyStopping

log = logging.getLogger(__name__)


def _mean_loss(method: Method, data: Batch, batch_size: int) -> float:
    """The loss averaged over all examples, without gradients (validation)."""
    n = next(iter(data.values())).shape[0]
    total = 0.0
    with torch.no_grad():
        for begin in range(0, n, batch_size):
            batch = {k: v[begin : begin + batch_size] for k, v in data.items()}
            total += method.loss(batch).item() * next(iter(batch.values())).shape[0]
    return total / n


def _non_finite_causes(where: str, learning_rate: float, settings: Mapping[str, Any]) -> str:
    """The likely causes of a non-finite or blown-up loss, naming the keys to change."""
    causes = [
        f"a learning rate too high (lower {where}.learning_rate, now {learning_rate:g})",
        "badly scaled data (check the system's units"
        + (f" and {where}.scaling)" if "scaling" in settings else ")"),
    ]
    steps = [f"{where}.{k}" for k in ("substeps", "partitions") if k in settings]
    if steps:
        causes.append(
            "an integrator step too coarse for the dynamics "
            f"(raise {' or '.join(steps)}, or lower the system's dt)"
        )
    return "Likely causes: " + "; ".join(causes)


def check_blowup(
    losses: list[float], factor: float, where: str, epochs: int, run: str = ""
) -> str | None:
    """Why training has blown up, or ``None``: the last epoch's mean loss in ``losses``
    exceeds ``factor`` times the lowest of the epochs before it (``methods.<entry>.
    blowup_factor``). A rise that large is no noise of stochastic gradients: the run has
    diverged, though every number is still finite. ``run`` (``seed 3``), when given,
    names the run after the key ``where`` (an ensemble's member)."""
    if len(losses) < 2:
        return None
    best = int(np.argmin(losses[:-1]))
    if not losses[-1] > factor * losses[best]:
        return None
    named = f"{where} ({run})" if run else where
    return (
        f"{named}: loss grew to {losses[-1]:.4g} at epoch {len(losses)} of {epochs}, "
        f"{losses[-1] / losses[best]:.3g} times its lowest so far ({losses[best]:.4g} at "
        f"epoch {best + 1}; {where}.blowup_factor is {factor:g}). "
    )


def optimiser(
    parameters,
    learning_rate: float,
    epochs: int,
    lr_schedule: str,
    weight_decay: float,
    patience: int = 0,
    min_improvement: float = 0.0,
) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.LRScheduler]:
    """Adam and its learning-rate schedule (``methods.<entry>`` keys of the same names).

    ``lr_schedule``: ``cosine`` decays the rate along a cosine from ``learning_rate`` to 0
    over ``epochs`` (SANN §4.1); ``constant`` keeps it (the HNN and DGNet code);
    ``plateau`` halves it whenever the validation loss has not improved (by the relative
    margin ``min_improvement``) for more than ``patience // 2`` epochs, the usual
    companion of early stopping (``torch.optim.lr_scheduler.ReduceLROnPlateau``).
    ``weight_decay`` is Adam's coupled L2 penalty (``torch.optim.Adam``'s, as the HNN and
    DGNet code use): ``weight_decay · θ`` is added to the gradient before Adam's moments,
    unlike AdamW's decoupled decay. The scheduler steps once per epoch (``plateau``
    with the epoch's validation loss).
    """
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr_schedule {lr_schedule!r}; valid: {', '.join(LR_SCHEDULES)}")
    optimizer = torch.optim.Adam(parameters, lr=learning_rate, weight_decay=weight_decay)
    scheduler: torch.optim.lr_scheduler.LRScheduler
    if lr_schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    elif lr_schedule == "plateau":
        if patience < 1:
            raise ValueError("lr_schedule 'plateau' needs early stopping (patience > 0)")
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            factor=0.5,
            patience=patience // 2,
            threshold=min_improvement,
            threshold_mode="rel",
        )
    else:
        scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    return optimizer, scheduler


def fit(
    method: Method,
    examples: Batch,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: torch.device | None = None,
    progress: bool = True,
    validation: Batch | None = None,
    key: str | None = None,
    checkpoints: Checkpointer | None = None,
    *,
    lr_schedule: str = "cosine",
    weight_decay: float = 0.0,
    patience: int = 0,
    min_improvement: float = 0.0,
    blowup_factor: float = LEARNING["blowup_factor"].default,
) -> dict[str, Any]:
    """Minimise ``method.loss`` over shuffled mini-batches of ``examples``.

    Adam (Kingma & Ba 2014) with the learning rate decaying along a cosine from
    ``learning_rate`` to 0 over ``epochs`` (SANN §4.1), or another ``lr_schedule``, and
    ``weight_decay`` (see :func:`optimiser`). Batches are drawn from a
    permutation seeded by ``seed``; a non-finite loss, or an epoch's mean loss above
    ``blowup_factor`` times the lowest so far (:func:`check_blowup`), stops training
    with a ``FloatingPointError`` naming the epoch, the config ``key`` of the method
    (``methods.<name>``) and the likely causes. After each epoch the loss on the
    ``validation`` examples (if any) is recorded.

    With ``patience`` > 0 the run stops early once the validation loss has not improved
    by the relative margin ``min_improvement`` for ``patience`` epochs, and the model
    ends with the weights of its best validation epoch
    (:class:`~hampipe.training.stopping.EarlyStopping`); ``epochs`` is then a cap. The
    learning-rate schedule runs over ``epochs`` either way.

    With ``checkpoints``, training resumes from the job's checkpoint if there is one and
    saves one every ``checkpoints.every`` epochs. Everything an epoch reads from the
    ones before (weights, Adam and scheduler states, the batch-order generator, the
    global torch RNG, the history) is in a checkpoint, so a resumed run ends with the
    same weights and losses as an uninterrupted one (bit for bit on CPU).

    Parameters
    ----------
    method
        The learning method; its model is moved to ``device`` and ``method.dtype``.
    examples, validation
        Training and held-out examples, tensors sharing their first axis.
    epochs, batch_size, learning_rate, seed
        The run's settings (``methods.<name>`` keys and the run's seed).
    device
        Where to train; ``None`` picks CUDA when available.
    progress
        Show a progress bar on a terminal.
    key
        The config key of the method, used in messages.
    checkpoints
        The job's resumable checkpoints, or ``None`` for none.

    Returns
    -------
    dict
        The history: per-epoch mean loss, validation loss, learning rate and wall
        seconds (``seconds`` of resumed epochs are those of the run that did them), and
        how training ended: ``epochs_run``, ``best_epoch`` (whose weights the model
        holds), ``stopped`` (``converged`` or ``epochs``) and ``stop_reason``.
    """
    device = device or pick_device()
    where = key or f"methods.{method.name}"
    torch.manual_seed(seed)
    model = method.model.to(device=device, dtype=method.dtype).train()
    data = {k: v.to(device) for k, v in examples.items()}
    held_out = {k: v.to(device) for k, v in (validation or {}).items()}
    n = next(iter(data.values())).shape[0]
    stopping = EarlyStopping(patience, min_improvement)
    if stopping.enabled and not held_out:
        raise ValueError(
            f"{where}.patience: {patience}, but early stopping needs validation examples "
            f"({where}.validation is 0)"
        )
    optimizer, scheduler = optimiser(
        model.parameters(), learning_rate, epochs, lr_schedule, weight_decay, patience,
        min_improvement,
    )  # fmt: skip
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {
        "loss": [],
        "validation_loss": [],
        "learning_rate": [],
        "seconds": [],
    }
    first = 0
    if checkpoints is not None:
        resumed = checkpoints.restore(
            model, optimizer, scheduler, generator, epochs, device, stopping
        )
        if resumed is not None:
            first, history = resumed
    # a bar on a terminal; elsewhere (a job's log) a line every 5 % of the epochs
    bar = logs.progress(
        range(first, epochs),
        f"train {method.name}",
        total=epochs,
        initial=first,
        enabled=progress,
    )
    converged = False
    epochs_run = first
    for epoch in bar:
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for begin in range(0, n, batch_size):
            idx = order[begin : begin + batch_size]
            loss = method.loss({k: v[idx] for k, v in data.items()})
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"{where}: loss became {loss.item()} at epoch {epoch + 1} of {epochs}. "
                    + _non_finite_causes(where, learning_rate, method.settings.as_dict())
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * idx.numel()
        history["learning_rate"].append(optimizer.param_groups[0]["lr"])
        history["loss"].append(total / n)
        blowup = check_blowup(history["loss"], blowup_factor, where, epochs)
        if blowup:
            raise FloatingPointError(
                blowup + _non_finite_causes(where, learning_rate, method.settings.as_dict())
            )
        if held_out:
            history["validation_loss"].append(_mean_loss(method, held_out, batch_size))
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(history["validation_loss"][-1])
        else:
            scheduler.step()
        history["seconds"].append(time.perf_counter() - start)
        bar.set_postfix(
            loss=f"{history['loss'][-1]:.4e}",
            **({"validation": f"{history['validation_loss'][-1]:.4e}"} if held_out else {}),
        )
        epochs_run = epoch + 1
        if held_out and stopping.update(epochs_run, history["validation_loss"][-1], model):
            converged = True
            break
        if checkpoints is not None and checkpoints.due(epochs_run, epochs):
            checkpoints.save(
                epochs_run, model, optimizer, scheduler, generator, history, device, stopping
            )
    stopping.restore_best(model)
    model.eval()
    return {**history, **stopping.summary(epochs_run, epochs, converged)}


def train(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: xr.Dataset,
    sai: xr.Dataset | None,
    seed: int,
    progress: bool = True,
    entry: str | None = None,
    device: str | torch.device = "auto",
    checkpoints: Checkpointer | None = None,
    system: HamiltonianSystem | None = None,
) -> tuple[Method, dict[str, Any]]:
    """One training run: observations, validation split, model, examples, fit.

    ``learner`` is a ``METHODS`` name (``hnn``, ``sann``, …) and ``hyperparameters`` its
    settings, already resolved for the system (variants and per-system overrides merged);
    ``entry`` is the ``methods`` config entry (``sann_k4``), used in messages. From one
    ``seed`` the run draws the observation noise (``noise``), the validation trajectories
    (``validation``), the initial weights and the batch order, each from its own stream:
    runs of different methods with the same seed share the noise, the split and the
    batches, whatever their noise level.
    These draws happen before :func:`fit` (:func:`~hampipe.training.prepare.prepare_run`,
    which an ensemble job shares), again identically when a run resumes.

    ``device`` is the config key ``device`` (``auto``, ``cpu``, ``cuda``; see
    :func:`pick_device`); ``checkpoints`` makes the run resumable (see :func:`fit`);
    ``system`` is the true system, for a method whose settings need it (HNN's exact
    targets), else ``None``.
    """
    device = pick_device(device)
    run = prepare_run(learner, hyperparameters, train_data, sai, seed, entry, system, device)
    settings = run.settings
    with compiled_kernels(settings.compile, f"{run.key}.compile", device):
        history = fit(
            run.method,
            run.examples,
            settings.epochs,
            settings.batch_size,
            settings.learning_rate,
            seed,
            device,
            progress,
            run.validation,
            key=run.key,
            checkpoints=checkpoints,
            **run.fit_options(),
        )
    history.update(run.record(device))
    return run.method, history


def train_to_file(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: str,
    sai: str | None,
    seed: int,
    output: str,
    entry: str | None = None,
    threads: int = 1,
    progress: bool = True,
    device: str = "auto",
    checkpoint: Mapping[str, Any] | None = None,
    *,
    system: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``train`` stage: train ``learner`` on a split file and save the model file.

    Parameters
    ----------
    learner
        The ``METHODS`` name that trains (``hnn``, ``sann``, …).
    hyperparameters
        Its resolved settings.
    train_data, sai
        The training split file and its SAI file (or ``None``).
    seed
        The run's seed.
    output
        The model file to write (atomically; not created when training fails).
    entry
        The ``methods`` config entry (a variant's own name), stored in the file.
    threads
        CPU threads for torch.
    progress
        Show a progress bar on a terminal.
    device
        The config key ``device``: ``auto``, ``cpu`` or ``cuda``.
    checkpoint
        ``{"directory": ..., "every": ...}`` (``every`` is the config key
        ``checkpoint_every``): save a resumable checkpoint ``<directory>/<key>.pt`` every
        ``every`` epochs, keyed by :func:`~hampipe.training.resume.checkpoint_key` of
        the learner, ``entry``, hyperparameters, seed, device and the input files'
        SHA-256. A run resumes from a checkpoint of its key and first deletes the
        directory's checkpoints of other keys; the checkpoint (and the directory, if
        empty) is removed once the model file is written. ``None``: no checkpoints.
    system
        The stage's ``system`` param (:func:`hampipe.systems.system_from_spec`): the true
        system is built from it, ``train_data`` checked against it
        (:func:`hampipe.data.io.check_system`) and the method given it.
    expect
        The job's wildcards (``system``, ``method``, ``seed``): ``train_data`` must be
        a training split and both it and ``sai`` written for that system
        (:func:`hampipe.data.io.check_identity`); either holding NaN or inf is refused.
    """
    torch.set_num_threads(max(1, threads))
    resolved = pick_device(device)
    true_system, data, annotation = read_training_inputs(train_data, sai, system, expect)
    checkpoints = None
    if checkpoint is not None:
        job = checkpoint_key(learner, entry, hyperparameters, seed, resolved, [train_data, sai])
        checkpoints = Checkpointer.from_config(checkpoint, job)
        checkpoints.remove_stale()
    trained, history = train(
        learner,
        hyperparameters,
        data,
        annotation,
        seed,
        progress,
        entry,
        device=resolved,
        checkpoints=checkpoints,
        system=true_system,
    )
    log.info(
        "%s: final loss %.4e after %d epochs (%.1f s); %s",
        entry or learner,
        history["loss"][-1],
        len(history["loss"]),
        sum(history["seconds"]),
        history["stop_reason"],
    )
    save_model(output, trained, history, true_system.name, seed, entry=entry)
    if checkpoints is not None:
        checkpoints.remove()
