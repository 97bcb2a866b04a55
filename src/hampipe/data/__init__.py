"""Layer 2: ground-truth simulation, NetCDF I/O and the relative energy error."""

from hampipe.data.drift import integrator_drift, integrator_drift_to_file
from hampipe.data.energy import ENERGY_SCALE_FLOOR, energy_scale, relative_energy_error
from hampipe.data.ground_truth import (
    GroundTruthSolver,
    relative_energy_drift,
    simulate,
    simulate_to_file,
    to_dataset,
)
from hampipe.data.io import (
    InputFileError,
    check_system,
    data_path,
    load,
    read_dataset,
    write_dataset,
)

__all__ = [
    "ENERGY_SCALE_FLOOR",
    "GroundTruthSolver",
    "InputFileError",
    "check_system",
    "data_path",
    "energy_scale",
    "integrator_drift",
    "integrator_drift_to_file",
    "load",
    "read_dataset",
    "relative_energy_drift",
    "relative_energy_error",
    "simulate",
    "simulate_to_file",
    "to_dataset",
    "write_dataset",
]
