"""Label and colour of every methods entry, from the config's ``presentation`` block."""

from __future__ import annotations

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


def presentation(
    methods: Sequence[str], learners: Mapping[str, str], block: Mapping[str, Any] | None = None
) -> dict[str, dict[str, str]]:
    """Label and colour of every methods entry: ``{name: {"label": …, "colour": …}}``.

    ``methods`` are the config's entries in order (colours follow that order, so they do
    not depend on which subset a figure shows), ``learners`` maps an entry to its
    learner, and ``block`` is the config's ``presentation`` block (``labels``,
    ``colours``), whose values win.
    """
    block = block or {}
    labels, colours = block.get("labels", {}), block.get("colours", {})
    out = {}
    for i, name in enumerate(methods):
        default = LEARNER_LABELS.get(name, name) if learners.get(name) == name else name
        out[name] = {
            "label": str(labels.get(name, default)),
            "colour": str(colours.get(name, PALETTE[i % len(PALETTE)])),
        }
    return out
