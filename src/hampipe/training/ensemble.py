"""Several training runs of one method entry in one job: a vectorised ensemble.

Small networks leave the hardware mostly idle: a training step of a width-32 model is a
few hundred small operations, each too small to fill a GPU or, on a CPU, to outweigh
its own dispatch cost. :func:`fit_ensemble` trains N *members* (runs with their own
seeds, initial weights, examples and batch order) together: their parameters are
stacked along a leading member axis (``torch.func.stack_module_state``) and one batched
step (``torch.func.vmap`` of ``torch.func.functional_call``) computes every member's
loss and gradients, so the number of operations per step is that of one run
(the pieces of that step: :mod:`hampipe.training.stacked`).

Each member ends exactly where :func:`~hampipe.training.loop.fit` would end it with its
seed (to float rounding; ``tests/training/test_ensemble.py``): the same batches in the
same order (one ``torch.Generator`` per member, seeded alike), the same Adam (Adam is
elementwise, so one Adam over the stacked parameters is one Adam per member; the
learning rate, its schedule and the coupled weight decay stay per member), the same
validation losses, early stopping (a member that stops keeps its best weights and is
frozen while the others train on) and divergence checks (a non-finite or blown-up loss
of any member stops the job, naming the member's seed).

:func:`train_ensemble_to_files` is the workflow's ``train_ensemble`` stage: every seed
of one ``methods`` entry on one system, prepared as the ``train`` stage prepares each
(:func:`~hampipe.training.prepare.prepare_run`), trained as one ensemble and written to
one model file per seed. Such a job is resumable as a ``train`` job is: one checkpoint
holds the stacked state of all members.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import xarray as xr
from torch.func import functional_call, stack_module_state, vmap

from hampipe.core import logs
from hampipe.models.device import pick_device
from hampipe.models.intervals import IntervalMethod
from hampipe.models.io import save_model
from hampipe.models.method import Batch, Method
from hampipe.plan.learners import LEARNING
from hampipe.systems import HamiltonianSystem
from hampipe.training.loop import _non_finite_causes, check_blowup, optimiser
from hampipe.training.prepare import prepare_run, read_training_inputs
from hampipe.training.resume import Checkpointer, checkpoint_key
from hampipe.training.stacked import (
    EnsembleState,
    MemberLoss,
    StackedAdam,
    example_groups,
    load_member,
    stack_examples,
    take_rows,
    used_parameters,
    validation_losses,
)
from hampipe.training.stopping import EarlyStopping

log = logging.getLogger(__name__)


def fit_ensemble(
    methods: Sequence[Method],
    examples: Sequence[Batch],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seeds: Sequence[int],
    device: torch.device | None = None,
    validation: Sequence[Batch] | None = None,
    key: str | None = None,
    checkpoints: Checkpointer | None = None,
    progress: bool = False,
    *,
    lr_schedule: str = "cosine",
    weight_decay: float = 0.0,
    patience: int = 0,
    min_improvement: float = 0.0,
    blowup_factor: float = LEARNING["blowup_factor"].default,
) -> list[dict[str, Any]]:
    """Train ``methods[m]`` on ``examples[m]`` with seed ``seeds[m]``, all in one batched step.

    The result equals N calls of :func:`~hampipe.training.loop.fit` with the same
    arguments, member by member, to float rounding: same batch order, Adam,
    learning-rate schedule, weight decay, validation losses, early stopping and
    divergence checks (see the module docstring). The members are runs of one method
    entry: the same method class and model architecture (their scales, initial weights,
    examples and validation examples may differ, but the example tensors must agree in
    shape). The job runs until every member has stopped or reached ``epochs``; a member
    that stops early is frozen and ends with its best weights, as ``fit`` ends. A
    member's non-finite loss, or an epoch's mean loss above ``blowup_factor`` times its
    lowest before (:func:`~hampipe.training.loop.check_blowup`), stops the whole job with
    a ``FloatingPointError`` naming the key, the member's seed and the likely causes.

    With ``checkpoints``, training resumes from the job's checkpoint if there is one
    and saves one every ``checkpoints.every`` epochs, holding every member's state
    (:class:`~hampipe.training.stacked.EnsembleState`): a resumed ensemble ends as an
    uninterrupted one.

    Parameters
    ----------
    methods, examples, seeds
        One per member.
    validation
        One held-out batch per member (or ``None``: no validation).
    epochs, batch_size, learning_rate, device, key, checkpoints, progress, lr_schedule,
    weight_decay, patience, min_improvement, blowup_factor
        As :func:`~hampipe.training.loop.fit`'s.

    Returns
    -------
    list of dict
        Each member's history, with the keys of ``fit``'s; an epoch's ``seconds`` are
        each running member's share of the ensemble epoch's wall time (the epoch's
        seconds over the members that ran it), so the members' seconds add up to the
        job's training time.
    """
    n_members = len(methods)
    if not (n_members == len(examples) == len(seeds)) or n_members == 0:
        raise ValueError(
            f"fit_ensemble needs one method, example batch and seed per member; got "
            f"{len(methods)} methods, {len(examples)} example batches and {len(seeds)} seeds"
        )
    kinds = {(type(m), type(m.model), tuple(m.model.state_dict())) for m in methods}
    if len(kinds) != 1:
        raise ValueError("ensemble members must be one method entry: same method and model")
    device = device or pick_device()
    where = key or f"methods.{methods[0].name}"
    models = [m.model.to(device=device, dtype=m.dtype).train() for m in methods]
    data = stack_examples(examples, device, where)
    held_out = stack_examples(validation, device, where) if validation else {}
    stops = [EarlyStopping(patience, min_improvement) for _ in methods]
    if stops[0].enabled and not held_out:
        raise ValueError(
            f"{where}.patience: {patience}, but early stopping needs validation examples "
            f"({where}.validation is 0)"
        )
    params, buffers = stack_module_state(models)
    adam = StackedAdam(params, weight_decay)
    # each member's schedule is fit's own, driven by a placeholder of its optimiser
    schedules = [
        optimiser(
            [torch.zeros(1, requires_grad=True)], learning_rate, epochs, lr_schedule,
            weight_decay, patience, min_improvement,
        )
        for _ in methods
    ]  # fmt: skip
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    member_loss = MemberLoss(methods[0]).to(device)
    adam.skip_unused(used_parameters(member_loss, data, batch_size))

    def losses(batch: Batch) -> torch.Tensor:
        """Every member's loss on its own rows of the stacked ``batch``, ``(member,)``."""
        groups: tuple = ()  # no tensors to batch (an empty pytree)
        if isinstance(member_loss.method, IntervalMethod):
            member_loss.counts, groups = example_groups(batch["substeps"])

        def one(p, b, batch, groups):
            state = {f"model.{k}": v for k, v in {**p, **b}.items()}
            return functional_call(member_loss, state, (batch, groups))

        return vmap(one)(params, buffers, batch, groups)

    histories: list[dict[str, list[float]]] = [
        {"loss": [], "validation_loss": [], "learning_rate": [], "seconds": []} for _ in methods
    ]
    active = torch.ones(n_members, dtype=torch.bool, device=device)
    state = EnsembleState(params, buffers, adam, schedules, generators, histories, stops, active)
    first = state.restore(checkpoints, epochs) if checkpoints is not None else 0
    n = next(iter(data.values())).shape[1]
    bar = logs.progress(
        range(first, epochs),
        f"train {methods[0].name} ({n_members} members)",
        total=epochs,
        initial=first,
        enabled=progress,
    )
    for epoch in bar:
        if not bool(active.any()):
            break
        start = time.perf_counter()
        running = [m for m, flag in enumerate(active.tolist()) if flag]
        lr = [opt.param_groups[0]["lr"] for opt, _ in schedules]
        lr_tensor = torch.tensor(lr, dtype=torch.float64, device=device)
        order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(device)
        total = torch.zeros(n_members, dtype=torch.float64, device=device)
        for begin in range(0, n, batch_size):
            index = order[:, begin : begin + batch_size]
            loss = losses(take_rows(data, index))
            finite = torch.isfinite(loss) | ~active
            if not bool(finite.all()):
                m = int((~finite).nonzero()[0])
                raise FloatingPointError(
                    f"{where} (seed {seeds[m]}): loss became {loss[m].item()} at epoch "
                    f"{epoch + 1} of {epochs}. "
                    + _non_finite_causes(where, learning_rate, methods[m].settings.as_dict())
                )
            adam.zero_grad()
            loss.sum().backward()
            adam.step(lr_tensor, active)
            total += loss.detach().double() * index.shape[1]
        validation_loss = validation_losses(losses, held_out, batch_size) if held_out else None
        seconds = (time.perf_counter() - start) / len(running)
        for m in running:
            history, (opt, scheduler) = histories[m], schedules[m]
            history["learning_rate"].append(lr[m])
            history["loss"].append(float(total[m]) / n)
            blowup = check_blowup(history["loss"], blowup_factor, where, epochs, f"seed {seeds[m]}")
            if blowup:
                raise FloatingPointError(
                    blowup + _non_finite_causes(where, learning_rate, methods[m].settings.as_dict())
                )
            if validation_loss is not None:
                history["validation_loss"].append(validation_loss[m])
            opt.step()  # no gradient: moves nothing; the scheduler checks it was called
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(history["validation_loss"][-1])
            else:
                scheduler.step()
            history["seconds"].append(seconds)
            state.epochs_run[m] = epoch + 1
            if held_out and stops[m].enabled:
                load_member(models[m], params, buffers, m)
                if stops[m].update(epoch + 1, history["validation_loss"][-1], models[m]):
                    state.converged[m] = True
                    active[m] = False
        bar.set_postfix(loss=f"{min(histories[m]['loss'][-1] for m in running):.4e} (lowest)")
        if checkpoints is not None and bool(active.any()) and checkpoints.due(epoch + 1, epochs):
            checkpoints.save_state(epoch + 1, state.state_dict())
    results = []
    for m, model in enumerate(models):
        load_member(model, params, buffers, m)
        stops[m].restore_best(model)
        model.eval()
        summary = stops[m].summary(state.epochs_run[m], epochs, state.converged[m])
        results.append({**histories[m], **summary})
    return results


