"""Atomic writes (hampipe.core.files) and what every writer of the pipeline says when the
disk fills: one message naming the file, the previous file untouched, no temp file left.

A full disk is simulated by making the underlying writer (``to_netcdf``, ``torch.save``,
``savefig``, ``Path.write_text``, ``Animation.save``) write a few bytes and then fail as it
does on a full disk, with ``shutil.disk_usage`` reporting what the filesystem would.
"""

from __future__ import annotations

import errno
import pickle
import shutil
from collections import namedtuple
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
from matplotlib.animation import Animation
from matplotlib.figure import Figure

from hampipe.core.files import NEARLY_FULL, DiskFullError, atomic_write, write_text
from hampipe.data import simulate, write_dataset
from hampipe.models import METHODS
from hampipe.models.io import save_model
from hampipe.plotting.animation import write_animation_page, write_orbit_animation
from hampipe.plotting.figures import save_figure
from hampipe.plotting.tables import save_table
from hampipe.systems import make_system
from hampipe.training import Checkpointer
from tests.plotting.rollout_fakes import circles

Usage = namedtuple("Usage", "total used free")
#: What each writer raises on a full disk: torch hides the errno, netCDF4 too.
TORCH_FULL = RuntimeError("[enforce fail at inline_container.cc:672] unexpected pos 64 vs 0")
NETCDF_FULL = RuntimeError("NetCDF: HDF error")


def enospc() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def report_free(monkeypatch, free: int) -> None:
    """Make ``shutil.disk_usage`` report ``free`` bytes free on every filesystem."""
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 10**12 - free, free))


def fail_after_writing(error: BaseException, target_argument: int = 0):
    """A writer that puts a few bytes into the file it is given, then raises ``error``."""

    def writer(*args, **kwargs):
        Path(args[target_argument]).write_bytes(b"partial")
        raise error

    return writer


def only(folder: Path) -> list[str]:
    """The names in ``folder``, hidden ones (temp files) included."""
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------- the helper
def test_atomic_write_moves_the_whole_file_into_place(tmp_path):
    target = tmp_path / "new" / "a.txt"
    with atomic_write(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".a.txt.")
        assert not target.exists()  # nothing at the path while writing
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert only(target.parent) == ["a.txt"]


@pytest.mark.parametrize("sync", [False, True])
def test_enospc_names_the_path_and_keeps_the_old_file(tmp_path, monkeypatch, sync):
    target = tmp_path / "a.txt"
    target.write_text("old")
    report_free(monkeypatch, 123)
    with pytest.raises(DiskFullError) as info, atomic_write(target, sync=sync) as tmp:
        tmp.write_text("partial")
        raise enospc()
    assert str(info.value) == (
        f"disk full while writing {target} (123 bytes free on that filesystem); "
        "free space and rerun"
    )
    assert info.value.errno == errno.ENOSPC and isinstance(info.value.__cause__, OSError)
    assert target.read_text() == "old"
    assert only(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("error", [TORCH_FULL, NETCDF_FULL, OSError("write failed")])
def test_an_errno_less_error_on_a_full_filesystem_is_a_full_disk(tmp_path, monkeypatch, error):
    report_free(monkeypatch, 0)
    target = tmp_path / "a.bin"
    with pytest.raises(DiskFullError, match=r"disk full while writing .*a\.bin \(0 bytes free"):
        with atomic_write(target) as tmp:
            tmp.write_bytes(b"partial")
            raise error
    assert only(tmp_path) == []


def test_the_same_error_with_room_to_spare_is_left_as_it_is(tmp_path, monkeypatch):
    """A writer's RuntimeError is a disk problem only when the filesystem is (nearly)
    full: with space free it goes through unchanged, and the temp file still goes."""
    report_free(monkeypatch, 100 * NEARLY_FULL)
    with pytest.raises(RuntimeError, match="unexpected pos") as info:
        with atomic_write(tmp_path / "a.bin") as tmp:
            tmp.write_bytes(b"partial")
            raise TORCH_FULL
    assert not isinstance(info.value, DiskFullError)
    assert only(tmp_path) == []


def test_quota_and_interrupts(tmp_path, monkeypatch):
    report_free(monkeypatch, 10**9)
    with pytest.raises(DiskFullError, match="disk quota exceeded while writing .*raise the quota"):
        with atomic_write(tmp_path / "a.txt"):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "b.txt") as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert only(tmp_path) == []


def test_disk_full_error_pickles_with_its_message(tmp_path):
    """Ground truth and evaluation run in worker processes: the error must come back."""
    error = pickle.loads(pickle.dumps(DiskFullError(tmp_path / "x.nc", 0)))
    assert isinstance(error, DiskFullError) and error.path == tmp_path / "x.nc"
    assert str(error).startswith(f"disk full while writing {tmp_path / 'x.nc'} (0 bytes")


