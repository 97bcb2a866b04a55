"""Layer 1: Hamiltonian systems and their registry.

``SYSTEMS`` maps the config name (the ``{system}`` wildcard) to the class;
:func:`system_from_attrs` rebuilds the system that generated a NetCDF file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from hampipe.systems import pendulum, spring, three_body  # noqa: F401  (registers the classes)
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS


def make_system(name: str, parameters=None, initial_state=None) -> HamiltonianSystem:
    """Instantiate the registered system ``name`` with the given options."""
    return SYSTEMS.get_class(name)(parameters=parameters, initial_state=initial_state)


def system_from_attrs(attrs: Mapping) -> HamiltonianSystem:
    """Rebuild the system recorded in a ground-truth file's ``system``/``parameters`` attrs."""
    try:
        name, parameters = attrs["system"], json.loads(attrs["parameters"])
    except KeyError as missing:
        raise ValueError(f"dataset attrs lack {missing}: not a hampipe ground-truth file") from None
    return make_system(name, parameters=parameters)


__all__ = ["SYSTEMS", "HamiltonianSystem", "make_system", "system_from_attrs"]
