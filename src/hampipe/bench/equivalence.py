"""Check that a method's training loss and gradients equal its plain references'.

In float64, on the first batch of an epoch, :func:`check_equivalence` compares the loss
of ``method.loss`` and every parameter's gradient with those of every reference the
benchmark times (:func:`hampipe.bench.plain.benchmark_references`: the plain separable
step for SANN and SRNN, and the generic autograd one), and raises
:class:`MismatchError` beyond :data:`TOLERANCE`: a speed-up of a step that computes
something else means nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import xarray as xr

from hampipe.bench.plain import benchmark_references
from hampipe.bench.workload import BENCH_METHODS, batch_order, prepare

#: Largest relative difference of the loss and of any parameter's gradient (float64)
#: between ours and the reference that lets the benchmark time them.
TOLERANCE = 1e-5


class MismatchError(RuntimeError):
    """Our loss or gradients differ from a plain reference beyond the tolerance."""


def _relative_difference(ours: torch.Tensor | None, reference: torch.Tensor | None) -> float:
    """max |ours − reference| / max |reference| (``None`` counts as zeros; NaN as inf)."""
    if ours is None and reference is None:
        return 0.0
    like = ours if ours is not None else reference
    ours = torch.zeros_like(like) if ours is None else ours
    reference = torch.zeros_like(like) if reference is None else reference
    error = (ours - reference).abs().max().item()
    scale = reference.abs().max().item()
    if error == 0.0:
        return 0.0
    if not (math.isfinite(error) and scale > 0):
        return math.inf
    return error / scale


def check_equivalence(
    method: str,
    learner: str,
    hyperparameters: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset,
    device: torch.device | str = "cpu",
    seed: int = 0,
    tolerance: float = TOLERANCE,
) -> float:
    """The largest relative difference, in float64, between our loss and the references'.

    On the first batch of the epoch (as :func:`~hampipe.bench.timing.time_training`
    cuts it) of a fresh model, compares the loss and every parameter's gradient of
    ``method.loss`` with those of each of
    :func:`~hampipe.bench.plain.benchmark_references`; each difference is
    max |ours − reference| / max |reference| over the tensor.

    Raises
    ------
    MismatchError
        When the largest difference exceeds ``tolerance`` (or is not finite), naming
        the method, the tensor where it occurs and the reference it differs from.
    """
    h = {**hyperparameters, "dtype": "float64"}
    ours_method, examples = prepare(learner, h, data, sai, torch.device(device), seed)
    n = next(iter(examples.values())).shape[0]
    index = batch_order(n, h["batch_size"], seed)[0].to(device)
    batch = {k: v[index] for k, v in examples.items()}
    model = ours_method.model
    names, params = zip(*model.named_parameters(), strict=True)
    ours = ours_method.loss(batch)
    ours_grads = torch.autograd.grad(ours, params, allow_unused=True)
    worst, where, reference = -1.0, "", ours
    for kind, loss_of in benchmark_references(learner, model, h).items():
        value = loss_of(batch)
        grads = torch.autograd.grad(value, params, allow_unused=True)
        differences = {"loss": _relative_difference(ours.detach(), value.detach())}
        for name, g, w in zip(names, ours_grads, grads, strict=True):
            differences[f"gradient of {name}"] = _relative_difference(g, w)
        at, difference = max(differences.items(), key=lambda item: item[1])
        if not difference <= worst:  # the largest so far, or NaN
            worst, where, reference = difference, f"{at} against the {kind} reference", value
    if not worst <= tolerance:
        raise MismatchError(
            f"method {method!r} (config entry methods.{BENCH_METHODS.get(method, method)}): "
            f"the training loss or its gradients differ from the plain reference in float64 "
            f"by {worst:.3e} (relative, largest in the {where}; loss {ours.item():.10e} vs "
            f"{reference.item():.10e}) > tolerance {tolerance:g}; refusing to time a step "
            "that computes something else"
        )
    return worst
