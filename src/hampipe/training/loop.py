"""The training loop: Adam with cosine learning-rate decay, checkpoints, loading."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import xarray as xr
from tqdm.auto import tqdm

from hampipe.core.provenance import __version__
from hampipe.models import METHODS, SeparableHamiltonian
from hampipe.models.base import Method
from hampipe.systems import system_from_attrs

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = "hampipe-model-1"


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def fit(
    method: Method,
    examples: dict[str, torch.Tensor],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: torch.device | None = None,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Minimise ``method.loss`` over shuffled mini-batches of ``examples``.

    Adam (Kingma & Ba 2014) with the learning rate decaying along a cosine from
    ``learning_rate`` to 0 over ``epochs`` (SANN §4.1). Batches are drawn from a
    permutation seeded by ``seed``; a non-finite loss stops training with an error.

    Returns the history: per-epoch mean loss, learning rate and wall seconds.
    """
    device = device or pick_device()
    torch.manual_seed(seed)
    model = method.model.to(device=device, dtype=method.dtype).train()
    data = {k: v.to(device) for k, v in examples.items()}
    n = next(iter(data.values())).shape[0]
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"loss": [], "learning_rate": [], "seconds": []}
    bar = tqdm(range(epochs), desc=f"train {method.name}", disable=not progress)
    for epoch in bar:
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for begin in range(0, n, batch_size):
            idx = order[begin : begin + batch_size]
            loss = method.loss({k: v[idx] for k, v in data.items()})
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"{method.name}: loss became {loss.item()} at epoch {epoch}; "
                    "lower methods.<method>.learning_rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * idx.numel()
        history["learning_rate"].append(scheduler.get_last_lr()[0])
        scheduler.step()
        history["loss"].append(total / n)
        history["seconds"].append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{history['loss'][-1]:.3e}")
        if epoch % max(1, epochs // 20) == 0 or epoch == epochs - 1:
            log.info("epoch %d/%d loss %.4e", epoch + 1, epochs, history["loss"][-1])
    model.eval()
    return history


def train(
    method_name: str,
    hyperparameters: Mapping[str, Any],
    train_data: xr.Dataset,
    sai: xr.Dataset | None,
    seed: int,
    progress: bool = True,
) -> tuple[Method, dict[str, Any]]:
    """Build the method's model for ``train_data`` and train it; return it and its history."""
    method_cls = METHODS.get_class(method_name)
    system = system_from_attrs(train_data.attrs)
    torch.manual_seed(seed)
    method = method_cls.build(hyperparameters, system, train_data)
    examples = method.examples(train_data, sai)
    device = pick_device()
    log.info(
        "%s on %s: %d examples, device %s",
        method_name,
        system.name,
        next(iter(examples.values())).shape[0],
        device,
    )
    history = fit(
        method,
        examples,
        hyperparameters["epochs"],
        hyperparameters["batch_size"],
        hyperparameters["learning_rate"],
        seed,
        device,
        progress,
    )
    history.update(device=str(device), examples=int(next(iter(examples.values())).shape[0]))
    return method, history


def save_model(
    path: str | os.PathLike,
    method: Method,
    history: Mapping[str, Any],
    system: str,
    seed: int,
) -> Path:
    """Save a trained model with its config and history, atomically.

    The file is a plain dict of tensors and built-in types, loadable with
    ``torch.load(path, weights_only=True)`` and by :func:`load_model`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "method": method.name,
        "system": system,
        "seed": seed,
        "hyperparameters": method.hyperparameters,
        "model_config": method.model.config,
        "state_dict": {k: v.detach().cpu() for k, v in method.model.state_dict().items()},
        "history": dict(history),
        "hampipe_version": __version__,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a model file written by :func:`save_model` (safely: ``weights_only=True``)."""
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a hampipe model file ({CHECKPOINT_FORMAT})")
    return payload


def load_model(path: str | os.PathLike, dtype: torch.dtype = torch.float64) -> SeparableHamiltonian:
    """Load a trained H_θ from ``results/models/{system}/{method}.pt``, in eval mode.

    The checkpoint's metadata (method, hyperparameters, history) is attached as
    ``model.checkpoint`` (without the weights).
    """
    payload = load_checkpoint(path)
    model = SeparableHamiltonian(**payload["model_config"])
    model.load_state_dict(payload["state_dict"])
    model.checkpoint = {k: v for k, v in payload.items() if k != "state_dict"}
    return model.to(dtype).eval()


def train_to_file(
    method: str,
    hyperparameters: Mapping[str, Any],
    train_data: str,
    sai: str | None,
    seed: int,
    output: str,
    threads: int = 1,
    progress: bool = True,
) -> None:
    """The ``train`` stage: train ``method`` on a split file and save the model file."""
    from hampipe.data.io import read_dataset

    torch.set_num_threads(max(1, threads))
    data = read_dataset(train_data)
    annotation = read_dataset(sai) if sai else None
    trained, history = train(method, hyperparameters, data, annotation, seed, progress)
    log.info(
        "%s: final loss %.4e after %d epochs (%.1f s)",
        method,
        history["loss"][-1],
        len(history["loss"]),
        sum(history["seconds"]),
    )
    save_model(output, trained, history, data.attrs["system"], seed)
