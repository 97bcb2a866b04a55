"""The plain separable references: SRNN/SANN's loss as a reader of the papers writes it.

The generic references of :mod:`hampipe.bench.reference` differentiate the full H with
respect to both q and p at every one of leapfrog's three field evaluations: right for
any model, but slower than what a reader of the SRNN and SANN papers would write for
their separable H = T(p) + V(q), so a speed-up measured against them flatters. This
module writes the interval loss the plain way, in two forms:

- ∂V/∂q by ``torch.autograd.grad(V.sum(), q, create_graph=True)`` of the model's own
  potential V(q) = E_s φ(features(q)) (``SeparableHamiltonian.potential``, SANN Eqs. 2
  and 10), so that θ is trained by autograd's double backward through it;
- ∂T/∂p in closed form, (E_s/p_s) (M + Mᵀ) p/p_s, for T = E_s p̃ᵀ M p̃ (SANN Eq. 2);
- kick–drift–kick leapfrog sub-steps (SANN Appendix C), either

  - :data:`PLAIN`, each sub-step a self-contained kick–drift–kick that evaluates
    ∂V/∂q twice, at its start and at its end: the benchmark's reference as the issue
    that asked for it defines it (an interval of S sub-steps costs 2S evaluations);
  - :data:`PLAIN_MERGED`, the closing half-kick's ∂V/∂q kept for the next sub-step's
    opening half-kick, as the SRNN code (Chen et al. 2019, ``src/model.py``,
    ``leapfrog``) keeps its ``dpdt``: S + 1 evaluations per interval. The stricter
    reference, timed beside the first. (The SRNN code also evaluates the full H, V's
    network included, for the drift's ∂H/∂p; neither form here does.)

:func:`benchmark_references` picks, for a method, the references the benchmark checks
and times, the benchmark's own first: these where they apply (a learner whose loss
integrates with leapfrog a :class:`~hampipe.models.separable.SeparableHamiltonian`),
then the generic one, which stays the only reference of every other method.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from hampipe.bench.reference import LOSSES, Batch, interval_loss, reference_loss
from hampipe.models.model import Model
from hampipe.models.separable import SeparableHamiltonian
from hampipe.plan.learners import LEARNERS

Tensor = torch.Tensor
#: ``loss(batch) -> scalar``: a reference's loss of one batch, bound to its model.
Loss = Callable[[Batch], Tensor]
#: How the records and tables name each reference.
PLAIN = "plain separable"
PLAIN_MERGED = "plain separable, merged kicks"
GENERIC = "generic autograd"


def potential_gradient(model: SeparableHamiltonian, q: Tensor) -> Tensor:
    """∂V/∂q of the model's V(q) by autograd, kept differentiable in θ, ``(batch, dof)``.

    ``q`` must require gradients (a drifted q does; the observed q₀ is marked so).
    """
    (dV_dq,) = torch.autograd.grad(model.potential(q).sum(), q, create_graph=True)
    return dV_dq


def kinetic_gradient(model: SeparableHamiltonian, p: Tensor) -> Tensor:
    """∂T/∂p = (E_s/p_s) (M + Mᵀ) p/p_s in closed form, ``(batch, dof)`` (SANN Eq. 2)."""
    return (p / model.p_scale) @ (model.M + model.M.T) * (model.energy_scale / model.p_scale)


def plain_interval_loss(
    model: SeparableHamiltonian, batch: Batch, merge_kicks: bool = False
) -> Tensor:
    """SRNN/SANN loss of one batch of interval examples by plain autograd leapfrog.

    From each example's observed ``(q0, p0)``, S = ``substeps`` leapfrog sub-steps of
    size h = dt/S per window interval, p_½ = p − (h/2) ∂V/∂q(q), q ← q + h ∂T/∂p(p_½),
    p ← p_½ − (h/2) ∂V/∂q(q); the mean over examples and window steps of
    ‖q̂ − q‖² + ‖p̂ − p‖² (SANN Eqs. 6–7). Without ``merge_kicks`` (:data:`PLAIN`)
    every sub-step evaluates ∂V/∂q at its start and at its end; with it
    (:data:`PLAIN_MERGED`) the last ∂V/∂q is reused by the next opening half-kick, as
    in the SRNN code. Keys and shapes as :func:`hampipe.bench.reference.interval_loss`.
    """
    window = batch["dt"].shape[1]
    total = batch["q0"].new_zeros(())
    for s in torch.unique(batch["substeps"]).tolist():
        sel = batch["substeps"] == s
        q, p = batch["q0"][sel].requires_grad_(), batch["p0"][sel]
        dp_dt = -potential_gradient(model, q) if merge_kicks else None
        for k in range(window):
            h = batch["dt"][sel][:, k : k + 1] / s
            for _ in range(s):
                if not merge_kicks:
                    dp_dt = -potential_gradient(model, q)
                p_half = p + h / 2 * dp_dt
                q = q + h * kinetic_gradient(model, p_half)
                dp_dt = -potential_gradient(model, q)
                p = p_half + h / 2 * dp_dt
            total = total + ((q - batch["q"][sel][:, k]) ** 2).sum()
            total = total + ((p - batch["p"][sel][:, k]) ** 2).sum()
    return total / (batch["q0"].shape[0] * window)


def plain_applies(learner: str, model: Model, hyperparameters: Mapping[str, Any]) -> bool:
    """Whether :func:`plain_interval_loss` computes ``learner``'s loss for ``model``.

    It does for a learner whose batch reference is the interval loss, integrating with
    leapfrog a :class:`~hampipe.models.separable.SeparableHamiltonian` (SANN and SRNN
    as the papers train them); not for HNN, the black box, HINN or the general model.
    """
    return (
        LOSSES.get(learner) is interval_loss
        and isinstance(model, SeparableHamiltonian)
        and hyperparameters.get("integrator") == "leapfrog"
    )


def benchmark_references(
    learner: str, model: Model, hyperparameters: Mapping[str, Any]
) -> dict[str, Loss]:
    """The references a method is checked and timed against, by name, the benchmark's first.

    :data:`PLAIN` and :data:`PLAIN_MERGED` (:func:`plain_interval_loss` without and
    with ``merge_kicks``) then :data:`GENERIC`
    (:func:`~hampipe.bench.reference.reference_loss`) where :func:`plain_applies`,
    else :data:`GENERIC` alone. ``hyperparameters`` are completed by the learner's
    declaration; an unknown learner raises ``ValueError`` listing the valid ones.
    """
    if learner not in LOSSES:
        reference_loss(learner, model, hyperparameters, {})  # raises, listing the learners
    h = LEARNERS[learner].settings.fill(hyperparameters)

    def generic(batch: Batch) -> Tensor:
        return reference_loss(learner, model, h, batch)

    if not plain_applies(learner, model, h):
        return {GENERIC: generic}

    def plain(batch: Batch) -> Tensor:
        return plain_interval_loss(model, batch)

    def merged(batch: Batch) -> Tensor:
        return plain_interval_loss(model, batch, merge_kicks=True)

    return {PLAIN: plain, PLAIN_MERGED: merged, GENERIC: generic}
