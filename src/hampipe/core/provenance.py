"""Version and provenance helpers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__: str = version("hampipe")
except PackageNotFoundError:  # running from a source tree with PYTHONPATH=src
    __version__ = "0.1.0+source"
