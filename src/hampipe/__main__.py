"""The ``hampipe`` command: ``hampipe provenance FILE`` prints how an output was made;
``hampipe settings [NAME]`` lists the declared settings of a learner, built-in system or
integrator (default, bounds, meaning); ``hampipe targets [SYSTEM]`` lists the figures,
animations and tables ``all`` makes with the project's config (and overlays).

Every output of the pipeline carries the provenance record of the job that wrote it
(:func:`hampipe.core.provenance.provenance`): the hampipe version, the git commit of
the source checkout (``-dirty`` when it had local changes), the rule and its wildcards,
a hash of the rule's params and the checksum of every input file.

- NetCDF files (``.nc``): global attributes (``wildcards`` and ``input_checksums`` as
  JSON text), beside the CF ``title`` and ``history``;
- model files (``.pt``): the payload's ``"provenance"`` dict (torch is imported only
  for these);
- figures: the PDF's ``Keywords`` (JSON; a summary in ``Subject``) and the PNG's
  ``hampipe_provenance`` text chunk;
- tables: the Markdown copy's closing HTML comment ``<!-- hampipe_provenance … -->``
  and the HTML page's ``<meta name="hampipe_provenance">`` (also the animation pages);
- GIF animations: the GIF's comment extension (JSON).

CSV files stay plain, for the programs that read them: for a CSV, the command prints the
record of the page, Markdown copy or figure the same job wrote beside it, and says which.
Logs and benchmark files carry no record.

``hampipe provenance FILE`` prints one ``key: value`` per line, dict entries as
``key.entry: value``; a missing or foreign file is a one-line error naming it, with exit
status 2. ``python -m hampipe provenance FILE`` does the same.
"""

from __future__ import annotations

import argparse
import codecs
import html
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hampipe.core import ConfigError
from hampipe.core.provenance import (
    PDF_INFO_KEY,
    PNG_TEXT_KEY,
    PROVENANCE_KEYS,
    TEXT_MARKER,
    __version__,
)


class ProvenanceError(ValueError):
    """A file holds no readable hampipe provenance record."""


def _from_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """The record among a NetCDF file's global attributes (JSON text parsed back)."""
    record: dict[str, Any] = {}
    for key in PROVENANCE_KEYS:
        if key not in attrs:
            continue
        value = attrs[key]
        if key in ("wildcards", "input_checksums") and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass  # printed as the text it is
        record[key] = value.item() if hasattr(value, "item") else value
    return record


def _netcdf_record(path: Path) -> dict[str, Any]:
    import netCDF4

    try:
        with netCDF4.Dataset(path) as ds:
            attrs = {key: ds.getncattr(key) for key in ds.ncattrs()}
    except OSError as error:
        raise ProvenanceError(f"{path}: not a readable NetCDF file ({error})") from None
    return _from_attrs(attrs)


def _model_record(path: Path) -> dict[str, Any]:
    from hampipe.data.io import InputFileError
    from hampipe.models.io import read_model_file

    try:
        payload = read_model_file(path)
    except InputFileError as error:
        raise ProvenanceError(str(error)) from None
    record = payload.get("provenance")
    if isinstance(record, dict):
        return record
    # files saved before the record existed: the version alone
    return {"hampipe_version": payload["hampipe_version"]} if "hampipe_version" in payload else {}


def _pdf_string(data: bytes, start: int) -> bytes:
    """The PDF literal string opening at ``data[start] == b"("``, escapes undone."""
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    out, i, depth = bytearray(), start + 1, 1
    while i < len(data):
        char = data[i : i + 1]
        if char == b"\\":
            nxt = data[i + 1 : i + 2]
            out += escapes.get(nxt, nxt)
            i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return bytes(out)
        out += char
        i += 1
    raise ProvenanceError("unterminated string in the PDF's document information")


