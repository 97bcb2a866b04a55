"""Plain autograd references of every method's loss: the benchmark's baseline, the tests' oracle.

Everything here is written the obvious way, as a reader of the papers would write it:
H from ``model.forward``, Hamilton's equations from ``torch.autograd.grad(H.sum(), (q, p),
create_graph=True)`` (so that θ is trained by a double backward through them), and the
integrators' steps spelled out in Python, one sub-step after the other, with no merged
half-kicks and no cached evaluations. The training code (``hampipe.models``) computes the
same losses with hand-written gradients and merged steps; this module is what it is
checked and timed against (``python -m hampipe.bench train``, ``tests/models``). Training
never imports it.

Two forms:

- batch references (:func:`reference_loss`, :data:`LOSSES`): the loss of one batch of a
  method's examples (``Method.examples``), vectorised over the batch: the benchmark's
  reference training step;
- dataset references (:data:`REFERENCES`): the loss over a whole split computed one
  example at a time from the observations themselves, independently of how a method
  builds its examples: the oracle of ``tests/models/test_methods.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.core.choices import EXACT_TARGETS
from hampipe.models.model import Model
from hampipe.plan.learners import LEARNERS
from hampipe.sai import stiff_mask
from hampipe.systems import system_from_attrs

Tensor = torch.Tensor
Batch = Mapping[str, Tensor]
#: ``f(q, p, t) -> (dq/dt, dp/dt)``, each ``(batch, dof)``.
Field = Callable[[Tensor, Tensor, Any], tuple[Tensor, Tensor]]
#: ``step(f, q, p, h, t, iterations) -> (q_new, p_new)``.
Step = Callable[[Field, Tensor, Tensor, Any, Any, int], tuple[Tensor, Tensor]]


def autograd_field(model: Model) -> Field:
    """Hamilton's equations of ``model.forward`` by autograd, or a black box's own field.

    Returns ``f(q, p, t) -> (dq/dt, dp/dt) = (∂H/∂p, −∂H/∂q)`` (SANN Eq. 1) with the
    gradients from ``torch.autograd.grad(H.sum(), …, create_graph=True)``, so that a loss
    on them trains θ through autograd's double backward. A model that is not
    Hamiltonian (``vector_field``) is returned as it is. Shapes ``(batch, dof)``.
    """
    if not model.hamiltonian:
        return model.vector_field

    def field(q: Tensor, p: Tensor, t: Any) -> tuple[Tensor, Tensor]:
        # Partial derivatives at (q, p) even where q was computed from p (a drift):
        # differentiate with respect to zero offsets, not to q and p themselves.
        dq = torch.zeros_like(q, requires_grad=True)
        dp = torch.zeros_like(p, requires_grad=True)
        H = model(q + dq, p + dp, t).sum()
        dH_dq, dH_dp = torch.autograd.grad(H, (dq, dp), create_graph=True)
        return dH_dp, -dH_dq

    return field


def leapfrog_step(f: Field, q, p, h, t, iterations: int):
    """One kick–drift–kick leapfrog step (SANN Appendix C), no merged half-kicks.

    p_½ = p + (h/2) f_p(q, p), q₁ = q + h f_q(q, p_½), p₁ = p_½ + (h/2) f_p(q₁, p_½):
    three field evaluations per step. Second order, symplectic, separable H only.
    ``iterations`` is unused (explicit).
    """
    p_half = p + h / 2 * f(q, p, t)[1]
    q_new = q + h * f(q, p_half, t + h / 2)[0]
    p_new = p_half + h / 2 * f(q_new, p_half, t + h)[1]
    return q_new, p_new


def stormer_verlet_step(f: Field, q, p, h, t, iterations: int):
    """One generalised Störmer–Verlet (Lobatto IIIA–IIIB) step for any field.

    Each implicit equation is solved by ``iterations`` fixed-point iterations from the
    explicit guesses (Hairer, Lubich & Wanner 2006, Eq. VI.3.4); every evaluation is
    recomputed. Second order, symplectic for Hamiltonian fields.
    """
    p_half = p + h / 2 * f(q, p, t)[1]
    for _ in range(iterations):
        p_half = p + h / 2 * f(q, p_half, t)[1]
    q_new = q + h * f(q, p_half, t)[0]
    for _ in range(iterations):
        q_new = q + h / 2 * (f(q, p_half, t)[0] + f(q_new, p_half, t + h)[0])
    p_new = p_half + h / 2 * f(q_new, p_half, t + h)[1]
    return q_new, p_new


def euler_step(f: Field, q, p, h, t, iterations: int):
    """One explicit Euler step u₁ = u₀ + h f(u₀) (SANN Eq. 3); first order, not symplectic."""
    dq_dt, dp_dt = f(q, p, t)
    return q + h * dq_dt, p + h * dp_dt


#: The reference step of each integrator that training uses, by ``integrator`` name.
STEPS: dict[str, Step] = {
    "leapfrog": leapfrog_step,
    "stormer_verlet": stormer_verlet_step,
    "euler": euler_step,
}


def reference_step(hyperparameters: Mapping[str, Any]) -> tuple[Step, int]:
    """The reference step of ``hyperparameters["integrator"]`` and its fixed-point iterations.

    Raises ``ValueError`` naming the option when the integrator has no reference here.
    """
    name = hyperparameters["integrator"]
    if name not in STEPS:
        raise ValueError(
            f"option 'integrator': no plain reference for {name!r}; "
            f"references exist for {', '.join(sorted(STEPS))}"
        )
    return STEPS[name], int(hyperparameters["iterations"])


# -- batch references: one batch of a method's examples, vectorised ---------------------


def interval_loss(model: Model, hyperparameters: Mapping[str, Any], batch: Batch) -> Tensor:
    """SRNN/SANN/HINN/ODE loss of one batch of interval examples (SANN Eqs. 6–7).

    From each example's observed ``(q0, p0)`` at ``t0``, integrate its S = ``substeps``
    reference steps of size dt/S through each of the W window intervals, and average
    ‖q̂ − q‖² + ‖p̂ − p‖² at the observations over examples and window steps. Examples
    with equal S are integrated together. Keys and shapes as ``IntervalMethod.examples``:
    ``q0``, ``p0`` ``(example, dof)``, ``t0`` ``(example, 1)``, ``dt`` ``(example, W)``,
    ``q``, ``p`` ``(example, W, dof)``, ``substeps`` ``(example,)``.
    """
    step, iterations = reference_step(hyperparameters)
    field = autograd_field(model)
    window = batch["dt"].shape[1]
    total = batch["q0"].new_zeros(())
    for s in torch.unique(batch["substeps"]).tolist():
        sel = batch["substeps"] == s
        q, p, t = batch["q0"][sel], batch["p0"][sel], batch["t0"][sel]
        for k in range(window):
            h = batch["dt"][sel][:, k : k + 1] / s
            for _ in range(s):
                q, p = step(field, q, p, h, t, iterations)
                t = t + h
            total = total + ((q - batch["q"][sel][:, k]) ** 2).sum()
            total = total + ((p - batch["p"][sel][:, k]) ** 2).sum()
    return total / (batch["q0"].shape[0] * window)


def hnn_loss(model: Model, hyperparameters: Mapping[str, Any], batch: Batch) -> Tensor:
    """HNN loss of one batch (Greydanus et al. 2019, Eq. 2): the field against its targets.

    Mean over examples of w_q ‖∂H/∂p − dq/dt‖² + w_p ‖−∂H/∂q − dp/dt‖², with
    w = 1/scale² for ``scaling: range`` and 1 otherwise. Keys: ``q``, ``p``, ``t``,
    ``dq_dt``, ``dp_dt`` as ``HNN.examples``.
    """
    f_q, f_p = autograd_field(model)(batch["q"], batch["p"], batch["t"])
    err_q = ((f_q - batch["dq_dt"]) ** 2).sum(-1)
    err_p = ((f_p - batch["dp_dt"]) ** 2).sum(-1)
    if hyperparameters["scaling"] == "range":
        err_q, err_p = err_q / model.q_scale**2, err_p / model.p_scale**2
    return (err_q + err_p).mean()


#: The batch reference of each ``METHODS`` entry (the learner's name).
LOSSES: dict[str, Callable[[Model, Mapping[str, Any], Batch], Tensor]] = {
    "hnn": hnn_loss,
    "srnn": interval_loss,
    "sann": interval_loss,
    "hinn": interval_loss,
    "ode": interval_loss,
}


def reference_loss(
    learner: str, model: Model, hyperparameters: Mapping[str, Any], batch: Batch
) -> Tensor:
    """The plain autograd loss of learner ``learner`` (a ``METHODS`` name) on ``batch``.

    ``hyperparameters`` are checked and completed by the learner's declaration. Raises
    ``ValueError`` listing the learners that have a reference.
    """
    if learner not in LOSSES:
        raise ValueError(
            f"no plain reference loss for method {learner!r}; valid: {', '.join(sorted(LOSSES))}"
        )
    return LOSSES[learner](model, LEARNERS[learner].settings.fill(hyperparameters), batch)


# -- dataset references: a whole split, one example at a time ---------------------------


def interval_reference(
    learner: str, model: Model, h: Mapping[str, Any], ds: xr.Dataset, sai: xr.Dataset | None
) -> Tensor:
    """SRNN/SANN loss of a split, one example at a time (SANN Eqs. 6–7).

    From each observed state, S steps per interval through W intervals; squared errors
    at the observations, averaged over examples and window steps. SANN takes S by the
    SAI ranking and counts each stiff interval K times.
    """
    step, iterations = reference_step(h)
    q_obs, p_obs = torch.as_tensor(ds.q.values), torch.as_tensor(ds.p.values)
    t_obs = ds.time.values
    n_traj, n_time, _ = q_obs.shape
    window = h["window"] if "window" in h else 1  # SANN declares none: single intervals
    if learner == "sann":
        stiff = stiff_mask(sai.sai.values, h["gamma"], h["ranking"])
        parts = h["partitions"]
        substeps = np.where(stiff, parts["stiff"], parts["nonstiff"])
        copies = np.where(stiff, h["replication"], 1)
    else:
        substeps = np.full((n_traj, n_time - 1), h["substeps"])
        copies = np.ones((n_traj, n_time - 1), dtype=int)
    field = autograd_field(model)
    total, count = 0.0, 0
    for j in range(n_traj):
        for i in range(n_time - window):
            q, p = q_obs[j, i : i + 1], p_obs[j, i : i + 1]
            t = torch.full((1, 1), t_obs[i], dtype=torch.float64)
            s = int(substeps[j, i])
            error = 0.0
            for k in range(i, i + window):
                dt = (t_obs[k + 1] - t_obs[k]) / s
                for _ in range(s):
                    q, p = step(field, q, p, dt, t, iterations)
                    t = t + dt
                error = error + ((q - q_obs[j, k + 1]) ** 2).sum()
                error = error + ((p - p_obs[j, k + 1]) ** 2).sum()
            total = total + int(copies[j, i]) * error
            count += int(copies[j, i]) * window
    return total / count


def hnn_reference(
    learner: str, model: Model, h: Mapping[str, Any], ds: xr.Dataset, sai: xr.Dataset | None
) -> Tensor:
    """HNN loss of a split, one example at a time.

    The field against central differences (or, for ``targets: exact``, the true
    system's derivatives, rebuilt from the split's attrs) at the interior observations,
    in normalised units for ``scaling: range``.
    """
    q_obs, p_obs = torch.as_tensor(ds.q.values), torch.as_tensor(ds.p.values)
    t_obs = ds.time.values
    system = system_from_attrs(ds.attrs) if h["targets"] in EXACT_TARGETS else None
    field = autograd_field(model)
    total, count = 0.0, 0
    for j in range(q_obs.shape[0]):
        for i in range(1, q_obs.shape[1] - 1):
            q, p = q_obs[j, i : i + 1], p_obs[j, i : i + 1]
            if system is not None:
                dq_dt, dp_dt = map(torch.as_tensor, system.time_derivative(q.numpy(), p.numpy()))
            else:
                span = t_obs[i + 1] - t_obs[i - 1]
                dq_dt = (q_obs[j, i + 1] - q_obs[j, i - 1]) / span
                dp_dt = (p_obs[j, i + 1] - p_obs[j, i - 1]) / span
            f_q, f_p = field(q, p, torch.full((1, 1), t_obs[i], dtype=torch.float64))
            err_q, err_p = ((f_q - dq_dt) ** 2).sum(), ((f_p - dp_dt) ** 2).sum()
            if h["scaling"] == "range":
                err_q, err_p = err_q / model.q_scale**2, err_p / model.p_scale**2
            total = total + err_q + err_p
            count += 1
    return total / count


#: The dataset reference of each ``METHODS`` entry, called as
#: ``REFERENCES[learner](learner, model, hyperparameters, ds, sai)``.
REFERENCES: dict[str, Callable[..., Tensor]] = {
    "hnn": hnn_reference,
    "srnn": interval_reference,
    "sann": interval_reference,
    "hinn": interval_reference,
    "ode": interval_reference,
}