def train_ensemble(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: xr.Dataset,
    sai: xr.Dataset | None,
    seeds: Sequence[int],
    progress: bool = True,
    entry: str | None = None,
    device: str | torch.device = "auto",
    checkpoints: Checkpointer | None = None,
    system: HamiltonianSystem | None = None,
) -> list[tuple[Method, dict[str, Any]]]:
    """The training runs of ``seeds``, as :func:`~hampipe.training.loop.train` runs each
    alone, trained together by :func:`fit_ensemble`.

    Each seed's run is prepared exactly as a single run's
    (:func:`~hampipe.training.prepare.prepare_run`: its noise, validation split,
    initial weights and examples), so each member ends where ``train`` with its seed
    ends, to float rounding. Arguments as ``train``'s, with ``seeds`` for ``seed``.

    Returns
    -------
    list of (Method, dict)
        Per seed, in order: the trained method and its history (``train``'s keys).
    """
    device = pick_device(device)
    runs = [
        prepare_run(learner, hyperparameters, train_data, sai, seed, entry, system, device)
        for seed in seeds
    ]
    first = runs[0]
    histories = fit_ensemble(
        [run.method for run in runs],
        [run.examples for run in runs],
        first.settings.epochs,
        first.settings.batch_size,
        first.settings.learning_rate,
        list(seeds),
        device,
        [run.validation for run in runs] if first.validation is not None else None,
        key=first.key,
        checkpoints=checkpoints,
        progress=progress,
        **first.fit_options(),
    )
    for run, history in zip(runs, histories, strict=True):
        history.update(run.record(device))
    return [(run.method, history) for run, history in zip(runs, histories, strict=True)]


