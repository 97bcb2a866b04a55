"""Long-horizon energy drift of the adaptive integrators (the integrator_drift stage)."""

import numpy as np
import pytest

from hampipe.data import (
    InputFileError,
    integrator_drift,
    integrator_drift_to_file,
    relative_energy_error,
    simulate,
    write_dataset,
)
from hampipe.data.io import read_dataset
from hampipe.systems import make_system

SPRING = make_system("spring")


@pytest.fixture(scope="module")
def drift():
    q0, p0 = SPRING.sample_initial_states(np.random.default_rng(3), 3)
    return integrator_drift(
        SPRING, q0, p0, 200.0, 201, ["RK45", "DOP853"], [1e-3, 1e-10], [1e-6, 1e-13]
    )


def test_layout(drift):
    assert drift.energy_error.dims == ("integrator", "tolerance", "trajectory", "time")
    assert list(drift.integrator.values) == ["RK45", "DOP853"]
    np.testing.assert_array_equal(drift.rtol.values, [1e-3, 1e-10])
    np.testing.assert_allclose(drift.time.values, np.arange(201.0))
    np.testing.assert_array_equal(drift.energy_error.values[..., 0], 0.0)
    assert drift.attrs["system"] == "spring"


def test_loose_runge_kutta_drifts_and_grows(drift):
    """At solve_ivp's default tolerances the energy of the spring drifts, and the drift
    accumulates: it is larger at the end than a tenth of the way in."""
    loose = np.abs(drift.energy_error.sel(integrator="RK45").values[0])
    assert np.all(loose[:, -1] > 1e-3)
    assert np.all(loose[:, -1] > 3 * loose[:, 20])


def test_tight_dop853_keeps_the_energy(drift):
    tight = np.abs(drift.energy_error.sel(integrator="DOP853").values[1])
    assert tight.max() < 1e-8
    assert tight.max() < np.abs(drift.energy_error.sel(integrator="RK45").values[1]).max()


def test_tolerances_must_pair_up():
    q0, p0 = SPRING.sample_initial_states(np.random.default_rng(3), 1)
    with pytest.raises(ValueError, match="same length"):
        integrator_drift(SPRING, q0, p0, 1.0, 3, ["RK45"], [1e-3, 1e-6], [1e-6])


#: The stage's ``system`` param for the spring.
SPEC = {"name": "spring", "parameters": {}, "definition": {}}


def test_stage_reads_the_test_split(tmp_path):
    test = tmp_path / "test.nc"
    data = simulate(SPRING, 3, 5, 0.1, seed=1)
    write_dataset(data, test)
    out = tmp_path / "drift.nc"
    integrator_drift_to_file(str(test), str(out), 2, 10.0, 11, ["DOP853"], [1e-6], [1e-9],
                             system=SPEC)  # fmt: skip
    ds = read_dataset(out)
    assert ds.sizes == {"integrator": 1, "tolerance": 1, "trajectory": 2, "time": 11}
    expected = integrator_drift(SPRING, data.q.values[:2, 0], data.p.values[:2, 0], 10.0, 11,
                                ["DOP853"], [1e-6], [1e-9])  # fmt: skip
    np.testing.assert_array_equal(ds.energy_error.values, expected.energy_error.values)
    with pytest.raises(ValueError, match="fewer than the 4 requested"):
        integrator_drift_to_file(str(test), str(out), 4, 10.0, 11, ["DOP853"], [1e-6], [1e-9],
                                 system=SPEC)  # fmt: skip


def test_stage_refuses_a_split_of_other_parameters(tmp_path):
    test = tmp_path / "test.nc"
    write_dataset(simulate(SPRING, 2, 5, 0.1, seed=1), test)
    out = tmp_path / "drift.nc"
    other = {"name": "spring", "parameters": {"m": 1.0}, "definition": {}}
    with pytest.raises(
        InputFileError,
        match=r"test\.nc: holds system .spring. with parameters "
        r'\{"k": 2\.0, "m": 2\.0\}, but .* parameters \{"k": 2\.0, "m": 1\.0\}',
    ):
        integrator_drift_to_file(str(test), str(out), 1, 1.0, 3, ["DOP853"], [1e-6], [1e-9],
                                 system=other)  # fmt: skip
    assert not out.exists()


def test_drift_is_the_shared_relative_energy_error():
    """The drift is (H(t) − H(0)) / |H(0)| of relative_energy_error, H(0) at (q0, p0)."""
    q0, p0 = np.array([[1.0]]), np.array([[0.5]])
    ds = integrator_drift(SPRING, q0, p0, 2.0, 5, ["RK45"], [1e-3], [1e-6])
    from hampipe.integrators import solve

    u = solve(SPRING.vector_field, np.array([1.0, 0.5]), np.linspace(0, 2, 5), "RK45", 1e-3, 1e-6)
    H = SPRING.hamiltonian(u[:, :1], u[:, 1:])
    H0 = SPRING.hamiltonian(q0, p0)
    np.testing.assert_array_equal(
        ds.energy_error.values[0, 0], relative_energy_error(H[None], reference=H0)
    )
    assert ds.energy_error.values[0, 0, 0, 0] == 0.0
