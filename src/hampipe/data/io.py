"""NetCDF input and output with CF-1.10 attributes and provenance, written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from hampipe.core.config import suggest
from hampipe.core.files import atomic_write
from hampipe.core.provenance import __version__, provenance

if TYPE_CHECKING:
    from hampipe.systems import HamiltonianSystem

DEFAULT_ROOT = Path("results")

#: The CF conventions every file follows (``compliance-checker --test cf:1.10``).
CONVENTIONS = "CF-1.10"

#: What the file of each rule holds, for its CF ``title``.
TITLES = {
    "simulate": "ground-truth trajectories",
    "sai": "stiffness-aware index (SAI) and stiffness index (SI) of the training split",
    "evaluate": "rollouts of a learned model from the test split's initial states",
    "probe": "a learned model on a grid beside the true system",
    "partition_search": "SANN partition search",
    "integrator_drift": "energy drift of adaptive integrators",
    "collect": "evaluations collected over methods and seeds",
}

#: ``long_name`` of index coordinates that have none (CF 3.3 recommends one on every
#: variable); other variables without one get their name with spaces.
LONG_NAMES = {
    "trajectory": "trajectory index",
    "time": "time since the trajectory's start",
    "dof": "degree of freedom",
    "interval": "index of the interval from time[i] to time[i + 1]",
    "interval_start": "time at the interval's start",
    "pair": "index of the searched (nonstiff, stiff) pair",
    "epoch": "training epoch index",
    "seed": "training run index",
    "method": "methods entry",
    "rtol": "relative tolerance",
    "atol": "absolute tolerance",
}


def _attr_value(value: Any) -> str | int | float:
    """A provenance value as a NetCDF attribute: dicts and lists as JSON text."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True)
    return value


def _title(ds: xr.Dataset, record: dict[str, Any]) -> str:
    """The CF ``title``: what the file holds (by the rule that wrote it) and of what."""
    rule = record.get("rule") or _rule_of(ds)
    what = TITLES.get(rule, "dataset") if rule else "dataset"
    about = dict(record.get("wildcards") or {})
    if "system" not in about and "system" in ds.attrs:
        about = {"system": str(ds.attrs["system"]), **about}
    details = ", ".join(f"{key} {value}" for key, value in about.items())
    return f"hampipe {what}" + (f" ({details})" if details else "")


def _rule_of(ds: xr.Dataset) -> str | None:
    """The rule whose output ``ds`` looks like (by its variables), outside a job."""
    names = set(ds.data_vars)
    if set(CONTENTS["evaluation"][0]) <= names:
        return "collect" if "method" in ds.dims else "evaluate"
    for kind, rule in (("sai", "sai"), ("search", "partition_search"), ("data", "simulate")):
        if set(CONTENTS[kind][0]) <= names:
            return rule
    return None


def output_attrs(ds: xr.Dataset) -> dict[str, Any]:
    """The global attributes every hampipe NetCDF file gets on top of its own.

    CF-1.10 ``Conventions``, ``title`` (what the file holds, by the rule that wrote it,
    and of which system, split, method, seed), ``history`` (``hampipe <version> rule
    <rule>``: no date, so the same data give the same bytes), ``source`` unless the
    dataset names one, and the provenance record of
    :func:`hampipe.core.provenance.provenance`: ``hampipe_version``, ``git_commit`` (in
    a git checkout), and inside a workflow job ``rule``, ``wildcards`` (JSON),
    ``params_hash`` and ``input_checksums`` (JSON ``{path: "sha256:<hex>"}``).
    """
    record = provenance()
    rule = record.get("rule")
    history = f"hampipe {record['hampipe_version']}" + (f" rule {rule}" if rule else "")
    attrs: dict[str, Any] = {
        "Conventions": CONVENTIONS,
        "hampipe_format": FILE_FORMAT,
        "title": _title(ds, record),
        "history": history,
        "source": ds.attrs.get("source", f"hampipe {__version__}"),
    }
    attrs.update({key: _attr_value(value) for key, value in record.items()})
    return attrs


