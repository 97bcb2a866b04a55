"""Deterministic seeds for every stage, derived from the config's root ``seed``."""

from __future__ import annotations

import hashlib


def derive_seed(root: int, *names: str | int) -> int:
    """Return a 63-bit seed derived from ``root`` and a path of names.

    The derivation hashes the names (SHA-256), so it is stable across Python processes
    and versions, unlike ``hash()``. ``derive_seed(7, "simulate", "spring", "train")``
    always gives the same integer, and any change to the root or a name gives another.

    Parameters
    ----------
    root
        The config's root seed (non-negative integer).
    *names
        The stage path, e.g. ``("train", system, method)``.
    """
    if isinstance(root, bool) or not isinstance(root, int) or root < 0:
        raise ValueError(f"seed must be a non-negative integer, got {root!r}")
    text = "/".join([str(root), *map(str, names)])
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1
