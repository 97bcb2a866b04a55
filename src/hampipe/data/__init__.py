"""Layer 2: ground-truth simulation and NetCDF I/O."""

from hampipe.data.drift import integrator_drift, integrator_drift_to_file
from hampipe.data.ground_truth import (
    GroundTruthSolver,
    relative_energy_drift,
    simulate,
    simulate_to_file,
    to_dataset,
)
from hampipe.data.io import InputFileError, data_path, load, read_dataset, write_dataset

__all__ = [
    "GroundTruthSolver",
    "data_path",
    "integrator_drift",
    "integrator_drift_to_file",
    "load",
    "InputFileError",
    "read_dataset",
    "relative_energy_drift",
    "simulate",
    "simulate_to_file",
    "to_dataset",
    "write_dataset",
]
