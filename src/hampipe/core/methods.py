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

from hampipe.core.config import ConfigError, _describe, _FillingValidator, merge_config

#: Keys of an entry that are not hyperparameters of the run.
ENTRY_KEYS = ("method", "per_system")


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
                f"config key 'methods.{chain[-1]}.method': no entry {base!r} under 'methods' "
                f"(configured: {', '.join(methods)})"
            )
        if base in chain:
            raise ConfigError(
                f"config key 'methods.{chain[-1]}.method': variants form a cycle "
                f"({' -> '.join([*chain, base])})"
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
    """
    methods, systems = config.get("methods", {}), config.get("systems", {})
    learners = sorted(schema["properties"]["methods"]["properties"])
    problems: list[str] = []
    for name in methods:
        try:
            learner, resolved = resolve_method(methods, name)
        except ConfigError as err:
            problems.append(str(err))
            continue
        if learner not in learners:
            problems.append(
                f"config key 'methods.{name}': {learner!r} is not a learning method and names "
                f"no other entry with 'method:' (learning methods: {', '.join(learners)})"
            )
            continue
        sub = {"$defs": schema["$defs"], "$ref": f"#/$defs/{learner}_settings"}
        validator = _FillingValidator(sub)
        own = methods[name].get("per_system", {}) or {}
        for system in own:
            if system not in systems:
                problems.append(
                    f"config key 'methods.{name}.per_system.{system}': no such system under "
                    f"'systems' (configured: {', '.join(systems)})"
                )
        targets = {f"methods.{name}": resolved}
        for system in override_systems(methods, name):
            if system in systems:
                targets[f"methods.{name}.per_system.{system}"] = resolve_method(
                    methods, name, system
                )[1]
        for where, settings in targets.items():
            for error in validator.iter_errors(copy.deepcopy(settings)):
                text = _describe(error).replace("config key '", f"config key '{where}.", 1)
                problems.append(text.replace(f"{where}.<root>", where))
    if problems:
        unique = list(dict.fromkeys(problems))
        lines = "\n".join(f"  - {p}" for p in unique)
        raise ConfigError(f"invalid config ({len(unique)} problem(s)):\n{lines}")


def override_systems(methods: Mapping[str, Any], name: str) -> list[str]:
    """The systems that have a ``per_system`` block anywhere in ``name``'s chain."""
    systems: list[str] = []
    for entry in _chain(methods, name):
        systems += list((methods[entry].get("per_system") or {}).keys())
    return list(dict.fromkeys(systems))
