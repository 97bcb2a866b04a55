"""Model files: save a trained model atomically, load any model type without the workflow.

A model file is a plain dict of tensors and built-in types (``torch.load(path,
weights_only=True)`` reads it); :data:`MODEL_FORMAT` names its layout and
:func:`read_model_file` refuses files of any format not in :data:`READABLE_FORMATS`.
Resumable training state is another kind of file, kept by :mod:`hampipe.training.resume`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from hampipe.core.files import atomic_write
from hampipe.core.provenance import __version__, provenance
from hampipe.data.io import IDENTITY_KEYS, REMAKE, InputFileError, check_identity
from hampipe.models.method import Method
from hampipe.models.model import Model
from hampipe.models.registry import MODELS
from hampipe.plan.learners import JOB_SETTINGS, LEARNERS

if TYPE_CHECKING:
    from hampipe.systems import HamiltonianSystem

#: The ``format`` entry of the model files this version writes.
MODEL_FORMAT = "hampipe-model-2"
#: Formats this version reads; files of format 1 hold a separable model.
READABLE_FORMATS = ("hampipe-model-1", MODEL_FORMAT)
#: Scales that format-1 files predate; they keep their neutral values.
_SCALE_BUFFERS = {"q_shift", "p_shift", "velocity_scale", "force_scale", "time_scale"}


#: ``stopped`` of a run that trained its fixed epochs, or hit its cap without converging.
STOPPED_AT_CAP = "epochs"
#: ``stopped`` of a run stopped early because its validation loss stopped improving.
STOPPED_CONVERGED = "converged"


def fixed_epochs_reason(epochs: int) -> str:
    """The ``stop_reason`` of a run without early stopping."""
    return f"trained the fixed {epochs} epochs (no early stopping)"


def training_end(history: Mapping[str, Any]) -> dict[str, Any]:
    """How a model's training ended, from its file's ``history``.

    ``epochs_run``, ``best_epoch`` (the epoch whose weights the file holds), ``stopped``
    (:data:`STOPPED_CONVERGED` or :data:`STOPPED_AT_CAP`) and ``stop_reason`` (a
    sentence); see :class:`hampipe.training.stopping.EarlyStopping`. A file written
    before early stopping existed trained its fixed epochs, and says so.
    """
    epochs = len(history.get("loss") or [])
    return {
        "epochs_run": int(history.get("epochs_run", epochs)),
        "best_epoch": int(history.get("best_epoch", epochs)),
        "stopped": str(history.get("stopped", STOPPED_AT_CAP)),
        "stop_reason": str(history.get("stop_reason", fixed_epochs_reason(epochs))),
    }


def save_model(
    path: str | os.PathLike,
    method: Method,
    history: Mapping[str, Any],
    system: str,
    seed: int,
    entry: str | None = None,
    run: Mapping[str, str] | None = None,
) -> Path:
    """Save a trained model with its type, config and history, atomically.

    ``entry`` is the ``methods`` config entry (e.g. a variant such as ``sann_k4``; stored
    as ``"method"``, the ``{method}`` wildcard), ``"learner"`` the method class it runs.
    The file is a plain dict of tensors and built-in types, loadable with
    ``torch.load(path, weights_only=True)`` and by :func:`load_model`; its
    ``"provenance"`` entry is the job's record (:func:`hampipe.core.provenance.provenance`:
    version, git commit, rule, params hash, input checksums), printed by
    ``hampipe provenance FILE``. Written through
    :func:`hampipe.core.files.atomic_write`: a failed write leaves any previous file, and
    a full disk (which torch reports as ``unexpected pos``) raises
    :class:`~hampipe.core.files.DiskFullError` naming ``path``.

    ``run``: wildcards that this file's run adds to its job's in the provenance record
    (an ensemble job's member index, ``{"seed": "3"}``), so the file records the run as
    a job of its own would; ignored outside a workflow job (no wildcards recorded).
    """
    path = Path(path)
    record = provenance()
    if run and "wildcards" in record:
        record["wildcards"] = {**record["wildcards"], **{str(k): str(v) for k, v in run.items()}}
    payload = {
        "format": MODEL_FORMAT,
        "method": entry or method.name,
        "learner": method.name,
        "model": method.model.name,
        "system": system,
        "seed": seed,
        "hyperparameters": method.hyperparameters,
        "model_config": method.model.config,
        "state_dict": {k: v.detach().cpu() for k, v in method.model.state_dict().items()},
        "history": dict(history),
        "hampipe_version": __version__,
        "provenance": record,
    }
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)
    return path


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """The payload of a model file written by :func:`save_model` (``weights_only=True``).

    Raises ``FileNotFoundError`` for a missing file and
    :class:`~hampipe.data.io.InputFileError`, naming the file, for a truncated or
    foreign one or an unknown format.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a truncated/foreign file
        raise InputFileError(
            f"{path}: not a readable model file (truncated, or another format?): "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") not in READABLE_FORMATS:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise InputFileError(
            f"{path}: not a hampipe model file: format {found!r}, readable: "
            f"{', '.join(READABLE_FORMATS)} (retrain it with the workflow)"
        )
    missing = [k for k in ("state_dict", "model_config") if k not in payload]
    if missing:
        raise InputFileError(f"{path}: model file lacks {', '.join(missing)}")
    return payload


def recorded_run(payload: Mapping[str, Any]) -> dict[str, str]:
    """What a model file says of the training job that wrote it: the ``system`` and
    ``seed`` wildcards of its provenance record (none for a file saved outside a job) and
    its ``method`` entry."""
    record = payload.get("provenance")
    wildcards = record.get("wildcards") if isinstance(record, Mapping) else None
    found = {str(k): str(v) for k, v in dict(wildcards or {}).items() if k in IDENTITY_KEYS}
    if "method" in payload:
        found["method"] = str(payload["method"])
    return found


def training_settings(learner: str, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """A run's training settings with its learner's declared defaults filled in and the
    ``prediction`` block and job settings (``ensemble``, which no model file records)
    left out: equal for two entries exactly when they share one training job
    (:meth:`hampipe.plan.Plan.trained_as`) or differ only in how their jobs run."""
    spec = LEARNERS.get(learner)
    filled = {**(spec.defaults() if spec is not None else {}), **dict(hyperparameters)}
    for key in ("prediction", *JOB_SETTINGS):
        filled.pop(key, None)
    return filled


def check_model(
    payload: Mapping[str, Any],
    source: str | os.PathLike,
    expect: Mapping[str, Any] | None = None,
    system: HamiltonianSystem | None = None,
) -> None:
    """Raise unless a model file holds the run a job asked for.

    ``system``: the file's ``system`` must be the job's true system's name. ``expect``:
    the job's ``system``, ``method`` and ``seed`` wildcards, compared with
    :func:`recorded_run` (:func:`~hampipe.data.io.check_identity`), and the ``learner``
    and ``hyperparameters`` of its entry, compared with the file's
    (:func:`training_settings`). An entry that trains as another (identical settings,
    :meth:`hampipe.plan.Plan.trained_as`) reads that entry's file: its method may then
    differ, its learner and settings may not.

    Raises
    ------
    InputFileError
        Naming ``source`` and both the file's and the job's values.
    """
    found = payload.get("system")
    if system is not None and found is not None and found != system.name:
        raise InputFileError(
            f"{source}: trained on system {found!r}, but this job's system is "
            f"{system.name!r}: a file of another run is in its place; {REMAKE}"
        )
    if expect is None:
        return
    expect = dict(expect)
    learner, settings = expect.get("learner"), expect.get("hyperparameters")
    learner_found = payload.get("learner")
    settings_found = payload.get("hyperparameters")
    same_training = (
        learner is not None
        and settings is not None
        and learner == learner_found
        and isinstance(settings_found, Mapping)
        and training_settings(learner, settings) == training_settings(learner, settings_found)
    )
    if same_training:
        expect.pop("method", None)  # an identical entry's model: shared on purpose
    check_identity(recorded_run(payload), expect, source)
    if learner is not None and learner_found is not None and learner != learner_found:
        raise InputFileError(
            f"{source}: trained by learner {learner_found!r}, but this job's entry trains "
            f"learner {learner!r}: a file of another run is in its place; {REMAKE}"
        )
    if settings is not None and isinstance(settings_found, Mapping) and not same_training:
        ours = training_settings(learner or str(learner_found), settings)
        theirs = training_settings(learner or str(learner_found), settings_found)
        differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        shown = "; ".join(f"{k} {theirs.get(k)!r} (file) vs {ours.get(k)!r} (job)" for k in differ)
        raise InputFileError(
            f"{source}: trained with other settings than this job's entry: {shown}: a stale "
            f"model file; {REMAKE}"
        )


def check_weights(state: Mapping[str, torch.Tensor], source: str | os.PathLike) -> None:
    """Raise unless every floating-point tensor of a model file's ``state_dict`` is finite.

    Raises
    ------
    InputFileError
        Naming ``source``, the first parameter or buffer holding NaN or inf, the value
        and how many of its values are not finite.
    """
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor) or not tensor.is_floating_point():
            continue
        bad = ~torch.isfinite(tensor)
        if bad.any():
            value = tensor[bad].flatten()[0].item()
            raise InputFileError(
                f"{source}: model parameter {name!r} holds {value} ({int(bad.sum())} of "
                f"{tensor.numel()} values not finite): the file is damaged or was edited; "
                f"{REMAKE}"
            )


def load_model(
    path: str | os.PathLike,
    dtype: torch.dtype = torch.float64,
    *,
    system: HamiltonianSystem | None = None,
    expect: Mapping[str, Any] | None = None,
) -> Model:
    """Load a trained model (any type in ``MODELS``) from a model file, in eval mode.

    The file's metadata (method, model type, hyperparameters, history) is attached as
    ``model.checkpoint`` (without the weights). A file whose weights hold NaN or inf is
    refused (:func:`check_weights`), and with ``system`` or ``expect`` one of another
    run (:func:`check_model`), each with an :class:`~hampipe.data.io.InputFileError`
    naming the file.
    """
    payload = read_model_file(path)
    check_model(payload, path, expect, system)
    check_weights(payload["state_dict"], path)
    model_cls = MODELS.get_class(payload.get("model", "separable"))
    config = dict(payload["model_config"])
    if "output_bias" in model_cls.spec.arguments:
        # files written before output_bias was a setting all had the bias
        config.setdefault("output_bias", True)
    # in the target dtype first, so that float64 weights are not rounded on the way in
    model = model_cls(config.pop("dof"), **config).to(dtype)
    state = payload["state_dict"]
    exempt: set[str] = set()
    if payload["format"] == "hampipe-model-1":  # the pair incidence moved into `features`
        state = {("features." + k if k == "incidence" else k): v for k, v in state.items()}
        exempt = _SCALE_BUFFERS
    missing = set(model.state_dict()) - set(state) - exempt
    if missing:
        raise ValueError(f"{path}: model file lacks {sorted(missing)}")
    model.load_state_dict(state, strict=False)
    model.checkpoint = {k: v for k, v in payload.items() if k != "state_dict"}
    return model.eval()


__all__ = [
    "MODEL_FORMAT",
    "READABLE_FORMATS",
    "check_model",
    "check_weights",
    "load_model",
    "read_model_file",
    "save_model",
]
