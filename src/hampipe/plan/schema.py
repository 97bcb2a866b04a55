"""The config schema as the workflow checks it: ``workflow/schemas/config.schema.yaml``
with the declared blocks (learners, built-in systems) and the registries' names filled in.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from hampipe.core.choices import (
    ACTIVATIONS,
    DTYPES,
    FEATURES,
    INITS,
    LR_SCHEDULES,
    RADIUS_SAMPLINGS,
    RANKINGS,
    RATIONAL_SHARINGS,
    SCALINGS,
    TARGETS,
)
from hampipe.integrators import INTEGRATORS
from hampipe.integrators.scipy_ivp import ADAPTIVE_METHODS
from hampipe.plan.learners import LEARNERS, MODEL_SPECS
from hampipe.systems import SYSTEMS
from hampipe.systems.symbolic import SAMPLERS

#: The names an ``x-registry: <name>`` node of the schema takes as its ``enum``, each from
#: its registry (or, behind torch, from :mod:`hampipe.core.choices`): the schema keeps no
#: copy of its own.
REGISTRY_NAMES: dict[str, tuple[str, ...]] = {
    "integrators": tuple(INTEGRATORS),
    "models": tuple(MODEL_SPECS),
    "activations": ACTIVATIONS,
    "rational_sharings": RATIONAL_SHARINGS,
    "features": FEATURES,
    "scalings": SCALINGS,
    "lr_schedules": LR_SCHEDULES,
    "inits": INITS,
    "radius_samplings": RADIUS_SAMPLINGS,
    "dtypes": DTYPES,
    "targets": TARGETS,
    "rankings": RANKINGS,
    "solve_ivp_methods": ADAPTIVE_METHODS,
    "samplers": tuple(SAMPLERS),
}


def load_schema(path: str | os.PathLike) -> dict:
    """The config schema of ``path``, with the declared blocks and registry enums filled in.

    - A node ``{x-declared: learners}`` gets one property per learner of
      :data:`~hampipe.plan.learners.LEARNERS` (its settings' schema, default ``{}``),
      and ``$defs/<learner>_settings`` the same schema (what a variant is checked
      against); a node ``{x-declared: systems}`` one property per built-in system, from
      its class's declared fields and ``$defs/system_common``. So a new method's or
      system's settings are configurable as soon as they are declared.
    - A node ``{x-registry: integrators, default: leapfrog}`` becomes ``{enum: [dopri5,
      euler, ...], default: leapfrog}``, the names of :data:`REGISTRY_NAMES`, so a new
      integrator, model or activation is valid in the config as soon as it is registered.
    """
    schema = yaml.safe_load(Path(path).read_text())
    _fill_declared(schema, schema)
    _fill_enums(schema)
    return schema


def _fill_declared(node: Any, schema: dict) -> None:
    if isinstance(node, dict):
        kind = node.pop("x-declared", None)
        if kind == "learners":
            node["properties"] = {}
            for name, spec in LEARNERS.items():
                schema["$defs"][f"{name}_settings"] = spec.schema()
                node["properties"][name] = {"$ref": f"#/$defs/{name}_settings", "default": {}}
        elif kind == "systems":
            common = schema["$defs"]["system_common"]
            node["properties"] = {name: SYSTEMS.get_class(name).schema(common) for name in SYSTEMS}
            node["additionalProperties"] = _variant_or_user(
                node["properties"], node["additionalProperties"], schema
            )
        elif kind is not None:
            raise ValueError(
                f"config schema: unknown x-declared {kind!r}; valid: learners, systems"
            )
        for value in list(node.values()):
            _fill_declared(value, schema)
    elif isinstance(node, list):
        for value in node:
            _fill_declared(value, schema)


def _variant_or_user(builtins: dict, user: dict, schema: dict) -> dict:
    """The schema of a ``systems`` entry with another name than the built-ins': with a
    ``system`` key, a named variant of that built-in (a copy of its block ``builtins``
    holds, plus ``system``); without, ``user`` (a user-written system)."""
    branches = []
    for name in SYSTEMS:
        block = copy.deepcopy(builtins[name])
        block["properties"]["system"] = {"const": name, "description": "the built-in system"}
        schema["$defs"][f"{name}_variant"] = block
        branches.append(
            {
                "if": {"properties": {"system": {"const": name}}, "required": ["system"]},
                "then": {"$ref": f"#/$defs/{name}_variant"},
            }
        )
    kinds = {
        "properties": {
            "system": {
                "enum": list(SYSTEMS),
                "description": "the built-in system this entry is a named variant of (its "
                "Hamiltonian and samplers; every other key as for that built-in's own "
                "entry, nothing inherited from it)",
            }
        },
        "required": ["system"],
    }
    return {"if": {"required": ["system"]}, "then": {"allOf": [kinds, *branches]}, "else": user}


def _fill_enums(node: Any) -> None:
    if isinstance(node, dict):
        if "x-registry" in node:
            name = node["x-registry"]
            if name not in REGISTRY_NAMES:
                raise ValueError(
                    f"config schema: unknown x-registry {name!r}; valid: "
                    f"{', '.join(REGISTRY_NAMES)}"
                )
            node["enum"] = list(REGISTRY_NAMES[name])
        for value in node.values():
            _fill_enums(value)
    elif isinstance(node, list):
        for value in node:
            _fill_enums(value)
