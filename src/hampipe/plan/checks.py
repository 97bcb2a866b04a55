"""Config checks before any job: the schema, with its enums filled from the registries,
then every rule across keys that the schema cannot say.

Torch-free: the learners' and models' declarations come from :mod:`hampipe.plan.learners`
and the names of the settings whose implementations live behind torch from
:mod:`hampipe.core.choices`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hampipe.core import ConfigError, check_consistency
from hampipe.core.config import (
    describe,
    held_out,
    raise_problems,
    schema_errors,
    show,
    suggest,
)
from hampipe.core.methods import check_methods, override_systems, resolve_method, setting_owner
from hampipe.integrators import INTEGRATORS
from hampipe.plan.learners import LEARNERS, LEARNING, MODEL_OPTIONS, MODEL_SPECS, model_spec
from hampipe.plan.peers import peer_problems
from hampipe.plan.schema import load_schema
from hampipe.plan.screen import unreadable
from hampipe.systems import SYSTEMS, HamiltonianSystem, check_systems
from hampipe.systems.symbolic import DEFINITION_KEYS

#: Model options whose non-default value would be silently ignored by a model lacking them.
MODEL_OPTION_DEFAULTS = {key: LEARNING[key].default for key in MODEL_OPTIONS}

#: The longest chain of ``method:`` keys (an entry, the entry it varies, ...): a longer
#: one is surely generated, and each check resolves every chain.
MAX_CHAIN = 32

#: The settings a SANN ablation row reads (SANN Table 1).
ABLATION_KEYS = ("gamma", "partitions", "replication")


def _refusal(integrator: str, model: str) -> str | None:
    """Why ``integrator`` cannot run ``model``, or None when it can."""
    spec = model_spec(model)
    return INTEGRATORS.get_class(integrator).refusal(
        spec.hamiltonian, spec.separable, f"model {model!r}"
    )


def _settings_problems(h: Mapping[str, Any]) -> dict[str, str]:
    """Key (relative to the entry) -> why, for resolved settings ``h`` of one entry."""
    problems = {}
    if h.get("model") in MODEL_SPECS:
        taken = model_spec(h["model"]).options
        for key, default in MODEL_OPTION_DEFAULTS.items():
            if key not in taken and h.get(key, default) != default:
                takers = [m for m, spec in MODEL_SPECS.items() if key in spec.options]
                problems[key] = (
                    f"{show(h[key])} is set, but the {h['model']!r} model takes no {key!r}; "
                    f"allowed: the default {show(default)}, or a model that takes it "
                    f"({', '.join(takers)})"
                )
    if h.get("lr_schedule") == "plateau" and not h.get("patience", 0):
        problems["lr_schedule"] = (
            "'plateau' lowers the rate when the validation loss stalls, which early "
            "stopping watches, but patience is 0; allowed: patience > 0 with it, or "
            "cosine or constant"
        )
    if h.get("patience", 0) > 0 and not h.get("validation", 0.1):
        problems["patience"] = (
            f"{show(h['patience'])} epochs, but early stopping watches the validation loss "
            "and validation is 0; allowed: a validation fraction > 0, or patience 0"
        )
    integrators = {
        "integrator": h.get("integrator"),
        "prediction.integrator": (h.get("prediction") or {}).get("integrator"),
    }
    for key, integrator in integrators.items():
        if integrator in INTEGRATORS and h.get("model") in MODEL_SPECS:
            reason = _refusal(integrator, h["model"])
            if reason:
                problems[key] = reason
    return problems


def _chain_ok(methods: Mapping[str, Any], name: str, problems: list[str]) -> bool:
    """Whether entry ``name`` resolves; its chain's problem is added to ``problems`` if not."""
    try:
        resolve_method(methods, name)
    except ConfigError as err:
        problems += err.problems
        return False
    return True


def _resolvable(methods: Mapping[str, Any]) -> list[str]:
    """The entries whose ``method`` chain ends at a learning method."""
    return [
        name
        for name in methods
        if _chain_ok(methods, name, []) and resolve_method(methods, name)[0] in LEARNERS
    ]


