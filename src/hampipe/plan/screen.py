"""Screening of a merged config before its checks: what no check could read safely, and
the systems that no ``experiments`` entry names (:mod:`hampipe.plan.checks` runs the
checks)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)

#: Nesting deeper than this is refused (a config is a few levels deep; a self-referencing
#: YAML alias is infinitely deep).
MAX_DEPTH = 32


def unreadable(value: Any, path: str = "", depth: int = 0) -> list[str]:
    """What no check after the schema could read safely, one problem per key: a number
    that is not finite (NaN passes every schema bound), a key that is not a name, and
    nesting deeper than :data:`MAX_DEPTH` (a recursive alias)."""
    where = f"config key '{path}'" if path else "the config"
    if depth > MAX_DEPTH:
        return [f"{where}: nested more than {MAX_DEPTH} levels deep (a recursive alias?)"]
    problems: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(
                    f"{where}: the key {key!r} is a {type(key).__name__}, expected a name "
                    "(quote it)"
                )
                continue
            problems += unreadable(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems += unreadable(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        problems.append(f"{where}: {value} is not a finite number; every number must be")
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