def train_ensemble_to_files(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: str,
    sai: str | None,
    seeds: Sequence[int],
    outputs: Sequence[str],
    entry: str | None = None,
    threads: int = 1,
    progress: bool = True,
    device: str = "auto",
    checkpoint: Mapping[str, Any] | None = None,
    *,
    system: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``train_ensemble`` stage: every seed of one entry in one job, one model file each.

    Reads and checks its inputs as :func:`~hampipe.training.loop.train_to_file` does,
    trains the runs of ``seeds`` together (:func:`train_ensemble`) and writes run i's
    model to ``outputs[i]`` (:func:`~hampipe.models.io.save_model`, atomically) with what
    a ``train`` job of that seed would write: method, seed, hyperparameters, history.
    Inside a workflow job each file's provenance record is the job's with the run's
    index added to its wildcards (``seed: i``), so every stage that reads a model file
    checks it as it checks a ``train`` job's. If any run fails (a non-finite or blown-up
    loss, unequal example shapes) no file is written; if a write fails, the files
    already written are removed.

    Parameters
    ----------
    seeds, outputs
        Run i's seed and model file (the ``{seed}`` wildcard i's ``seed{i}.pt``).
    checkpoint
        As ``train_to_file``'s, one checkpoint for the whole ensemble, keyed by
        :func:`~hampipe.training.resume.checkpoint_key` with the list of ``seeds``.
    learner, hyperparameters, train_data, sai, entry, threads, progress, device, system,
    expect
        As ``train_to_file``'s; ``expect`` holds the job's ``system`` and ``method``.
    """
    if len(seeds) != len(outputs) or not seeds:
        raise ValueError(
            f"train_ensemble_to_files needs one output per seed; got {len(seeds)} seeds "
            f"and {len(outputs)} outputs"
        )
    torch.set_num_threads(max(1, threads))
    resolved = pick_device(device)
    true_system, data, annotation = read_training_inputs(train_data, sai, system, expect)
    checkpoints = None
    if checkpoint is not None:
        job = checkpoint_key(
            learner, entry, hyperparameters, list(seeds), resolved, [train_data, sai]
        )
        checkpoints = Checkpointer.from_config(checkpoint, job)
        checkpoints.remove_stale()
    trained = train_ensemble(
        learner,
        hyperparameters,
        data,
        annotation,
        seeds,
        progress,
        entry,
        device=resolved,
        checkpoints=checkpoints,
        system=true_system,
    )
    written: list[Path] = []
    try:
        for i, ((method, history), seed, output) in enumerate(
            zip(trained, seeds, outputs, strict=True)
        ):
            log.info(
                "%s, run %d (seed %d): final loss %.4e after %d epochs (%.1f s); %s",
                entry or learner,
                i,
                seed,
                history["loss"][-1],
                len(history["loss"]),
                sum(history["seconds"]),
                history["stop_reason"],
            )
            written.append(
                save_model(
                    output,
                    method,
                    history,
                    true_system.name,
                    seed,
                    entry=entry,
                    run={"seed": str(i)},
                )
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if checkpoints is not None:
        checkpoints.remove()
