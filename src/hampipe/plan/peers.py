"""The baselines' published numbers and the config's ``peers`` block that reproduces them.

A *comparison* is one published table of a baseline's own paper (the HNN paper's
two-body task, DGNet's mass-spring task, …). The published file (``peers.published``,
by default ``peers/published.yaml``) holds, per comparison, its source and, per row of
the table, the published value of each metric of :data:`PEER_METRICS` with the
uncertainty the paper states (or null). The config's ``peers.comparisons`` maps each
comparison to the system it is evaluated on and each published row to the ``methods``
entries that reproduce it: ``peer`` with the peer's own recipe, ``hampipe`` (optional)
with the same network trained by hampipe's default recipe.

Torch-free: the plan reads it before any job, the ``table_peers`` job to write the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

#: Metrics a published row may carry: the evaluation files' variables of the same names.
PEER_METRICS: tuple[str, ...] = ("derivative_mse", "energy_mse")

_VALUE = {
    "oneOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {
            "type": "array",
            "prefixItems": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": ["number", "null"], "minimum": 0},
            ],
            "minItems": 2,
            "maxItems": 2,
        },
    ],
    "description": "the published value, or [value, its stated uncertainty or null]",
}


def _named(value: dict[str, Any]) -> dict[str, Any]:
    """A non-empty mapping from lower-case names to ``value``s."""
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": r"\A[a-z][a-z0-9_]*\Z"},
        "additionalProperties": value,
    }


#: The published file's schema (JSON Schema 2020-12).
PUBLISHED_SCHEMA: dict[str, Any] = _named(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["source", "rows"],
        "properties": {
            "source": {"type": "string", "minLength": 1},
            "recipe": {"type": "string"},
            "evaluation": {"type": "string"},
            "rows": _named(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["label"],
                    "minProperties": 2,
                    "properties": {
                        "label": {"type": "string", "minLength": 1},
                        **{metric: _VALUE for metric in PEER_METRICS},
                    },
                }
            ),
        },
    }
)


def read_published(path: str | os.PathLike) -> dict[str, Any]:
    """The published file at ``path``, checked, with every value as ``[value, ±]``.

    Raises ``FileNotFoundError`` or ``ValueError`` naming the file and the bad entry.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no published-numbers file {path}")
    with open(path) as f:
        published = yaml.safe_load(f)
    errors = sorted(
        jsonschema.Draft202012Validator(PUBLISHED_SCHEMA).iter_errors(published),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise ValueError(f"{path}: entry '{where}': {errors[0].message}")
    for comparison in published.values():
        for row in comparison["rows"].values():
            for metric in PEER_METRICS:
                if metric in row and not isinstance(row[metric], list):
                    row[metric] = [row[metric], None]
    return published


def peer_problems(config: Mapping[str, Any], root: str | os.PathLike = ".") -> list[str]:
    """Problems of the config's ``peers`` block against its published file: the file is
    readable and holds every comparison and row the block names. Empty when there are no
    comparisons (the file is then not read)."""
    block = config.get("peers", {})
    comparisons = block.get("comparisons", {})
    if not comparisons:
        return []
    path = Path(root) / block["published"]
    try:
        published = read_published(path)
    except (FileNotFoundError, ValueError) as error:
        return [f"config key 'peers.published': {error}"]
    problems = []
    for name, comparison in comparisons.items():
        if name not in published:
            problems.append(
                f"config key 'peers.comparisons.{name}': {path} has no comparison {name!r}; "
                f"allowed: {', '.join(published)}"
            )
            continue
        rows = published[name]["rows"]
        for row in comparison["rows"]:
            if row not in rows:
                problems.append(
                    f"config key 'peers.comparisons.{name}.rows.{row}': {path} has no row "
                    f"{row!r} in {name!r}; allowed: {', '.join(rows)}"
                )
    return problems


def peer_entries(config: Mapping[str, Any], system: str) -> list[str]:
    """The ``methods`` entries of every comparison evaluated on ``system``, in order
    (row by row, the peer's recipe before hampipe's), each once."""
    entries: list[str] = []
    for comparison in config.get("peers", {}).get("comparisons", {}).values():
        if comparison["system"] != system:
            continue
        for row in comparison["rows"].values():
            entries += [row[k] for k in ("peer", "hampipe") if k in row]
    return list(dict.fromkeys(entries))


def peer_systems(config: Mapping[str, Any]) -> list[str]:
    """The systems the comparisons are evaluated on, in order, each once."""
    comparisons = config.get("peers", {}).get("comparisons", {})
    return list(dict.fromkeys(c["system"] for c in comparisons.values()))
