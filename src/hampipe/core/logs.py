"""Route a stage's logging (and warnings) to its Snakemake ``log:`` file; progress that
reads well both on a terminal and in a log file."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TextIO, TypeVar

T = TypeVar("T")


def log_to(path: str | os.PathLike | None, level: int = logging.INFO) -> logging.Logger:
    """Send hampipe's log records and Python warnings to ``path`` (and stderr).

    Snakemake does not fill ``log:`` files by itself; every workflow script calls this
    first (through :func:`hampipe.core.provenance.start_job`). Returns the ``hampipe``
    logger.
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


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _seconds(value: float) -> str:
    minutes, seconds = divmod(int(round(value)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}"


class Progress(Generic[T]):
    """Iterate over ``iterable`` showing progress (made by :func:`progress`).

    On a terminal a tqdm bar; otherwise a line on the ``hampipe`` logger each time
    another ``every`` percent of ``total`` is done, and at the end. :meth:`set_postfix`
    shows values such as the current loss: on the bar, or in the next log line.
    """

    def __init__(
        self,
        iterable: Iterable[T],
        desc: str,
        total: int | None = None,
        every: float = 5,
        initial: int = 0,
        enabled: bool = True,
        stream: TextIO | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not 0 < every <= 100:
            raise ValueError(f"every = {every}: the percent step must be in (0, 100]")
        if total is None and hasattr(iterable, "__len__"):
            total = initial + len(iterable)  # type: ignore[arg-type]
        self.iterable, self.desc, self.total, self.every = iterable, desc, total, every
        self.n = initial
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.logger = logger or logging.getLogger("hampipe")
        self.postfix: dict[str, Any] = {}
        self._bar: Any = None
        self._logged_step = self._step(initial)
        self._logged_n = initial
        self._start = time.perf_counter()
        self._initial = initial
        if enabled and _is_terminal(self.stream):
            from tqdm.auto import tqdm

            self._bar = tqdm(
                iterable, desc=desc, total=total, initial=initial, file=self.stream, leave=True
            )

    @property
    def on_terminal(self) -> bool:
        """Whether a tqdm bar shows the progress (else: log lines, or nothing if disabled)."""
        return self._bar is not None

    def _step(self, n: int) -> int:
        """How many whole ``every``-percent steps of ``total`` ``n`` items make."""
        if not self.total:
            return 0
        return int(100 * n / self.total // self.every)

    def set_postfix(self, **values: Any) -> None:
        """Show ``values`` (e.g. ``loss=...``): on the bar, or in the next log line."""
        self.postfix = dict(values)
        if self._bar is not None:
            self._bar.set_postfix(**values)

    def _log(self) -> None:
        elapsed = time.perf_counter() - self._start
        if self.total:
            done = self.n - self._initial
            left = self.total - self.n
            eta = f", ~{_seconds(elapsed / done * left)} left" if done and left > 0 else ""
            text = (
                f"{self.desc}: {self.n}/{self.total} ({100 * self.n / self.total:.0f}%), "
                f"{_seconds(elapsed)} elapsed{eta}"
            )
        else:
            text = f"{self.desc}: {self.n} done, {_seconds(elapsed)} elapsed"
        if self.postfix:
            text += ", " + ", ".join(f"{k}={v}" for k, v in self.postfix.items())
        self.logger.info("%s", text)
        self._logged_n = self.n

    def __iter__(self) -> Iterator[T]:
        if self._bar is not None:
            try:
                yield from self._bar
            finally:
                self._bar.close()
            return
        for item in self.iterable:
            yield item
            self.n += 1
            if self.enabled and self._step(self.n) > self._logged_step:
                self._logged_step = self._step(self.n)
                self._log()
        if self.enabled and self.n != self._logged_n:
            self._log()  # the end, when it is not a multiple of `every` percent


def progress(
    iterable: Iterable[T],
    desc: str,
    total: int | None = None,
    every: float = 5,
    *,
    initial: int = 0,
    enabled: bool = True,
    stream: TextIO | None = None,
    logger: logging.Logger | None = None,
) -> Progress[T]:
    """Iterate over ``iterable`` with a progress bar on a terminal, log lines elsewhere.

    A job's stderr is a file, where a tqdm bar writes thousands of carriage-return
    updates; there, progress is instead a line on the ``hampipe`` logger each time
    another ``every`` percent is done, and at the end (20 lines for the default 5 %).

    Parameters
    ----------
    iterable
        What to iterate over.
    desc
        What is being done (``"simulate"``, ``"train sann"``): the bar's label and the
        lines' prefix.
    total
        The number of items at the end (default ``initial + len(iterable)`` where
        ``iterable`` has a length). Without it a log line comes only at the end.
    every
        Percent of ``total`` between two log lines, in (0, 100].
    initial
        Items already done (a resumed loop); counting starts there.
    enabled
        ``False``: no bar and no lines, only the items.
    stream
        Where a bar would go; a bar only if it is a terminal (default ``sys.stderr``).
    logger
        The logger of the lines (default ``hampipe``).

    Returns
    -------
    Progress
        Iterate over it; its ``set_postfix(**values)`` shows values such as the current
        loss on the bar, or in the next log line.

    Examples
    --------
    >>> bar = progress(range(epochs), "train sann", enabled=show)  # doctest: +SKIP
    >>> for epoch in bar:  # doctest: +SKIP
    ...     bar.set_postfix(loss=f"{loss:.3e}")
    """
    return Progress(iterable, desc, total, every, initial, enabled, stream, logger)
