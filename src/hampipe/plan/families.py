"""Families of methods entries: the entries of one learner that differ in one setting.

The workflow uses them to pick what a figure compares (SANN's activations, its K
values, each learner's noise levels or epoch counts) from the runs' own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hampipe.plan.learners import JOB_SETTINGS


def setting_family(
    learners: Mapping[str, str],
    settings: Mapping[str, Mapping[str, Any]],
    key: str,
    learner: str = "sann",
) -> list[str]:
    """Entries of ``learner`` that differ only in setting ``key``: one per value, sorted.

    Among ``settings`` (entry → resolved settings, schema defaults filled; ``learners``
    maps entries to learners), the largest group whose settings
    agree on everything but ``key`` (and the ``prediction`` block and how their jobs
    run, :data:`~hampipe.plan.learners.JOB_SETTINGS`); an entry whose value
    repeats within the group is dropped after the first (by name). Empty unless the
    group holds at least two values. ``key="replication"`` gives SANN Fig. 5's K = 1 vs
    K = 8 comparison, ``key="activation"`` Fig. 8's activations.
    """
    groups: dict[str, dict[Any, str]] = {}
    for name in sorted(settings):
        if learners.get(name) != learner or key not in settings[name]:
            continue
        rest = {
            k: v for k, v in settings[name].items() if k not in (key, "prediction", *JOB_SETTINGS)
        }
        groups.setdefault(repr(sorted(rest.items())), {}).setdefault(settings[name][key], name)
    best = max(groups.values(), key=len, default={})
    return [best[v] for v in sorted(best)] if len(best) > 1 else []


def learner_families(
    learners: Mapping[str, str], settings: Mapping[str, Mapping[str, Any]], key: str
) -> list[str]:
    """For every learner, its entries that differ only in ``key`` (:func:`setting_family`),
    concatenated in the order learners first appear."""
    out: list[str] = []
    for learner in dict.fromkeys(learners.values()):
        out += setting_family(learners, settings, key, learner)
    return out
