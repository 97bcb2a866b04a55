"""The base class every Hamiltonian system derives from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from hampipe.core.settings import Block


class HamiltonianSystem:
    """A Hamiltonian system H(q, p) with q, p in R^n, evaluated on batches in float64.

    Convention: Hamilton's equations dq/dt = dH/dp, dp/dt = -dH/dq (SANN paper, Eq. 1),
    ``p`` is momentum (p = m v), never velocity. Every array argument and result carries
    a leading batch axis: ``q``, ``p`` have shape ``(batch, dof)``.

    Implementer's checklist for a new system (one file, one registry entry)
    ----------------------------------------------------------------------
    1. Decorate the class with ``@SYSTEMS.register("<config name>")``.
    2. Declare ``parameter_fields`` (every physical constant, used for the NetCDF
       ``parameters`` attr) and ``initial_state_fields`` (the sampler's options) as
       :class:`~hampipe.core.settings.Block` s: the config schema takes them from here.
    3. Implement ``dof_names`` (``x1, y1, x2, ...`` for particles), ``_hamiltonian``,
       ``_dH_dq``, ``_dH_dp`` and ``_sample_initial_states``; implement ``_hessian``
       where the stiffness index (Jacobian of the vector field) should be available.
    4. Set ``separable = True`` only when H = T(p) + V(q) (leapfrog is then exact to
       second order); set ``hamiltonian_text`` to the formula written out.
    5. Add a physics test: ``tests/systems/`` parametrizes over the registry, so the
       generic checks (gradient vs finite differences, Jacobian vs finite differences)
       run automatically; add one against an analytic result.

    The public methods check shapes and dtype, then call the one maths method.
    """

    name: ClassVar[str] = ""
    separable: ClassVar[bool] = False
    hamiltonian_text: ClassVar[str] = ""
    #: Every physical constant, declared once (type, bounds, default, description): the
    #: config schema's ``systems.<name>.parameters`` and the NetCDF ``parameters`` attr
    #: come from it.
    parameter_fields: ClassVar[Block] = Block()
    #: The initial-state sampler's options, declared likewise (``initial_state``).
    initial_state_fields: ClassVar[Block] = Block()
    units: ClassVar[Mapping[str, str]] = {"q": "1", "p": "1", "energy": "1"}
    #: H is a quadratic form, so the vector field is linear: the spring study's
    #: meshgrid-error figures (seed 001, Figs. 5, 8-9) map a learned field against it.
    linear: ClassVar[bool] = False

    def __init__(
        self,
        parameters: Mapping[str, float] | None = None,
        initial_state: Mapping[str, Any] | None = None,
    ) -> None:
        self.parameters = self._merge("parameters", self.parameter_fields, parameters)
        self.initial_state = self._merge("initial_state", self.initial_state_fields, initial_state)

    def _merge(self, what: str, fields: Block, given: Mapping | None) -> dict:
        """``given`` over the declared defaults, each value checked against its bounds
        (a :class:`~hampipe.core.settings.SettingsError`, a ``ValueError``, names the key)."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(fields))
        if unknown:
            raise ValueError(
                f"system {self.name!r}: unknown {what} {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(fields))}"
            )
        return fields.fill(given, f"system {self.name!r}: {what}")

    @classmethod
    def schema(cls, common: Mapping[str, Any]) -> dict[str, Any]:
        """The config schema of ``systems.<name>``: the ``common`` keys of every system
        (``dt``, ``steps``, ...), the declared ``parameters`` and ``initial_state``, and
        ``test_initial_state``: keys of ``initial_state`` that differ for the test split
        (no defaults of its own; the test split's recipe is ``initial_state`` with them
        merged over it)."""
        blocks = {}
        for key, fields in (
            ("parameters", cls.parameter_fields),
            ("initial_state", cls.initial_state_fields),
        ):
            blocks[key] = {**fields.schema(), "default": {}}
        test = fields.schema()
        for node in test["properties"].values():
            node.pop("default", None)
        blocks["test_initial_state"] = {
            **test,
            "description": "keys of initial_state that differ for the test split (e.g. a "
            "peer's separate evaluation starts); the rest is initial_state's",
        }
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["dt", "steps", "trajectories"],
            "properties": {**common, **blocks},
        }

    # ----------------------------------------------------------------- metadata
    @property
    def dof(self) -> int:
        """Number of generalised coordinates n (the state has 2n components)."""
        return len(self.dof_names)

    @property
    def dof_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def momentum_names(self) -> list[str]:
        """Names of the conjugate momenta p_1..p_n (``p_<coordinate>`` unless written)."""
        return [f"p_{name}" for name in self.dof_names]

    def potential_extent(self) -> tuple[float, float, float, float] | None:
        """``(x_min, x_max, y_min, y_max)`` of the plane where the potential V(q) is worth
        mapping, or None: a system that sets it gets the potential figures (SANN
        Figs. 3a and 9 map the billiard's table)."""
        return None

    def outlines(self) -> list[dict[str, float]]:
        """Circles that bound the motion in the plane, ``{"x", "y", "radius"}`` each, drawn
        under the orbit figures and animations (the billiard's walls); none by default."""
        return []

    def parameters_json(self) -> str:
        """Every physical parameter as JSON text (sorted keys), for the NetCDF attrs."""
        return json.dumps(self.parameters, sort_keys=True)

    def definition_json(self) -> str | None:
        """JSON text defining a system that is not in the registry (user-defined), else None.

        Stored as the ``definition`` attr of ground-truth files so that
        :func:`hampipe.systems.system_from_attrs` can rebuild the system.
        """
        return None

    # -------------------------------------------------------------- public maths
    def _check(self, q: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(q, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        if q.ndim != 2 or q.shape != p.shape or q.shape[1] != self.dof:
            raise ValueError(
                f"system {self.name!r} expects q and p of shape (batch, {self.dof}), "
                f"got {q.shape} and {p.shape}"
            )
        return q, p

    def hamiltonian(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Total energy H(q, p), shape ``(batch,)``."""
        return self._hamiltonian(*self._check(q, p))

    def dH_dq(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Gradient of H with respect to q, shape ``(batch, dof)``."""
        return self._dH_dq(*self._check(q, p))

    def dH_dp(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Gradient of H with respect to p, shape ``(batch, dof)``."""
        return self._dH_dp(*self._check(q, p))

    def time_derivative(self, q: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hamilton's equations (SANN Eq. 1): ``(dq/dt, dp/dt) = (dH/dp, -dH/dq)``."""
        q, p = self._check(q, p)
        return self._dH_dp(q, p), -self._dH_dq(q, p)

    def vector_field(self, t: float, u: np.ndarray) -> np.ndarray:
        """Right-hand side f(u) of du/dt = f(u) for the flat state u = (q, p).

        ``u`` has shape ``(2 dof,)`` or ``(batch, 2 dof)``; ``t`` is unused (autonomous),
        present for ``scipy.integrate.solve_ivp``.
        """
        flat = np.ndim(u) == 1
        u2 = np.atleast_2d(u)
        q, p = u2[:, : self.dof], u2[:, self.dof :]
        dq, dp = self.time_derivative(q, p)
        out = np.concatenate([dq, dp], axis=1)
        return out[0] if flat else out

    def hessian(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Hessian of H in the ordering (q, p), shape ``(batch, 2 dof, 2 dof)``."""
        return self._hessian(*self._check(q, p))

    def jacobian(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Jacobian of the vector field f(u) = J_symp grad H(u), shape ``(batch, 2n, 2n)``.

        With the Hessian blocks H_qq, H_qp, H_pq, H_pp, the Jacobian of
        (dH/dp, -dH/dq) is ``[[H_pq, H_pp], [-H_qq, -H_qp]]`` (SANN §3.1, the matrix whose
        eigenvalues define the stiffness index).
        """
        hess = self.hessian(q, p)
        n = self.dof
        top = np.concatenate([hess[:, n:, :n], hess[:, n:, n:]], axis=2)
        bottom = np.concatenate([-hess[:, :n, :n], -hess[:, :n, n:]], axis=2)
        return np.concatenate([top, bottom], axis=1)

    def sample_initial_states(
        self, rng: np.random.Generator, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` initial states ``(q0, p0)``, each of shape ``(n, dof)``."""
        q0, p0 = self._sample_initial_states(rng, n)
        return self._check(q0, p0)

    # ----------------------------------------------------- subclass maths methods
    def _hamiltonian(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _dH_dq(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _dH_dp(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _hessian(self, q: np.ndarray, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"system {self.name!r} has no Hessian")

    def _sample_initial_states(
        self, rng: np.random.Generator, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @property
    def has_hessian(self) -> bool:
        """Whether the Jacobian (and so the stiffness index) is available."""
        return type(self)._hessian is not HamiltonianSystem._hessian
