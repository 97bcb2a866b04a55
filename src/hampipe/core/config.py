"""Validate a pipeline config against its JSON schema, naming the bad key.

The workflow checks the config before any job runs (``workflow/rules/common.smk`` calls
:func:`hampipe.plan.check_config`, which starts here), so a bad value stops the run with
one message listing every problem, each naming the key path, the bad value and what is
allowed::

    config key 'methods.sann.gamma': 1.5 is out of range; allowed: 0 <= gamma < 1
    config key 'methods.sann': unknown key 'gama' (did you mean 'gamma'?); allowed: ...

and no file is touched.

Besides the 2020-12 keywords the validator knows one of its own, ``x-ordered``: a list
holding ``(low, high)`` pairs (a range ``[low, high]``, or an extent ``[q_min, q_max,
p_min, p_max]``) must have each low end at most (``weak``) or below (``strict``) its high
end. Unknown keywords such as ``x-registry`` (see :func:`hampipe.plan.schema.load_schema`)
are annotations the validator ignores.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """An invalid config; the message names each key path, the bad value and what is allowed.

    ``problems`` holds the problems one by one (the message itself when raised with one
    message); :meth:`of` builds the error of several, listed in one message.
    """

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) if problems else [message]

    @classmethod
    def of(cls, problems: Iterable[str]) -> ConfigError:
        """One error listing ``problems`` (duplicates dropped, order kept)."""
        unique = list(dict.fromkeys(problems))
        lines = "\n".join(f"  - {p}" for p in unique)
        return cls(f"invalid config ({len(unique)} problem(s)):\n{lines}", unique)


def raise_problems(problems: Iterable[str]) -> None:
    """Raise :class:`ConfigError` listing ``problems``, if there are any."""
    problems = list(problems)
    if problems:
        raise ConfigError.of(problems)


def suggest(name: Any, choices: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for the valid choice closest to a misspelt ``name``, else ``''``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def show(value: Any, limit: int = 120) -> str:
    """A config value as the user wrote it in YAML (``null``, ``true``, ``'text'``, lists)."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {show(v, limit)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(show(v, limit) for v in value) + "]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def _ordered(validator, mode, instance, schema):
    """The ``x-ordered`` keyword: (low, high) pairs in order (``strict``: low < high)."""
    if not isinstance(instance, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in instance
    ):
        return
    for i in range(0, len(instance) - 1, 2):
        low, high = instance[i], instance[i + 1]
        if low > high or (mode == "strict" and low == high):
            relation = "below" if mode == "strict" else "at most"
            yield jsonschema.ValidationError(
                f"{show(instance)} is out of order: item {i} ({show(low)}) must be "
                f"{relation} item {i + 1} ({show(high)})"
            )


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
    validators={"x-ordered": _ordered},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", _is_strict_integer
    ),
)


def key_path(path: Iterable[Any]) -> str:
    """Render a JSON path such as ``['methods', 'sann', 'gamma']`` as ``methods.sann.gamma``."""
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts).replace(".[", "[") or "<root>"


#: How a type error names what the value is, and what the schema expects.
_KINDS = {
    type(None): "empty",
    bool: "a boolean",
    int: "an integer",
    float: "a decimal number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}
_EXPECTED = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
    "null": "null",
}


def _expected(types: str | Sequence[str]) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_EXPECTED.get(t, t) for t in names)


def _bounds(schema: Mapping[str, Any], name: str) -> str:
    """``0 <= gamma < 1`` from a schema's minimum/maximum keywords."""

    def shown(bound: Any) -> str:  # 1e+06 rather than 1000000.0
        return f"{bound:g}" if isinstance(bound, float) else show(bound)

    low = ""
    if "minimum" in schema:
        low = f"{shown(schema['minimum'])} <= "
    elif "exclusiveMinimum" in schema:
        low = f"{shown(schema['exclusiveMinimum'])} < "
    high = ""
    if "maximum" in schema:
        high = f" <= {shown(schema['maximum'])}"
    elif "exclusiveMaximum" in schema:
        high = f" < {shown(schema['exclusiveMaximum'])}"
    return f"{low}{name}{high}"


def _shown_pattern(pattern: str) -> str:
    """A name pattern as users read one: ``^…$`` for the schema's whole-string anchors
    ``\\A…\\Z`` (which, unlike ``$``, refuse a trailing newline)."""
    if pattern.startswith("\\A") and pattern.endswith("\\Z"):
        return f"^{pattern[2:-2]}$"
    return pattern


