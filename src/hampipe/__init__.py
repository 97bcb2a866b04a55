"""hampipe: learning Hamiltonian dynamics from trajectory data.

The short public API is re-exported here lazily, so that ``import hampipe`` stays light
(no torch import until a model is touched):

- :func:`hampipe.load_data` -- a ground-truth split as an ``xarray.Dataset``;
- :func:`hampipe.load_model` -- a trained model from ``results/models/...pt``;
- :func:`hampipe.rollout` -- integrate a learned Hamiltonian from initial states;
- :data:`hampipe.SYSTEMS`, :data:`hampipe.INTEGRATORS`, :data:`hampipe.MODELS`,
  :data:`hampipe.METHODS` -- registries;
- :data:`hampipe.__version__`.
"""

from __future__ import annotations

import importlib
from typing import Any

from hampipe.core.provenance import __version__

_LAZY = {
    "load_data": ("hampipe.data", "load"),
    "load_model": ("hampipe.models", "load_model"),
    "rollout": ("hampipe.evaluation", "rollout"),
    "SYSTEMS": ("hampipe.systems", "SYSTEMS"),
    "INTEGRATORS": ("hampipe.integrators", "INTEGRATORS"),
    "MODELS": ("hampipe.models", "MODELS"),
    "METHODS": ("hampipe.models", "METHODS"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'hampipe' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module_name), attr)
