"""Settings declared once: the fields of a method, model, integrator or system.

A :class:`Block` is an ordered set of :class:`Field` s (type, bounds, default,
description). Everything else is derived from it:

- :meth:`Block.schema` gives the JSON-schema object that ``config.schema.yaml`` would
  otherwise spell out (:func:`hampipe.plan.schema.load_schema` inserts it);
- :meth:`Block.defaults` gives the values a config that leaves the keys out gets;
- :meth:`Block.typed` gives the frozen, attribute-access settings a stage works with,
  defaults filled and every value checked against its type and bounds (a registry name
  is checked by the registry that looks it up), so no stage re-defaults a value with
  ``.get(key, default)``.

Torch-free and cheap to import: the Snakefile's parse reads these declarations.
"""

from __future__ import annotations

import dataclasses
import numbers
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

#: The default of a field that must be given.
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()

_PYTHON_TYPES = {"integer": int, "number": float, "boolean": bool, "string": str}
#: The four bounds a number may have, lower ones first: the :class:`Field` attribute,
#: its JSON-schema keyword, its sign and the test a value fails it by.
_BOUNDS = (
    ("minimum", "minimum", ">=", operator.lt),
    ("exclusive_minimum", "exclusiveMinimum", ">", operator.le),
    ("maximum", "maximum", "<=", operator.gt),
    ("exclusive_maximum", "exclusiveMaximum", "<", operator.ge),
)


@dataclasses.dataclass(frozen=True)
class Field:
    """One setting: its JSON type (``integer``, ``number``, ``boolean``, ``string``,
    ``range`` for an ordered pair of positive numbers, ``block`` for nested settings),
    default, bounds and description.

    ``registry`` names the registry whose names the value takes (the schema's
    ``x-registry``; its ``enum`` is filled when the schema is loaded). ``config=False``
    keeps a constructor option out of the config (e.g. an integrator's step limit).
    """

    kind: str
    default: Any = REQUIRED
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    registry: str | None = None
    block: Block | None = None
    config: bool = True

    def with_(self, **changes: Any) -> Field:
        """A copy with ``changes`` (e.g. another default or description)."""
        return dataclasses.replace(self, **changes)

    def schema(self) -> dict[str, Any]:
        """The JSON-schema node of this field."""
        if self.kind == "block":
            node = self.block.schema()
            node["default"] = {}
            if self.description:
                node["description"] = self.description
            return node
        node: dict[str, Any] = {}
        if self.registry is not None:
            node["x-registry"] = self.registry
        elif self.kind == "range":
            node.update(
                type="array",
                items={"type": "number", "exclusiveMinimum": 0},
                minItems=2,
                maxItems=2,
            )
            node["x-ordered"] = "weak"
        else:
            node["type"] = self.kind
        for attribute, keyword, _, _ in _BOUNDS:
            if getattr(self, attribute) is not None:
                node[keyword] = getattr(self, attribute)
        if self.default is not REQUIRED:
            node["default"] = list(self.default) if self.kind == "range" else self.default
        if self.description:
            node["description"] = self.description
        return node

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not a valid value of this field, or None."""
        if self.kind == "block":
            return None if isinstance(value, Mapping) else f"must be a mapping, got {value!r}"
        if self.kind == "range":
            ok = (
                isinstance(value, list | tuple)
                and len(value) == 2
                and all(_is_number(v) and v > 0 for v in value)
                and value[0] <= value[1]
            )
            return None if ok else f"must be a pair (low, high) with 0 < low <= high, got {value!r}"
        if self.registry is not None or self.kind == "string":
            return None if isinstance(value, str) else f"must be a name, got {value!r}"
        if self.kind == "boolean":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if self.kind == "integer" and not (_is_number(value) and int(value) == value):
            return f"must be an integer, got {value!r}"
        if self.kind == "number" and not _is_number(value):
            return f"must be a number, got {value!r}"
        for attribute, _, sign, fails in _BOUNDS:
            bound = getattr(self, attribute)
            if bound is not None and fails(value, bound):
                return f"must be {sign} {bound}, got {value!r}"
        return None

    def bounds(self, names: Mapping[str, Sequence[str]] | None = None) -> str:
        """The field's bounds as text (``>= 1``, ``> 0, < 1``, ``one of: a, b``), or
        ``""``; ``names`` gives each registry's names."""
        parts = [
            f"{sign} {getattr(self, attribute):g}"
            for attribute, _, sign, _ in _BOUNDS
            if getattr(self, attribute) is not None
        ]
        if self.kind == "range":
            parts.append("0 < low <= high")
        if self.registry is not None:
            valid = (names or {}).get(self.registry)
            parts.append(f"one of: {', '.join(valid)}" if valid else f"a {self.registry} name")
        return ", ".join(parts)

    def python_type(self) -> type:
        if self.kind == "block":
            return self.block.settings_class()
        if self.kind == "range":
            return tuple
        return str if self.registry is not None else _PYTHON_TYPES[self.kind]


