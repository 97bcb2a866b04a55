"""The ideal mass-spring system."""

from __future__ import annotations

import numpy as np

from hampipe.core.settings import Block, choice, number, value_range
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS
from hampipe.systems.sampling import point_at_random_radius


@SYSTEMS.register("spring")
class Spring(HamiltonianSystem):
    """Frictionless mass on a spring, H = p²/(2m) + k q²/2.

    Spring study (seed 001, Eq. 4) with k = m = 2; the exact solution is
    q(t) = A cos(ωt + φ), p = m dq/dt, ω = sqrt(k/m).

    Initial states (``initial_state``), by ``sampling``:

    - ``energy`` (default): the energy is drawn uniformly between the energies of
      amplitudes ``radius[0]`` and ``radius[1]`` (E = k r²/2, "energies sampled
      uniformly", seed 001) and the phase uniformly on [0, 2π):
      q0 = r cos θ, p0 = sqrt(k m) r sin θ. The default radius range [10, 100] is HNN's
      [0.1, 1] scaled to the study's radius of 100;
    - ``radius``: the HNN paper's recipe (Greydanus et al. 2019, ``experiment-spring``;
      DGNet reuses it): a direction in the (q, p) plane from U[−1, 1]², normalised, times
      a radius r ~ U[``radius``] (uniform in r, not in energy; the direction not uniform
      on the circle). With HNN's H = q² + p² (k = 2, m = 1/2) r is the orbit's radius;
    - ``box``: q and p each of magnitude uniform in ``radius`` with a random sign, i.e.
      uniform in the square ±[r₀, r₁]² without its centre (DGNet's energy-evaluation
      starts, ±[0.2, 1]² per coordinate).
    """

    separable = True
    linear = True
    hamiltonian_text = "H = p**2/(2*m) + k*q**2/2"
    parameter_fields = Block(
        k=number(2.0, "spring constant", exclusive_minimum=0),
        m=number(2.0, "mass", exclusive_minimum=0),
    )
    initial_state_fields = Block(
        radius=value_range(
            [10.0, 100.0],
            "amplitude range: the energy uniform between its ends (sampling: energy), or "
            "the phase-plane radius uniform in it (sampling: radius)",
        ),
        sampling=choice(
            "radius_samplings",
            "energy",
            "energy: energy uniform between the radius range's ends, phase uniform "
            "(spring study); radius: HNN's recipe, (q, p) a direction from U[-1, 1]^2 "
            "scaled to a radius uniform in the range; box: |q| and |p| each uniform in the "
            "range, random signs (DGNet's evaluation starts)",
        ),
    )
    units = {"q": "m", "p": "kg m s-1", "energy": "J"}

    @property
    def dof_names(self) -> list[str]:
        return ["x"]

    def _hamiltonian(self, q, p):
        k, m = self.parameters["k"], self.parameters["m"]
        return (p[:, 0] ** 2 / (2 * m)) + k * q[:, 0] ** 2 / 2

    def _dH_dq(self, q, p):
        return self.parameters["k"] * q

    def _dH_dp(self, q, p):
        return p / self.parameters["m"]

    def _hessian(self, q, p):
        k, m = self.parameters["k"], self.parameters["m"]
        hess = np.zeros((q.shape[0], 2, 2))
        hess[:, 0, 0] = k
        hess[:, 1, 1] = 1 / m
        return hess

    def _sample_initial_states(self, rng, n):
        k, m = self.parameters["k"], self.parameters["m"]
        r_min, r_max = self.initial_state["radius"]
        if self.initial_state["sampling"] == "radius":
            state, _ = point_at_random_radius(rng, n, (r_min, r_max))
            return state[:, :1], state[:, 1:]
        if self.initial_state["sampling"] == "box":
            state = rng.uniform(r_min, r_max, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
            return state[:, :1], state[:, 1:]
        energy = rng.uniform(k * r_min**2 / 2, k * r_max**2 / 2, size=n)
        theta = rng.uniform(0.0, 2 * np.pi, size=n)
        r = np.sqrt(2 * energy / k)
        return (r * np.cos(theta))[:, None], (np.sqrt(k * m) * r * np.sin(theta))[:, None]

    def exact_solution(self, q0: np.ndarray, p0: np.ndarray, t: np.ndarray):
        """Closed-form (q(t), p(t)) from initial states of shape ``(batch, 1)``.

        Returns arrays of shape ``(batch, len(t), 1)``.
        """
        k, m = self.parameters["k"], self.parameters["m"]
        omega = np.sqrt(k / m)
        wt = omega * np.asarray(t)[None, :]
        q = q0 * np.cos(wt) + p0 / (m * omega) * np.sin(wt)
        p = p0 * np.cos(wt) - m * omega * q0 * np.sin(wt)
        return q[..., None], p[..., None]
