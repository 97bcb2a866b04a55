"""A checked wrapper around :func:`scipy.integrate.solve_ivp` for ground truth.

A non-finite derivative at the initial state stops the integration at once (from a NaN
initial derivative ``solve_ivp`` picks a NaN first step and never ends), and a failure
says why it happened: the field is undefined (NaN) at a finite state, the state or its
derivative grew without bound (an unbounded or singular Hamiltonian), or the tolerances
could not be met with finite, moderate states.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

ADAPTIVE_METHODS = ("DOP853", "RK45", "Radau")

#: Why an integration failed (:attr:`IntegrationError.reason`).
REASONS = {
    "undefined": "the right-hand side is NaN at a finite state (not real-valued there)",
    "unbounded": "the state or its derivative grew without bound or hit a singularity",
    "tolerance": "the tolerances could not be met with finite, moderate states",
    "drift": "the energy drifted beyond the allowed tolerance",
}
#: A failed run whose largest |u| or |du/dt| over its accepted steps exceeds this many
#: times its start value (plus one) grew without bound; a stiff but bounded one does not.
GROWTH = 1e6


class IntegrationError(RuntimeError):
    """``solve_ivp`` reported failure or met non-finite values.

    Attributes
    ----------
    reason
        A key of :data:`REASONS`, or ``"failed"`` when unknown.
    t, state, derivative
        Where it happened: the time, the flat state u and du/dt there, or ``None``.
    """

    def __init__(
        self,
        message: str,
        reason: str = "failed",
        t: float | None = None,
        state: np.ndarray | None = None,
        derivative: np.ndarray | None = None,
    ) -> None:
        super().__init__(message)
        self.reason, self.t, self.state, self.derivative = reason, t, state, derivative


def _finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


def _values(u: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.6g}" for x in np.ravel(u)) + "]"


def _non_finite(fun, method: str, t: float, u: np.ndarray, f: np.ndarray) -> IntegrationError:
    """The error for a non-finite ``f = fun(t, u)``: ``"undefined"`` where u is finite and
    f is NaN with no overflow or division by zero (sqrt of a negative number), else
    ``"unbounded"`` (a non-finite state, an infinite derivative, an overflow)."""
    if not _finite(u):
        reason, what = "unbounded", "the state itself is not finite"
    elif not np.any(np.isnan(f)):
        reason, what = "unbounded", "du/dt is infinite there (a singularity)"
    else:
        try:
            with np.errstate(over="raise", divide="raise", invalid="ignore"):
                fun(t, u)
            reason, what = "undefined", "du/dt is NaN there (not real-valued)"
        except FloatingPointError as error:
            reason, what = "unbounded", f"du/dt is NaN there after {error}"
    message = f"solve_ivp ({method}) stopped at t = {t:.6g}, u = {_values(u)}: {what}"
    return IntegrationError(message, reason, t, np.array(u), np.array(f))


class _Recorded:
    """``fun(t, u)`` that keeps its last evaluation ``(t, u, f)`` and its last one with a
    finite u and a non-finite f."""

    def __init__(self, fun: Callable[[float, np.ndarray], np.ndarray]) -> None:
        self.fun = fun
        self.last: tuple[float, np.ndarray, np.ndarray] | None = None
        self.bad: tuple[float, np.ndarray, np.ndarray] | None = None

    def __call__(self, t: float, u: np.ndarray) -> np.ndarray:
        f = np.asarray(self.fun(t, u))
        self.last = (float(t), np.array(u), f)
        if _finite(u) and not _finite(f):
            self.bad = self.last
        return f


def _failure(fun, y0, f0, t_span, method, rtol, atol, solver_message) -> IntegrationError:
    """Why ``solve_ivp`` gave up, found by running it again (same steps) without
    ``t_eval`` to see every accepted step.

    The steps shrank against non-finite values at the end (named at the last finite
    state where du/dt was not finite); or |u| or |du/dt| grew beyond :data:`GROWTH`
    times its start value (an unbounded or singular field); or neither (the tolerances
    cannot be met).
    """
    recorded = _Recorded(fun)
    sol = solve_ivp(recorded, t_span, y0, method=method, rtol=rtol, atol=atol)
    solver_message = solver_message.rstrip(".")
    if recorded.last is not None and not _finite(recorded.last[1], recorded.last[2]):
        # A NaN stage makes the next stages' states NaN: name the first finite one.
        error = _non_finite(fun, method, *(recorded.bad or recorded.last))
        error.args = (f"{error.args[0]}; every smaller step met it too ({solver_message})",)
        return error
    states = sol.y.T
    rates = np.array([np.asarray(fun(t, u)) for t, u in zip(sol.t, states, strict=True)])
    max_u, max_f = float(np.abs(states).max()), float(np.abs(rates).max())
    start_u, start_f = float(np.abs(y0).max()), float(np.abs(f0).max())
    where = (float(sol.t[-1]), states[-1], rates[-1])
    if max_u > GROWTH * (1 + start_u) or max_f > GROWTH * (1 + start_f):
        return IntegrationError(
            f"solve_ivp ({method}) failed at t = {where[0]:.6g}: the state or its derivative "
            f"grew without bound (max |u| {max_u:.3g} and max |du/dt| {max_f:.3g}, from "
            f"{start_u:.3g} and {start_f:.3g} at the start; {solver_message}): the field "
            "is unbounded or singular along this trajectory",
            "unbounded",
            *where,
        )
    radau = ", or use method Radau if the system is stiff" if method != "Radau" else ""
    return IntegrationError(
        f"solve_ivp ({method}) failed at t = {where[0]:.6g} with finite, moderate states "
        f"(max |u| {max_u:.3g}, max |du/dt| {max_f:.3g}): {solver_message}; the tolerances "
        f"cannot be met: loosen rtol/atol{radau}",
        "tolerance",
        *where,
    )


def solve(
    fun: Callable[[float, np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_eval: np.ndarray,
    method: str = "DOP853",
    rtol: float = 1e-12,
    atol: float = 1e-12,
) -> np.ndarray:
    """Integrate du/dt = fun(t, u) from ``y0`` and return u at ``t_eval``, shape ``(T, dim)``.

    DOP853 is the explicit Runge–Kutta method of order 8 (5 and 3 error estimates) of
    Hairer, Nørsett & Wanner; RK45 is Dormand–Prince 5(4). Unlike ``solve_ivp`` itself,
    this raises :class:`IntegrationError` on failure (``success`` false), on non-finite
    results, and before the first step on a non-finite derivative at ``y0`` (from which
    ``solve_ivp`` would pick a NaN step and never end), with a ``reason`` from
    :data:`REASONS`: ``"undefined"`` (NaN at a finite state, with no overflow or division
    by zero), ``"unbounded"`` (non-finite state, infinite derivative, overflow, or a
    failure after |u| or |du/dt| over the accepted steps grew beyond :data:`GROWTH` times
    its start value) or ``"tolerance"`` (a failure with finite, moderate states).
    Non-finite values at the trial stages of a step are left to the step control, which
    rejects the step and shrinks it.
    """
    if method not in ADAPTIVE_METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(ADAPTIVE_METHODS)}")
    t_eval = np.asarray(t_eval, dtype=np.float64)
    y0 = np.asarray(y0, np.float64)
    t_span = (t_eval[0], t_eval[-1])
    f0 = np.asarray(fun(float(t_eval[0]), y0))
    if not _finite(y0, f0):
        raise _non_finite(fun, method, float(t_eval[0]), y0, f0)
    sol = solve_ivp(fun, t_span, y0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    if not sol.success:
        raise _failure(fun, y0, f0, t_span, method, rtol, atol, sol.message)
    if not np.all(np.isfinite(sol.y)):
        raise IntegrationError(f"solve_ivp ({method}) produced non-finite states", "unbounded")
    return sol.y.T