def check_learning(config: Mapping[str, Any]) -> None:
    """Refuse, before any job, a method whose model its integrators cannot advance.

    For every ``methods`` entry, as resolved for each system with an override and for
    the rest, the training ``integrator`` (where the learner has one) and the
    ``prediction.integrator`` must accept the entry's ``model``: leapfrog and
    symplectic Euler need a separable Hamiltonian, and no integrator that needs ∂H/∂q
    runs a black-box vector field. Also refused: a model option set away from its
    default for a model that does not take it (e.g. ``features: pairwise_distances``
    on the ``resnet`` model), and, for the pairs in ``experiments``, a ``window``
    longer than the system's observed intervals or a ``validation`` fraction that
    leaves no training trajectory. A problem is reported once, at the entry (or
    per-system block) that causes it. Raises :class:`ConfigError` listing them all.
    """
    methods = config.get("methods", {})
    systems = config.get("systems", {})
    problems: list[str] = []
    found: dict[tuple[str, str | None], dict[str, str]] = {}

    def of(name: str, system: str | None) -> dict[str, str]:
        if (name, system) not in found:
            found[name, system] = _settings_problems(resolve_method(methods, name, system)[1])
        return found[name, system]

    for name in methods:
        if not _chain_ok(methods, name, problems):
            continue
        base = methods[name].get("method")
        base = base if base in methods and base != name else None
        for system in [None, *override_systems(methods, name)]:
            inherited = set(of(name, None).items()) if system is not None else set()
            if base is not None:
                inherited |= set(of(base, system).items())
            where = f"methods.{name}" + (f".per_system.{system}" if system else "")
            problems += [
                f"config key '{where}.{key}': {why}"
                for key, why in of(name, system).items()
                if (key, why) not in inherited
            ]
    runs: dict[tuple[str, str], list[str]] = {}  # (key path, why) -> entries that run it
    for system, listed in config.get("experiments", {}).items():
        if system not in systems:
            continue
        steps = systems[system].get("steps", {}).get("train", 0)
        n = systems[system].get("trajectories", {}).get("train", 0)
        for name in listed:
            if name not in methods or not _chain_ok(methods, name, problems):
                continue
            h = resolve_method(methods, name, system)[1]
            window = h.get("window", 1)
            why = {
                "window": (
                    f"{window} intervals, but systems.{system}.steps.train = {steps} observes "
                    f"{steps - 1}; allowed: window <= {steps - 1}"
                )
                if steps > 1 and window > steps - 1
                else None,
                "validation": _validation_problem(h.get("validation", 0.0), n, system),
            }
            for key, text in why.items():
                if text:
                    owner = setting_owner(methods, name, system, key)
                    runs.setdefault((owner, text), []).append(name)
    for (key, why), names in runs.items():
        problems.append(f"config key '{key}': {why} (runs: {', '.join(names)})")
    raise_problems(problems)


def _validation_problem(fraction: float, n: int, system: str) -> str | None:
    """Why holding out ``fraction`` of ``n`` training trajectories fails, or None.

    The rule of ``hampipe.training.observations.split_validation``: round(fraction · n),
    at least one, trajectories are held out, and at least one must stay for training.
    """
    if not fraction or n < 1:
        return None
    held = held_out(fraction, n)
    if held < n:
        return None
    limit = f"below {show(round((n - 0.5) / n, 3))}, or 0" if n > 1 else "0"
    return (
        f"{show(fraction)} holds out {held} of the {n} training trajectories of {system} "
        f"(systems.{system}.trajectories.train), leaving none to train on; allowed: {limit}"
    )


def partition_pairs(nonstiff: Iterable[int], stiff: Iterable[int]) -> list[tuple[int, int]]:
    """Every (S_nonstiff, S_stiff) with S_stiff ≥ S_nonstiff (a stiff interval never gets
    fewer sub-steps than a nonstiff one), in grid order (SANN App. G's search grid)."""
    return [(int(n), int(s)) for n in nonstiff for s in stiff if int(s) >= int(n)]


def planar_bodies(dof_names: Sequence[str]) -> bool:
    """Whether coordinates ``x, y`` or ``x1, y1, x2, y2, …`` place bodies in the plane.

    The layout the orbit animations draw (``hampipe.plotting.collect.spatial_layout``).
    """
    names = list(dof_names)
    n = len(names) // 2
    return names == ["x", "y"] or (
        n > 0 and names == [f"{axis}{i + 1}" for i in range(n) for axis in ("x", "y")]
    )


