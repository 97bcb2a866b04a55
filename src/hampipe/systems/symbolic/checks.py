"""Config checks of a user-defined system's plain values, before any sympy work.

Each check takes the raw config value, returns it normalised (names as a list, numbers as
floats, the initial-state sampler with its options filled in) and raises a
:class:`~hampipe.core.config.ConfigError` naming the key path ``systems.<name>.<key>`` of
the first invalid value. The expression itself is checked by
:mod:`~hampipe.systems.symbolic.parse` and :mod:`~hampipe.systems.symbolic.compile`.
"""

from __future__ import annotations

import keyword
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hampipe.core.config import ConfigError, key_path
from hampipe.systems.symbolic.parse import CONSTANTS, FUNCTIONS

#: Sampler names and the options each one needs.
SAMPLERS: dict[str, tuple[str, str]] = {"uniform": ("low", "high"), "normal": ("mean", "std")}
#: The config keys (and constructor arguments) that define a user system.
DEFINITION_KEYS: tuple[str, ...] = ("hamiltonian", "coordinates", "momenta")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_MAX_TEXT = 4000  # characters of Hamiltonian text


def system_key(system: str, *parts: Any) -> str:
    """The key path ``systems.<system>.<parts...>`` that error messages name."""
    return key_path(["systems", system, *parts])


def check_text(system: str, hamiltonian: Any) -> str:
    """The Hamiltonian text, stripped; refuse a non-string, blank or too long one."""
    where = system_key(system, "hamiltonian")
    if not isinstance(hamiltonian, str) or not hamiltonian.strip():
        raise ConfigError(f"{where}: expected the Hamiltonian as text, got {hamiltonian!r}")
    text = hamiltonian.strip()
    if len(text) > _MAX_TEXT:
        raise ConfigError(f"{where}: longer than {_MAX_TEXT} characters")
    return text


def check_variables(system: str, coordinates: Any, momenta: Any) -> tuple[list[str], list[str]]:
    """The coordinate and momentum names: valid, distinct, one momentum per coordinate."""
    q_names = _names(system, "coordinates", coordinates)
    p_names = _names(system, "momenta", momenta)
    if len(q_names) != len(p_names):
        raise ConfigError(
            f"{system_key(system, 'momenta')}: {len(p_names)} momenta for {len(q_names)} "
            f"coordinates; each coordinate needs one conjugate momentum"
        )
    shared = [s for s in p_names if s in q_names]
    if shared:
        raise ConfigError(
            f"{system_key(system, 'momenta')}: {', '.join(map(repr, shared))} also a coordinate"
        )
    return q_names, p_names


def _names(system: str, what: str, names: Any) -> list[str]:
    where = system_key(system, what)
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) == 0:
        raise ConfigError(f"{where}: expected a non-empty list of names, got {names!r}")
    out: list[str] = []
    for i, name in enumerate(names):
        _check_name(system_key(system, what, i), name)
        if name in out:
            raise ConfigError(f"{where}: duplicate name {name!r}")
        out.append(name)
    return out


def _check_name(where: str, name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"{where}: {name!r} is not a valid name (a letter, then letters, digits or _)"
        )
    if name in FUNCTIONS or name in CONSTANTS:
        raise ConfigError(f"{where}: {name!r} is reserved for a function or constant")


def check_parameters(system: str, parameters: Mapping | None, taken: set[str]) -> dict[str, float]:
    """The parameters as floats; ``taken`` are the coordinate and momentum names."""
    where = system_key(system, "parameters")
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ConfigError(f"{where}: expected a mapping of name to number, got {parameters!r}")
    out: dict[str, float] = {}
    for name, value in parameters.items():
        _check_name(system_key(system, "parameters", name), name)
        if name in taken:
            raise ConfigError(f"{where}: {name!r} is already a coordinate or momentum name")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(
                f"{system_key(system, 'parameters', name)}: expected a number, got {value!r}"
            )
        if not math.isfinite(float(value)):
            raise ConfigError(
                f"{system_key(system, 'parameters', name)}: non-finite value {value!r}"
            )
        out[name] = float(value)
    return out


def _vector(where: str, values: Any, length: int) -> list[float]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ConfigError(f"{where}: expected a list of {length} numbers, got {values!r}")
    if len(values) != length:
        raise ConfigError(
            f"{where}: expected {length} numbers (coordinates then momenta), got {len(values)}"
        )
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{where}: expected numbers, got {value!r}")
        if not math.isfinite(float(value)):
            raise ConfigError(f"{where}: non-finite value {value!r}")
        out.append(float(value))
    return out


def check_initial_state(system: str, initial_state: Mapping | None, dof: int) -> dict[str, Any]:
    """The initial-state sampler and its two options, as lists of ``2 * dof`` floats.

    ``None`` gives the default, uniform on [-1, 1]^(2 dof).
    """
    where = system_key(system, "initial_state")
    if initial_state is None:
        return {"sampler": "uniform", "low": [-1.0] * (2 * dof), "high": [1.0] * (2 * dof)}
    if not isinstance(initial_state, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {initial_state!r}")
    sampler = initial_state.get("sampler")
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ConfigError(
            f"{where}.sampler: {sampler!r} is not a sampler (allowed: {', '.join(SAMPLERS)})"
        )
    first, second = SAMPLERS[sampler]
    unknown = sorted(set(initial_state) - {"sampler", first, second}, key=str)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} for sampler "
            f"{sampler!r} (allowed: sampler, {first}, {second})"
        )
    for option in (first, second):
        if option not in initial_state:
            raise ConfigError(f"{where}.{option}: required by sampler {sampler!r}")
    a = _vector(f"{where}.{first}", initial_state[first], 2 * dof)
    b = _vector(f"{where}.{second}", initial_state[second], 2 * dof)
    if sampler == "uniform" and not all(lo < hi for lo, hi in zip(a, b, strict=True)):
        raise ConfigError(f"{where}: need low < high in every component, got {a} and {b}")
    if sampler == "normal" and not all(s > 0 for s in b):
        raise ConfigError(f"{where}.std: every component must be > 0, got {b}")
    return {"sampler": sampler, first: a, second: b}


__all__ = [
    "DEFINITION_KEYS",
    "SAMPLERS",
    "check_initial_state",
    "check_parameters",
    "check_text",
    "check_variables",
    "system_key",
]
