"""Config checks that need the learning registries: models against integrators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hampipe.core import ConfigError
from hampipe.core.methods import resolve_method, resolve_method_overrides
from hampipe.integrators import INTEGRATORS
from hampipe.models.registry import MODELS


def _refusal(integrator: str, model: str) -> str | None:
    """Why ``integrator`` cannot run ``model``, or None when it can."""
    needs = INTEGRATORS.get_class(integrator).requires
    model_cls = MODELS.get_class(model)
    if "hamiltonian" in needs and not model_cls.hamiltonian:
        return f"integrator {integrator!r} needs a Hamiltonian model; {model!r} is a black box"
    if "separable" in needs and not model_cls.separable:
        return (
            f"integrator {integrator!r} needs a separable Hamiltonian; model {model!r} is not "
            "separable (use stormer_verlet, rk4, euler or dopri5)"
        )
    return None


def check_learning(config: Mapping[str, Any]) -> None:
    """Refuse, before any job, a method whose model its integrators cannot advance.

    For every ``methods`` entry, as resolved for each system with an override and for
    the rest, the training ``integrator`` (where the learner has one) and the
    ``prediction.integrator`` must accept the entry's ``model``: leapfrog and
    symplectic Euler need a separable Hamiltonian, and no integrator that needs ∂H/∂q
    runs a black-box vector field. Raises :class:`ConfigError` naming the key.
    """
    methods = config.get("methods", {})
    problems = []
    for name in methods:
        for system in [None, *resolve_method_overrides(methods, name)]:
            _, h = resolve_method(methods, name, system)
            where = f"methods.{name}" + (f".per_system.{system}" if system else "")
            keys = {"integrator": h.get("integrator")}
            keys["prediction.integrator"] = (h.get("prediction") or {}).get("integrator")
            for key, integrator in keys.items():
                if integrator is None or "model" not in h:
                    continue
                reason = _refusal(integrator, h["model"])
                if reason:
                    problems.append(f"config key '{where}.{key}': {reason}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in dict.fromkeys(problems))
        raise ConfigError(f"invalid config ({len(problems)} problem(s)):\n{lines}")