def check_outputs(config: Mapping[str, Any], built: Mapping[str, HamiltonianSystem]) -> None:
    """Refuse, before any job, runs and outputs that the systems or entries cannot give.

    ``built`` holds the systems :func:`~hampipe.systems.check_systems` built (a system
    that failed to build is left out, and so are its checks here).

    - ``features: pairwise_distances`` needs at least two bodies of ``spatial_dim``
      coordinates in every system an entry trains on;
    - ``figures.trajectory`` is a test trajectory of every system in ``experiments``
      (orbits, animations) and a training one where a SANN entry draws the SAI figures;
    - ``figures.animations`` names systems whose bodies move in the plane;
    - ``tables.ablation`` lists SANN entries (the rows read gamma, partitions and
      replication);
    - ``tables.partition_search`` names an entry that takes partitions (SANN), holds out
      validation trajectories (the pairs are ranked by the validation loss), and has a
      pair with stiff >= nonstiff;
    - ``peers``: its published file (relative to the working directory, as every path
      of the config) holds every comparison and row the block names.
    """
    methods = config.get("methods", {})
    systems = config.get("systems", {})
    experiments = config.get("experiments", {})
    problems: list[str] = []
    valid = _resolvable(methods)
    search = config.get("tables", {}).get("partition_search")
    pairs = [(s, m) for s, listed in experiments.items() for m in listed]
    if search:
        pairs.append((search["system"], search["method"]))
    features: dict[tuple[str, str], list[str]] = {}
    for system, name in pairs:
        if system not in built or name not in valid:
            continue
        h = resolve_method(methods, name, system)[1]
        if h.get("features") != "pairwise_distances":
            continue
        dof, spatial_dim = built[system].dof, h.get("spatial_dim", 2)
        if dof % spatial_dim or dof // spatial_dim < 2:
            why = (
                f"'pairwise_distances' on {system}, whose {dof} coordinate(s) "
                f"({', '.join(built[system].dof_names)}) are not two or more bodies of "
                f"spatial_dim = {spatial_dim} coordinates; allowed there: 'coordinates' "
                f"(set it in methods.<entry>.per_system.{system})"
            )
            key = setting_owner(methods, name, system, "features")
            features.setdefault((key, why), []).append(name)
    problems += [
        f"config key '{key}': {why} (runs: {', '.join(names)})"
        for (key, why), names in features.items()
    ]
    figures = config.get("figures", {})
    k = figures.get("trajectory", 0)
    limits = {}  # "systems.<system>.trajectories.<split>" -> trajectories the figures draw from
    for system in experiments:
        if system not in systems:
            continue
        sizes = systems[system].get("trajectories", {})
        learners = [
            resolve_method(methods, m, system)[0] for m in experiments[system] if m in valid
        ]
        for split in ["test", *(["train"] if "sann" in learners else [])]:
            limits[f"systems.{system}.trajectories.{split}"] = sizes.get(split, k + 1)
    short = {key: n for key, n in limits.items() if k >= n}
    if short:
        problems.append(
            f"config key 'figures.trajectory': {k} is beyond the trajectories of "
            f"{', '.join(f'{key} = {n}' for key, n in short.items())} (orbit figures draw a "
            "test trajectory, SAI figures a training one); allowed: 0 to "
            f"{min(limits.values()) - 1}"
        )
    planar = [name for name, system in built.items() if planar_bodies(system.dof_names)]
    for i, system in enumerate(figures.get("animations", [])):
        if system in built and system not in planar:
            problems.append(
                f"config key 'figures.animations[{i}]': {system!r} has coordinates "
                f"{', '.join(built[system].dof_names)}, not bodies in the plane; allowed: "
                f"systems with coordinates x, y or x1, y1, x2, y2, ... ({', '.join(planar)})"
            )
    ablation = config.get("tables", {}).get("ablation")
    if ablation and ablation["system"] in systems:
        for i, name in enumerate(ablation["methods"]):
            if name not in valid:
                continue
            learner, h = resolve_method(methods, name, ablation["system"])
            missing = [key for key in ABLATION_KEYS if key not in h]
            if missing:
                problems.append(
                    f"config key 'tables.ablation.methods[{i}]': {name!r} trains with "
                    f"{learner}, which has no {', '.join(missing)}; allowed: entries that "
                    f"train with sann (the table's rows compare {', '.join(ABLATION_KEYS)})"
                )
    if search and search["system"] in systems and search["method"] in valid:
        problems += _search_problems(config, search)
    problems += peer_problems(config)
    raise_problems(problems)


