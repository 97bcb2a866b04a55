"""Layer 4: rollouts of learned Hamiltonians and the error metrics."""

from hampipe.evaluation.divergence import DIVERGENCE_BOUND, divergence
from hampipe.evaluation.probe import field_probe, potential_probe, probe_file
from hampipe.evaluation.rollout import (
    derivative_mse,
    energy_error,
    energy_mse,
    evaluate,
    evaluate_file,
    interval_errors,
    mse,
    rollout,
    substeps_per_interval,
    true_energy,
)

__all__ = [
    "DIVERGENCE_BOUND",
    "divergence",
    "derivative_mse",
    "energy_error",
    "energy_mse",
    "evaluate",
    "evaluate_file",
    "field_probe",
    "interval_errors",
    "mse",
    "potential_probe",
    "probe_file",
    "rollout",
    "substeps_per_interval",
    "true_energy",
]