def _has_missing(variable: xr.Variable) -> bool:
    return variable.dtype.kind in "fc" and bool(np.isnan(variable.values).any())


def _prepare_cf(ds: xr.Dataset) -> None:
    """Make ``ds`` CF-1.10 clean in place (its encoding and variable attributes).

    - No ``_FillValue`` on coordinate variables (CF 2.5.1) nor on variables without
      missing data; floating-point variables holding NaN keep xarray's NaN fill value.
    - A ``long_name`` on every variable without one or a ``standard_name`` (CF 3.3),
      from :data:`LONG_NAMES`.
    - String-valued index coordinates (``dof``, ``method``, ``integrator``) are stored
      as character arrays: CF coordinate variables are numeric and monotonic, while
      a string label variable is an auxiliary coordinate (CF 6.1). xarray reads them
      back as the same strings, still the dimension's index.
    """
    for name, variable in ds.variables.items():
        is_index = name in ds.dims
        if is_index or not _has_missing(variable):
            variable.encoding["_FillValue"] = None
        if "long_name" not in variable.attrs and "standard_name" not in variable.attrs:
            variable.attrs["long_name"] = LONG_NAMES.get(str(name), str(name).replace("_", " "))
        if is_index and variable.dtype.kind in "OUS":
            if all(isinstance(v, str | bytes) for v in variable.values.ravel()):
                variable.encoding["dtype"] = "S1"


