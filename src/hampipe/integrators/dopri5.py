"""Dormand–Prince 5(4): the adaptive embedded Runge–Kutta pair for any vector field."""

from __future__ import annotations

import math

from hampipe.core.settings import Block, boolean, integer, number
from hampipe.integrators.base import Integrator, StepSizeError
from hampipe.integrators.registry import INTEGRATORS

#: Butcher tableau of Dormand & Prince (1980): nodes, stage coefficients, and the
#: fifth-order weights (equal to the last row of ``A``: first same as last).
C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
#: Fifth-order minus embedded fourth-order weights: the local error estimate.
E = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)

#: Step-size controller: safety factor and bounds on the change of step per attempt.
SAFETY, MIN_FACTOR, MAX_FACTOR = 0.9, 0.2, 5.0


def _combine(u, ds, coefficients, ks):
    """``u + ds · Σ aᵢ kᵢ`` over the non-zero coefficients."""
    return u + ds * sum(a * k for a, k in zip(coefficients, ks, strict=False) if a != 0.0)


def _mean_squares(err, u0, u1, rtol, atol):
    """Per-row mean over the dof of (err / (atol + rtol·max(|u₀|, |u₁|)))²."""
    magnitude = 0.5 * (abs(u0) + abs(u1) + abs(abs(u0) - abs(u1)))  # elementwise max
    return ((err / (atol + rtol * magnitude)) ** 2).mean(-1)


def _finite(*arrays) -> bool:
    return all(math.isfinite(float(abs(a).max().item())) for a in arrays)


def _factor(norm: float) -> float:
    """The controller's change of step for an error norm > 0."""
    return min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * norm ** (-1 / 5)))


