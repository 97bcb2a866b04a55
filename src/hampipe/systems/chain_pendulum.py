"""The planar chain of N pendulums (inseparable): ``pendulum4`` and ``pendulum6``."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from hampipe.core.settings import Block, number
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS


class ChainPendulum(HamiltonianSystem):
    """A chain of N planar pendulums, the inseparable H of SANN Appendix H, Eq. 14.

    Rod i (length ℓ_i, massless) hangs from bob i − 1 (bob 0 is the fixed pivot) and
    carries a point mass m_i; q_i is the angle of rod i from the downward vertical, so
    bob i sits at x_i = Σ_{k≤i} ℓ_k sin q_k, y_i = −Σ_{k≤i} ℓ_k cos q_k (the chain of
    Finzi et al. 2020, CHNN). With T = ½ Σ_i m_i (ẋ_i² + ẏ_i²) = ½ q̇ᵀ M(q) q̇ and
    p = M(q) q̇,

        H(q, p) = ½ pᵀ M(q)⁻¹ p + Σ_{i=1..N} m_i g Σ_{k=1..i} ℓ_k (1 − cos q_k),
        M(q)_ij = cos(q_i − q_j) ℓ_i ℓ_j Σ_{k=max(i,j)..N} m_k.

    The extracted text of the paper's Eq. 14 is garbled; the formula above is rebuilt
    from these bob positions (``tests/systems/test_chain_pendulum.py`` rederives it from
    the Lagrangian with sympy). Eq. 14 writes the potential as −Σ m_i g Σ ℓ_k cos q_k;
    we add the constant g Σ_i m_i Σ_{k≤i} ℓ_k, measuring heights from the rest position
    hanging down as the single ``pendulum`` does (N = 1 gives exactly its H). The
    dynamics are unchanged, and H = 0 at rest, so relative energy errors
    (H(t) − H(0)) / H(0) compare the error with the energy of the motion (about 0.1 for
    the paper's initial states) instead of with −10 (N = 4) or −21 (N = 6).

    M(q) is symmetric positive definite for every q (it is the Cartesian kinetic-energy
    metric pulled back to the angles: M = Σ_i m_i J_iᵀ J_i with J_i the Jacobian of bob
    i, of full rank since ℓ_k > 0), so M⁻¹p always exists; it is applied with
    ``np.linalg.solve``, never an explicit inverse. H is not separable: the kinetic term
    depends on q, so kick–drift–kick leapfrog is neither explicit nor symplectic for it.
    Ground truth uses ``scipy.integrate.solve_ivp`` as for every system.

    Paper setting (defaults): g = m_i = ℓ_i = 1. The paper samples "initial states"
    uniformly in [−0.25, 0.25]; here every component of q and p is drawn from
    U[``low``, ``high``]. Subclasses set ``n_links``; the parameters are ``g`` and the
    per-link ``m1 … mN``, ``l1 … lN``, all recorded in the NetCDF attrs.
    """

    n_links: ClassVar[int] = 0
    separable = False
    initial_state_fields = Block(
        "every angle and momentum drawn from U[low, high] (SANN Appendix H)",
        low=number(-0.25, "lower end of the uniform box"),
        high=number(0.25, "upper end of the uniform box"),
    )
    units = {"q": "rad", "p": "kg m2 s-1", "energy": "J"}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "n_links" in cls.__dict__:
            n = cls.n_links
            cls.parameter_fields = Block(
                g=number(1.0, "gravitational acceleration", exclusive_minimum=0),
                **{
                    f"m{i + 1}": number(1.0, f"mass of bob {i + 1}", exclusive_minimum=0)
                    for i in range(n)
                },
                **{
                    f"l{i + 1}": number(1.0, f"length of rod {i + 1}", exclusive_minimum=0)
                    for i in range(n)
                },
            )
            cls.hamiltonian_text = (
                "H = p^T M(q)^-1 p / 2 + sum_i m_i*g*sum_{k<=i} l_k*(1 - cos(q_k)), "
                "M_ij = cos(q_i - q_j)*l_i*l_j*sum_{k>=max(i,j)} m_k, "
                f"i, j in 1..{n}"
            )

    def __init__(self, parameters=None, initial_state=None) -> None:
        if self.n_links < 1:
            raise ValueError(f"{type(self).__name__}: set n_links >= 1 in a subclass")
        super().__init__(parameters, initial_state)
        low, high = self.initial_state["low"], self.initial_state["high"]
        if not low < high:
            raise ValueError(
                f"system {self.name!r}: initial_state needs low < high, got {low}, {high}"
            )

    # ----------------------------------------------------------------- metadata
    @property
    def dof_names(self) -> list[str]:
        return [f"theta{i + 1}" for i in range(self.n_links)]

    @property
    def masses(self) -> np.ndarray:
        """Bob masses m_i, shape ``(N,)``."""
        return np.array([self.parameters[f"m{i + 1}"] for i in range(self.n_links)], float)

    @property
    def lengths(self) -> np.ndarray:
        """Rod lengths ℓ_i, shape ``(N,)``."""
        return np.array([self.parameters[f"l{i + 1}"] for i in range(self.n_links)], float)

    def _tail_masses(self) -> np.ndarray:
        """μ_k = Σ_{i≥k} m_i, the mass hanging from rod k, shape ``(N,)``."""
        return np.cumsum(self.masses[::-1])[::-1]

    def _weights(self) -> np.ndarray:
        """W_ij = ℓ_i ℓ_j μ_max(i,j), so that M = W ∘ cos(q_i − q_j); shape ``(N, N)``."""
        mu = self._tail_masses()
        idx = np.arange(self.n_links)
        ell = self.lengths
        return np.outer(ell, ell) * mu[np.maximum(idx[:, None], idx[None, :])]

    # --------------------------------------------------------------------- maths
    def mass_matrix(self, q: np.ndarray) -> np.ndarray:
        """M(q)_ij = cos(q_i − q_j) ℓ_i ℓ_j Σ_{k≥max(i,j)} m_k, shape ``(batch, N, N)``."""
        q = np.asarray(q, dtype=np.float64)
        return self._weights() * np.cos(q[:, :, None] - q[:, None, :])

    def _potential_coefficients(self) -> np.ndarray:
        """c_k = g ℓ_k μ_k, with V(q) = Σ_k c_k (1 − cos q_k); shape ``(N,)``."""
        return self.parameters["g"] * self.lengths * self._tail_masses()

    def _velocity(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """a = M(q)⁻¹ p = dq/dt, shape ``(batch, N)``."""
        return np.linalg.solve(self.mass_matrix(q), p[:, :, None])[:, :, 0]

    def _antisym(self, q: np.ndarray) -> np.ndarray:
        """B_ij = W_ij sin(q_i − q_j) (antisymmetric), shape ``(batch, N, N)``."""
        return self._weights() * np.sin(q[:, :, None] - q[:, None, :])

    def _hamiltonian(self, q, p):
        a = self._velocity(q, p)
        kinetic = 0.5 * np.einsum("bi,bi->b", p, a)
        return kinetic + (1 - np.cos(q)) @ self._potential_coefficients()

    def _dH_dp(self, q, p):
        return self._velocity(q, p)

    def _dH_dq(self, q, p):
        # ∂M_ij/∂q_k = −B_ij (δ_ik − δ_jk), so −½ aᵀ (∂M/∂q_k) a = a_k (B a)_k.
        a = self._velocity(q, p)
        Ba = np.einsum("bij,bj->bi", self._antisym(q), a)
        return a * Ba + self._potential_coefficients() * np.sin(q)

    def _hessian(self, q, p):
        """Exact Hessian of H in (q, p) ordering, shape ``(batch, 2N, 2N)``.

        With a = M⁻¹p and dH/dq_k = a_k (B a)_k + c_k sin q_k:
        H_pp = M⁻¹; H_qp = G M⁻¹ with G = ∂(dH/dq)/∂a = diag(B a) + diag(a) B;
        ∂a/∂q = −M⁻¹ [∂M/∂q_l a]_l = H_qpᵀ; and, since ∂B_kj/∂q_l = M_kj (δ_kl − δ_jl)
        and M a = p, H_qq = G H_qpᵀ + diag(a ∘ p) − diag(a) M diag(a) + diag(c ∘ cos q).
        """
        n = self.n_links
        M = self.mass_matrix(q)
        a = np.linalg.solve(M, p[:, :, None])[:, :, 0]
        B = self._antisym(q)
        G = a[:, :, None] * B
        G[:, np.arange(n), np.arange(n)] += np.einsum("bij,bj->bi", B, a)
        M_inv = np.linalg.solve(M, np.broadcast_to(np.eye(n), M.shape))
        H_qp = G @ M_inv
        H_qq = G @ np.swapaxes(H_qp, 1, 2) - a[:, :, None] * M * a[:, None, :]
        H_qq[:, np.arange(n), np.arange(n)] += a * p + self._potential_coefficients() * np.cos(q)
        H_qq = 0.5 * (H_qq + np.swapaxes(H_qq, 1, 2))  # symmetric up to rounding
        M_inv = 0.5 * (M_inv + np.swapaxes(M_inv, 1, 2))
        top = np.concatenate([H_qq, H_qp], axis=2)
        bottom = np.concatenate([np.swapaxes(H_qp, 1, 2), M_inv], axis=2)
        return np.concatenate([top, bottom], axis=1)

    def _sample_initial_states(self, rng, n):
        low, high = self.initial_state["low"], self.initial_state["high"]
        u = rng.uniform(low, high, size=(n, 2 * self.n_links))
        return u[:, : self.n_links], u[:, self.n_links :]


@SYSTEMS.register("pendulum4")
class Pendulum4(ChainPendulum):
    """Chain of 4 pendulums (SANN paper, Appendix H, Eq. 14 with N = 4)."""

    n_links = 4


@SYSTEMS.register("pendulum6")
class Pendulum6(ChainPendulum):
    """Chain of 6 pendulums (SANN paper, Appendix H, Eq. 14 with N = 6)."""

    n_links = 6
