"""Planar N-body gravity: the shared maths of the two- and three-body systems."""

from __future__ import annotations

from functools import cached_property
from itertools import combinations

import numpy as np

from hampipe.systems.base import HamiltonianSystem


class PlanarNBody(HamiltonianSystem):
    """N point masses in the plane under Newtonian gravity.

    H(q, p) = Σ_i ‖p_i‖² / (2 m_i) − Σ_{i<j} G m_i m_j / ‖q_i − q_j‖
    (SANN paper, Eq. 9, written for N bodies). The state is ordered
    ``x1, y1, x2, y2, ...`` and p_i = m_i v_i. Subclasses set ``n_bodies`` and the
    initial-state sampler; parameters are ``G`` and the masses ``m1 ... mN``.
    """

    separable = True
    n_bodies: int = 0

    @property
    def dof_names(self) -> list[str]:
        return [f"{axis}{i + 1}" for i in range(self.n_bodies) for axis in ("x", "y")]

    @property
    def masses(self) -> np.ndarray:
        return np.array([self.parameters[f"m{i + 1}"] for i in range(self.n_bodies)])

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return list(combinations(range(self.n_bodies), 2))

    def _bodies(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(x.shape[0], self.n_bodies, 2)

    def pairwise_distances(self, q: np.ndarray) -> np.ndarray:
        """‖q_i − q_j‖ for every pair i < j, shape ``(batch, n_pairs)``."""
        b = self._bodies(np.asarray(q, dtype=np.float64))
        return np.stack([np.linalg.norm(b[:, i] - b[:, j], axis=-1) for i, j in self.pairs], 1)

    def _hamiltonian(self, q, p):
        m, G = self.masses, self.parameters["G"]
        kinetic = (self._bodies(p) ** 2).sum(-1) / (2 * m)
        r = self.pairwise_distances(q)
        mm = np.array([m[i] * m[j] for i, j in self.pairs])
        return kinetic.sum(-1) - (G * mm / r).sum(-1)

    def _dH_dp(self, q, p):
        return (self._bodies(p) / self.masses[None, :, None]).reshape(p.shape)

    def _dH_dq(self, q, p):
        m, G = self.masses, self.parameters["G"]
        b = self._bodies(q)
        grad = np.zeros_like(b)
        for i, j in self.pairs:
            d = b[:, i] - b[:, j]
            r3 = np.linalg.norm(d, axis=-1, keepdims=True) ** 3
            f = G * m[i] * m[j] * d / r3  # dV/dq_i of this pair
            grad[:, i] += f
            grad[:, j] -= f
        return grad.reshape(q.shape)

    def _hessian(self, q, p):
        m, G = self.masses, self.parameters["G"]
        n, batch = self.dof, q.shape[0]
        b = self._bodies(q)
        hess = np.zeros((batch, 2 * n, 2 * n))
        eye = np.eye(2)
        for i, j in self.pairs:
            d = b[:, i] - b[:, j]
            r = np.linalg.norm(d, axis=-1)[:, None, None]
            outer = d[:, :, None] * d[:, None, :]
            block = G * m[i] * m[j] * (eye / r**3 - 3 * outer / r**5)
            si, sj = slice(2 * i, 2 * i + 2), slice(2 * j, 2 * j + 2)
            hess[:, si, si] += block
            hess[:, sj, sj] += block
            hess[:, si, sj] -= block
            hess[:, sj, si] -= block
        inv_m = np.repeat(1 / m, 2)
        hess[:, n:, n:] = np.diag(inv_m)
        return hess

    def vector_field(self, t: float, u: np.ndarray) -> np.ndarray:
        """Hamilton's equations for the flat state u = (q, p); see the base class.

        A single state (the ``solve_ivp`` call, about 5 000 per ground-truth trajectory)
        takes a fast path that evaluates all pairs at once with (N, N) arrays instead of
        looping over pairs, about 4x faster for three bodies; batches use the base class.
        """
        if np.ndim(u) != 1 or len(u) != 4 * self.n_bodies:
            return super().vector_field(t, u)
        n = self.n_bodies
        q = u[: 2 * n].reshape(n, 2)
        d = q[:, None, :] - q[None, :, :]  # d[i, j] = q_i - q_j
        r2 = (d * d).sum(-1)
        r2[np.diag_indices(n)] = 1.0  # the zero self-pair weights below
        weight = self._pair_couplings * r2**-1.5  # G m_i m_j / r_ij^3
        dp_dt = -(weight[:, :, None] * d).sum(1).ravel()
        return np.concatenate([u[2 * n :] * self._inverse_masses, dp_dt])

    @cached_property
    def _pair_couplings(self) -> np.ndarray:
        """G m_i m_j for i != j and 0 on the diagonal, shape ``(N, N)``."""
        m = self.masses
        coupling = self.parameters["G"] * np.outer(m, m)
        coupling[np.diag_indices(self.n_bodies)] = 0.0
        return coupling

    @cached_property
    def _inverse_masses(self) -> np.ndarray:
        """1/m_i per degree of freedom, ``(1/m1, 1/m1, 1/m2, ...)``."""
        return np.repeat(1.0 / self.masses, 2)

    def centre_of_mass_velocity(self, p: np.ndarray) -> np.ndarray:
        """Velocity of the centre of mass, Σ p_i / Σ m_i, shape ``(batch, 2)``."""
        return self._bodies(np.asarray(p)).sum(1) / self.masses.sum()
