"""Method entries of the config: variants, per-system overrides, and their checks.

A ``methods`` entry is either a learner's own block (``methods.sann``) or a named
variant that names the entry it varies and overrides some keys::

    methods:
      sann: {gamma: 0.1, replication: 8, per_system: {billiard: {epochs: 500}}}
      sann_k4: {method: sann, replication: 4}   # everything else from methods.sann

``per_system.<system>`` blocks override keys for one system; they merge through the
variant chain like every other key. :func:`resolve_method` gives the settings one
training run uses; the workflow passes them to the job through ``params:``, so a change
reruns exactly the runs whose resolved settings changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hampipe.core.config import (
    ConfigError,
    _FillingValidator,
    describe,
    merge_config,
    suggest,
    unknown_name,
)


def _chain(methods: Mapping[str, Any], name: str) -> list[str]:
    """``[name, its base, …, the learner]`` following ``method`` keys."""
    chain = [name]
    while True:
        entry = methods[chain[-1]]
        base = entry.get("method")
        if base is None or base == chain[-1]:
            return chain
        if base not in methods:
            raise ConfigError(
                f"config key 'methods.{chain[-1]}.method': no entry {base!r} under 'methods'"
                f"{suggest(base, methods)}; configured methods: {', '.join(methods)}"
            )
        if base in chain:  # named from its first entry, so each cycle is one message
            cycle = chain[chain.index(base) :]
            first = cycle.index(min(cycle))
            cycle = cycle[first:] + cycle[:first]
            raise ConfigError(
                f"config key 'methods.{cycle[0]}.method': variants form a cycle "
                f"({' -> '.join([*cycle, cycle[0]])}); the last entry of a chain of "
                "'method:' keys must be a learning method"
            )
        chain.append(base)


def resolve_method(
    methods: Mapping[str, Any], name: str, system: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The learner and the merged hyperparameters of entry ``name`` (for ``system``).

    Returns ``(learner, hyperparameters)``: the learner is the last entry of the
    ``method`` chain (a ``METHODS`` name); the hyperparameters are the chain's entries
    merged from the learner down to ``name`` (nested keys merge), each entry followed by
    its own ``per_system[system]`` block: so a variant's own key wins over its base's
    per-system value, and a variant's per-system value over both. ``method`` and
    ``per_system`` are removed.
    """
    if name not in methods:
        raise ConfigError(f"no entry {name!r} under 'methods' (configured: {', '.join(methods)})")
    chain = _chain(methods, name)
    merged: dict[str, Any] = {}
    for entry in reversed(chain):
        own = copy.deepcopy(dict(methods[entry]))
        own.pop("method", None)
        per_system = own.pop("per_system", None) or {}
        merged = merge_config(merged, own)
        if system is not None and system in per_system:
            merged = merge_config(merged, per_system[system])
    return chain[-1], _sorted(merged)


def _sorted(value: Any) -> Any:
    """Nested mappings with their keys sorted: one order for equal settings.

    Snakemake compares a job's params as serialised text, so two merges that reach the
    same values in another key order must not look like a change (and rerun the job).
    """
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    return value


def check_methods(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Check every ``methods`` entry as resolved, naming the bad key.

    - a variant's ``method`` chain ends at a learner (a key of the schema's ``methods``
      with its own settings schema ``$defs/<learner>_settings``) without cycles;
    - the resolved settings, and those of every ``per_system`` override, validate
      against that learner's schema (so a variant cannot set a key its learner lacks);
    - every ``per_system`` key names a configured system.

    A problem is reported once, at the entry that causes it: a variant (or a per-system
    override) that merely inherits its base's bad value is not listed again. Raises
    :class:`ConfigError` listing every problem.
    """
    methods, systems = config.get("methods", {}), config.get("systems", {})
    learners = sorted(schema["properties"]["methods"]["properties"])
    problems: list[str] = []
    found: dict[tuple[str, str | None], dict[str, str]] = {}

    def errors(name: str, system: str | None) -> dict[str, str]:
        """Problems of entry ``name`` as resolved for ``system``: relative text -> text."""
        if (name, system) not in found:
            learner, settings = resolve_method(methods, name, system)
            sub = {"$defs": schema["$defs"], "$ref": f"#/$defs/{learner}_settings"}
            where = ["methods", name, *(["per_system", system] if system else [])]
            found[name, system] = {
                relative: text
                for error in _FillingValidator(sub).iter_errors(copy.deepcopy(settings))
                for relative, text in zip(
                    describe(error, ["<entry>"]), describe(error, where), strict=True
                )
            }
        return found[name, system]

    for name in methods:
        try:
            chain = _chain(methods, name)
        except ConfigError as err:
            problems += err.problems
            continue
        learner = chain[-1]
        if learner not in learners:
            problems.append(
                f"config key 'methods.{name}': {learner!r} is not a learning method"
                f"{suggest(learner, learners)} and names no other entry with 'method:' "
                f"(learning methods: {', '.join(learners)})"
            )
            continue
        for system in methods[name].get("per_system", {}) or {}:
            if system not in systems:
                problems.append(
                    unknown_name(f"methods.{name}.per_system.{system}", system, "systems", systems)
                )
        base = chain[1] if len(chain) > 1 else None
        for system in [None, *override_systems(methods, name)]:
            if system is not None and system not in systems:
                continue
            inherited = set(errors(name, None)) if system is not None else set()
            if base is not None:
                inherited |= set(errors(base, system))
            problems += [t for r, t in errors(name, system).items() if r not in inherited]
    if problems:
        raise ConfigError.of(problems)


def override_systems(methods: Mapping[str, Any], name: str) -> list[str]:
    """The systems that have a ``per_system`` block anywhere in ``name``'s chain."""
    systems: list[str] = []
    for entry in _chain(methods, name):
        systems += list((methods[entry].get("per_system") or {}).keys())
    return list(dict.fromkeys(systems))


def setting_owner(methods: Mapping[str, Any], name: str, system: str | None, key: str) -> str:
    """The key path that sets ``key`` (dotted for nested keys) of ``name`` for ``system``.

    Follows :func:`resolve_method`'s precedence: the entry's ``per_system[system]`` block,
    the entry itself, then the same for its base, and so on down to the learner; a key
    no entry sets (a schema default) is named on ``name`` itself. A problem with a
    resolved value is reported at this path, once for every entry that inherits it.
    """
    parts = key.split(".")

    def holds(block: Any) -> bool:
        for part in parts:
            if not isinstance(block, Mapping) or part not in block:
                return False
            block = block[part]
        return True

    for entry in _chain(methods, name):
        per_system = methods[entry].get("per_system") or {}
        if system is not None and holds(per_system.get(system)):
            return f"methods.{entry}.per_system.{system}.{key}"
        if holds(methods[entry]):
            return f"methods.{entry}.{key}"
    return f"methods.{name}.{key}"
