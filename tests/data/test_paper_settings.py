"""Every built-in system's ground truth at the papers' settings in config.yaml.

``config.yaml`` is loaded as the workflow loads it (checked, schema defaults filled;
:func:`tests.helpers.paper_config`). The drift bound is each system's
``ground_truth.max_energy_drift`` in ``config.yaml`` (1e-8, and 1e-6 for three_body and
billiard); rejection is switched off here, so a trajectory that drifted would fail the
test instead of being resampled.
"""

import numpy as np
import pytest

from hampipe.data import GroundTruthSolver, simulate
from hampipe.systems import SYSTEMS, make_system
from tests.helpers import paper_config

CONFIG = paper_config()


def test_config_names_every_built_in_system():
    assert set(SYSTEMS) <= set(CONFIG["systems"])


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_ground_truth_conserves_energy_at_paper_settings(name):
    spec = CONFIG["systems"][name]
    bound = spec["ground_truth"]["max_energy_drift"]
    assert bound <= (1e-6 if name in ("three_body", "billiard") else 1e-8)
    system = make_system(name, spec["parameters"], spec["initial_state"])
    solver = GroundTruthSolver(
        method=spec["ground_truth"]["method"],
        rtol=spec["ground_truth"]["rtol"],
        atol=spec["ground_truth"]["atol"],
        max_energy_drift=np.inf,
    )
    ds = simulate(system, 2, spec["steps"]["test"], spec["dt"], seed=7, solver=solver)
    energy = system.hamiltonian(
        ds.q.values.reshape(-1, system.dof), ds.p.values.reshape(-1, system.dof)
    ).reshape(2, -1)
    drift = np.max(np.abs(energy - energy[:, :1]) / np.abs(energy[:, :1]))
    assert drift <= bound
    assert ds.attrs["max_relative_energy_drift"] == pytest.approx(drift, rel=1e-12, abs=1e-300)
    assert ds.attrs["n_resampled"] == 0
