"""The :class:`SymbolicSystem` class, and :func:`check_user_system` that builds it from config.

The system checks its config values (:mod:`~hampipe.systems.symbolic.checks`), gets H and
its derivatives compiled (:mod:`~hampipe.systems.symbolic.compile`) and implements the
:class:`~hampipe.systems.base.HamiltonianSystem` interface on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hampipe.core.config import ConfigError
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.symbolic.checks import (
    DEFINITION_KEYS,
    check_initial_state,
    check_parameters,
    check_text,
    check_variables,
    system_key,
)
from hampipe.systems.symbolic.compile import TorchFunctions, compile_hamiltonian, fill_numpy


class SymbolicSystem(HamiltonianSystem):
    """A Hamiltonian system whose H(q, p) is written as text in the config.

    Implements Hamilton's equations dq/dt = dH/dp, dp/dt = -dH/dq (SANN paper, Eq. 1) for
    a user-written H: sympy computes dH/dq, dH/dp and the Hessian in the (q, p) ordering
    once, with the parameters substituted as exact numbers, and ``sympy.lambdify``
    compiles them to numpy functions vectorised over a batch of shape ``(batch, dof)``.
    The text is parsed safely (see :mod:`~hampipe.systems.symbolic.parse`): it is never
    evaluated.

    Not registered in ``SYSTEMS``: it is the fallback for config names that are not built
    in. Unlike the registered systems, every instance carries its own ``name``,
    ``parameters`` (exactly the given ones, as floats; all must appear in H),
    ``separable`` (detected: the mixed Hessian block ∂²H/∂q_i∂p_j is identically zero,
    i.e. H = T(p) + V(q)) and ``hamiltonian_text`` (``"H = "`` plus the user's text as
    written, stripped of surrounding white space). ``dof_names`` are the coordinate names;
    units are all ``"1"``.

    Parameters
    ----------
    name
        The config name; error messages name keys ``systems.<name>.<key>``.
    hamiltonian
        H as text, e.g. ``"p**2/2 + alpha*q**2/2 + beta*q**4/4"``. Allowed: int and float
        literals, the names below, ``pi``, ``E``, ``+ - * / **``, unary ``+ -`` and calls of
        ``sin cos tan exp log sqrt sinh cosh tanh asin acos atan atan2 Abs abs``.
    coordinates, momenta
        Names of q_1..q_n and of their conjugate momenta p_1..p_n (same length n ≥ 1).
    parameters
        Named constants of H, e.g. ``{"alpha": 1.0, "beta": 0.5}``.
    initial_state
        ``{"sampler": "uniform", "low": [...], "high": [...]}`` or ``{"sampler": "normal",
        "mean": [...], "std": [...]}``, each list of length 2n over (coordinates...,
        momenta...). Default: uniform on [-1, 1]^(2n).

    Raises
    ------
    ConfigError
        Naming the key path of any invalid value.

    Notes
    -----
    Instances pickle by their spec (for ``ProcessPoolExecutor``); compiled functions are
    cached per process, so unpickling does not repeat the symbolic work.
    """

    units = {"q": "1", "p": "1", "energy": "1"}

    def __init__(
        self,
        name: str,
        hamiltonian: str,
        coordinates: Sequence[str],
        momenta: Sequence[str],
        parameters: Mapping[str, float] | None = None,
        initial_state: Mapping[str, Any] | None = None,
    ) -> None:
        text = check_text(name, hamiltonian)
        q_names, p_names = check_variables(name, coordinates, momenta)
        self.name = name
        self.parameters = check_parameters(name, parameters, set(q_names) | set(p_names))
        self.initial_state = check_initial_state(name, initial_state, len(q_names))
        self._hamiltonian_source = text
        self._coordinates = q_names
        self._momenta = p_names
        self._compiled = compile_hamiltonian(
            name, text, tuple(q_names), tuple(p_names), tuple(self.parameters.items())
        )
        self.separable = self._compiled.separable
        self.hamiltonian_text = f"H = {text}"

    # ---------------------------------------------------------------- spec, pickle
    def _spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hamiltonian": self._hamiltonian_source,
            "coordinates": list(self._coordinates),
            "momenta": list(self._momenta),
            "parameters": dict(self.parameters),
            "initial_state": json.loads(json.dumps(self.initial_state)),
        }

    def __getstate__(self) -> dict[str, Any]:
        return self._spec()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        return (
            f"SymbolicSystem({self.name!r}, {self._hamiltonian_source!r}, "
            f"coordinates={self._coordinates}, momenta={self._momenta}, "
            f"parameters={self.parameters})"
        )

    def definition_json(self) -> str:
        """H, coordinates and momenta as JSON text (sorted keys), for the NetCDF attrs.

        With ``parameters`` and ``initial_state`` (stored separately) this rebuilds the
        system through :meth:`from_definition`.
        """
        spec = self._spec()
        return json.dumps({k: spec[k] for k in DEFINITION_KEYS}, sort_keys=True)

    @classmethod
    def from_definition(
        cls,
        name: str,
        definition_json: str,
        parameters: Mapping[str, float] | str | None,
        initial_state: Mapping[str, Any] | str | None = None,
    ) -> SymbolicSystem:
        """Rebuild a system from :meth:`definition_json` plus its parameters.

        ``parameters`` and ``initial_state`` may be mappings or JSON text (as stored by
        ``parameters_json`` and the ground-truth ``initial_state`` attr).
        """
        try:
            definition = json.loads(definition_json)
            if isinstance(parameters, str):
                parameters = json.loads(parameters)
            if isinstance(initial_state, str):
                initial_state = json.loads(initial_state)
        except json.JSONDecodeError as error:
            raise ValueError(f"system {name!r}: invalid JSON in its definition: {error}") from None
        if not isinstance(definition, Mapping):
            raise ValueError(f"system {name!r}: definition is not a JSON object")
        missing = sorted(set(DEFINITION_KEYS) - set(definition))
        if missing:
            raise ValueError(f"system {name!r}: definition lacks {', '.join(missing)}")
        return cls.from_mapping(name, definition, parameters, initial_state)

    @classmethod
    def from_mapping(
        cls,
        name: str,
        definition: Mapping[str, Any],
        parameters: Mapping[str, float] | None = None,
        initial_state: Mapping[str, Any] | None = None,
    ) -> SymbolicSystem:
        """Build a system from a mapping holding the :data:`DEFINITION_KEYS`."""
        return cls(
            name,
            **{key: definition[key] for key in DEFINITION_KEYS},
            parameters=parameters,
            initial_state=initial_state,
        )

    # ----------------------------------------------------------------------- maths
    @property
    def dof_names(self) -> list[str]:
        return list(self._coordinates)

    @property
    def momentum_names(self) -> list[str]:
        """Names of the conjugate momenta p_1..p_n, as written in the config."""
        return list(self._momenta)

    def _hamiltonian(self, q, p):
        out = np.empty(q.shape[0])
        out[:] = self._compiled.numpy_H(*q.T, *p.T)[0]
        return out

    def _dH_dq(self, q, p):
        return fill_numpy(self._compiled.numpy_dH_dq(*q.T, *p.T), q.shape[0])

    def _dH_dp(self, q, p):
        return fill_numpy(self._compiled.numpy_dH_dp(*q.T, *p.T), q.shape[0])

    def _hessian(self, q, p):
        values = self._compiled.numpy_hessian(*q.T, *p.T)
        hess = np.empty((q.shape[0], 2 * self.dof, 2 * self.dof))
        for (i, j), value in zip(self._compiled.upper, values, strict=True):
            hess[:, i, j] = value
            hess[:, j, i] = value
        return hess

    def torch_functions(self) -> TorchFunctions:
        """H, dH/dq and dH/dp as functions of torch tensors of shape ``(batch, dof)``.

        Compiled with ``sympy.lambdify(..., modules="torch")`` on first use (torch is
        imported by sympy then, not by hampipe.systems); used by evaluation to compute
        the true energy of predicted trajectories.
        """
        return self._compiled.torch_functions()

    def _sample_initial_states(self, rng, n):
        state = self.initial_state
        size = (n, 2 * self.dof)
        if state["sampler"] == "uniform":
            u = rng.uniform(state["low"], state["high"], size=size)
        else:
            u = rng.normal(state["mean"], state["std"], size=size)
        return u[:, : self.dof], u[:, self.dof :]


def check_user_system(name: str, spec: Mapping) -> SymbolicSystem:
    """Validate a user-defined ``systems.<name>`` config entry and build its system.

    Reads ``hamiltonian``, ``coordinates``, ``momenta`` (required), ``parameters`` and
    ``initial_state``; other keys (``dt``, ``steps``, ``trajectories``, ``ground_truth``,
    ``evaluation``, ...) are left to the schema. Called before any job runs.

    Raises
    ------
    ConfigError
        Naming the key path, e.g. ``systems.duffing.hamiltonian: undefined symbol 'gamma'``.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{system_key(name)}: expected a mapping, got {spec!r}")
    for required in DEFINITION_KEYS:
        if required not in spec:
            raise ConfigError(
                f"{system_key(name, required)}: required for a system that is not built in "
                "(hamiltonian, coordinates and momenta define it)"
            )
    return SymbolicSystem.from_mapping(
        name, spec, parameters=spec.get("parameters"), initial_state=spec.get("initial_state")
    )


__all__ = ["SymbolicSystem", "check_user_system"]
