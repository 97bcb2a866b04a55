"""Sympy compilation of a user Hamiltonian: differentiate H once, lambdify H and its derivatives.

:func:`compile_hamiltonian` parses the text (:mod:`~hampipe.systems.symbolic.parse`),
substitutes the parameters as exact numbers, computes the gradient and Hessian in the
(q, p) ordering and turns them into vectorised numpy functions with ``sympy.lambdify``
(torch ones on request, :class:`TorchFunctions`); it also detects separability. The
result is cached per process and spec.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from hampipe.core.config import ConfigError
from hampipe.systems.symbolic.checks import system_key
from hampipe.systems.symbolic.parse import Parser


class TorchFunctions(NamedTuple):
    """H and its gradients on torch tensors ``q``, ``p`` of shape ``(batch, dof)``.

    ``hamiltonian(q, p)`` has shape ``(batch,)``, ``dH_dq(q, p)`` and ``dH_dp(q, p)``
    ``(batch, dof)``; results keep the inputs' dtype and device and support autograd.
    """

    hamiltonian: Callable
    dH_dq: Callable
    dH_dp: Callable


def fill_numpy(values: Sequence, batch: int) -> np.ndarray:
    """Stack lambdified results (arrays of shape (batch,) or scalars) as (batch, len)."""
    out = np.empty((batch, len(values)))
    for i, value in enumerate(values):
        out[:, i] = value
    return out


def _fill_torch(template, values: Sequence):
    """Torch version of :func:`fill_numpy`, without importing torch (tensor methods only)."""
    out = template.new_empty((template.shape[0], len(values)))
    for i, value in enumerate(values):
        out[:, i] = value
    return out


class _Compiled:
    """Sympy expressions of H, its gradient and Hessian (parameters substituted), compiled."""

    def __init__(self, name, hamiltonian, coordinates, momenta, parameters) -> None:
        try:
            self._build(name, hamiltonian, coordinates, momenta, parameters)
        except ConfigError:
            raise
        except (RecursionError, ValueError, OverflowError, MemoryError, TypeError) as error:
            # sympy's differentiation or code printing gave up on the expression.
            raise ConfigError(
                f"{system_key(name, 'hamiltonian')}: cannot differentiate and compile "
                f"{hamiltonian!r} ({type(error).__name__}: {error})"
            ) from None

    def _build(self, name, hamiltonian, coordinates, momenta, parameters) -> None:
        import sympy

        where = system_key(name, "hamiltonian")
        q = [sympy.Symbol(s, real=True) for s in coordinates]
        p = [sympy.Symbol(s, real=True) for s in momenta]
        theta = {s: sympy.Symbol(s, real=True) for s in parameters}
        parser = Parser(
            where,
            {
                **dict(zip(coordinates, q, strict=True)),
                **dict(zip(momenta, p, strict=True)),
                **theta,
            },
        )
        H = parser.parse(hamiltonian)
        if not isinstance(H, sympy.Expr):
            raise ConfigError(f"{where}: {hamiltonian!r} is not a scalar expression")
        self._check_value(H, where, "")
        if not H.free_symbols & set(p):
            raise ConfigError(
                f"{where}: H = {hamiltonian} does not depend on any momentum ({', '.join(momenta)})"
            )
        unused = [s for s in parameters if s not in parser.used]
        if unused:
            raise ConfigError(
                f"{system_key(name, 'parameters')}: {', '.join(map(repr, unused))} not used in H"
            )
        values = {theta[s]: sympy.Rational(repr(v)) for s, v in parameters.items()}
        H = H.xreplace(values)
        self._check_value(H, system_key(name, "parameters"), " with these parameter values")
        if not H.free_symbols & set(p):
            raise ConfigError(
                f"{system_key(name, 'parameters')}: with these values H no longer depends on "
                f"any momentum ({', '.join(momenta)})"
            )
        u = q + p
        n = len(q)
        gradient = [self._clean(sympy.diff(H, x)) for x in u]
        hessian = [[self._clean(sympy.diff(g, x)) for x in u] for g in gradient]
        self.dof = n
        self.H = H
        self.gradient = gradient
        self.hessian = hessian
        self.symbols = u
        upper = [(i, j) for i in range(2 * n) for j in range(i, 2 * n)]
        self.upper = upper
        self.numpy_H = self._lambdify([H], "numpy")
        self.numpy_dH_dq = self._lambdify(gradient[:n], "numpy")
        self.numpy_dH_dp = self._lambdify(gradient[n:], "numpy")
        self.numpy_hessian = self._lambdify([hessian[i][j] for i, j in upper], "numpy")
        self.separable = self._mixed_block_vanishes()
        self._torch: TorchFunctions | None = None

    def _mixed_block_vanishes(self) -> bool:
        """Whether ∂²H/∂q_i∂p_j = 0 for all i, j, i.e. H = T(p) + V(q).

        True when every mixed entry is 0 after differentiation, or when all of them are
        numerically zero (relative to the Hessian's size) at 16 random states: each entry
        is analytic, and an analytic function that is not identically zero vanishes at
        random points with probability zero. Never calls ``simplify``, which can take
        minutes. Non-finite values at the test states count as inseparable.
        """
        n = self.dof
        mixed = [k for k, (i, j) in enumerate(self.upper) if i < n <= j]
        if all(self.hessian[self.upper[k][0]][self.upper[k][1]] == 0 for k in mixed):
            return True
        states = np.random.default_rng(0).uniform(-2.0, 2.0, size=(16, 2 * n))
        with np.errstate(all="ignore"):
            values = fill_numpy(self.numpy_hessian(*states.T), len(states))
        if not np.all(np.isfinite(values)):
            return False
        scale = max(1.0, float(np.abs(values).max()))
        return bool(np.abs(values[:, mixed]).max() <= 1e-9 * scale)

    @staticmethod
    def _check_value(H, where: str, suffix: str) -> None:
        import sympy

        if H.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ConfigError(f"{where}: H is infinite or undefined{suffix} ({H})")
        if H.has(sympy.I):
            raise ConfigError(f"{where}: H has an imaginary part{suffix} ({H})")
        for node in sympy.postorder_traversal(H):  # innermost first
            # A constant sub-expression that is not a plain real number (acos(2),
            # (-2)**(1/3), log(-2)): numpy evaluates it to NaN, so H would be NaN everywhere.
            if node.free_symbols or node.is_Number or node.is_NumberSymbol:
                continue
            value = sympy.N(node, 15)
            if value.is_extended_real is False:
                raise ConfigError(
                    f"{where}: {node} is not a real number{suffix} (it is {value}); H must "
                    "be real-valued"
                )

    @staticmethod
    def _clean(expression):
        """Drop DiracDelta terms (from differentiating Abs twice): zero almost everywhere."""
        import sympy

        return expression.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)

    def _lambdify(self, expressions: list, module: str):
        import sympy

        return sympy.lambdify(self.symbols, expressions, modules=module, cse=True, dummify=True)

    def torch_functions(self) -> TorchFunctions:
        if self._torch is None:
            n = self.dof
            f_H = self._lambdify([self.H], "torch")
            f_dq = self._lambdify(self.gradient[:n], "torch")
            f_dp = self._lambdify(self.gradient[n:], "torch")

            def hamiltonian(q, p):
                return _fill_torch(q, f_H(*q.unbind(1), *p.unbind(1)))[:, 0]

            def dH_dq(q, p):
                return _fill_torch(q, f_dq(*q.unbind(1), *p.unbind(1)))

            def dH_dp(q, p):
                return _fill_torch(q, f_dp(*q.unbind(1), *p.unbind(1)))

            self._torch = TorchFunctions(hamiltonian, dH_dq, dH_dp)
        return self._torch


@functools.lru_cache(maxsize=64)
def compile_hamiltonian(
    name: str,
    hamiltonian: str,
    coordinates: tuple[str, ...],
    momenta: tuple[str, ...],
    parameters: tuple[tuple[str, float], ...],
) -> _Compiled:
    """Parse and differentiate once per process and spec (unpickled copies reuse it)."""
    return _Compiled(name, hamiltonian, coordinates, momenta, dict(parameters))


__all__ = ["TorchFunctions", "compile_hamiltonian", "fill_numpy"]