def test_write_text_is_utf8_and_atomic(tmp_path):
    assert write_text(tmp_path / "p.html", "∂H/∂q") == tmp_path / "p.html"
    assert (tmp_path / "p.html").read_bytes() == "∂H/∂q".encode()
    assert only(tmp_path) == ["p.html"]


# --------------------------------------------------------- every write site
@pytest.fixture(scope="module")
def spring_data():
    return simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 3, 8, 0.1, 0)


def write_netcdf(path: Path, spring_data, monkeypatch) -> None:
    monkeypatch.setattr(xr.Dataset, "to_netcdf", fail_after_writing(NETCDF_FULL, 1))
    write_dataset(spring_data.copy(), path)


def write_model(path: Path, spring_data, monkeypatch) -> None:
    hyper = {"model": "separable", "width": 4, "depth": 1, "noise": 0.0}
    method = METHODS["hnn"].build(hyper, spring_data)
    monkeypatch.setattr(torch, "save", fail_after_writing(TORCH_FULL, 1))
    save_model(path, method, {"loss": [1.0]}, "spring", seed=0)


def write_checkpoint(path: Path, spring_data, monkeypatch) -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    checkpoints = Checkpointer(path.parent, path.stem, every=1)
    assert checkpoints.path == path
    monkeypatch.setattr(torch, "save", fail_after_writing(TORCH_FULL, 1))
    checkpoints.save(1, model, optimizer, None, torch.Generator(), {}, torch.device("cpu"))


def write_figure(path: Path, spring_data, monkeypatch) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    monkeypatch.setattr(Figure, "savefig", fail_after_writing(enospc(), 1))
    save_figure(fig, path, table=pd.DataFrame({"x": [0, 1]}))


def write_table(path: Path, spring_data, monkeypatch) -> None:
    real = Path.write_text

    def write_text_(self, text, *args, **kwargs):
        real(self, text[:3], *args, **kwargs)
        raise enospc()

    monkeypatch.setattr(Path, "write_text", write_text_)
    save_table(pd.DataFrame({"method": ["hnn"], "mse": [1.0]}), path)


def write_page(path: Path, spring_data, monkeypatch) -> None:
    gif = path.with_name("anim.gif")
    real = Path.write_text

    def write_text_(self, text, *args, **kwargs):
        real(self, text[:3], *args, **kwargs)
        raise enospc()

    monkeypatch.setattr(Path, "write_text", write_text_)
    write_animation_page(gif, path, title="orbits")


def write_gif(path: Path, spring_data, monkeypatch) -> None:
    monkeypatch.setattr(Animation, "save", fail_after_writing(enospc(), 1))
    write_orbit_animation(circles([0.01], n_traj=1, seeds=1, n_time=5), path, frames=2)


WRITERS = {
    "netcdf": (write_netcdf, "data.nc"),
    "model": (write_model, "hnn.pt"),
    "checkpoint": (write_checkpoint, "0123456789abcdef.pt"),
    "figure": (write_figure, "figure.pdf"),
    "table": (write_table, "table.csv"),
    "html_page": (write_page, "page.html"),
    "animation": (write_gif, "orbits.gif"),
}


@pytest.mark.parametrize("site", list(WRITERS))
def test_every_writer_says_disk_full_and_keeps_the_old_file(
    site, tmp_path, spring_data, monkeypatch
):
    writer, name = WRITERS[site]
    target = tmp_path / name
    target.write_bytes(b"previous run")
    (tmp_path / "anim.gif").write_bytes(b"GIF89a")  # the page's input
    before = only(tmp_path)
    plt.close("all")
    report_free(monkeypatch, 0)
    with pytest.raises(DiskFullError) as info:
        writer(target, spring_data, monkeypatch)
    assert str(info.value) == (
        f"disk full while writing {target} (0 bytes free on that filesystem); free space and rerun"
    )
    assert target.read_bytes() == b"previous run"
    assert only(tmp_path) == before  # no temp file left, nothing else written
    assert plt.get_fignums() == []  # a failed figure is closed all the same


def test_writers_leave_only_their_files(tmp_path, spring_data):
    """Without a failure the same writers leave exactly their outputs (no temp files)."""
    write_dataset(spring_data.copy(), tmp_path / "data.nc")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "figure.pdf", table=pd.DataFrame({"x": [0, 1]}))
    save_table(pd.DataFrame({"method": ["hnn"], "mse": [1.0]}), tmp_path / "table.csv")
    assert only(tmp_path) == [
        "data.nc",
        "figure.csv",
        "figure.pdf",
        "figure.png",
        "table.csv",
        "table.html",
        "table.md",
    ]
    with xr.open_dataset(tmp_path / "data.nc") as back:
        assert np.array_equal(back.q.values, spring_data.q.values)
