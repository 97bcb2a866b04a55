"""A name-to-class registry with lookups that fail loudly (as scipy's ``METHODS``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping[str, type[T]], Generic[T]):
    """Map config names (snake case) to classes.

    ``registry.get_class(name_or_class)`` accepts a registered name or a class and raises
    ``ValueError`` listing the valid names for anything else.

    ``declared`` (optional) holds the names declared torch-free for the config (a tuple
    of names, or a mapping of name to declaration): a class registered under another
    name is refused, and a mapping's declaration becomes the class's ``spec``, with the
    declaration's ``traits`` copied onto the class as class attributes: so the traits
    planning reads and the class's behaviour come from one place.
    """

    def __init__(
        self,
        kind: str,
        declared: Iterable[str] | Mapping[str, Any] | None = None,
        traits: Iterable[str] = (),
    ) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}
        self.declared = declared if isinstance(declared, Mapping | None) else tuple(declared)
        self.traits = tuple(traits)

    def register(self, name: str):
        """Class decorator that registers the class under ``name``."""

        def decorator(cls: type[T]) -> type[T]:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            if self.declared is not None and name not in self.declared:
                raise ValueError(
                    f"{self.kind} {name!r} is not declared; declared: "
                    f"{', '.join(self.declared)} (add its declaration first)"
                )
            self._classes[name] = cls
            cls.name = name  # type: ignore[attr-defined]
            if isinstance(self.declared, Mapping):
                spec = self.declared[name]
                cls.spec = spec  # type: ignore[attr-defined]
                for trait in self.traits:
                    setattr(cls, trait, getattr(spec, trait))
            return cls

        return decorator

    def get_class(self, key: str | type[T]) -> type[T]:
        """Return the class for a registered name, or the class itself."""
        if isinstance(key, type):
            return key
        try:
            return self._classes[key]
        except (KeyError, TypeError):
            valid = ", ".join(sorted(self._classes))
            raise ValueError(f"unknown {self.kind} {key!r}; valid names: {valid}") from None

    def __getitem__(self, key: str) -> type[T]:
        return self.get_class(key)

    def __contains__(self, key: object) -> bool:
        return key in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)
