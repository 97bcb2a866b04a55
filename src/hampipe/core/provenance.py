"""Version and provenance of every output: which code, rule, params and inputs made it.

A workflow script calls :func:`start_job` first. It routes logging to the job's
``log:`` file, makes an uncaught exception end up in that file with its traceback, and
records the job's provenance: the hampipe version, the git commit of the source
checkout, the rule, a hash of the params and the checksum of every input file.
:func:`provenance` returns that record; the writers of NetCDF, model and figure files
store it (``hampipe provenance FILE`` prints it back).

The record holds nothing that depends on when or where the job ran (no timestamps, no
host names), so the same config still gives byte-identical data files.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from hampipe.core.logs import log_to

try:
    __version__: str = version("hampipe")
except PackageNotFoundError:  # running from a source tree with PYTHONPATH=src
    __version__ = "0.1.0+source"

log = logging.getLogger(__name__)

#: The keys of a provenance record, in the order :func:`provenance` gives them; a
#: record outside a job holds only the first two (``git_commit`` only in a checkout).
PROVENANCE_KEYS = (
    "hampipe_version",
    "git_commit",
    "rule",
    "wildcards",
    "params_hash",
    "input_checksums",
)

#: Where a figure keeps its record (JSON): the PDF document information entry and the
#: PNG text chunk.
PDF_INFO_KEY = "Keywords"
PNG_TEXT_KEY = "hampipe_provenance"

#: Where a table's Markdown copy keeps its record: an HTML comment (invisible once
#: rendered) opening with this marker; HTML pages and GIFs keep it under the same name
#: (a ``<meta>`` element, the GIF's comment extension).
TEXT_MARKER = PNG_TEXT_KEY

#: Seconds each ``git`` call may take before the commit is left out.
GIT_TIMEOUT = 5.0
#: Bytes read at a time when hashing a file.
CHUNK = 1 << 20

#: The record of the running job (set by :func:`start_job`); ``None`` outside a job.
_JOB: dict[str, Any] | None = None


class SnakemakeJob(Protocol):
    """What :func:`start_job` reads of Snakemake's ``snakemake`` object in a script.

    ``log``, ``input``, ``params`` and ``wildcards`` are Snakemake ``Namedlist``s:
    iterable, and ``params`` and ``wildcards`` have ``items()``.
    """

    rule: str
    log: Any
    input: Any
    params: Any
    wildcards: Any


def _git(directory: Path, *args: str) -> str | None:
    """Stdout of ``git -C directory ARGS``, or ``None`` if git fails or is absent."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_commit(directory: str | os.PathLike | None = None) -> str | None:
    """The git commit of the checkout holding ``directory``, ``-dirty`` if modified.

    Parameters
    ----------
    directory
        A folder of the checkout; by default the one holding the ``hampipe`` package.

    Returns
    -------
    str or None
        ``git rev-parse HEAD``, with ``-dirty`` appended when a tracked file differs
        from it (``git status --porcelain --untracked-files=no`` is not empty, or
        cannot be run). ``None`` outside a git checkout, without git, or when the
        package is not a tracked part of the checkout that holds it (an installed copy
        inside some other repository's virtual environment): never an error.
    """
    folder = Path(directory) if directory is not None else Path(__file__).resolve().parents[1]
    commit = _git(folder, "rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    if directory is None and _git(folder, "ls-files", "--error-unmatch", "__init__.py") is None:
        return None  # hampipe is not tracked here: the commit would describe other code
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return commit if status == "" else f"{commit}-dirty"


@lru_cache(maxsize=1)
def _source_commit() -> str | None:
    """:func:`git_commit` of the hampipe package, looked up once per process."""
    return git_commit()


def file_checksum(path: str | os.PathLike) -> str:
    """``sha256:<hex>`` of a file's bytes, read in chunks of :data:`CHUNK` bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def params_hash(params: Mapping[str, Any] | Iterable[Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of a job's params.

    Canonical: ``json.dumps(params, sort_keys=True, default=str)`` with compact
    separators, so equal params give equal hashes whatever their key order. A
    Snakemake ``Namedlist`` counts by its named entries (``items()``).
    """
    text = json.dumps(_plain(params), sort_keys=True, default=str, separators=(",", ":"))
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def _plain(values: Any) -> Any:
    """A Snakemake ``Namedlist`` (or any mapping) as a dict, other iterables as a list."""
    if hasattr(values, "items"):
        return {str(k): v for k, v in values.items()}
    if isinstance(values, str | bytes):
        return values
    return list(values)


def input_checksums(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """``{path: checksum}`` for a job's input files (see :func:`file_checksum`).

    Paths are kept as given (relative to the working directory in a Snakemake job), in
    order, each once. A directory gets ``"directory"``; a missing path raises
    ``FileNotFoundError`` naming it.
    """
    checksums: dict[str, str] = {}
    for path in paths:
        key = os.fspath(path)
        if key in checksums:
            continue
        if os.path.isdir(key):
            checksums[key] = "directory"
        elif os.path.isfile(key):
            checksums[key] = file_checksum(key)
        else:
            raise FileNotFoundError(f"input file of the job not found: {key}")
    return checksums


def provenance() -> dict[str, Any]:
    """The provenance record of the running job (a dict of JSON-able values).

    Inside a job (after :func:`start_job`): ``hampipe_version``, ``git_commit`` (only
    in a git checkout), ``rule``, ``wildcards`` (dict), ``params_hash`` and
    ``input_checksums`` (dict path → ``sha256:<hex>``). Outside a job: only
    ``hampipe_version`` and ``git_commit``. A fresh copy each call.
    """
    if _JOB is not None:
        return json.loads(json.dumps(_JOB))
    record: dict[str, Any] = {"hampipe_version": __version__}
    commit = _source_commit()
    if commit:
        record["git_commit"] = commit
    return record


def job_record(job: SnakemakeJob) -> dict[str, Any]:
    """The provenance record of a Snakemake job (see :func:`provenance`)."""
    record: dict[str, Any] = {"hampipe_version": __version__}
    commit = _source_commit()
    if commit:
        record["git_commit"] = commit
    record["rule"] = str(job.rule)
    record["wildcards"] = {str(k): str(v) for k, v in job.wildcards.items()}
    record["params_hash"] = params_hash(job.params)
    record["input_checksums"] = input_checksums(str(path) for path in job.input)
    return record


def log_uncaught(rule: str) -> Callable[..., None]:
    """A ``sys.excepthook`` that logs an uncaught exception of rule ``rule`` with its
    traceback to the ``hampipe`` logger (the job's log file and stderr), then flushes."""

    def hook(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        logging.getLogger("hampipe").critical(
            "rule %s failed: %s: %s",
            rule,
            kind.__name__,
            error,
            exc_info=(kind, error, traceback),
        )
        logging.shutdown()  # flush and close the log file before the interpreter exits

    return hook


def start_job(job: SnakemakeJob, level: int = logging.INFO) -> dict[str, Any]:
    """Set up a workflow script's job: its log file, its tracebacks and its provenance.

    Every script in ``workflow/scripts`` calls ``start_job(snakemake)`` first.

    1. Logging and Python warnings go to the job's ``log:`` file (and stderr), as
       :func:`hampipe.core.logs.log_to` does.
    2. An uncaught exception is logged with its full traceback, so the log file holds
       it (Snakemake itself prints it only to stderr).
    3. The job's provenance record (:func:`job_record`) becomes what
       :func:`provenance` returns, and is logged.

    Returns
    -------
    dict
        The record.
    """
    global _JOB
    log_to(job.log[0] if len(job.log) else None, level)
    sys.excepthook = log_uncaught(str(job.rule))
    _JOB = job_record(job)
    log.info(
        "rule %s, hampipe %s, commit %s, params %s, %d input files",
        _JOB["rule"],
        _JOB["hampipe_version"],
        _JOB.get("git_commit", "unknown"),
        _JOB["params_hash"],
        len(_JOB["input_checksums"]),
    )
    return provenance()


def end_job() -> None:
    """Forget the running job's record: :func:`provenance` gives the minimal one again."""
    global _JOB
    _JOB = None


def record_json() -> str:
    """The running job's record (:func:`provenance`) as one line of JSON."""
    return json.dumps(provenance(), sort_keys=True)


def markdown_comment(text: str) -> str:
    """``text`` (a record's JSON) as the HTML comment a Markdown table ends with; a
    ``--`` inside a string is written ``-\\u002d`` so the comment cannot end early."""
    safe = text.replace("--", "-\\u002d")
    return f"<!-- {TEXT_MARKER} {safe} -->"


def html_meta(text: str) -> str:
    """``text`` (a record's JSON) as the ``<meta>`` element of an HTML page's head."""
    return f'<meta name="{TEXT_MARKER}" content="{html.escape(text, quote=True)}">'


def gif_with_comment(data: bytes, text: str) -> bytes:
    """The GIF ``data`` with ``text`` (a record's JSON) in a comment extension right
    after the global colour table (GIF89a §24), where readers find it before the first
    frame (Pillow: ``Image.open(path).info["comment"]``). Raises ``ValueError`` for data
    that is not a GIF."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise ValueError("not a GIF file")
    packed = data[10]
    start = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    payload = text.encode("utf-8")
    blocks = b"".join(
        bytes([len(chunk)]) + chunk
        for chunk in (payload[i : i + 255] for i in range(0, len(payload), 255))
    )
    return b"GIF89a" + data[6:start] + b"\x21\xfe" + blocks + b"\x00" + data[start:]
