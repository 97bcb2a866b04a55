"""Atomic file writes that say so when the disk is full: the one write path of every output.

Every file the pipeline writes (NetCDF, model files, checkpoints, figures, tables, HTML
pages, animations) is written to a temporary name in its own directory and moved onto its
path with ``os.replace`` only once whole (:func:`atomic_write`): a failed or killed write
leaves the previous file, or none, never a truncated one, and never a stray temp file.

A full disk reaches the writers in disguise: torch's ``torch.save`` raises
``RuntimeError: [enforce fail at inline_container.cc:...] unexpected pos 64 vs 0`` and
netCDF4 ``RuntimeError: NetCDF: HDF error``, neither with an errno. So a failed write is
checked twice, before its temp file is removed: an ``OSError`` with errno ``ENOSPC`` (or
``EDQUOT``) anywhere in its chain, or an ``OSError`` or ``RuntimeError`` while the
filesystem has less than :data:`NEARLY_FULL` bytes free, becomes one
:class:`DiskFullError` naming the path and the free space.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Free bytes below which a writer's ``OSError`` or ``RuntimeError`` counts as a full disk
#: (a write that fails for lack of space fills the filesystem to the last block).
NEARLY_FULL = 4 * 1024 * 1024
#: The suffix of temp files; a directory's left-over ``.NAME....tmp`` files are stale.
TMP_SUFFIX = ".tmp"


class DiskFullError(OSError):
    """A write failed because its filesystem is full (or the user's quota is spent).

    ``str()`` is the one-line message; ``path`` is the file that was being written and
    ``free`` the bytes free on its filesystem when the write failed (``None`` if unknown).
    """

    def __init__(self, path: str | os.PathLike, free: int | None, quota: bool = False) -> None:
        self.path, self.free, self.quota = Path(path), free, quota
        what = "disk quota exceeded" if quota else "disk full"
        room = "unknown" if free is None else str(free)
        message = (
            f"{what} while writing {self.path} ({room} bytes free on that filesystem); "
            f"free space{' or raise the quota' if quota else ''} and rerun"
        )
        super().__init__(errno.EDQUOT if quota else errno.ENOSPC, message)

    def __str__(self) -> str:
        return str(self.strerror)

    def __reduce__(self):
        return (type(self), (self.path, self.free, self.quota))


def free_bytes(directory: str | os.PathLike) -> int | None:
    """Bytes free to this user on the filesystem of ``directory``, or None if unknown."""
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def _errnos(error: BaseException) -> Iterator[int]:
    """The errnos of ``error`` and of the errors it was raised from or during."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            yield current.errno
        current = current.__cause__ or current.__context__


def disk_full(error: BaseException, path: str | os.PathLike) -> DiskFullError | None:
    """The :class:`DiskFullError` that explains ``error``, raised while writing ``path``,
    or None when it is something else.

    Call it before removing what the failed write left, which still takes up the space.
    """
    codes = set(_errnos(error))
    free = free_bytes(Path(path).parent)
    if errno.ENOSPC in codes or errno.EDQUOT in codes:
        return DiskFullError(path, free, quota=errno.ENOSPC not in codes)
    if isinstance(error, OSError | RuntimeError) and free is not None and free < NEARLY_FULL:
        return DiskFullError(path, free)
    return None


@contextmanager
def atomic_write(
    path: str | os.PathLike, suffix: str = TMP_SUFFIX, sync: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block has written it, move it
    onto ``path`` with ``os.replace``.

    The temp file is ``.<name>.<pid>.<random><suffix>`` in ``path``'s directory (created
    if missing), so the rename never crosses filesystems; give ``suffix`` a writer's
    extension where the writer picks the format from it (``".tmp.gif"``). With ``sync``
    the file is flushed to disk before the rename (checkpoints: a power cut then leaves
    the previous file or the new one). On any failure the temp file is removed and
    ``path`` is untouched; a failure for lack of space is raised as
    :class:`DiskFullError` (see :func:`disk_full`), from the writer's error.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")
    try:
        yield tmp
        if sync:
            descriptor = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        os.replace(tmp, path)
    except Exception as error:
        full = disk_full(error, path)
        tmp.unlink(missing_ok=True)
        if full is not None:
            raise full from error
        raise
    except BaseException:  # KeyboardInterrupt, SystemExit: no partial file either
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_write`)."""
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "NEARLY_FULL",
    "TMP_SUFFIX",
    "DiskFullError",
    "atomic_write",
    "disk_full",
    "free_bytes",
    "write_text",
]
