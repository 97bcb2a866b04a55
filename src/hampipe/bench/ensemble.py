"""Time N training runs as one vectorised ensemble against N separate fits.

``python -m hampipe.bench ensemble`` simulates a small three-body training split,
builds N members of a method (seeds 0 … N−1, as the train stage draws them: weights
from the seed, batch order from the seed) and times, on this machine, one
:func:`~hampipe.training.ensemble.fit_ensemble` of the N members against N sequential
:func:`~hampipe.training.loop.fit` calls in the same process, on identical fresh
members. One JSON object per method and N: wall seconds of both, and their ratio.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from hampipe.core.methods import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training.ensemble import fit_ensemble
from hampipe.training.loop import fit

#: The small setting of issue 24: width-32 networks, batches of 128.
SMALL = {"width": 32, "depth": 3, "batch_size": 128, "validation": 0.0, "dtype": "float32"}


def _members(learner: str, h: dict, system, ds, sai, n: int):
    methods, examples = [], []
    for seed in range(n):
        torch.manual_seed(seed)
        method = METHODS.get_class(learner).build(h, ds, system)
        methods.append(method)
        examples.append(method.examples(ds, sai))
    return methods, examples


def run(
    methods: Sequence[str] = ("sann", "hnn"),
    sizes: Sequence[int] = (1, 3, 9),
    trajectories: int = 16,
    steps: int = 40,
    epochs: int = 2,
    threads: int | None = None,
    root: str = ".",
    device: str = "cpu",
    settings: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """For each method and N in ``sizes``: seconds of one ensemble of N members and of N
    separate fits (``epochs`` each, on ``device``: ``cpu``, ``cuda`` or ``auto``) on a
    three-body split of ``trajectories`` trajectories of ``steps`` observations, with
    the method's settings of ``config.yaml`` and :data:`SMALL` (``settings`` overriding
    both, e.g. the GPU run's width 256 and batches of 1024)."""
    from hampipe.bench.flops import synchronize
    from hampipe.models.device import pick_device
    from hampipe.plan import load_config

    if threads:
        torch.set_num_threads(threads)
    config = load_config("config.yaml", root=root)
    system = make_system("three_body")
    ds = simulate(system, trajectories, steps, 0.1, seed=0)
    sai = annotate(ds)
    target = pick_device(device)
    chosen = {**SMALL, **(settings or {})}
    for learner in methods:
        _, h = resolve_method(config["methods"], learner)
        h = {**h, **{k: v for k, v in chosen.items() if k in h}, "epochs": epochs}
        args = (h["epochs"], h["batch_size"], h["learning_rate"])
        for n in sizes:
            members, examples = _members(learner, h, system, ds, sai, n)
            start = time.perf_counter()
            fit_ensemble(members, examples, *args, list(range(n)), target)
            synchronize(target)
            together = time.perf_counter() - start
            members, examples = _members(learner, h, system, ds, sai, n)
            start = time.perf_counter()
            for seed, (method, batch) in enumerate(zip(members, examples, strict=True)):
                fit(method, batch, *args, seed, target, progress=False)
            synchronize(target)
            separate = time.perf_counter() - start
            yield {
                "method": learner,
                "members": n,
                "examples": int(next(iter(examples[0].values())).shape[0]),
                "epochs": epochs,
                "width": h["width"],
                "batch_size": h["batch_size"],
                "threads": torch.get_num_threads(),
                "device": str(target),
                "ensemble_s": together,
                "separate_fits_s": separate,
                "speedup": separate / together,
            }
