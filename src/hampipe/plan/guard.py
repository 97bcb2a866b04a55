"""Keep a run from replacing outputs that another set of config files made.

Leaving out an overlay (``--configfile config.quick.yaml``) plans another study into the
same ``results/``: Snakemake would then rerun, and so replace, every output whose params
changed, hours or days of work included. So each run that starts jobs records the config
files it was given and a digest of the config they merge to (:func:`stamp_results`, from
the Snakefile's ``onstart``), and every later parse compares (:func:`check_results`):

- the same config (same digest), whatever files gave it: allowed;
- the recorded files all given again, values edited or overlays added: allowed; that is a
  deliberate change, and Snakemake reruns only what depends on it;
- a recorded file left out, and the config different: refused with one message naming the
  files, ``--directory`` and the override ``--config replace_results=True``.

The record is ``results/.hampipe-run.json`` (:data:`STAMP`); without it (results from
before the record existed, or no run yet) nothing is refused. Calls that plan nothing
and write nothing (``--lint``, the rule listings, ``--unlock``: :func:`read_only`) are
not checked.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hampipe.core.config import ConfigError
from hampipe.core.files import write_text

#: The record of the config files that made ``results/``, relative to the working directory.
STAMP = Path("results/.hampipe-run.json")
#: The config key that lets a run replace outputs made with other config files.
OVERRIDE = "replace_results"
#: Snakemake options under which it neither plans jobs nor writes outputs.
READ_ONLY_OPTIONS = frozenset(
    {"--lint", "--list-rules", "--list", "-l", "--list-target-rules", "--lt", "--unlock"}
    | {"--print-compilation"}
)


def read_only(argv: Iterable[str]) -> bool:
    """Whether a ``snakemake`` command line (``sys.argv``) only reads the workflow."""
    return any(str(arg).split("=", 1)[0] in READ_ONLY_OPTIONS for arg in argv)


def config_names(files: Iterable[str | os.PathLike], root: str | os.PathLike = ".") -> list[str]:
    """The config files as recorded: relative to ``root`` when inside it, else absolute
    (so that a copied project still matches its own record)."""
    base = Path(root).resolve()
    names = []
    for file in files:
        path = Path(file).resolve()
        names.append(path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path))
    return names


def config_digest(config: Mapping[str, Any]) -> str:
    """SHA-256 of the merged config, without the override and the workflow's private
    ``_``-keys (the front page), so that equal studies have equal digests."""
    kept = {k: v for k, v in config.items() if not str(k).startswith("_") and k != OVERRIDE}
    text = json.dumps(kept, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_stamp(root: str | os.PathLike = ".") -> dict[str, Any] | None:
    """The record of the run that last started jobs in ``root``; ``None`` without one
    (or when it cannot be read: an unreadable record protects nothing, but blocks nothing)."""
    try:
        stamp = json.loads((Path(root) / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("configfiles"), list):
        return None
    return stamp


def check_results(
    files: Iterable[str | os.PathLike], config: Mapping[str, Any], root: str | os.PathLike = "."
) -> None:
    """Raise :class:`~hampipe.core.config.ConfigError` when this run would replace
    outputs made with config files it leaves out (see the module's rules); nothing is
    read but the record, nothing is written."""
    stamp = read_stamp(root)
    if stamp is None or config.get(OVERRIDE) is True:
        return
    names = config_names(files, root)
    left_out = [name for name in stamp["configfiles"] if name not in names]
    if not left_out or stamp.get("digest") == config_digest(config):
        return
    made = ", ".join(stamp["configfiles"])
    raise ConfigError(
        f"results/ holds outputs made with the config files {made} ({STAMP}, "
        f"{stamp.get('started', 'date unknown')}); this run leaves out "
        f"{', '.join(left_out)}, so its plan would replace them with another config's. "
        "Give the same --configfile list again; or run this config in another folder, "
        "`snakemake --directory DIR ...` (config.yaml is still read from the project); "
        f"or replace them on purpose with `--config {OVERRIDE}=True`."
    )


def stamp_results(
    files: Iterable[str | os.PathLike], config: Mapping[str, Any], root: str | os.PathLike = "."
) -> Path:
    """Record the config files and digest of a run that starts jobs in ``root``
    (written whole or not at all); returns the record's path."""
    path = Path(root) / STAMP
    stamp = {
        "configfiles": config_names(files, root),
        "digest": config_digest(config),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    return write_text(path, json.dumps(stamp, indent=1) + "\n")
