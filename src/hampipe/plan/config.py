"""A whole pipeline config loaded as a run sees it: files merged, then every check.

The one way to load ``config.yaml`` plus overlays outside the workflow (tests, the
benchmarks). The workflow gets the merged config from Snakemake and runs the same
checks in ``workflow/rules/common.smk`` (:func:`~hampipe.plan.check_config`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hampipe.core import merge_config
from hampipe.plan.checks import check_config
from hampipe.plan.screen import read_config_file, unlisted_systems, warn_unlisted

#: The config file the Snakefile names (``configfile:``), relative to the project root.
CONFIG = Path("config.yaml")
#: The config schema, relative to the project root.
SCHEMA = Path("workflow/schemas/config.schema.yaml")


def load_config(
    *paths: str | os.PathLike,
    overrides: Mapping[str, Any] | None = None,
    root: str | os.PathLike = ".",
    schema: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """The config files ``paths`` merged in order, then checked as the workflow checks them.

    Each file is merged over the ones before it key by key, as Snakemake merges
    ``--configfile`` overlays (:func:`~hampipe.core.merge_config`); ``overrides``
    (a mapping, copied) is merged last. The result passes
    :func:`~hampipe.plan.check_config`: the schema with its registry enums (defaults
    filled in) and every check across keys.

    Parameters
    ----------
    paths
        YAML config files, relative to ``root`` unless absolute (default:
        :data:`CONFIG`, ``config.yaml``).
    overrides
        Keys merged over the files, e.g. ``{"methods": {"sann": {"epochs": 10}}}``.
    root
        The project directory (the one holding ``config.yaml`` and ``workflow/``).
    schema
        The config schema (default: :data:`SCHEMA` under ``root``).

    Raises
    ------
    FileNotFoundError
        Naming a config file or the schema that does not exist.
    ConfigError
        Naming a file that is not a YAML mapping or repeats a key (or is otherwise
        refused by :func:`~hampipe.plan.screen.read_config_file`), or listing every
        invalid key.
    """
    root = Path(root)
    schema = Path(schema) if schema is not None else root / SCHEMA
    files = [root / path for path in paths or (CONFIG,)]
    for path, what in [*((path, "config file") for path in files), (schema, "config schema")]:
        if not path.is_file():
            raise FileNotFoundError(f"{what} {path} not found")
    config: dict[str, Any] = {}
    for path in files:
        config = merge_config(config, read_config_file(path))
    if overrides:
        config = merge_config(config, copy.deepcopy(dict(overrides)))
    unlisted = unlisted_systems(config)
    checked = check_config(config, schema)
    warn_unlisted(unlisted)
    return checked
