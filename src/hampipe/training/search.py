"""Grid search of SANN's partitions (S_nonstiff, S_stiff) by short training runs.

SANN paper, App. G: "we perform the grid search for the pairs of parameters ... We use
the validation loss as a proxy of the final performance. In particular, we first conduct
10-epoch training and sort the pairs of parameters based on the validation loss. Then,
we choose the parameters with the smallest validation loss."
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.core.provenance import __version__
from hampipe.models.device import pick_device
from hampipe.plan.checks import partition_pairs
from hampipe.plan.learners import LEARNERS
from hampipe.training.loop import train

log = logging.getLogger(__name__)


def partition_search(
    learner: str,
    hyperparameters: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset | None,
    pairs: Iterable[tuple[int, int]],
    epochs: int,
    seed: int,
    entry: str | None = None,
    device: str | torch.device = "auto",
) -> xr.Dataset:
    """Train ``learner`` for ``epochs`` with each partition pair; rank by validation loss.

    Every run starts from the same seed (same initial weights, split and batches), so
    pairs differ only in their partitions. Returns a dataset over ``pair`` with
    ``nonstiff``, ``stiff``, ``validation_loss`` (after the last epoch),
    ``train_loss``, ``seconds`` and ``rank`` (1 = smallest validation loss), and the
    chosen pair in the attrs. ``device`` is the config key ``device`` (``auto``,
    ``cpu``, ``cuda``). Raises ``ValueError`` naming the key when the settings hold out
    no validation trajectories or take no partitions, or the device is unavailable.
    """
    key = f"methods.{entry or learner}"
    settings = LEARNERS[learner].settings.fill(hyperparameters, key)
    if not settings["validation"]:
        raise ValueError(
            f"{key}.validation: the partition search ranks pairs by the validation loss; "
            "hold out a fraction of the training trajectories (e.g. 0.1)"
        )
    if "partitions" not in settings:
        raise ValueError(f"{key}: {learner!r} takes no partitions (S_nonstiff, S_stiff)")
    pairs = list(pairs)
    if not pairs:
        raise ValueError(f"{key}: no (nonstiff, stiff) pairs to search")
    device = pick_device(device)
    records = []
    for n, s in pairs:
        h = {**hyperparameters, "partitions": {"nonstiff": n, "stiff": s}, "epochs": epochs}
        _, history = train(learner, h, data, sai, seed, progress=False, entry=entry, device=device)
        records.append(
            (history["validation_loss"][-1], history["loss"][-1], sum(history["seconds"]))
        )
        log.info("S = %d/%d: validation loss %.4e", n, s, records[-1][0])
    validation, loss, seconds = (
        np.array(column, dtype=np.float64) for column in zip(*records, strict=True)
    )
    order = np.argsort(np.where(np.isfinite(validation), validation, np.inf), kind="stable")
    rank = np.empty(len(pairs), dtype=np.int64)
    rank[order] = np.arange(1, len(pairs) + 1)
    best = pairs[int(order[0])]
    dims = ("pair",)
    return xr.Dataset(
        {
            "nonstiff": (
                dims,
                [n for n, _ in pairs],
                {"long_name": "sub-steps per nonstiff interval"},
            ),
            "stiff": (dims, [s for _, s in pairs], {"long_name": "sub-steps per stiff interval"}),
            "validation_loss": (
                dims,
                validation,
                {"units": "1", "long_name": "validation loss after the last epoch"},
            ),
            "train_loss": (
                dims,
                loss,
                {"units": "1", "long_name": "mean training loss of the last epoch"},
            ),
            "seconds": (dims, seconds, {"units": "s", "long_name": "training wall time"}),
            "rank": (dims, rank, {"long_name": "rank by validation loss (1 = chosen)"}),
        },  # fmt: skip
        coords={"pair": np.arange(len(pairs))},
        attrs={
            "Conventions": "CF-1.10",
            "system": str(data.attrs.get("system", "")),
            "method": entry or learner,
            "epochs": int(epochs),
            "seed": int(seed),
            "chosen_nonstiff": best[0],
            "chosen_stiff": best[1],
            "hyperparameters": json.dumps(dict(hyperparameters), sort_keys=True, default=str),
            "hampipe_version": __version__,
        },
    )


def partition_search_file(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: str,
    sai: str | None,
    output: str,
    nonstiff: Iterable[int],
    stiff: Iterable[int],
    epochs: int,
    seed: int,
    entry: str | None = None,
    threads: int = 1,
    device: str = "auto",
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``partition_search`` stage: search a split file's partitions, write ``output``.

    ``device`` is the config key ``device`` (``auto``, ``cpu``, ``cuda``); ``expect`` the
    job's wildcards, which ``train_data`` (a training split) and ``sai`` must have been
    written for (:func:`hampipe.data.io.check_identity`); the other arguments are those
    of :func:`partition_search` and :func:`partition_pairs`.
    """
    from hampipe.data.io import read_dataset, write_dataset

    torch.set_num_threads(max(1, threads))
    wanted = {**(expect or {}), "split": "train"}
    ds = partition_search(
        learner,
        hyperparameters,
        read_dataset(train_data, "data", expect=wanted),
        read_dataset(sai, "sai", expect=wanted) if sai else None,
        partition_pairs(nonstiff, stiff),
        epochs,
        seed,
        entry,
        device,
    )
    log.info("chosen S = %d/%d", ds.attrs["chosen_nonstiff"], ds.attrs["chosen_stiff"])
    write_dataset(ds, output)