def _search_problems(config: Mapping[str, Any], search: Mapping[str, Any]) -> list[str]:
    """Problems of ``tables.partition_search`` (its system and method exist)."""
    methods, system, name = config["methods"], search["system"], search["method"]
    learner, h = resolve_method(methods, name, system)
    problems = []
    if "partitions" not in h:
        sann = [m for m in _resolvable(methods) if "partitions" in resolve_method(methods, m)[1]]
        problems.append(
            f"config key 'tables.partition_search.method': {name!r} trains with {learner}, "
            f"which takes no partitions; allowed: entries that train with sann "
            f"({', '.join(sann) or 'none configured'})"
        )
    validation = setting_owner(methods, name, system, "validation")
    if not h.get("validation"):
        problems.append(
            f"config key '{validation}': {show(h.get('validation', 0))}, but "
            "tables.partition_search ranks the pairs by the validation loss; allowed: a "
            "fraction above 0 (e.g. 0.1)"
        )
    n = config["systems"][system].get("trajectories", {}).get("train", 0)
    why = _validation_problem(h.get("validation", 0.0), n, system)
    if why:
        problems.append(f"config key '{validation}': {why} (tables.partition_search)")
    if (
        search["stiff"]
        and search["nonstiff"]
        and not partition_pairs(search["nonstiff"], search["stiff"])
    ):
        problems.append(
            f"config key 'tables.partition_search.stiff': {show(search['stiff'])} has no "
            f"value >= any of nonstiff {show(search['nonstiff'])}, so no (nonstiff, stiff) "
            "pair is searched; allowed: at least one stiff >= a nonstiff"
        )
    return problems


def _misnamed(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, str]:
    """Key path -> problem, for entries that look like misspelt built-in names.

    A ``systems`` key that is not built in and defines no Hamiltonian, and a ``methods``
    key that is not a learner and names no base with ``method:``: the schema would
    only say what such an entry lacks, not that its name is unknown.
    """
    problems = {}
    systems = config.get("systems")
    if isinstance(systems, Mapping):
        for name, spec in systems.items():
            if name in SYSTEMS or not isinstance(spec, Mapping) or "system" in spec:
                continue
            if not any(key in spec for key in DEFINITION_KEYS):
                problems[f"systems.{name}"] = (
                    f"config key 'systems.{name}': {name!r} is not a built-in system"
                    f"{suggest(name, SYSTEMS)} and defines none of its own (a user-defined "
                    f"system needs {', '.join(DEFINITION_KEYS)}; a variant of a built-in one "
                    f"needs 'system: <built-in>'); built-in systems: {', '.join(SYSTEMS)}"
                )
    methods = config.get("methods")
    learners = list(schema["properties"]["methods"]["properties"])
    if isinstance(methods, Mapping):
        for name, entry in methods.items():
            if name in learners or not isinstance(entry, Mapping) or "method" in entry:
                continue
            problems[f"methods.{name}"] = (
                f"config key 'methods.{name}': {name!r} is not a learning method"
                f"{suggest(name, learners)} and names no entry it varies (a variant needs "
                f"'method: <entry>'); learning methods: {', '.join(learners)}"
            )
    return problems


def _check_each_system(systems: Mapping[str, Any], problems: list[str]) -> dict:
    """Build every system on its own, so that every bad one is listed; the built ones."""
    built = {}
    for name, spec in systems.items():
        try:
            built.update(check_systems({name: spec}))
        except ConfigError as err:
            problems += err.problems
    return built


def check_config(config: dict, schema: str | os.PathLike) -> dict:
    """Validate ``config`` in place and run every cross-key check, before any job
    (:func:`checked_systems`). Returns ``config``."""
    checked_systems(config, schema)
    return config