def write_dataset(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to NetCDF4 at ``path``, CF-1.10 clean, atomically.

    The one writer of every NetCDF file of the pipeline. ``ds`` gains the global
    attributes of :func:`output_attrs` (CF attributes and the job's provenance) and the
    CF fixes of :func:`_prepare_cf` (``long_name`` where missing, no ``_FillValue`` on
    coordinates), so that the dataset in memory equals the file; every variable and
    attribute it had stays. The file is written to a temporary name and renamed
    (:func:`hampipe.core.files.atomic_write`): a failed write leaves any existing file at
    ``path`` untouched, and a full disk raises
    :class:`~hampipe.core.files.DiskFullError` naming ``path``. It carries no timestamp
    nor host name, so the same dataset (in the same checkout) gives byte-identical
    files.
    """
    path = Path(path)
    _prepare_cf(ds)
    ds.attrs.update(output_attrs(ds))
    with atomic_write(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
    return path


#: What each kind of pipeline file holds at least (docs/contract.md): data variables and
#: attributes that :func:`read_dataset` checks when told the kind.
CONTENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "data": (("q", "p", "energy"), ("system", "parameters", "hampipe_version")),
    "sai": (("sai",), ("system", "hampipe_version")),
    "evaluation": (
        ("q_pred", "p_pred", "mse", "energy_error"),
        ("system", "hampipe_version"),
    ),
    "search": (("nonstiff", "stiff", "validation_loss", "rank"), ("epochs",)),
}


#: The layout version of hampipe's NetCDF files (attr ``hampipe_format``); a reader
#: refuses files of another. Raise it when a variable or attribute a reader relies on
#: changes meaning; files written before it existed carry none and are read as today.
FILE_FORMAT = 1


#: What the message of a refused input tells the user to do: the workflow makes again a
#: file that is missing, not one that is present but wrong.
REMAKE = "delete it and rerun the workflow, which makes it again"


class InputFileError(ValueError):
    """A stage's input file is unreadable or is not the kind of file the stage reads."""


def _json_or_text(text: Any) -> Any:
    """An attribute holding JSON, parsed (its text when it is not JSON)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def check_system(
    attrs: Mapping[str, Any], system: HamiltonianSystem, source: str | os.PathLike
) -> None:
    """Raise unless a file's attrs record ``system``: its name and resolved parameters.

    A stage receives the true system as a param (built by
    :func:`hampipe.systems.system_from_spec`); the attrs ``system`` and ``parameters``
    (JSON) that :func:`hampipe.data.ground_truth.system_attrs` wrote into its input file
    must name the same system with the same parameters (compared as parsed JSON), and a
    user-defined system's ``definition`` must be the same too. The attrs are
    provenance, checked here, never used to rebuild the system.

    Raises
    ------
    InputFileError
        Naming ``source`` (the file) and both the file's and the job's values.
    """
    expected = {"system": system.name, "parameters": json.loads(system.parameters_json())}
    found = {
        "system": attrs.get("system"),
        "parameters": _json_or_text(attrs.get("parameters")),
    }
    definition = system.definition_json()
    if definition is not None or "definition" in attrs:
        expected["definition"] = None if definition is None else json.loads(definition)
        found["definition"] = _json_or_text(attrs.get("definition"))
    if found == expected:
        return

    def describe(values: Mapping[str, Any]) -> str:
        text = f"{values['system']!r} with parameters {json.dumps(values['parameters'])}"
        if "definition" in values:
            text += f" and definition {json.dumps(values['definition'])}"
        return text

    raise InputFileError(
        f"{source}: holds system {describe(found)}, but this job's system is "
        f"{describe(expected)} (from the config's systems.{system.name}): the file is of "
        "another system or stale; rebuild it with the workflow"
    )


#: The variables of each kind of file that must hold finite numbers: a NaN or inf in
#: them is refused where the file is read, not met later as a model's divergence.
FINITE: dict[str, tuple[str, ...]] = {"data": ("q", "p", "energy"), "sai": ("sai", "si")}

#: What a file's record says of the job that wrote it: the wildcards that
#: :func:`check_identity` compares with those of the job reading it.
IDENTITY_KEYS = ("system", "split", "method", "seed")


def recorded_identity(attrs: Mapping[str, Any]) -> dict[str, str]:
    """The wildcards of the job that wrote a file (``system``, ``split``, ``method``,
    ``seed``, as far as its rule has them), from its provenance attr ``wildcards``
    (:func:`output_attrs`); empty for a file written outside a workflow job."""
    record = _json_or_text(attrs.get("wildcards"))
    if not isinstance(record, dict):
        return {}
    return {str(k): str(v) for k, v in record.items() if k in IDENTITY_KEYS}


def check_identity(
    recorded: Mapping[str, Any], expect: Mapping[str, Any], source: str | os.PathLike
) -> None:
    """Raise unless a file was written for the system, split, method and seed a job reads.

    ``recorded`` is what the file says of the job that wrote it
    (:func:`recorded_identity`), ``expect`` the reading job's values (its wildcards and
    the split its rule reads). Every :data:`IDENTITY_KEYS` key present in both is
    compared as text; a key the file does not record (its rule has no such wildcard, or
    the file was written outside a job) or that ``expect`` gives as ``None`` is not.
    Other keys of ``expect`` are ignored, so a job can pass one mapping to all its inputs.

    Raises
    ------
    InputFileError
        Naming ``source`` and, for every key that differs, the file's and the job's value.
    """
    wrong = [
        (key, str(recorded[key]), str(expect[key]))
        for key in IDENTITY_KEYS
        if expect.get(key) is not None and key in recorded
        and str(recorded[key]) != str(expect[key])
    ]  # fmt: skip
    if wrong:
        found = " and ".join(f"{key} {value!r}" for key, value, _ in wrong)
        wanted = " and ".join(f"{key} {value!r}" for key, _, value in wrong)
        raise InputFileError(
            f"{source}: written for {found}, but this job reads {wanted}: a file of another "
            f"run is in its place; {REMAKE}"
        )


def check_finite(ds: xr.Dataset, names: tuple[str, ...], source: str | os.PathLike) -> None:
    """Raise unless the variables ``names`` of ``ds`` (those it has) are finite everywhere.

    Raises
    ------
    InputFileError
        Naming ``source``, the variable, the value (``nan``, ``inf``) and the index of
        its first non-finite element along each dimension, and how many there are.
    """
    for name in names:
        if name not in ds.data_vars:
            continue
        values = np.asarray(ds[name].values)
        if values.dtype.kind not in "fc":
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            at = ", ".join(f"{dim}={i}" for dim, i in zip(ds[name].dims, first, strict=True))
            raise InputFileError(
                f"{source}: variable {name!r} holds {values[first]} at index {at} "
                f"({int(bad.sum())} of {values.size} values not finite): the file is damaged "
                f"or was edited; {REMAKE}"
            )


def read_dataset(
    path: str | os.PathLike,
    kind: str | None = None,
    system: HamiltonianSystem | None = None,
    expect: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Load a NetCDF file fully into memory (the file is closed on return).

    A file of another :data:`FILE_FORMAT` is refused. With ``kind`` (a :data:`CONTENTS`
    key), check that the file holds that kind's variables and attributes, and that the
    kind's :data:`FINITE` variables hold finite numbers only (:func:`check_finite`);
    with ``expect`` (the reading job's ``system``, ``split``, ``method``, ``seed``), that
    the file was written for them (:func:`check_identity`); with ``system``, that its
    attrs record that system (:func:`check_system`). Raises ``FileNotFoundError`` for a
    missing file and :class:`InputFileError`, naming the file and what is wrong, for a
    truncated or foreign file, one that lacks what the kind needs, one written for
    another system, split, method or seed, or one holding NaN or inf.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such NetCDF file: {path}")
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise InputFileError(
            f"{path}: not a readable NetCDF file (truncated, or another format?): {error}"
        ) from None
    written = ds.attrs.get("hampipe_format", FILE_FORMAT)
    if written != FILE_FORMAT:
        raise InputFileError(
            f"{path}: written in hampipe file format {written} (by hampipe "
            f"{ds.attrs.get('hampipe_version', '?')}); this hampipe {__version__} reads "
            f"format {FILE_FORMAT}: rebuild it with this version's workflow"
        )
    if kind is not None:
        if kind not in CONTENTS:
            raise ValueError(f"unknown file kind {kind!r}; valid: {', '.join(CONTENTS)}")
        variables, attributes = CONTENTS[kind]
        missing = [f"variable {v!r}" for v in variables if v not in ds.data_vars]
        missing += [f"attribute {a!r}" for a in attributes if a not in ds.attrs]
        if missing:
            raise InputFileError(
                f"{path}: not a hampipe {kind} file: it lacks {', '.join(missing)} "
                "(see docs/contract.md; rebuild it with the workflow)"
            )
    if expect is not None:
        check_identity(recorded_identity(ds.attrs), expect, path)
    if system is not None:
        check_system(ds.attrs, system, path)
    if kind is not None:
        check_finite(ds, FINITE.get(kind, ()), path)
    return ds


def data_path(system: str, split: str, root: str | os.PathLike = DEFAULT_ROOT) -> Path:
    """Path of a ground-truth split: ``<root>/data/{system}/{split}.nc``."""
    return Path(root) / "data" / system / f"{split}.nc"


def load(system: str, split: str = "train", root: str | os.PathLike = DEFAULT_ROOT) -> xr.Dataset:
    """Return the ground-truth split of ``system`` as an ``xarray.Dataset``.

    Parameters
    ----------
    system
        Config name of the system (``spring``, ``three_body``, ...).
    split
        ``"train"`` or ``"test"``.
    root
        The results folder (default ``results``).

    The dataset has dims ``(trajectory, time, dof)`` and variables ``q``, ``p``,
    ``energy``; see ``docs/contract.md``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    path = data_path(system, split, root)
    if not path.is_file():
        made = sorted(p.name for p in Path(root, "data").glob("*") if p.is_dir())
        hint = suggest(system, [m for m in made if m != system])
        known = f"; systems with data under {root}: {', '.join(made)}" if made else ""
        raise FileNotFoundError(
            f"{path} does not exist{hint}; build it with `snakemake --cores 2 {path}`{known}"
        )
    return read_dataset(path, "data", expect={"system": system, "split": split})