def _pdf_record(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        raise ProvenanceError(f"{path}: not a PDF file")
    key = f"/{PDF_INFO_KEY} (".encode()
    at = data.rfind(key)
    if at < 0:
        return {}
    text = _pdf_string(data, at + len(key) - 1)
    if text.startswith(codecs.BOM_UTF16_BE):
        decoded = text[2:].decode("utf-16-be")
    else:
        decoded = text.decode("latin-1")
    return _json_record(decoded)


def _image_record(path: Path, kind: str, read: Any) -> dict[str, Any]:
    """The record in the text ``read(image)`` returns of the image Pillow opens at
    ``path`` (``kind`` names the format in the error of an unreadable file)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            text = read(image)
    except (UnidentifiedImageError, OSError) as error:
        raise ProvenanceError(f"{path}: not a readable {kind} file ({error})") from None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _json_record(text) if text else {}


def _png_record(path: Path) -> dict[str, Any]:
    return _image_record(
        path, "PNG", lambda image: (getattr(image, "text", {}) or {}).get(PNG_TEXT_KEY)
    )


def _json_record(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def _markdown_record(path: Path) -> dict[str, Any]:
    found = re.findall(rf"<!-- {TEXT_MARKER} (.*?) -->", path.read_text(errors="replace"))
    return _json_record(found[-1]) if found else {}


def _html_record(path: Path) -> dict[str, Any]:
    pattern = rf'<meta name="{TEXT_MARKER}" content="([^"]*)">'
    found = re.search(pattern, path.read_text(errors="replace"))
    return _json_record(html.unescape(found[1])) if found else {}


def _gif_record(path: Path) -> dict[str, Any]:
    return _image_record(path, "GIF", lambda image: image.info.get("comment"))


READERS = {
    ".nc": _netcdf_record,
    ".pt": _model_record,
    ".pdf": _pdf_record,
    ".png": _png_record,
    ".md": _markdown_record,
    ".html": _html_record,
    ".gif": _gif_record,
}
#: Where the record of a CSV is: the files its job wrote beside it, in this order.
CSV_SIBLINGS = (".html", ".md", ".png", ".pdf")


def record_source(path: str | Path) -> Path:
    """The file holding ``path``'s record: itself, or for a CSV the first sibling of
    :data:`CSV_SIBLINGS` that exists (``path`` itself when none does)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        for suffix in CSV_SIBLINGS:
            if path.with_suffix(suffix).is_file():
                return path.with_suffix(suffix)
    return path


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance record of a hampipe output (``.nc``, ``.pt``, ``.pdf``, ``.png``,
    ``.md``, ``.html``, ``.gif``; a ``.csv`` through :func:`record_source`).

    Raises ``FileNotFoundError`` for a missing file and :class:`ProvenanceError`,
    naming the file, for an unknown suffix, an unreadable file or one without a record.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    source = record_source(path)
    reader = READERS.get(source.suffix.lower())
    if reader is None:
        beside = f" or beside a .csv ({', '.join(CSV_SIBLINGS)})" if source.suffix == ".csv" else ""
        raise ProvenanceError(
            f"{path}: no provenance in {path.suffix or 'suffix-less'} files; "
            f"readable: {', '.join(READERS)}{beside}"
        )
    record = reader(source)
    if "hampipe_version" not in record:
        raise ProvenanceError(f"{path}: not a hampipe output (no provenance record)")
    return record


def format_record(record: dict[str, Any]) -> list[str]:
    """``key: value`` lines, in :data:`PROVENANCE_KEYS` order; a dict value gives
    ``key.entry: value`` lines."""
    order = {key: i for i, key in enumerate(PROVENANCE_KEYS)}
    lines = []
    for key, value in sorted(record.items(), key=lambda item: order.get(item[0], len(order))):
        if isinstance(value, dict) and value:
            lines += [f"{key}.{entry}: {item}" for entry, item in value.items()]
        elif isinstance(value, dict | list):
            lines.append(f"{key}: {json.dumps(value)}")
        else:
            lines.append(f"{key}: {value}")
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hampipe",
        description="Tools around the hampipe pipeline's outputs.",
    )
    parser.add_argument("--version", action="version", version=f"hampipe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    show = commands.add_parser(
        "provenance",
        help="print how an output (.nc, .pt, .pdf, .png) was made",
        description=(
            "Print the provenance record of a hampipe output: version, git commit, rule, "
            "wildcards, params hash and input checksums, one 'key: value' per line."
        ),
    )
    show.add_argument("file", type=Path, help="a .nc, .pt, .pdf or .png file")
    settings = commands.add_parser(
        "settings",
        help="list the settings of a learner, built-in system or integrator",
        description=(
            "List every setting of a learner (hnn, sann, ...), a built-in system (spring, "
            "three_body, ...) or an integrator (dopri5, ...): its default, bounds and "
            "meaning, as declared in the code and checked in the config. Without NAME, "
            "list the names."
        ),
    )
    settings.add_argument("name", nargs="?", help="a learner, built-in system or integrator")
    targets = commands.add_parser(
        "targets",
        help="list the figures, animations and tables `all` makes",
        description=(
            "List the figure, animation and table files that `snakemake all` makes with "
            "config.yaml and the given overlays (run it in the project's directory); "
            "each can be made alone with `snakemake --cores 2 FILE` and the same "
            "--configfile."
        ),
    )
    targets.add_argument("system", nargs="?", help="only this system's figures")
    targets.add_argument(
        "--configfile", nargs="+", default=[], metavar="FILE", help="overlays, as for snakemake"
    )
    return parser


