"""Fixed-step integrators of Hamiltonian vector fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Gradient = Callable[[Any, Any], Any]


class FixedStepIntegrator:
    """A one-step method for dq/dt = dH/dp, dp/dt = −dH/dq with a fixed step ``h``.

    Integrators take vector fields, not systems: the two gradient callables
    ``dH_dq(q, p)`` and ``dH_dp(q, p)``. The arithmetic is array-agnostic, so the same
    stepper runs on NumPy arrays (ground truth, tests) and on torch tensors (training,
    with autograd through the steps).

    Implementer's checklist
    -----------------------
    1. Register with ``@INTEGRATORS.register("<name>")``.
    2. Set ``order`` (global order of accuracy) and ``symplectic``.
    3. Implement ``_step(q, p, h)`` returning the new ``(q, p)``; do not modify inputs.
    4. ``tests/integrators`` measures the order and energy behaviour of every entry.
    """

    order: int = 0
    symplectic: bool = False

    def __init__(self, dH_dq: Gradient, dH_dp: Gradient) -> None:
        self.dH_dq = dH_dq
        self.dH_dp = dH_dp

    def step(self, q, p, h: float):
        """Advance ``(q, p)``, each ``(batch, dof)``, by one step of size ``h``."""
        if q.shape != p.shape:
            raise ValueError(f"q and p must have the same shape, got {q.shape} and {p.shape}")
        return self._step(q, p, h)

    def integrate(self, q, p, h: float, n_steps: int):
        """Take ``n_steps`` steps of size ``h`` and return the final ``(q, p)``."""
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, got {n_steps}")
        for _ in range(n_steps):
            q, p = self.step(q, p, h)
        return q, p

    def _step(self, q, p, h: float):
        raise NotImplementedError
