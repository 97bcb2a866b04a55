"""The ideal pendulum."""

from __future__ import annotations

import numpy as np

from hampipe.core.settings import Block, number, value_range
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS
from hampipe.systems.sampling import point_at_random_radius


@SYSTEMS.register("pendulum")
class Pendulum(HamiltonianSystem):
    """Ideal pendulum, H = p²/(2 m l²) + m g l (1 − cos q), q the angle from the vertical.

    The defaults (m = ½, l = 1, g = 6) give H = p² + 3 (1 − cos q), the pendulum of the
    HNN paper (Greydanus et al. 2019, §4 "Task 2"; its code writes H = 3(1 − cos q) + p²).

    Initial states (HNN recipe): a direction drawn from U[−1, 1]² in the (q, p) plane,
    rescaled to a radius r ~ U[``radius``]; with the defaults every orbit librates
    (max H on the circle of radius 2.3 is about 5.83, below the separatrix energy
    2 m g l = 6).
    """

    separable = True
    hamiltonian_text = "H = p**2/(2*m*l**2) + m*g*l*(1 - cos(q))"
    parameter_fields = Block(
        m=number(0.5, "bob mass", exclusive_minimum=0),
        l=number(1.0, "rod length", exclusive_minimum=0),
        g=number(6.0, "gravitational acceleration", exclusive_minimum=0),
    )
    initial_state_fields = Block(
        radius=value_range([1.3, 2.3], "radius range of (q, p) in the phase plane"),
    )
    units = {"q": "rad", "p": "kg m2 s-1", "energy": "J"}

    @property
    def dof_names(self) -> list[str]:
        return ["theta"]

    def _inertia(self) -> float:
        return self.parameters["m"] * self.parameters["l"] ** 2

    def _mgl(self) -> float:
        return self.parameters["m"] * self.parameters["g"] * self.parameters["l"]

    def _hamiltonian(self, q, p):
        return p[:, 0] ** 2 / (2 * self._inertia()) + self._mgl() * (1 - np.cos(q[:, 0]))

    def _dH_dq(self, q, p):
        return self._mgl() * np.sin(q)

    def _dH_dp(self, q, p):
        return p / self._inertia()

    def _hessian(self, q, p):
        hess = np.zeros((q.shape[0], 2, 2))
        hess[:, 0, 0] = self._mgl() * np.cos(q[:, 0])
        hess[:, 1, 1] = 1 / self._inertia()
        return hess

    def _sample_initial_states(self, rng, n):
        state, _ = point_at_random_radius(rng, n, self.initial_state["radius"])
        return state[:, :1], state[:, 1:]

    def period(self, amplitude: np.ndarray) -> np.ndarray:
        """Exact period of libration with angular amplitude θ₀ < π.

        T = 4 K(k) / ω₀, k = sin(θ₀/2), ω₀ = sqrt(m g l / (m l²)), K the complete
        elliptic integral of the first kind (scipy's ``ellipk`` takes m = k²).
        """
        from scipy.special import ellipk

        omega0 = np.sqrt(self._mgl() / self._inertia())
        return 4 * ellipk(np.sin(np.asarray(amplitude) / 2) ** 2) / omega0
