"""NetCDF input and output with CF-style attributes, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import xarray as xr

DEFAULT_ROOT = Path("results")


def write_dataset(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to NetCDF4 at ``path`` atomically (temp file, then rename).

    A failed write leaves any existing file at ``path`` untouched. The file carries no
    timestamp, so the same dataset gives byte-identical files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


#: What each kind of pipeline file holds at least (CONTRACT.md): data variables and
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


class InputFileError(ValueError):
    """A stage's input file is unreadable or is not the kind of file the stage reads."""


def read_dataset(path: str | os.PathLike, kind: str | None = None) -> xr.Dataset:
    """Load a NetCDF file fully into memory (the file is closed on return).

    With ``kind`` (a :data:`CONTENTS` key), check that the file holds that kind's
    variables and attributes. Raises ``FileNotFoundError`` for a missing file and
    :class:`InputFileError`, naming the file and what is wrong, for a truncated or
    foreign file or one that lacks what the kind needs.
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
    if kind is not None:
        if kind not in CONTENTS:
            raise ValueError(f"unknown file kind {kind!r}; valid: {', '.join(CONTENTS)}")
        variables, attributes = CONTENTS[kind]
        missing = [f"variable {v!r}" for v in variables if v not in ds.data_vars]
        missing += [f"attribute {a!r}" for a in attributes if a not in ds.attrs]
        if missing:
            raise InputFileError(
                f"{path}: not a hampipe {kind} file: it lacks {', '.join(missing)} "
                "(see CONTRACT.md; rebuild it with the workflow)"
            )
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
    ``energy``; see ``CONTRACT.md``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    path = data_path(system, split, root)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist; build it with `snakemake --cores 2 {path}`"
        )
    return read_dataset(path, "data")
