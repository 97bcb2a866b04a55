"""The training loop: Adam with cosine learning-rate decay, validation, one run per seed."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr
from tqdm.auto import tqdm

from hampipe.models import METHODS
from hampipe.models.method import Batch, Method
from hampipe.training.checkpoint import save_model
from hampipe.training.observations import add_noise, observed_annotation, split_validation

log = logging.getLogger(__name__)


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def _mean_loss(method: Method, data: Batch, batch_size: int) -> float:
    """The loss averaged over all examples, without gradients (validation)."""
    n = next(iter(data.values())).shape[0]
    total = 0.0
    with torch.no_grad():
        for begin in range(0, n, batch_size):
            batch = {k: v[begin : begin + batch_size] for k, v in data.items()}
            total += method.loss(batch).item() * next(iter(batch.values())).shape[0]
    return total / n


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
) -> dict[str, list[float]]:
    """Minimise ``method.loss`` over shuffled mini-batches of ``examples``.

    Adam (Kingma & Ba 2014) with the learning rate decaying along a cosine from
    ``learning_rate`` to 0 over ``epochs`` (SANN §4.1). Batches are drawn from a
    permutation seeded by ``seed``; a non-finite loss stops training with an error
    naming the config ``key`` of the method (``methods.<name>``).
    After each epoch the loss on the ``validation`` examples (if any) is recorded.

    Returns the history: per-epoch mean loss, validation loss, learning rate and wall
    seconds.
    """
    device = device or pick_device()
    torch.manual_seed(seed)
    model = method.model.to(device=device, dtype=method.dtype).train()
    data = {k: v.to(device) for k, v in examples.items()}
    held_out = {k: v.to(device) for k, v in (validation or {}).items()}
    n = next(iter(data.values())).shape[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {
        "loss": [],
        "validation_loss": [],
        "learning_rate": [],
        "seconds": [],
    }
    # a bar on a terminal only (disable=None); logs get a line every 5 % of the epochs
    bar = tqdm(range(epochs), desc=f"train {method.name}", disable=None if progress else True)
    for epoch in bar:
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for begin in range(0, n, batch_size):
            idx = order[begin : begin + batch_size]
            loss = method.loss({k: v[idx] for k, v in data.items()})
            if not torch.isfinite(loss):
                where = key or f"methods.{method.name}"
                raise FloatingPointError(
                    f"{where}: loss became {loss.item()} at epoch {epoch}; "
                    f"lower {where}.learning_rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * idx.numel()
        history["learning_rate"].append(scheduler.get_last_lr()[0])
        scheduler.step()
        history["loss"].append(total / n)
        if held_out:
            history["validation_loss"].append(_mean_loss(method, held_out, batch_size))
        history["seconds"].append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{history['loss'][-1]:.3e}")
        if epoch % max(1, epochs // 20) == 0 or epoch == epochs - 1:
            val = history["validation_loss"][-1] if held_out else float("nan")
            log.info(
                "epoch %d/%d loss %.4e validation %.4e", epoch + 1, epochs, history["loss"][-1], val
            )
    model.eval()
    return history


def train(
    method_name: str,
    hyperparameters: Mapping[str, Any],
    train_data: xr.Dataset,
    sai: xr.Dataset | None,
    seed: int,
    progress: bool = True,
    name: str | None = None,
) -> tuple[Method, dict[str, Any]]:
    """One training run: observations, validation split, model, examples, fit.

    ``method_name`` is a ``METHODS`` entry and ``hyperparameters`` its settings, already
    resolved for the system (variants and per-system overrides merged); ``name`` is the
    config entry, used in messages. From one ``seed`` the run draws the observation
    noise (``noise``), the validation trajectories (``validation``), the initial weights
    and the batch order, each from its own stream: runs of different methods with the
    same seed share the noise, the split and the batches, whatever their noise level.
    """
    h = dict(hyperparameters)
    key = f"methods.{name or method_name}"
    method_cls = METHODS.get_class(method_name)
    # one generator per purpose, so the noise level does not move the validation split
    noise_rng, split_rng = (np.random.default_rng([seed, k]) for k in (0, 1))
    observed = add_noise(train_data, h.get("noise", 0.0), noise_rng)
    annotation = observed_annotation(observed, sai, h.get("noise", 0.0))
    fit_idx, val_idx = split_validation(
        observed, h.get("validation", 0.0), split_rng, key=f"{key}.validation"
    )
    parts = {"train": fit_idx, "validation": val_idx}
    subsets = {k: observed.isel(trajectory=v) for k, v in parts.items()}
    sai_subsets = {
        k: (annotation.isel(trajectory=v) if annotation is not None else None)
        for k, v in parts.items()
    }
    torch.manual_seed(seed)
    method = method_cls.build(h, subsets["train"])
    examples = method.examples(subsets["train"], sai_subsets["train"])
    validation = (
        method.examples(subsets["validation"], sai_subsets["validation"]) if val_idx.size else None
    )
    device = pick_device(h.get("device", "auto"))
    log.info(
        "%s (%s model) on %s: %d examples from %d trajectories, %d held out, device %s",
        method_name,
        method.model.name,
        train_data.attrs.get("system", "?"),
        next(iter(examples.values())).shape[0],
        fit_idx.size,
        val_idx.size,
        device,
    )
    history = fit(
        method,
        examples,
        h["epochs"],
        h["batch_size"],
        h["learning_rate"],
        seed,
        device,
        progress,
        validation,
        key=key,
    )
    history.update(
        device=str(device),
        examples=int(next(iter(examples.values())).shape[0]),
        train_trajectories=fit_idx.tolist(),
        validation_trajectories=val_idx.tolist(),
    )
    return method, history


def train_to_file(
    method: str,
    hyperparameters: Mapping[str, Any],
    train_data: str,
    sai: str | None,
    seed: int,
    output: str,
    name: str | None = None,
    threads: int = 1,
    progress: bool = True,
) -> None:
    """The ``train`` stage: train ``method`` on a split file and save the model file.

    ``name`` is the ``methods`` entry (a variant's own name), stored in the file.
    """
    from hampipe.data.io import read_dataset

    torch.set_num_threads(max(1, threads))
    data = read_dataset(train_data, "data")
    annotation = read_dataset(sai, "sai") if sai else None
    trained, history = train(method, hyperparameters, data, annotation, seed, progress, name)
    log.info(
        "%s: final loss %.4e after %d epochs (%.1f s)",
        name or method,
        history["loss"][-1],
        len(history["loss"]),
        sum(history["seconds"]),
    )
    save_model(output, trained, history, data.attrs["system"], seed, name=name)
