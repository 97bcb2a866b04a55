"""Resumable training: checkpoints keyed by a hash of the job's parameters.

A training job that is killed (a cluster's time limit, a pre-empted node, Ctrl-C) and
run again continues from its last checkpoint instead of epoch 0, and ends with the same
weights and history as a run that was never interrupted. A checkpoint holds everything
the epoch loop of :func:`hampipe.training.loop.fit` carries from one epoch to the next:
model, optimiser and learning-rate-scheduler states, the batch-order generator, the
global torch RNG (and the CUDA one on a GPU), the epochs done, the history so far and
the early-stopping state (best validation epoch and its weights).

Its file name is a key (:func:`checkpoint_key`) hashing everything the run's result
depends on: learner, ``methods`` entry, hyperparameters, seed, device and the SHA-256 of
every input file. A checkpoint of another key (a changed config or input) is never
used: it is deleted when a run starts in the same directory.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from hampipe.core.files import TMP_SUFFIX, atomic_write
from hampipe.core.provenance import __version__, file_checksum
from hampipe.training.stopping import EarlyStopping

log = logging.getLogger(__name__)

#: The ``format`` entry of a checkpoint file; files of another format are ignored.
RESUME_FORMAT = "hampipe-resume-1"
#: What a checkpoint of a single run (:meth:`Checkpointer.save`) holds besides its epoch.
SINGLE_RUN = frozenset({"model", "optimizer", "scheduler", "generator", "rng", "history"})
#: Hex digits of the SHA-256 kept in a key (64 bits: no collision among a job's runs).
KEY_LENGTH = 16


def checkpoint_key(
    learner: str,
    entry: str | None,
    hyperparameters: Mapping[str, Any],
    seed: int | Sequence[int],
    device: str | torch.device,
    inputs: Sequence[str | os.PathLike | None],
) -> str:
    """The key naming a training job's checkpoints: a hash of all its result depends on.

    The SHA-256 of the canonical JSON (sorted keys, no spaces) of the learner, the
    ``methods`` config ``entry`` (the learner when ``None``), the ``hyperparameters``, the
    ``seed``, the resolved ``device`` (``cpu``, ``cuda``), the SHA-256 of each input
    file (``None`` for an absent one, e.g. no SAI file) and the hampipe and torch
    versions, cut to :data:`KEY_LENGTH` hex digits.

    Parameters
    ----------
    learner
        The ``METHODS`` entry that trains (``hnn``, ``sann``, ...).
    entry
        The ``methods`` config entry (a variant's own name), or ``None``.
    hyperparameters
        The resolved settings of the run; values JSON cannot hold are keyed by ``str``.
    seed
        The run's seed; for an ensemble job, the seeds of its members in order (hashed
        as a field ``seeds`` instead of ``seed``, so no ensemble shares a single run's
        key).
    device
        Where the run trains; ``auto`` should be resolved first, since CPU and GPU runs
        differ in their last bits.
    inputs
        The input files in a fixed order (training split, SAI file or ``None``).

    Returns
    -------
    str
        :data:`KEY_LENGTH` lowercase hex digits.
    """
    fields = {
        "learner": learner,
        "name": entry or learner,  # the field's name predates the word "entry"
        "hyperparameters": dict(hyperparameters),
        **(
            {"seeds": [int(s) for s in seed]} if isinstance(seed, Sequence) else {"seed": int(seed)}
        ),
        "device": str(device),
        "inputs": [None if path is None else file_checksum(path) for path in inputs],
        "hampipe_version": __version__,
        "torch_version": torch.__version__,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def _rng_states(device: torch.device) -> dict[str, torch.Tensor]:
    """The global RNG states a training run on ``device`` may draw from."""
    states = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _set_rng_states(states: Mapping[str, torch.Tensor], device: torch.device) -> None:
    torch.set_rng_state(states["torch"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(states["cuda"], device)


@dataclass(frozen=True)
class Checkpointer:
    """Save and restore the training state of one job in ``directory/<key>.pt``.

    :func:`~hampipe.training.loop.fit` calls :meth:`restore` before its first epoch and
    :meth:`save` after each; ``train_to_file`` calls :meth:`remove_stale` before
    training and :meth:`remove` once the model file is written.

    Attributes
    ----------
    directory
        The job's checkpoint directory (``results/checkpoints/{system}/{method}/seed{i}``).
    key
        :func:`checkpoint_key` of the job.
    every
        Save after every ``every``-th epoch; 0 never saves (a checkpoint of this key left
        by an earlier run is still resumed: it is a prefix of this very run).
    """

    directory: Path
    key: str
    every: int

    def __post_init__(self) -> None:
        every = self.every
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ValueError(f"checkpoint_every must be a non-negative integer, got {every!r}")
        object.__setattr__(self, "directory", Path(self.directory))

    @classmethod
    def from_config(cls, config: Mapping[str, Any], key: str) -> Checkpointer:
        """From the workflow's ``checkpoint`` param: ``{"directory": ..., "every": ...}``.

        Raises ``ValueError`` naming the missing entry or the ``checkpoint_every`` key.
        """
        missing = [k for k in ("directory", "every") if k not in config]
        if missing:
            raise ValueError(
                f"checkpoint: missing {', '.join(missing)} (expected a mapping with "
                f"'directory' and 'every', got {dict(config)!r})"
            )
        return cls(Path(config["directory"]), key, config["every"])

    @property
    def path(self) -> Path:
        """``directory/<key>.pt``, this job's checkpoint file."""
        return self.directory / f"{self.key}.pt"

    def due(self, epochs_done: int, epochs: int) -> bool:
        """Whether to save after ``epochs_done`` of ``epochs`` epochs.

        Never after the last epoch: its state goes straight into the model file.
        """
        return self.every > 0 and epochs_done % self.every == 0 and epochs_done < epochs

    def remove_stale(self) -> list[Path]:
        """Delete the directory's checkpoints of other keys and left-over temp files.

        Returns the deleted paths (each one is logged).
        """
        if not self.directory.is_dir():
            return []
        stale = [
            path
            for path in sorted(self.directory.iterdir())
            if path.is_file()
            and (
                (path.suffix == ".pt" and path != self.path)
                or (path.name.startswith(".") and path.name.endswith(TMP_SUFFIX))
            )
        ]
        for path in stale:
            log.info("removing stale checkpoint %s (parameters or inputs changed)", path)
            path.unlink(missing_ok=True)
        return stale

    def remove(self) -> None:
        """Delete this job's checkpoint file, and its directory if that is left empty."""
        if self.path.exists():
            log.info("removing checkpoint %s (model file written)", self.path)
            self.path.unlink(missing_ok=True)
        try:
            self.directory.rmdir()
        except OSError:  # absent or not empty: another job's files stay
            pass

    def save(
        self,
        epochs_done: int,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None,
        generator: torch.Generator,
        history: Mapping[str, list[float]],
        device: torch.device,
        stopping: EarlyStopping | None = None,
    ) -> Path:
        """Write the state after ``epochs_done`` epochs to :attr:`path`, atomically.

        The file is written to a temp file in the same directory, synced, then moved
        over :attr:`path` with ``os.replace`` (:func:`hampipe.core.files.atomic_write`):
        a kill at any moment leaves either the previous checkpoint or the new one, never
        a truncated file, and a full disk raises
        :class:`~hampipe.core.files.DiskFullError` naming the file. It holds tensors and
        built-in types only, so :meth:`load` reads it with ``weights_only=True``.
        """
        return self.save_state(
            epochs_done,
            {
                "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "generator": generator.get_state(),
                "rng": _rng_states(device),
                "history": {k: list(v) for k, v in history.items()},
                "stopping": stopping.state_dict() if stopping is not None else None,
            },
        )

    def save_state(self, epochs_done: int, state: Mapping[str, Any]) -> Path:
        """Write ``state`` (tensors and built-in types) after ``epochs_done`` epochs to
        :attr:`path`, atomically, as :meth:`save` does: the training state of a job
        whose loop is not :func:`~hampipe.training.loop.fit`'s (an ensemble's)."""
        payload = {
            "format": RESUME_FORMAT,
            "key": self.key,
            "epoch": int(epochs_done),
            **state,
            "hampipe_version": __version__,
        }
        with atomic_write(self.path, sync=True) as tmp:
            torch.save(payload, tmp)
        return self.path

    def load(self, required: frozenset[str] = SINGLE_RUN) -> dict[str, Any] | None:
        """The checkpoint of this key, or ``None`` when there is none or it is unusable.

        An unreadable file (foreign, or not of :data:`RESUME_FORMAT` and this key, or
        lacking an entry of ``required``) is logged as a warning and ignored; the next
        :meth:`save` replaces it.
        """
        if not self.path.is_file():
            return None
        try:
            payload = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises several types for a foreign file
            log.warning(
                "ignoring unreadable checkpoint %s (%s: %s); training from epoch 0",
                self.path,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )
            return None
        if (
            not isinstance(payload, dict)
            or payload.get("format") != RESUME_FORMAT
            or payload.get("key") != self.key
            or not {"epoch", *required} <= payload.keys()
        ):
            log.warning(
                "ignoring checkpoint %s: not a %s file of key %s; training from epoch 0",
                self.path,
                RESUME_FORMAT,
                self.key,
            )
            return None
        return payload

    def restore(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None,
        generator: torch.Generator,
        epochs: int,
        device: torch.device,
        stopping: EarlyStopping | None = None,
    ) -> tuple[int, dict[str, list[float]]] | None:
        """Load this job's checkpoint into the training state, if there is a usable one.

        Returns the epochs done and the history so far, or ``None`` (nothing touched)
        when there is no checkpoint or it cannot be applied; such a file is logged as a
        warning. The objects must be freshly built as for epoch 0, with ``model`` on
        ``device``; ``stopping``, if given, gets the checkpoint's early-stopping state.
        """
        payload = self.load()
        if payload is None:
            return None
        epoch = payload["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= epochs:
            log.warning("ignoring checkpoint %s: epoch %r of %d", self.path, epoch, epochs)
            return None
        # to roll back to if the file does not fit (state_dict()s share the live tensors)
        before = copy.deepcopy(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "generator": generator.get_state(),
                "rng": _rng_states(device),
                "stopping": stopping.state_dict() if stopping is not None else None,
            }
        )
        try:
            self._apply(payload, model, optimizer, scheduler, generator, device, stopping)
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as error:
            self._apply(before, model, optimizer, scheduler, generator, device, stopping)
            log.warning(
                "ignoring checkpoint %s: it does not fit this run (%s: %s); training from epoch 0",
                self.path,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )
            return None
        log.info("resuming from epoch %d of %d: %s", epoch, epochs, self.path)
        return epoch, {k: list(v) for k, v in payload["history"].items()}

    @staticmethod
    def _apply(
        state: Mapping[str, Any],
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None,
        generator: torch.Generator,
        device: torch.device,
        stopping: EarlyStopping | None = None,
    ) -> None:
        if stopping is not None and stopping.enabled:
            if state.get("stopping") is None:
                raise KeyError("no early-stopping state for a run with patience")
            stopping.load_state_dict(state["stopping"])
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        _set_rng_states(state["rng"], device)
