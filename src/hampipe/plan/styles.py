"""Label and colour of every methods entry, from the config's ``presentation`` block."""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence
from typing import Any

from hampipe.plan.learners import LEARNERS

#: Display names of the learners (their declared ``label``); a variant entry is shown by
#: its own name unless the ``presentation.labels`` block of the config names it.
LEARNER_LABELS = {name: spec.label for name, spec in LEARNERS.items()}
#: Colours handed out in the order of the config's ``methods`` entries (colour-blind safe,
#: seaborn's "colorblind" palette, then its "dark" one), so one entry has one colour in
#: every figure of a config.
PALETTE = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
    "#ece133", "#56b4e9", "#001c7f", "#b1400d", "#12711c", "#8c0800", "#591e71", "#592f0d",
    "#a23582", "#3c3c3c", "#b8850a", "#006374",
)  # fmt: skip


def _colours(n: int) -> list[str]:
    """``n`` colours: :data:`PALETTE`, then, past its end, hues spread evenly around the
    colour wheel at a darker value, so that no two entries of a config share one."""
    extra = max(0, n - len(PALETTE))
    spread = [
        "#{:02x}{:02x}{:02x}".format(
            *(round(255 * c) for c in colorsys.hsv_to_rgb((i + 0.5) / extra, 0.75, 0.6))
        )
        for i in range(extra)
    ]
    return list(PALETTE[:n]) + spread


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{k} {_value(v)}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


def variant_label(base: str, own: Mapping[str, Any] | None) -> str | None:
    """A variant's label from the keys it sets: ``SANN (activation tanh)``; ``None`` when
    it sets more than two (name those in ``presentation.labels``)."""
    keys = {k: v for k, v in (own or {}).items() if k not in ("method", "per_system")}
    if not keys or len(keys) > 2:
        return None
    return f"{base} ({', '.join(f'{k} {_value(v)}' for k, v in keys.items())})"


def presentation(
    methods: Sequence[str],
    learners: Mapping[str, str],
    block: Mapping[str, Any] | None = None,
    entries: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, str]]:
    """Label and colour of every methods entry: ``{name: {"label": …, "colour": …}}``.

    ``methods`` are the config's entries in order (colours follow that order, so they do
    not depend on which subset a figure shows, and no two entries share one), ``learners``
    maps an entry to its learner, ``block`` is the config's ``presentation`` block
    (``labels``, ``colours``), whose values win, and ``entries`` the config's
    ``methods`` mapping: a variant without a label is named after its learner and the
    keys it sets (:func:`variant_label`), or by its entry name when it sets more than two.
    """
    block = block or {}
    labels, colours = block.get("labels", {}), block.get("colours", {})
    palette = _colours(len(methods))
    out = {}
    for i, name in enumerate(methods):
        learner = learners.get(name, name)
        if learner == name:
            default = LEARNER_LABELS.get(name, name)
        else:
            base = LEARNER_LABELS.get(learner, learner)
            default = variant_label(base, (entries or {}).get(name)) or name
        out[name] = {
            "label": str(labels.get(name, default)),
            "colour": str(colours.get(name, palette[i])),
        }
    return out
