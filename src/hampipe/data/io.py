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


def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Load a NetCDF file fully into memory (the file is closed on return)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such NetCDF file: {path}")
    return xr.load_dataset(path, engine="netcdf4")


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
    return read_dataset(path)
