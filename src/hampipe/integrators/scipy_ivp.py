"""A checked wrapper around :func:`scipy.integrate.solve_ivp` for ground truth."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

ADAPTIVE_METHODS = ("DOP853", "RK45", "Radau")


class IntegrationError(RuntimeError):
    """``solve_ivp`` reported failure or produced non-finite values."""


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
    this raises on failure (``success`` false) and on NaN or infinite states.
    """
    if method not in ADAPTIVE_METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(ADAPTIVE_METHODS)}")
    t_eval = np.asarray(t_eval, dtype=np.float64)
    sol = solve_ivp(
        fun,
        (t_eval[0], t_eval[-1]),
        np.asarray(y0, np.float64),
        method=method,
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise IntegrationError(f"solve_ivp ({method}) failed: {sol.message}")
    if not np.all(np.isfinite(sol.y)):
        raise IntegrationError(f"solve_ivp ({method}) produced non-finite states")
    return sol.y.T