def _is_number(value: Any) -> bool:
    """A real number, NumPy's included, but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def integer(default: Any = REQUIRED, description: str = "", **bounds: Any) -> Field:
    return Field("integer", default, description, **bounds)


def number(default: Any = REQUIRED, description: str = "", **bounds: Any) -> Field:
    return Field("number", default, description, **bounds)


def boolean(default: Any = REQUIRED, description: str = "", **options: Any) -> Field:
    return Field("boolean", default, description, **options)


def choice(registry: str, default: Any = REQUIRED, description: str = "") -> Field:
    """A name from registry ``registry`` (``integrators``, ``models``, ``activations``…)."""
    return Field("string", default, description, registry=registry)


def value_range(default: Any = REQUIRED, description: str = "") -> Field:
    """An ordered pair ``[low, high]`` of positive numbers."""
    return Field("range", tuple(default) if default is not REQUIRED else default, description)


def nested(block: Block, description: str = "") -> Field:
    """A nested block of settings (default: every field's default)."""
    return Field("block", description=description, block=block)


class SettingsError(ValueError):
    """Settings that do not fit their declaration (names the bad key)."""


class Block(Mapping[str, Field]):
    """An ordered set of named fields: ``Block(width=integer(256, minimum=1), …)``;
    a mapping of name to :class:`Field`.

    ``description`` describes the block as a whole (the schema node's description).
    Blocks compose: ``Block(**first.fields, **second.fields)``, and :meth:`but` changes
    some fields' defaults or descriptions, as a learner that shares the common learning
    settings with other defaults does.
    """

    def __init__(self, description: str = "", /, **fields: Field) -> None:
        self.description = description
        self.fields: dict[str, Field] = dict(fields)
        self._class: type | None = None

    def __repr__(self) -> str:
        return f"Block({', '.join(self.fields)})"

    def __getitem__(self, key: str) -> Field:
        return self.fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Block) and (self.description, self.fields) == (
            other.description,
            other.fields,
        )

    def __hash__(self) -> int:
        return hash(tuple(self.fields))

    def but(self, **changes: Field | Mapping[str, Any]) -> Block:
        """A copy with fields replaced (a :class:`Field`) or changed (a mapping of the
        field's attributes, e.g. ``{"default": 3}``); new names are appended."""
        fields = dict(self.fields)
        for name, change in changes.items():
            fields[name] = change if isinstance(change, Field) else fields[name].with_(**change)
        return Block(self.description, **fields)

    def configurable(self) -> Block:
        """The fields a config may set (those with ``config=True``)."""
        return Block(self.description, **{k: f for k, f in self.fields.items() if f.config})

    def describe(
        self, prefix: str = "", names: Mapping[str, Sequence[str]] | None = None
    ) -> list[str]:
        """One line per setting: ``key: default  [bounds]  description`` (nested keys
        dotted), for ``hampipe settings``; ``names`` gives each registry's names."""
        lines = []
        for key, field in self.fields.items():
            name = prefix + key
            if field.kind == "block":
                lines += field.block.describe(name + ".", names)
                continue
            default = "required" if field.default is REQUIRED else _show(field.default)
            bounds = field.bounds(names)
            lines.append(
                f"{name}: {default}"
                + (f"  [{bounds}]" if bounds else "")
                + (f"  {field.description}" if field.description else "")
            )
        return lines

    # ------------------------------------------------------------------ derived
    def schema(self) -> dict[str, Any]:
        """The JSON-schema object of the block (no other keys allowed)."""
        node: dict[str, Any] = {"type": "object", "additionalProperties": False}
        if self.description:
            node["description"] = self.description
        required = [
            k for k, f in self.fields.items() if f.kind != "block" and f.default is REQUIRED
        ]
        if required:
            node["required"] = required
        node["properties"] = {k: f.schema() for k, f in self.fields.items()}
        return node

    def defaults(self) -> dict[str, Any]:
        """Every field's default (nested blocks filled), as plain data."""
        out: dict[str, Any] = {}
        for key, field in self.fields.items():
            if field.kind == "block":
                out[key] = field.block.defaults()
            elif field.default is not REQUIRED:
                out[key] = list(field.default) if field.kind == "range" else field.default
        return out

    def fill(
        self, values: Mapping[str, Any] | None, where: str = "settings", quote: bool = False
    ) -> dict[str, Any]:
        """``values`` over the defaults, checked: unknown keys, missing required keys and
        values out of bounds raise :class:`SettingsError` naming the key (``where.key``,
        or ``where 'key'`` with ``quote``)."""
        values = dict(values or {})

        def at(key: str) -> str:
            return f"{where} {key!r}" if quote else f"{where}.{key}"

        unknown = sorted(set(values) - set(self.fields))
        if unknown:
            raise SettingsError(
                f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(self.fields)}"
            )
        out: dict[str, Any] = {}
        for key, field in self.fields.items():
            if field.kind == "block":
                given = values.get(key)
                if given is not None and (why := field.problem(given)):
                    raise SettingsError(f"{at(key)} {why}")
                out[key] = field.block.fill(given, at(key), quote)
                continue
            if key not in values:
                if field.default is REQUIRED:
                    raise SettingsError(f"{at(key)} is required")
                value = field.default
            else:
                value = values[key]
            why = field.problem(value)
            if why:
                raise SettingsError(f"{at(key)} {why}")
            out[key] = list(value) if field.kind == "range" else value
        return out

    def settings_class(self) -> type:
        """The frozen dataclass of these settings (one per block, made once)."""
        if self._class is None:
            spec = []
            for key, field in self.fields.items():
                spec.append((key, field.python_type()))
            self._class = dataclasses.make_dataclass(
                "Settings", spec, frozen=True, namespace={"as_dict": _as_dict}
            )
        return self._class

    def typed(
        self, values: Mapping[str, Any] | None, where: str = "settings", quote: bool = False
    ) -> Any:
        """The settings of ``values`` (defaults filled, checked) as a frozen dataclass:
        ``settings.width``, ``settings.prediction.integrator``; ``as_dict()`` gives the
        plain data back."""
        filled = self.fill(values, where, quote)
        return self._build(filled)

    def _build(self, filled: Mapping[str, Any]) -> Any:
        kwargs = {}
        for key, field in self.fields.items():
            value = filled[key]
            if field.kind == "block":
                value = field.block._build(value)
            elif field.kind == "range":
                value = tuple(value)
            elif field.kind == "number":
                value = float(value)
            elif field.kind == "integer":
                value = int(value)
            kwargs[key] = value
        return self.settings_class()(**kwargs)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _as_dict(self: Any) -> dict[str, Any]:
    """The settings as plain data (nested blocks as dicts, pairs as lists)."""
    out = {}
    for item in dataclasses.fields(self):
        value = getattr(self, item.name)
        if dataclasses.is_dataclass(value):
            value = value.as_dict()
        elif isinstance(value, tuple):
            value = list(value)
        out[item.name] = value
    return out