def describe(error: jsonschema.ValidationError, prefix: Sequence[Any] = ()) -> list[str]:
    """The problems of one schema error, each ``config key '<path>': <what>; allowed: ...``.

    ``prefix`` is put before the error's path (the key of a block validated on its own).
    An unknown key gives one problem per key, with the closest valid key suggested.
    """
    path = [*prefix, *error.absolute_path]
    where = key_path(path)
    leaf = next((str(p) for p in reversed(path) if not isinstance(p, int)), where)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        extra = [k for k in value if k not in known]
        allowed = f"; allowed: {', '.join(known)}" if known else ""
        return [
            f"config key '{where}': unknown key {k!r}{suggest(k, known)}{allowed}" for k in extra
        ]
    if "propertyNames" in error.relative_schema_path:
        pattern = _shown_pattern(schema.get("pattern", ""))
        return [
            f"config key '{where}': key {show(value)} is not a valid name; allowed: names "
            f"matching {pattern} (a letter, then letters, digits or '_')"
        ]
    if kind == "enum":
        allowed = error.validator_value
        message = (
            f"{show(value)} is not allowed{suggest(value, allowed)}; "
            f"allowed: {', '.join(map(str, allowed))}"
        )
    elif kind == "type":
        message = (
            f"{show(value)} is {_KINDS.get(type(value), type(value).__name__)}, "
            f"expected {_expected(error.validator_value)}"
        )
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        message = f"{show(value)} is out of range; allowed: {_bounds(schema, leaf)}"
    elif kind == "required":
        missing = error.message.split(" is a required property")[0]
        message = f"missing key {missing}; required: {', '.join(error.validator_value)}"
    elif kind == "minItems":
        message = (
            f"{show(value)} has {len(value)} item(s); allowed: at least {error.validator_value}"
        )
    elif kind == "maxItems":
        message = (
            f"{show(value)} has {len(value)} item(s); allowed: at most {error.validator_value}"
        )
    elif kind == "uniqueItems":
        message = f"{show(value)} repeats an item; allowed: each item once"
    elif kind == "pattern":
        message = f"{show(value)} does not match {_shown_pattern(error.validator_value)}"
    elif kind == "minLength":
        message = (
            f"{show(value)} is too short; allowed: at least {error.validator_value} character(s)"
        )
    else:
        message = error.message
    description = schema.get("description")
    if description:
        message += f". {leaf}: {description}"
    return [f"config key '{where}': {message}"]


