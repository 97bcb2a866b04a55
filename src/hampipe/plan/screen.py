"""Screening of config files and of a merged config before its checks: what no check
could read safely (a duplicate key, an alias bomb, a recursive alias, a number no
config can use), and the systems that no ``experiments`` entry names
(:mod:`hampipe.plan.checks` runs the checks)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from hampipe.core import ConfigError

log = logging.getLogger(__name__)

#: Nesting deeper than this is refused (a config is a few levels deep; a self-referencing
#: YAML alias is infinitely deep).
MAX_DEPTH = 32
#: More values than this in one config (keys, scalars, lists and mappings, each alias
#: counted as often as it is used) are refused: ``config.yaml`` holds about 1,500, and
#: the "billion laughs" pattern, ten aliases of ten aliases, expands to 10⁹ unless
#: stopped here.
MAX_VALUES = 100_000
#: A number farther from zero than this, or nonzero and closer to it than
#: :data:`MIN_MAGNITUDE`, is refused whatever its key: no count, size, step, tolerance
#: or physical constant in any unit system (the mass of the observable universe is
#: ~1e53 kg, Planck's constant ~7e-34 J s) is one, and its square still fits a float64
#: (1e200), where 1e300 overflows.
MAX_MAGNITUDE = 1e100
MIN_MAGNITUDE = 1e-100


def unreadable(value: Any, path: str = "") -> list[str]:
    """What no check after the schema could read safely, one problem per key: a number
    that is not finite (NaN passes every schema bound) or beyond
    :data:`MAX_MAGNITUDE`/within :data:`MIN_MAGNITUDE` of zero, a key that is not a
    name, nesting deeper than :data:`MAX_DEPTH` (a recursive alias) and more than
    :data:`MAX_VALUES` values (an alias bomb: shared values count once per use)."""
    problems: list[str] = []
    count = 0

    def where(at: str) -> str:
        return f"config key '{at}'" if at else "the config"

    def visit(item: Any, at: str, depth: int) -> bool:
        """Screen ``item``; whether to go on (False once the config is too big)."""
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            problems.append(
                f"{where(at)}: the config holds more than {MAX_VALUES} values (an alias "
                "used over and over, as in an alias bomb?); allowed: at most "
                f"{MAX_VALUES}"
            )
            return False
        if depth > MAX_DEPTH:
            problems.append(
                f"{where(at)}: nested more than {MAX_DEPTH} levels deep (a recursive alias?)"
            )
            return True
        if isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    problems.append(
                        f"{where(at)}: the key {_shown_key(key)} is a {type(key).__name__}, "
                        "expected a name (quote it)"
                    )
                    continue
                if not visit(child, f"{at}.{key}" if at else key, depth + 1):
                    return False
        elif isinstance(item, list):
            for i, child in enumerate(item):
                if not visit(child, f"{at}[{i}]", depth + 1):
                    return False
        elif (why := number_problem(item)) is not None:
            problems.append(f"{where(at)}: {why}")
        return True

    visit(value, path, 0)
    return problems


def number_problem(value: Any) -> str | None:
    """Why number ``value`` is none a config can use (not finite, beyond
    :data:`MAX_MAGNITUDE`, or nonzero within :data:`MIN_MAGNITUDE` of zero), or None
    (also for what is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number; every number must be"
    if abs(value) > MAX_MAGNITUDE:
        shown = f"{value:g}" if isinstance(value, float) else _long_integer(value)
        return (
            f"{shown} is too large for any setting; allowed: numbers within "
            f"±{MAX_MAGNITUDE:g} (each key has its own, smaller bounds)"
        )
    if value and abs(value) < MIN_MAGNITUDE:
        return (
            f"{value:g} is too close to 0 for any setting; allowed: 0, or numbers at "
            f"least {MIN_MAGNITUDE:g} from it (each key has its own bounds)"
        )
    return None


def _long_integer(value: int) -> str:
    """A huge integer as 'an integer of about N digits' (Python refuses to print one of
    more than 4,300)."""
    return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"


def _shown_key(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool) and abs(key) > MAX_MAGNITUDE:
        return _long_integer(key)
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ config files
_MERGE = "tag:yaml.org,2002:merge"


class _Stop(Exception):
    """Raised inside :func:`_file_problems` once a file is known unreadable."""


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """The mapping YAML (or JSON) config file ``path`` holds, read strictly (an empty
    file holds none).

    Besides invalid YAML, refused with :class:`ConfigError` naming the file, the line
    and the key: a key given twice in one mapping (YAML keeps the last silently), an
    alias inside the block it names (a recursive alias), aliases that expand to more
    than :data:`MAX_VALUES` values (an alias bomb), nesting deeper than
    :data:`MAX_DEPTH`, and a file that holds no mapping. Each is found on the parsed
    nodes before a value is built, so none takes long.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            loader = yaml.SafeLoader(handle)
            try:
                node = loader.get_single_node()
                problems = _file_problems(node) if node is not None else []
                if problems:
                    raise ConfigError.of(f"config file {path}: {p}" for p in problems)
                content = loader.construct_document(node) if node is not None else {}
            finally:
                loader.dispose()
    except ConfigError:
        raise
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {path}: not valid YAML: {error}") from None
    except RecursionError:  # PyYAML's parser recurses once per level of nesting
        raise ConfigError(f"config file {path}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"config file {path}: holds a value no config can use: {error}") from None
    if not isinstance(content, dict):
        raise ConfigError(
            f"config file {path}: holds {type(content).__name__}, expected a mapping of "
            "config keys (key: value)"
        )
    return content


def screen_files(paths: Iterable[str | os.PathLike]) -> None:
    """Read every config file of ``paths`` strictly (:func:`read_config_file`); raise one
    :class:`ConfigError` listing the problems of all of them.

    The workflow gets its config from Snakemake, which reads the same files leniently
    (of a repeated key, the last wins); this re-reads them to refuse what it let through.
    """
    problems: list[str] = []
    for path in paths:
        try:
            read_config_file(path)
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError.of(problems)


def _file_problems(root: yaml.Node) -> list[str]:
    """The problems of a parsed YAML document ``root``, whose node graph holds an alias
    as the very node it names: every key repeated in a mapping, then the first of a
    recursive alias, nesting past :data:`MAX_DEPTH`, or more than :data:`MAX_VALUES`
    values once the aliases are expanded. A shared node is measured once (its expanded
    size and height are kept), so a bomb is measured without being expanded."""
    problems: list[str] = []
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
    inside: set[int] = set()  # the nodes being measured: the current path

    def at(node: yaml.Node, path: str) -> str:
        return f"line {node.start_mark.line + 1}: config key '{path or '<root>'}'"

    def children(node: yaml.Node, path: str) -> list[tuple[yaml.Node, str]]:
        if isinstance(node, yaml.SequenceNode):
            return [(child, f"{path}[{i}]") for i, child in enumerate(node.value)]
        if not isinstance(node, yaml.MappingNode):
            return []
        out: list[tuple[yaml.Node, str]] = []
        first: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            where = f"{path}.{name}" if path else name
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                if (key.tag, key.value) in first:
                    problems.append(
                        f"{at(key, where)}: given twice in one mapping (first on line "
                        f"{first[key.tag, key.value]}; the last would silently replace "
                        "it); allowed: each key once"
                    )
                first.setdefault((key.tag, key.value), key.start_mark.line + 1)
            out += [(key, path), (value, where)]
        return out

    def measure(node: yaml.Node, path: str, depth: int) -> tuple[int, int]:
        if id(node) in inside:
            problems.append(
                f"{at(node, path)}: an alias inside the block it names (a recursive "
                "alias); allowed: aliases of blocks outside them"
            )
            raise _Stop
        if depth > MAX_DEPTH:
            problems.append(f"{at(node, path)}: nested more than {MAX_DEPTH} levels deep")
            raise _Stop
        if id(node) not in measured:
            inside.add(id(node))
            values, height = 1, 0
            for child, where in children(node, path):
                child_values, child_height = measure(child, where, depth + 1)
                values, height = values + child_values, max(height, child_height + 1)
                if values > MAX_VALUES:
                    problems.append(
                        f"{at(node, path)}: expands to more than {MAX_VALUES} values "
                        f"through its aliases (an alias bomb?); allowed: at most "
                        f"{MAX_VALUES} in one file"
                    )
                    raise _Stop
            inside.discard(id(node))
            measured[id(node)] = values, height
        values, height = measured[id(node)]
        if depth + height > MAX_DEPTH:
            problems.append(
                f"{at(node, path)}: nested more than {MAX_DEPTH} levels deep (through an alias)"
            )
            raise _Stop
        return values, height

    try:
        measure(root, "", 0)
    except _Stop:
        pass
    return problems


def unlisted_systems(config: Mapping[str, Any]) -> list[str]:
    """Systems that no ``experiments`` entry names (on the merged config before it is
    checked: the check drops an overlay's empty entries, which leave a system out on
    purpose)."""
    systems, experiments = config.get("systems"), config.get("experiments")
    if not isinstance(systems, Mapping) or not isinstance(experiments, Mapping):
        return []
    return [s for s in systems if s not in experiments]


def warn_unlisted(unlisted: Sequence[str]) -> None:
    """Warn about systems that no ``experiments`` entry names: ``all`` makes nothing for
    them (:func:`unlisted_systems`; call it once the config passed its checks)."""
    if unlisted:
        log.warning(
            "hampipe: %s %s in systems but not in experiments, so `all` makes nothing for "
            "%s; add `experiments: {%s: [hnn, sann]}` (the methods to compare), or "
            "`%s: []` to leave it out without this warning",
            ", ".join(unlisted),
            "is" if len(unlisted) == 1 else "are",
            "it" if len(unlisted) == 1 else "them",
            unlisted[0],
            unlisted[0],
        )
