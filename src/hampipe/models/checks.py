"""Config checks that need the learning registries: models against integrators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hampipe.core import ConfigError
from hampipe.core.methods import override_systems, resolve_method
from hampipe.integrators import INTEGRATORS
from hampipe.models.method import model_options
from hampipe.models.registry import MODELS

#: Model options whose non-default value would be silently ignored by a model lacking them.
MODEL_OPTION_DEFAULTS = {"features": "coordinates", "spatial_dim": 2, "time_input": True}


def _refusal(integrator: str, model: str) -> str | None:
    """Why ``integrator`` cannot run ``model``, or None when it can."""
    model_cls = MODELS.get_class(model)
    return INTEGRATORS.get_class(integrator).refusal(
        model_cls.hamiltonian, model_cls.separable, f"model {model!r}"
    )


def check_learning(config: Mapping[str, Any]) -> None:
    """Refuse, before any job, a method whose model its integrators cannot advance.

    For every ``methods`` entry, as resolved for each system with an override and for
    the rest, the training ``integrator`` (where the learner has one) and the
    ``prediction.integrator`` must accept the entry's ``model``: leapfrog and
    symplectic Euler need a separable Hamiltonian, and no integrator that needs ∂H/∂q
    runs a black-box vector field. Also refused: a model option set away from its
    default for a model that does not take it (e.g. ``features: pairwise_distances``
    on the ``resnet`` model), and, for the pairs in ``experiments``, a ``window``
    longer than the system's observed intervals. Raises :class:`ConfigError` naming
    the key.
    """
    methods = config.get("methods", {})
    problems = []
    for name in methods:
        for system in [None, *override_systems(methods, name)]:
            _, h = resolve_method(methods, name, system)
            where = f"methods.{name}" + (f".per_system.{system}" if system else "")
            if "model" in h:
                taken = model_options(MODELS.get_class(h["model"]), MODEL_OPTION_DEFAULTS)
                for key, default in MODEL_OPTION_DEFAULTS.items():
                    if key not in taken and h.get(key, default) != default:
                        problems.append(
                            f"config key '{where}.{key}': the {h['model']!r} model takes no "
                            f"{key!r} (set it only for models that do)"
                        )
            keys = {"integrator": h.get("integrator")}
            keys["prediction.integrator"] = (h.get("prediction") or {}).get("integrator")
            for key, integrator in keys.items():
                if integrator is None or "model" not in h:
                    continue
                reason = _refusal(integrator, h["model"])
                if reason:
                    problems.append(f"config key '{where}.{key}': {reason}")
    for system, listed in config.get("experiments", {}).items():
        intervals = config.get("systems", {}).get(system, {}).get("steps", {}).get("train", 0) - 1
        for name in listed:
            if name not in methods:
                continue
            window = resolve_method(methods, name, system)[1].get("window", 1)
            if intervals > 0 and window > intervals:
                problems.append(
                    f"config key 'methods.{name}.window': {window} intervals, but "
                    f"systems.{system}.steps.train gives {intervals}"
                )
    if problems:
        lines = "\n".join(f"  - {p}" for p in dict.fromkeys(problems))
        raise ConfigError(f"invalid config ({len(problems)} problem(s)):\n{lines}")
