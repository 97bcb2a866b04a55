"""User-defined Hamiltonian systems: H(q, p) written as text in the config, handled by sympy.

A config entry such as::

    systems:
      duffing:
        hamiltonian: "p**2/2 + alpha*q**2/2 + beta*q**4/4"
        coordinates: [q]
        momenta: [p]
        parameters: {alpha: 1.0, beta: 0.5}
        initial_state: {sampler: uniform, low: [-1, -1], high: [1, 1]}

becomes a :class:`SymbolicSystem`: sympy differentiates H once (gradient and Hessian) and
``sympy.lambdify`` turns the derivatives into vectorised numpy (and, on request, torch)
functions, so the system integrates Hamilton's equations dq/dt = dH/dp, dp/dt = -dH/dq
(SANN paper, Eq. 1) like any built-in system.

One job per module:

- :mod:`~hampipe.systems.symbolic.parse`: safe parsing of the text into a sympy
  expression; the text is never evaluated.
- :mod:`~hampipe.systems.symbolic.checks`: config checks of the names, parameters and
  initial-state sampler.
- :mod:`~hampipe.systems.symbolic.compile`: differentiation and ``lambdify`` of H and its
  derivatives, and the separability test.
- :mod:`~hampipe.systems.symbolic.system`: the :class:`SymbolicSystem` class and
  :func:`check_user_system`.

This package re-exports their public names.
"""

from __future__ import annotations

from hampipe.systems.symbolic.checks import DEFINITION_KEYS, SAMPLERS
from hampipe.systems.symbolic.compile import TorchFunctions
from hampipe.systems.symbolic.parse import CONSTANTS, FUNCTIONS
from hampipe.systems.symbolic.system import SymbolicSystem, check_user_system

__all__ = [
    "CONSTANTS",
    "DEFINITION_KEYS",
    "FUNCTIONS",
    "SAMPLERS",
    "SymbolicSystem",
    "TorchFunctions",
    "check_user_system",
]
