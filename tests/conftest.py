"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _torch_defaults():
    torch.manual_seed(0)
    yield