def checked_systems(config: dict, schema: str | os.PathLike) -> dict[str, HamiltonianSystem]:
    """Validate ``config`` in place and run every cross-key check, before any job.

    First the JSON schema (:func:`load_schema`: types, bounds, enums from the
    registries, no unknown keys; defaults filled in), with a misspelt built-in system
    or learner named as such. If it passes, every rule across keys: the names across
    blocks (:func:`~hampipe.core.check_consistency`), the methods entries and their
    variants (:func:`~hampipe.core.check_methods`), the learning settings
    (:func:`check_learning`), every system (a user-written Hamiltonian is parsed and
    differentiated once, here) and the runs and outputs against the built systems
    (:func:`check_outputs`); the last two only once every variant's settings have
    passed their learner's schema. Raises :class:`~hampipe.core.ConfigError` listing
    every problem of the failing stage (the schema, or the rules across keys), each
    naming the key path, the bad value and what is allowed. Returns every configured
    system, built (name -> system).
    """
    raise_problems(unreadable(config))
    schema_dict = load_schema(schema)
    misnamed = _misnamed(config, schema_dict)
    problems = list(misnamed.values())
    for error in schema_errors(config, schema_dict):
        path = [str(p) for p in error.absolute_path]
        if not any(".".join(path[: len(k.split("."))]) == k for k in misnamed):
            problems += describe(error)
    raise_problems(problems)
    raise_problems(_method_structure(config["methods"]))
    _drop_left_out(config)
    methods_ok = _collect(problems, check_methods, config, schema_dict)
    _collect(problems, check_consistency, config)
    built = _check_each_system(config["systems"], problems)
    if methods_ok:  # the variants' settings passed their learners' schemas
        _collect(problems, check_learning, config)
        _collect(problems, check_outputs, config, built)
    raise_problems(problems)
    return built


def _method_structure(methods: Mapping[str, Any]) -> list[str]:
    """What every check of the ``methods`` entries would trip over, one problem per key:
    a ``per_system`` block inside a ``per_system`` block (its keys would reach a job's
    settings unread), and a chain of ``method:`` keys longer than :data:`MAX_CHAIN`
    (named at the entry that starts it; each check resolves every chain)."""
    problems = []
    for name, entry in methods.items():
        for system, block in (entry.get("per_system") or {}).items():
            if isinstance(block, Mapping) and "per_system" in block:
                problems.append(
                    f"config key 'methods.{name}.per_system.{system}.per_system': a "
                    "per_system block inside a per_system block; allowed: the entry's "
                    f"settings for {system} (a per_system block holds no other)"
                )
    too_long: dict[str, list[str]] = {}
    for name in methods:
        chain = [name]
        while len(chain) <= MAX_CHAIN:
            base = methods[chain[-1]].get("method")
            if base is None or base not in methods or base in chain:
                break  # a learner, or a missing base or a cycle, which check_methods names
            chain.append(base)
        else:
            too_long[name] = chain
    bases = {methods[name].get("method") for name in too_long}
    starts = [name for name in too_long if name not in bases] or list(too_long)[:1]
    for name, chain in too_long.items():
        if name in starts:  # where the chain starts (or, in a long cycle, the first entry)
            problems.append(
                f"config key 'methods.{name}.method': the chain of 'method:' keys from "
                f"{name} ({' -> '.join(chain[:3])} -> ...) is longer than {MAX_CHAIN} "
                f"entries; allowed: at most {MAX_CHAIN} (a variant of a variant ... of a "
                "learner's own entry)"
            )
    return problems


def _drop_left_out(config: dict) -> None:
    """Remove, in place, what an overlay left out: an ``experiments`` entry with an empty
    list and a ``tables`` entry set to null (overlays merge key by key, so this is how
    one takes a system or a table of ``config.yaml`` out of a run)."""
    config["experiments"] = {s: m for s, m in config["experiments"].items() if m}
    config["tables"] = {k: v for k, v in config.get("tables", {}).items() if v is not None}


def _collect(problems: list[str], check, *args) -> bool:
    """Run ``check(*args)``, adding the problems it raises to ``problems``; whether none."""
    try:
        check(*args)
    except ConfigError as err:
        problems += err.problems
        return False
    return True