@INTEGRATORS.register("dopri5")
class Dopri5(Integrator):
    """Integrate with the Dormand–Prince 5(4) pair and adaptive step-size control.

    For du/dt = f(u, t), u = (q, p), a step of size h from t takes seven stages
    kᵢ = f(u₀ + h Σⱼ aᵢⱼ kⱼ, t + cᵢ h) and advances with the fifth-order weights,
    u₁ = u₀ + h Σ bᵢ kᵢ (local extrapolation); the difference from the embedded
    fourth-order solution, h Σ (bᵢ − b̂ᵢ) kᵢ, estimates the local error. The last stage
    is f at u₁, reused as the first stage of the next step (FSAL). Dormand & Prince,
    "A family of embedded Runge–Kutta formulae", J. Comput. Appl. Math. 6 (1980);
    Hairer, Nørsett & Wanner, "Solving Ordinary Differential Equations I" (1993),
    §II.5, Table 5.2. This is scipy's ``RK45`` and torchdiffeq's ``dopri5``; SANN
    predicts with the older RKF45 pair (SANN paper, Appendix H).

    Fifth order, not symplectic. Works on black-box fields. ``step(q, p, h, t)`` covers
    one interval of length h, in as many controlled steps as the tolerances need.

    Step-size control (Hairer, Nørsett & Wanner, §II.4): to cover a batch whose rows have
    different intervals (``h`` of shape ``(batch, 1)``) with one shared step, the
    integration runs in normalised time s ∈ [0, 1] with du/ds = T f(u, t₀ + s T),
    T = n_steps·h per row (as torchdiffeq does for batched states). The first step in s
    is 1/n_steps. With e the error estimate of a step from u₀ to u₁, the error norm ::

        ‖e‖ = max over rows of sqrt(mean over q, p of (e / (atol + rtol·max(|u₀|, |u₁|)))²)

    is an RMS over the 2·dof components of each row, and the worst row decides since the
    rows share the step. A step is accepted when ‖e‖ ≤ 1, and the next step is
    ds · min(5, max(0.2, 0.9 ‖e‖^(−1/5))), clipped so that the last step lands exactly on
    s = 1, i.e. on t₀ + n_steps·h for every row. The controller works on Python floats
    (``.item()``): autograd differentiates through the accepted steps, not through the
    choice of step sizes.

    Divergence: when a step's error norm is not finite because the proposed state is not
    (NaN or infinite entries), integration stops and returns that state as is, without
    raising, so that the caller can mark the rollout as diverged; it never loops on a
    NaN state. A step whose error norm overflows while the state is finite is rejected
    and shrunk. More than ``max_steps`` attempted steps, or a step too small to advance
    s, raises ``RuntimeError`` naming the integrator.

    Options
    -------
    rtol, atol
        Relative and absolute tolerances of the error norm (default 1e-7 and 1e-9).
    max_steps
        Most attempted (accepted or rejected) steps per ``integrate`` call.
    adaptive
        With ``False``, take ``n_steps`` steps of size ``h`` with the fifth-order
        solution and no error control (used to measure the order).
    """

    order = 5
    adaptive = True
    options = Block(
        rtol=number(
            1e-7,
            "relative tolerance of an adaptive integrator",
            minimum=1e-15,
            exclusive_maximum=1,
        ),
        atol=number(1e-9, "absolute tolerance of an adaptive integrator", minimum=1e-15, maximum=1),
        max_steps=integer(100_000, "most steps per integrate call", minimum=1, config=False),
        adaptive=boolean(True, "step-size control (False: fixed steps, no control)", config=False),
    )

    def _step(self, q, p, h, t):
        """Advance by ``h``: one controlled interval (several steps if ``adaptive``)."""
        return self._integrate(q, p, h, 1, t)

    def _integrate(self, q, p, h, n_steps: int, t0):
        if n_steps == 0:
            return q, p
        f = self.field.vector_field
        T = n_steps * h

        def g(s, q, p):
            dq_dt, dp_dt = f(q, p, t0 + s * T)
            return T * dq_dt, T * dp_dt

        adaptive, max_steps = self.settings.adaptive, self.settings.max_steps
        rtol, atol = self.settings.rtol, self.settings.atol
        s, ds = 0.0, 1.0 / n_steps
        k1 = g(s, q, p)
        attempts = 0
        while s < 1.0:
            if adaptive and attempts >= max_steps:
                raise StepSizeError(
                    f"integrator {self.name!r}: max_steps={max_steps} steps taken without "
                    f"reaching the end time (at s = {s:.6g} of 1; rtol={rtol}, atol={atol})"
                )
            attempts += 1
            last = ds >= 1.0 - s
            if last:
                ds = 1.0 - s
            q_new, p_new, k_new, err_q, err_p = self._dopri_step(g, s, ds, q, p, k1)
            if not adaptive:
                s = 1.0 if last else attempts / n_steps
                q, p, k1 = q_new, p_new, k_new
                continue
            squares = _mean_squares(err_q, q, q_new, rtol, atol)
            squares = squares + _mean_squares(err_p, p, p_new, rtol, atol)
            norm = float((0.5 * squares).max().item()) ** 0.5  # .item(): no autograd warning
            if norm <= 1.0:
                s = 1.0 if last else s + ds
                q, p, k1 = q_new, p_new, k_new
                factor = MAX_FACTOR if norm == 0.0 else _factor(norm)
            elif math.isfinite(norm):
                factor = _factor(norm)
            elif not _finite(q_new, p_new):
                return q_new, p_new  # diverged: hand the non-finite state to the caller
            else:
                factor = MIN_FACTOR  # the error overflowed; retry with a smaller step
            ds = ds * factor
            if s < 1.0 and s + ds == s:
                raise StepSizeError(
                    f"integrator {self.name!r}: step size underflow at s = {s:.6g} of 1"
                )
        return q, p

    @staticmethod
    def _dopri_step(g, s, ds, q, p, k1):
        """One Dormand–Prince step of size ``ds`` in s: new state, FSAL stage, error."""
        kq, kp = [k1[0]], [k1[1]]
        for c, a in zip(C[1:], A[1:], strict=True):
            dq_ds, dp_ds = g(s + c * ds, _combine(q, ds, a, kq), _combine(p, ds, a, kp))
            kq.append(dq_ds)
            kp.append(dp_ds)
        q_new, p_new = _combine(q, ds, A[-1], kq), _combine(p, ds, A[-1], kp)
        err_q, err_p = _combine(0.0, ds, E, kq), _combine(0.0, ds, E, kp)
        return q_new, p_new, (kq[-1], kp[-1]), err_q, err_p