def listed_targets(system: str | None, overlays: Sequence[str] = ()) -> list[str]:
    """The lines ``hampipe targets [SYSTEM]`` prints: the figures and animations ``all``
    draws (for ``system``, or for every system, then the tables), from ``config.yaml``
    and ``overlays`` in the working directory. ``KeyError`` naming the configured
    systems when ``system`` is not one of them."""
    from hampipe.core.config import suggest
    from hampipe.plan.config import SCHEMA, load_config
    from hampipe.plan.experiment import Plan
    from hampipe.plan.outputs import FIGURES

    plan = Plan.from_config(load_config("config.yaml", *overlays), SCHEMA)
    systems = list(plan.config["systems"])
    if system is not None and system not in systems:
        hint = suggest(system, systems)
        raise KeyError(f"no system {system!r} in the config{hint}; systems: {', '.join(systems)}")
    if system is not None:
        return [FIGURES[name].path(system) for name in plan.figures_of(system)]
    return [p for p in plan.final_outputs() if p.startswith(("results/figs/", "results/tables/"))]


def declared_settings(name: str | None) -> list[str]:
    """The lines ``hampipe settings NAME`` prints; ``KeyError`` naming the valid names."""
    from hampipe.integrators import INTEGRATORS
    from hampipe.plan.learners import LEARNERS
    from hampipe.plan.schema import REGISTRY_NAMES as names
    from hampipe.systems import SYSTEMS

    groups = {
        "learners (config: methods.<name>)": list(LEARNERS),
        "built-in systems (config: systems.<name>)": list(SYSTEMS),
        "integrators (config: methods.<entry>.prediction, .integrator)": list(INTEGRATORS),
    }
    if name is None:
        return [f"{title}: {', '.join(names)}" for title, names in groups.items()]
    if name in LEARNERS:
        spec = LEARNERS[name]
        head = f"methods.{name} ({spec.label}: {spec.description})"
        return [head, *("  " + line for line in spec.settings.describe(names=names))]
    if name in SYSTEMS:
        cls = SYSTEMS.get_class(name)
        lines = [f"systems.{name} ({cls.hamiltonian_text or cls.__name__})"]
        for key, block in (
            ("parameters", cls.parameter_fields),
            ("initial_state", cls.initial_state_fields),
        ):
            lines += ["  " + line for line in block.describe(key + ".", names)]
        return lines
    if name in INTEGRATORS:
        cls = INTEGRATORS.get_class(name)
        block = cls.options.configurable()
        lines = [f"integrator {name} (order {cls.order})"]
        return (
            lines + ["  " + line for line in block.describe(names=names)]
            if block
            else [*lines, "  (no options)"]
        )
    valid = [n for group in groups.values() for n in group]
    raise KeyError(f"no learner, built-in system or integrator {name!r}; valid: {', '.join(valid)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hampipe`` command; return its exit status (2 for a bad file)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "settings":
        try:
            print("\n".join(declared_settings(args.name)))
        except KeyError as error:
            print(f"hampipe settings: {error.args[0]}", file=sys.stderr)
            return 2
        return 0
    if args.command == "targets":
        try:
            print("\n".join(listed_targets(args.system, args.configfile)))
        except (KeyError, FileNotFoundError, ConfigError) as error:
            message = error.args[0] if isinstance(error, KeyError) else error
            print(f"hampipe targets: {message}", file=sys.stderr)
            return 2
        return 0
    if args.command != "provenance":
        parser.print_help(sys.stderr)
        return 2
    try:
        record = read_provenance(args.file)
    except (FileNotFoundError, ProvenanceError) as error:
        print(f"hampipe provenance: {error}", file=sys.stderr)
        return 2
    source = record_source(args.file)
    if source != Path(args.file):
        print(f"# the record of {source}, written beside it by the same job")
    print("\n".join(format_record(record)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
