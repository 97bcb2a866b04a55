"""Route a stage's logging (and warnings) to its Snakemake ``log:`` file."""

from __future__ import annotations

import logging
import os


def log_to(path: str | os.PathLike | None, level: int = logging.INFO) -> logging.Logger:
    """Send hampipe's log records and Python warnings to ``path`` (and stderr).

    Snakemake does not fill ``log:`` files by itself; every workflow script calls this
    first. Returns the ``hampipe`` logger.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if path:
        handlers.append(logging.FileHandler(path, mode="w"))
    logging.basicConfig(
        level=level,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
    return logging.getLogger("hampipe")