def schema_errors(config: dict, schema: Mapping[str, Any]) -> list[jsonschema.ValidationError]:
    """Every schema error of ``config``, in key-path order; fills defaults in place."""
    validator = _FillingValidator(schema)
    return sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))


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
        The schema as a mapping, as :func:`hampipe.plan.schema.load_schema` gives it
        (the declared blocks and the registries' enums filled in), or the path of a
        YAML/JSON file holding a schema that needs neither.

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
        path = schema
        with open(path) as handle:
            schema = yaml.safe_load(handle)
        if "x-declared" in str(schema):
            raise ValueError(
                f"{path}: the schema has blocks filled in from the code (x-declared); load "
                "it with hampipe.plan.schema.load_schema and pass the result"
            )
    raise_problems(p for error in schema_errors(config, schema) for p in describe(error))
    return config


def unknown_name(key: str, name: Any, block: str, names: Iterable[str]) -> str:
    """The message for config key ``key`` naming ``name``, which ``block`` (``systems``,
    ``methods``) lacks: the closest configured name, if one is close, and all of them."""
    names = list(names)
    what = block[:-1]  # "system", "method"
    return (
        f"config key '{key}': no such {what} {name!r} under '{block}'"
        f"{suggest(name, names)}; configured {block}: {', '.join(names) or 'none'}"
    )


def check_consistency(config: dict) -> dict:
    """Checks across keys that a JSON schema cannot express; raise :class:`ConfigError`.

    - every ``experiments`` key names a configured system and every listed method a
      configured method;
    - each system's ``evaluation.step`` divides its observation step ``dt``, so that
      rollouts land on the observation times;
    - every ``tables`` entry names configured systems, and every method it lists is in
      ``experiments`` of its systems (``partition_search``: a configured method);
    - every ``presentation.labels`` / ``presentation.colours`` key names a method;
    - every ``figures.animations`` entry names a configured system;
    - every ``peers.comparisons`` entry names a configured system and methods;
    - every ``integrator_drift`` key names a configured system, its ``rtol`` and ``atol``
      lists pair up (same length), and it takes no more trajectories than the system's
      test split holds.

    Every problem is listed, each with the closest valid name suggested.
    """
    problems = []
    systems, methods = config.get("systems", {}), config.get("methods", {})
    experiments = config.get("experiments", {})
    for system, listed in experiments.items():
        if system not in systems:
            problems.append(unknown_name(f"experiments.{system}", system, "systems", systems))
        for i, method in enumerate(listed):
            if method not in methods:
                problems.append(
                    unknown_name(f"experiments.{system}[{i}]", method, "methods", methods)
                )
    for name, table in config.get("tables", {}).items():
        single = "systems" not in table
        for i, system in enumerate(table.get("systems", [table.get("system")])):
            key = f"tables.{name}.system" if single else f"tables.{name}.systems[{i}]"
            if system not in systems:
                problems.append(unknown_name(key, system, "systems", systems))
                continue
            listed = experiments.get(system, [])
            wanted = table.get("methods", [table.get("method")])
            if name == "partition_search":  # trains its own runs: the entry must exist
                for method in wanted:
                    if method not in methods:
                        problems.append(
                            unknown_name(f"tables.{name}.method", method, "methods", methods)
                        )
                continue
            for j, method in enumerate(wanted):
                if method not in listed:
                    problems.append(
                        f"config key 'tables.{name}.methods[{j}]': {method!r} is not listed in "
                        f"'experiments.{system}'{suggest(method, listed)}; allowed: the entries "
                        f"listed there, whose evaluations the table reads: "
                        f"{', '.join(listed) or 'none'}"
                    )
    for key in ("labels", "colours"):
        for name in config.get("presentation", {}).get(key, {}):
            if name not in methods:
                problems.append(
                    unknown_name(f"presentation.{key}.{name}", name, "methods", methods)
                )
    for i, system in enumerate(config.get("figures", {}).get("animations", [])):
        if system not in systems:
            problems.append(unknown_name(f"figures.animations[{i}]", system, "systems", systems))
    for name, comparison in config.get("peers", {}).get("comparisons", {}).items():
        where = f"peers.comparisons.{name}"
        if comparison["system"] not in systems:
            problems.append(
                unknown_name(f"{where}.system", comparison["system"], "systems", systems)
            )
        for row, entries in comparison["rows"].items():
            for recipe, method in entries.items():
                if method not in methods:
                    problems.append(
                        unknown_name(f"{where}.rows.{row}.{recipe}", method, "methods", methods)
                    )
    for name, drift in config.get("integrator_drift", {}).items():
        if name not in systems:
            problems.append(unknown_name(f"integrator_drift.{name}", name, "systems", systems))
        elif drift.get("trajectories", 0) > systems[name].get("trajectories", {}).get("test", 0):
            test = systems[name]["trajectories"]["test"]
            problems.append(
                f"config key 'integrator_drift.{name}.trajectories': {drift['trajectories']} "
                f"drift runs, but the test split holds {test} "
                f"(systems.{name}.trajectories.test); allowed: at most {test}"
            )
        if len(drift.get("rtol", [])) != len(drift.get("atol", [])):
            problems.append(
                f"config key 'integrator_drift.{name}.atol': {show(drift['atol'])} has "
                f"{len(drift['atol'])} value(s) for the {len(drift['rtol'])} of "
                f"'integrator_drift.{name}.rtol'; allowed: one atol per rtol (they pair up)"
            )
    for name, block in systems.items():
        step = block.get("evaluation", {}).get("step")
        dt = block.get("dt")
        if step and dt and not divides(step, dt):
            problems.append(
                f"config key 'systems.{name}.evaluation.step': {show(step)} does not divide "
                f"systems.{name}.dt = {show(dt)}; allowed: dt / n for a whole n >= 1 "
                f"(e.g. {show(dt / math.ceil(dt / step))})"
            )
    raise_problems(problems)
    return config


def held_out(fraction: float, n: int) -> int:
    """Trajectories of ``n`` that a validation ``fraction`` holds out: round(fraction · n),
    at least one when ``fraction > 0``. The one definition the config checks and
    ``hampipe.training.observations.split_validation`` share."""
    return 0 if not fraction else max(1, int(round(fraction * n)))


def divides(step: float, interval: float) -> bool:
    """Whether ``interval`` is a whole number n >= 1 of ``step`` (to 1e-6 relative).

    The one definition of "a step divides an interval": the config checks apply it to
    the observation step ``dt`` before any job, and
    ``hampipe.evaluation.rollout.substeps_per_interval`` to every observed interval.
    """
    ratio = interval / step
    n = round(ratio)
    return n >= 1 and abs(ratio - n) <= 1e-6 * max(ratio, 1)
