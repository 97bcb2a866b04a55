"""Validate a pipeline config against its JSON schema, naming the bad key.

The workflow calls :func:`validate_config` before any job runs (``workflow/rules/common.smk``),
so a bad value stops the run with a message such as::

    config key 'methods.sann.gamma': 1.5 is greater than the maximum of 1

and no file is touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """An invalid config value; the message names the key path and what is allowed."""


def _extend_with_defaults(validator_class):
    """Return a validator class that fills ``default`` values of missing properties.

    This follows the jsonschema FAQ recipe: defaults are set before the properties are
    validated, so a filled default is validated like a given value.
    """
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = _copy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _is_strict_integer(checker, instance) -> bool:
    """JSON Schema counts 50.0 as an integer; config values that are counts must be ints."""
    return isinstance(instance, int) and not isinstance(instance, bool)


_FillingValidator = jsonschema.validators.extend(
    _extend_with_defaults(jsonschema.Draft202012Validator),
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", _is_strict_integer
    ),
)


def key_path(path: Iterable[Any]) -> str:
    """Render a JSON path such as ``['methods', 'sann', 'gamma']`` as ``methods.sann.gamma``."""
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts).replace(".[", "[") or "<root>"


def _describe(error: jsonschema.ValidationError) -> str:
    where = key_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        pattern = schema.get("patternProperties")
        allowed = sorted(schema.get("properties", {}))
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed and not pattern else ""
        names = ", ".join(repr(k) for k in extra) or "an unexpected key"
        return f"config key '{where}': unknown key {names}{hint}"
    message = error.message
    allowed = schema.get("enum")
    if allowed is not None:
        message += f" (allowed values: {', '.join(map(str, allowed))})"
    elif error.validator == "type":
        message += f" (expected type: {error.validator_value})"
    description = schema.get("description")
    if description:
        message += f". {where}: {description}"
    return f"config key '{where}': {message}"


def merge_config(base: dict, overlay: dict) -> dict:
    """Return ``base`` with ``overlay`` merged in, nested mappings key by key.

    This is how Snakemake merges ``--configfile`` overlays over ``config.yaml``; neither
    argument is modified.
    """
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_config(out[key], value)
        else:
            out[key] = value
    return out


def validate_config(config: dict, schema: str | os.PathLike | dict) -> dict:
    """Validate ``config`` in place against a JSON schema (2020-12) and fill defaults.

    Parameters
    ----------
    config
        The merged config mapping (``config.yaml`` plus overlays).
    schema
        The schema as a mapping, or the path of a YAML/JSON file holding it.

    Returns
    -------
    dict
        The same ``config`` object, with schema defaults filled in.

    Raises
    ------
    ConfigError
        Listing every invalid value, each with its key path and what is allowed.
    """
    if not isinstance(schema, dict):
        with open(schema) as handle:
            schema = yaml.safe_load(handle)
    validator = _FillingValidator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {_describe(e)}" for e in errors)
        raise ConfigError(f"invalid config ({len(errors)} problem(s)):\n{lines}")
    return config


def check_consistency(config: dict) -> dict:
    """Checks across keys that a JSON schema cannot express; raise :class:`ConfigError`.

    - every ``experiments`` key names a configured system and every listed method a
      configured method;
    - each system's ``evaluation.step`` divides its observation step ``dt``, so that
      rollouts land on the observation times;
    - every method a ``tables`` entry lists is in ``experiments`` of its systems;
    - every ``presentation.labels`` / ``presentation.colours`` key names a method;
    - every ``integrator_drift`` key names a configured system, and its ``rtol`` and
      ``atol`` lists pair up (same length).
    """
    problems = []
    systems, methods = config.get("systems", {}), config.get("methods", {})
    for system, listed in config.get("experiments", {}).items():
        if system not in systems:
            problems.append(
                f"config key 'experiments.{system}': no such system under 'systems' "
                f"(configured: {', '.join(systems) or 'none'})"
            )
        for i, method in enumerate(listed):
            if method not in methods:
                problems.append(
                    f"config key 'experiments.{system}[{i}]': no such method {method!r} "
                    f"under 'methods' (configured: {', '.join(methods) or 'none'})"
                )
    experiments = config.get("experiments", {})
    for name, table in config.get("tables", {}).items():
        for system in table.get("systems", [table.get("system")]):
            if system not in systems:
                problems.append(
                    f"config key 'tables.{name}': no such system {system!r} under 'systems'"
                )
                continue
            listed = experiments.get(system, [])
            wanted = table.get("methods", [table.get("method")])
            if name == "partition_search":  # trains its own runs: the entry must exist
                missing = [m for m in wanted if m not in methods]
            else:
                missing = [m for m in wanted if m not in listed]
            if missing:
                problems.append(
                    f"config key 'tables.{name}': {', '.join(missing)} not listed in "
                    f"'experiments.{system}' (the table reads their evaluations)"
                )
    for key in ("labels", "colours"):
        for name in config.get("presentation", {}).get(key, {}):
            if name not in methods:
                problems.append(
                    f"config key 'presentation.{key}.{name}': no such method under "
                    f"'methods' (configured: {', '.join(methods) or 'none'})"
                )
    for name, drift in config.get("integrator_drift", {}).items():
        if name not in systems:
            problems.append(
                f"config key 'integrator_drift.{name}': no such system under 'systems' "
                f"(configured: {', '.join(systems) or 'none'})"
            )
        if len(drift.get("rtol", [])) != len(drift.get("atol", [])):
            problems.append(
                f"config key 'integrator_drift.{name}.atol': {len(drift['atol'])} values "
                f"for {len(drift['rtol'])} in 'integrator_drift.{name}.rtol' (they pair up)"
            )
    for name, block in systems.items():
        step = block.get("evaluation", {}).get("step")
        dt = block.get("dt")
        if step and dt:
            ratio = dt / step
            if abs(ratio - round(ratio)) > 1e-6 * ratio:
                problems.append(
                    f"config key 'systems.{name}.evaluation.step': {step} does not divide "
                    f"systems.{name}.dt = {dt}"
                )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"invalid config ({len(problems)} problem(s)):\n{lines}")
    return config
