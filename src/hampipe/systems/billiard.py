"""The soft-walled ring billiard (SANN paper §4.1)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from hampipe.core.settings import Block, number, value_range
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS

# Rejection sampling draws candidates in rounds; give up when this many rounds in a row
# accept nothing (the ring with margin is then a sliver too thin to sample).
_MAX_EMPTY_ROUNDS = 1000
_SIGNS = np.array([1.0, -1.0])  # V = outer wall − inner wall


@SYSTEMS.register("billiard")
class Billiard(HamiltonianSystem):
    """A ball (unit mass) in a ring between two soft circular walls.

    SANN paper (Liang, Huang & Zhang, ICLR 2022), §4.1, Eq. 8:

        H(q, p) = ½‖p‖² + 1 / (1 + exp((r_α − ‖q‖)/s))
                        − 1 / (1 + exp((r_β − ‖q − (q₀, 0)‖)/s)),   q, p ∈ R².

    The PDF text of Eq. 8 is garbled; this is our reconstruction from the paper's
    description. With σ(x) = 1/(1 + e^(−x)) the potential is
    V(q) = σ((‖q‖ − r_α)/s) − σ((‖q − c‖ − r_β)/s), c = (q₀, 0): about −1 in the ring
    between the inner circle (radius r_β, centre c) and the outer circle (radius r_α,
    centre 0), about 0 inside the inner circle and outside the outer one, and negative
    everywhere (as long as ``shift`` < r_α − r_β). The walls have unit height and
    width ~ s, so a ball with ½‖p‖² well below 1 bounces inside the ring. Unit mass,
    p = v. Parameters: ``r_alpha`` = r_α, ``r_beta`` = r_β, ``softness`` = s,
    ``shift`` = q₀ (the paper's 1, 0.5, 0.05, 0.1). The sigmoids are evaluated with
    ``scipy.special.expit`` (no overflow); the gradient at either wall's centre is
    defined as 0 (both centres lie inside the inner circle, out of the ball's reach).

    Initial states (the paper gives no recipe; ours, all ``initial_state`` keys):

    - the position is uniform by area in the ring, by rejection from the square
      [−r_α, r_α]², keeping points at least ``wall_margin`` inside both walls,
      ‖q‖ ≤ r_α − margin and ‖q − c‖ ≥ r_β + margin (default 0.1 = 2 s). Candidates are
      drawn in rounds from the given generator until ``n`` are accepted, in draw order;
    - the direction is uniform on the circle, the speed ‖p‖ uniform in ``speed``
      (default [0.5, 1.0]), both drawn after all positions.

    The top of ``speed``, v, must satisfy ½ v² < 1 − 2σ(−margin/s): inside the margin
    the potential is at most −1 + 2σ(−margin/s), so H < 0 stays below the top of the
    walls (about 0) and the ball cannot leave the ring. This is stricter than the wall
    height alone (½‖p‖² < 1, v < √2): v < 1.234 with the default margin.
    """

    separable = True
    hamiltonian_text = (
        "H = |p|**2/2 + 1/(1 + exp((r_alpha - |q|)/s)) - 1/(1 + exp((r_beta - |q - (q0, 0)|)/s))"
    )
    parameter_fields = Block(
        r_alpha=number(1.0, "radius of the outer circle", exclusive_minimum=0),
        r_beta=number(0.5, "radius of the inner circle", exclusive_minimum=0),
        softness=number(0.05, "softness s of the walls", exclusive_minimum=0),
        shift=number(0.1, "shift q0 of the inner circle's centre along x"),
    )
    initial_state_fields = Block(
        wall_margin=number(
            0.1, "least distance of an initial position from either wall", minimum=0
        ),
        speed=value_range(
            [0.5, 1.0],
            "speed range; the top must keep H below the walls' top (about 1.23 for the "
            "defaults, checked before any job)",
        ),
    )

    @property
    def dof_names(self) -> list[str]:
        return ["x", "y"]

    #: The potential map's half-width in units of the outer radius r_α: the whole table,
    #: both walls and the flat region outside.
    map_margin = 1.25

    def potential_extent(self) -> tuple[float, float, float, float]:
        """The table, ±1.25 r_α in x and y (SANN Figs. 3a and 9)."""
        half = self.map_margin * float(self.parameters["r_alpha"])
        return (-half, half, -half, half)

    def outlines(self) -> list[dict[str, float]]:
        """The two walls, where their sigmoids are ½: radius r_α about the origin and
        r_β about c = (q₀, 0)."""
        (ox, oy), (ix, iy) = self.centres.tolist()
        return [
            {"x": ox, "y": oy, "radius": float(self.parameters["r_alpha"])},
            {"x": ix, "y": iy, "radius": float(self.parameters["r_beta"])},
        ]

    @property
    def centres(self) -> np.ndarray:
        """Centres of the outer and inner walls, (0, 0) and c = (q₀, 0), shape ``(2, 2)``."""
        return np.array([[0.0, 0.0], [self.parameters["shift"], 0.0]])

    def _walls(self, q: np.ndarray) -> tuple[np.ndarray, ...]:
        """Both sigmoid walls f_k(‖d_k‖) = σ((‖d_k‖ − R_k)/s), k = outer, inner.

        Returns d_k = q − centre_k ``(batch, 2, 2)``, ‖d_k‖, σ(x_k) and σ(−x_k) = 1 − σ(x_k)
        ``(batch, 2)``, with x_k = (‖d_k‖ − R_k)/s; ``expit`` keeps both accurate in the
        tails.
        """
        radii = np.array([self.parameters["r_alpha"], self.parameters["r_beta"]])
        d = q[:, None, :] - self.centres[None]
        r = np.sqrt((d * d).sum(-1))
        x = (r - radii) / self.parameters["softness"]
        return d, r, expit(x), expit(-x)

    def potential(self, q: np.ndarray) -> np.ndarray:
        """Potential energy V(q) of Eq. 8, shape ``(batch,)`` for ``q`` of shape ``(batch, 2)``."""
        _, _, sig, _ = self._walls(np.asarray(q, dtype=np.float64))
        return sig[:, 0] - sig[:, 1]

    def _hamiltonian(self, q, p):
        return 0.5 * (p**2).sum(-1) + self.potential(q)

    def _dH_dp(self, q, p):
        return p.copy()

    def _dH_dq(self, q, p):
        """∇V = Σ_k ± f_k'(‖d_k‖) d_k/‖d_k‖, f' = σ(x)σ(−x)/s (+ outer, − inner)."""
        d, r, sig, sig_neg = self._walls(q)
        # At a wall's centre d = 0, so dividing by 1 instead of r = 0 gives the gradient 0.
        coef = sig * sig_neg / (self.parameters["softness"] * (r + (r == 0))) * _SIGNS
        return (coef[:, :, None] * d).sum(1)

    def _hessian(self, q, p):
        """Exact Hessian: for f(‖d‖), ∇²f = f'' u uᵀ + (f'/‖d‖)(I − u uᵀ), u = d/‖d‖.

        f' = σ'(x)/s and f'' = σ''(x)/s², σ' = σ(x)σ(−x), σ'' = σ'(σ(−x) − σ(x)).
        """
        s = self.parameters["softness"]
        d, r, sig, sig_neg = self._walls(q)
        slope = sig * sig_neg / s
        curvature = slope * (sig_neg - sig) / s
        inv_r = (r > 0) / (r + (r == 0))  # 1/r, and 0 at a wall's centre (its cone tip)
        u = d * inv_r[..., None]
        uu = u[..., :, None] * u[..., None, :]
        eye = np.eye(2)
        blocks = curvature[..., None, None] * uu + (slope * inv_r)[..., None, None] * (eye - uu)
        hess = np.zeros((q.shape[0], 4, 4))
        hess[:, :2, :2] = (_SIGNS[None, :, None, None] * blocks).sum(1)
        hess[:, 2:, 2:] = eye
        return hess

    def _check_initial_state(self) -> tuple[float, float, float]:
        r_alpha, r_beta = self.parameters["r_alpha"], self.parameters["r_beta"]
        s, shift = self.parameters["softness"], self.parameters["shift"]
        margin = float(self.initial_state["wall_margin"])
        lo, hi = (float(v) for v in self.initial_state["speed"])
        if not abs(shift) < r_alpha - r_beta:
            raise ValueError(
                f"billiard: parameters.shift = {shift} must satisfy |shift| < r_alpha - r_beta "
                f"= {r_alpha - r_beta} (the inner circle inside the outer one)"
            )
        outer = r_alpha - margin
        if margin < 0 or outer <= 0 or abs(shift) + outer <= r_beta + margin:
            raise ValueError(
                f"billiard: initial_state.wall_margin = {margin} leaves no room in the ring "
                f"(need 0 <= margin, r_alpha - margin > 0 and "
                f"|shift| + r_alpha - margin > r_beta + margin)"
            )
        # Highest potential inside the margin: −1 + 2σ(−margin/s); keep H below 0.
        v_max = float(np.sqrt(2 * (1 - 2 * expit(-margin / s))))
        if not 0 <= lo <= hi < v_max:
            raise ValueError(
                f"billiard: initial_state.speed = [{lo}, {hi}] must satisfy "
                f"0 <= low <= high < {v_max:.4g} (= sqrt(2 (1 - 2 sigmoid(-wall_margin/s))), "
                f"below sqrt(2)) so that the ball stays below the wall height"
            )
        return margin, lo, hi

    def _sample_initial_states(self, rng, n):
        margin, lo, hi = self._check_initial_state()
        r_alpha, r_beta = self.parameters["r_alpha"], self.parameters["r_beta"]
        accepted: list[np.ndarray] = []
        need, empty_rounds = n, 0
        while need > 0:
            candidates = rng.uniform(-r_alpha, r_alpha, size=(max(64, 4 * need), 2))
            keep = (np.linalg.norm(candidates, axis=1) <= r_alpha - margin) & (
                np.linalg.norm(candidates - self.centres[1], axis=1) >= r_beta + margin
            )
            taken = candidates[keep][:need]
            accepted.append(taken)
            need -= len(taken)
            empty_rounds = 0 if len(taken) else empty_rounds + 1
            if empty_rounds >= _MAX_EMPTY_ROUNDS:
                raise ValueError(
                    f"billiard: initial_state.wall_margin = {margin} leaves too little of "
                    "the ring to sample"
                )
        q = np.concatenate(accepted)
        angle = rng.uniform(0.0, 2 * np.pi, size=n)
        speed = rng.uniform(lo, hi, size=n)
        p = speed[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        return q, p
