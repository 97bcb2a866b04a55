"""Fixtures of the core tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def restore_logging():
    """Put the root logger's handlers and level back (closing the ones a test added)
    and stop capturing warnings: ``log_to`` and ``start_job`` change all three."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)
