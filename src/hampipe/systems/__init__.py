"""Layer 1: Hamiltonian systems and their registry.

``SYSTEMS`` maps the config name (the ``{system}`` wildcard) to the built-in class;
other names are user-defined :class:`SymbolicSystem` instances written in config.
:func:`make_system` builds either, :func:`system_from_spec` builds the one a stage gets
as its ``system`` param, :func:`system_from_attrs` rebuilds the
system that generated a NetCDF file (outside the workflow), :func:`check_systems`
validates the ``systems`` config block.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from hampipe.core.config import ConfigError

# Importing the modules registers their classes.
from hampipe.systems import (  # noqa: F401
    billiard,
    chain_pendulum,
    pendulum,
    spring,
    three_body,
    two_body,
)
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS
from hampipe.systems.symbolic import DEFINITION_KEYS, SymbolicSystem, check_user_system


def make_system(
    name: str,
    parameters: Mapping[str, float] | None = None,
    initial_state: Mapping[str, Any] | None = None,
    definition: Mapping[str, Any] | None = None,
) -> HamiltonianSystem:
    """Instantiate the system ``name`` with the given options.

    Built-in names come from the registry; any other name needs ``definition``, the
    ``hamiltonian``/``coordinates``/``momenta`` of a user-defined
    :class:`~hampipe.systems.symbolic.SymbolicSystem`.
    """
    if name in SYSTEMS or not definition:
        return SYSTEMS.get_class(name)(parameters=parameters, initial_state=initial_state)
    return SymbolicSystem.from_mapping(name, definition, parameters, initial_state)


def builtin_of(name: str, spec: Mapping[str, Any] | None = None) -> str | None:
    """The built-in system a ``systems.<name>`` entry is, or None for a user-written one.

    A built-in name is itself; any other entry with a ``system`` key is a *named variant*
    of that built-in (e.g. ``dgnet_spring: {system: spring, ...}``): the same Hamiltonian
    and samplers under another ``{system}`` wildcard, with its own settings.
    """
    if name in SYSTEMS:
        return name
    if isinstance(spec, Mapping) and isinstance(spec.get("system"), str):
        return spec["system"]
    return None


def split_initial_state(spec: Mapping[str, Any], split: str) -> dict[str, Any]:
    """The initial-state recipe of one split of a ``systems.<name>`` entry: its
    ``initial_state``, with ``test_initial_state`` merged over it for the test split."""
    recipe = dict(spec.get("initial_state") or {})
    if split == "test":
        recipe.update(spec.get("test_initial_state") or {})
    return recipe


def system_definition(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a ``systems.<name>`` config entry that define a user system, else ``{}``."""
    return {key: spec[key] for key in DEFINITION_KEYS if key in spec}


#: The keys of a stage's ``system`` param (:func:`system_from_spec`).
SPEC_KEYS = ("name", "parameters", "definition")


def system_from_spec(spec: Mapping[str, Any]) -> HamiltonianSystem:
    """Build the true system of a stage's ``system`` param.

    The workflow passes every stage that needs the true system ``{"name": <system>,
    "parameters": <the config's systems.<name>.parameters, maybe partial or {}>,
    "definition": <hamiltonian, coordinates and momenta of a user-defined system
    (:func:`system_definition`), {} for a built-in one>}``. The parameters the spec
    leaves out take their defaults, as in ``simulate``; the initial-state sampler keeps
    its defaults (no stage after ``simulate`` samples).

    Raises
    ------
    ValueError
        Naming the ``system`` param, for a spec that is not a mapping with a ``name`` or
        holds other keys than :data:`SPEC_KEYS`, and for an unknown system or parameter.
    """
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ValueError(
            f"system: expected a mapping with keys {', '.join(SPEC_KEYS)}, got {spec!r}"
        )
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(
            f"system: unknown key(s) {', '.join(map(str, unknown))}; valid: {', '.join(SPEC_KEYS)}"
        )
    return make_system(
        spec["name"], spec.get("parameters") or {}, definition=spec.get("definition") or {}
    )


def system_from_attrs(attrs: Mapping) -> HamiltonianSystem:
    """Rebuild the system recorded in a ground-truth file's attrs, outside the workflow.

    For reading a file by hand (the benchmarks, a notebook): the workflow's stages get
    the system as a param (:func:`system_from_spec`) and only check a file's attrs
    against it (:func:`hampipe.data.io.check_system`). Uses ``system`` and
    ``parameters``, plus ``definition`` (JSON) for user-defined systems and
    ``initial_state`` where present.
    """
    try:
        name, parameters = attrs["system"], json.loads(attrs["parameters"])
    except KeyError as missing:
        raise ValueError(f"dataset attrs lack {missing}: not a hampipe ground-truth file") from None
    if "definition" in attrs:
        return SymbolicSystem.from_definition(
            name, attrs["definition"], parameters, attrs.get("initial_state")
        )
    return make_system(name, parameters=parameters)


def check_systems(systems: Mapping[str, Mapping[str, Any]]) -> dict[str, HamiltonianSystem]:
    """Build every configured system and draw one initial state; raise ``ConfigError``.

    Run before any job: a user system's expression is parsed and differentiated, and a
    built-in system's (or a named variant's, :func:`builtin_of`) options reach the
    checks of its constructor and sampler (e.g. the billiard's speed bound), so a bad
    value fails here, naming its key, instead of in the ``simulate`` job; so does the
    test split's recipe (:func:`split_initial_state`).
    """
    built = {}
    for name, spec in systems.items():
        builtin = builtin_of(name, spec)
        if builtin is None:
            built[name] = check_user_system(name, spec)
            continue
        splits = [("", "train")]
        if spec.get("test_initial_state"):
            splits.append((".test_initial_state", "test"))
        for key, split in splits:
            recipe = split_initial_state(spec, split)
            try:
                system = make_system(builtin, spec.get("parameters"), recipe)
                system.sample_initial_states(np.random.default_rng(0), 1)
            except ValueError as error:
                raise ConfigError(f"config key 'systems.{name}{key}': {error}") from None
            built.setdefault(name, system)
    return built


__all__ = [
    "builtin_of",
    "split_initial_state",
    "SPEC_KEYS",
    "SYSTEMS",
    "HamiltonianSystem",
    "SymbolicSystem",
    "check_systems",
    "make_system",
    "system_definition",
    "system_from_attrs",
    "system_from_spec",
]
