"""Vector fields and the one-step integrators that advance them.

Integrators take vector fields, not systems (STYLE.md): a :class:`Field` bundles the
callables an integrator may call with what the field offers (Hamiltonian gradients,
separability), and each integrator class declares what it needs. Building an integrator
on a field that lacks what it needs raises ``ValueError`` naming both, so that, e.g.,
leapfrog (whose explicit kick–drift–kick form is only right for H = T(p) + V(q)) can
never run silently on an inseparable model.

The arithmetic is array-agnostic: the same steppers run on NumPy arrays (ground truth,
tests) and on torch tensors (training, with autograd through the steps; rollouts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from hampipe.core.settings import Block

Array = Any
#: ``f(q, p, t) -> (dq/dt, dp/dt)``; ``q``, ``p`` are ``(batch, dof)``, ``t`` a scalar or
#: ``(batch, 1)``.
VectorField = Callable[[Array, Array, Any], tuple[Array, Array]]
#: ``g(q, p, t) -> array (batch, dof)``, e.g. ∂H/∂q.
Gradient = Callable[[Array, Array, Any], Array]


class StepSizeError(RuntimeError):
    """An adaptive integrator could not meet its tolerances (step underflow, max_steps)."""


#: What an integrator may require of a field.
REQUIREMENTS = ("hamiltonian", "separable")


@dataclass(frozen=True)
class Field:
    """A first-order system dq/dt = f_q(q, p, t), dp/dt = f_p(q, p, t) and what it offers.

    Attributes
    ----------
    vector_field
        ``(q, p, t) -> (dq/dt, dp/dt)``; always present.
    dH_dq, dH_dp
        The gradients of a Hamiltonian H(q, p, t) with dq/dt = ∂H/∂p, dp/dt = −∂H/∂q
        (Hamilton's equations with the standard signs); ``None`` for a field that is not
        Hamiltonian (a black-box vector field).
    separable
        True when H = T(p) + V(q): ∂H/∂q depends on q alone and ∂H/∂p on p alone.
    name
        How error messages name the field (e.g. ``"model 'general'"``).
    """

    vector_field: VectorField
    dH_dq: Gradient | None = None
    dH_dp: Gradient | None = None
    separable: bool = False
    name: str = "field"

    @property
    def hamiltonian(self) -> bool:
        return self.dH_dq is not None and self.dH_dp is not None

    @classmethod
    def from_gradients(
        cls,
        dH_dq: Callable[..., Array],
        dH_dp: Callable[..., Array],
        separable: bool,
        time_dependent: bool = False,
        name: str = "field",
    ) -> Field:
        """The Hamiltonian field of the gradients of H.

        ``dH_dq``, ``dH_dp`` take ``(q, p)`` (autonomous H, e.g. a system's methods) or,
        with ``time_dependent=True``, ``(q, p, t)``.
        """
        if time_dependent:
            gq, gp = dH_dq, dH_dp
        else:

            def gq(q, p, t=None):
                return dH_dq(q, p)

            def gp(q, p, t=None):
                return dH_dp(q, p)

        def vector_field(q, p, t=None):
            return gp(q, p, t), -gq(q, p, t)

        return cls(vector_field, gq, gp, separable, name)

    @classmethod
    def from_vector_field(cls, f: Callable[..., tuple[Array, Array]], name: str = "field"):
        """A field with no Hamiltonian structure; ``f(q, p, t) -> (dq/dt, dp/dt)``."""
        return cls(f, None, None, False, name)


class Integrator:
    """A one-step method for dq/dt = f_q(q, p, t), dp/dt = f_p(q, p, t).

    Implementer's checklist
    -----------------------
    1. Register with ``@INTEGRATORS.register("<name>")`` in a module of its own, and
       import that module in ``hampipe/integrators/__init__.py``.
    2. Declare ``order`` (global order of accuracy), ``symplectic`` (for Hamiltonian
       fields), ``requires`` (a subset of :data:`REQUIREMENTS`) and, for step-size
       control, ``adaptive = True``; declare the ``options`` it takes as a
       :class:`~hampipe.core.settings.Block` (type, bounds, default, description), which
       checks them here and from which the config schema takes them.
    3. Implement ``_step(q, p, h, t)`` returning the new ``(q, p)``; never modify inputs.
       An adaptive method overrides ``_integrate`` instead.
    4. ``tests/integrators`` measures every entry's order against the declared one and
       the energy behaviour of the symplectic ones.

    ``h`` and ``t`` may be Python floats or arrays of shape ``(batch, 1)`` (one step per
    example, as in training where observed intervals differ).
    """

    name: ClassVar[str] = ""
    order: ClassVar[int] = 0
    symplectic: ClassVar[bool] = False
    adaptive: ClassVar[bool] = False
    requires: ClassVar[frozenset[str]] = frozenset()
    #: The keyword options, declared once (type, bounds, default): the config's
    #: ``prediction`` block and a loss's integrator settings are derived from them.
    options: ClassVar[Block] = Block()

    def __init__(self, field: Field, **options: Any) -> None:
        if not isinstance(field, Field):
            raise TypeError(f"{self.name} takes a hampipe.integrators.Field, got {type(field)}")
        unknown = sorted(set(options) - set(self.options.fields))
        if unknown:
            valid = ", ".join(sorted(self.options.fields)) or "none"
            raise ValueError(
                f"integrator {self.name!r}: unknown option(s) {unknown}; valid: {valid}"
            )
        #: The options, defaults filled and bounds checked (a SettingsError is a ValueError).
        self.settings = self.options.typed(options, f"integrator {self.name!r}: option", True)
        reason = self.refusal(field.hamiltonian, field.separable, field.name)
        if reason:
            raise ValueError(reason)
        self.field = field

    @classmethod
    def refusal(cls, hamiltonian: bool, separable: bool, name: str) -> str | None:
        """Why this integrator cannot advance a field that offers these, or None.

        One rule for both places that apply it: building an integrator on a field, and
        the config check that refuses a model before any job runs.
        """
        if "hamiltonian" in cls.requires and not hamiltonian:
            return (
                f"integrator {cls.name!r} needs a Hamiltonian field (∂H/∂q, ∂H/∂p); "
                f"{name} is a black-box vector field"
            )
        if "separable" in cls.requires and not separable:
            return (
                f"integrator {cls.name!r} needs a separable Hamiltonian H = T(p) + V(q); "
                f"{name} is not separable (use stormer_verlet, rk4, euler or dopri5)"
            )
        return None

    def step(self, q, p, h, t=0.0):
        """Advance ``(q, p)``, each ``(batch, dof)``, from time ``t`` by one step ``h``."""
        if q.shape != p.shape:
            raise ValueError(f"q and p must have the same shape, got {q.shape} and {p.shape}")
        return self._step(q, p, h, t)

    def integrate(self, q, p, h, n_steps: int, t0=0.0):
        """Integrate from ``t0`` to ``t0 + n_steps·h`` and return the final ``(q, p)``.

        Fixed-step methods take ``n_steps`` steps of size ``h``; adaptive methods start
        with step ``h`` and control it to their tolerances, landing on the same end time.
        This is the one integration routine of the project: training losses, rollouts
        and evaluation all call it.
        """
        if int(n_steps) != n_steps or n_steps < 0:
            raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
        if q.shape != p.shape:
            raise ValueError(f"q and p must have the same shape, got {q.shape} and {p.shape}")
        return self._integrate(q, p, h, int(n_steps), t0)

    def integrate_ragged(self, q, p, h, counts, t0=0.0):
        """Integrate rows for different numbers of steps: row i takes S_i steps of ``h[i]``.

        ``counts`` lists ``(S, rows)`` pairs in strictly descending S (each S ≥ 1): the
        first ``rows`` rows of ``q`` take the largest S, the next the second, and so on;
        ``h`` and ``t0`` are per row, ``(batch, 1)``, or broadcast. Returns one final
        ``(q, p)`` per block of ``counts``, in its order (the caller joins them: this
        module works on torch tensors and numpy arrays alike and imports neither); the
        same as :meth:`integrate` of each block on its own, which is what this base
        version does (fixed-step integrators that can batch the rows still stepping
        override it).
        """
        check_counts(counts, q)
        ends, start = [], 0
        for n_steps, rows in counts:
            block = slice(start, start + rows)
            h_block, t_block = per_row(h, block, q), per_row(t0, block, q)
            ends.append(self.integrate(q[block], p[block], h_block, n_steps, t_block))
            start += rows
        return ends

    def _integrate(self, q, p, h, n_steps: int, t0):
        t = t0
        for _ in range(n_steps):
            q, p = self._step(q, p, h, t)
            t = t + h
        return q, p

    def _step(self, q, p, h, t):
        raise NotImplementedError


def per_row(value, block: slice, q):
    """``value``'s rows ``block`` where it has one per row of ``q``, else ``value``."""
    if getattr(value, "ndim", 0) > 0 and value.shape[0] == q.shape[0]:
        return value[block]
    return value


def check_counts(counts, q) -> None:
    """``counts``: ``(S, rows)`` pairs, S descending and ≥ 1, rows summing to ``q``'s."""
    steps = [s for s, _ in counts]
    if any(s < 1 for s in steps) or steps != sorted(set(steps), reverse=True):
        raise ValueError(f"step counts must be positive and strictly descending, got {steps}")
    if sum(n for _, n in counts) != q.shape[0]:
        raise ValueError(f"counts cover {sum(n for _, n in counts)} rows of {q.shape[0]}")
