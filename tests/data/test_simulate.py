"""Ground-truth files: the contract's layout, reproducibility, rejection, atomic writes."""

import json
import re
import signal
import time
from contextlib import contextmanager

import numpy as np
import pytest
import xarray as xr

from hampipe.data import GroundTruthSolver, load, read_dataset, simulate, write_dataset
from hampipe.data.ground_truth import relative_energy_drift
from hampipe.integrators import IntegrationError
from hampipe.systems import make_system
from hampipe.systems.symbolic import SymbolicSystem


@pytest.fixture(scope="module")
def three_body_ds():
    return simulate(
        make_system("three_body"),
        4,
        12,
        0.1,
        seed=11,
        solver=GroundTruthSolver(max_energy_drift=1e-6),
    )


def test_contract_layout(three_body_ds):
    ds = three_body_ds
    assert ds.q.dims == ds.p.dims == ("trajectory", "time", "dof")
    assert ds.energy.dims == ("trajectory", "time")
    assert list(ds.dof.values) == ["x1", "y1", "x2", "y2", "x3", "y3"]
    np.testing.assert_allclose(ds.time.values, np.arange(12) * 0.1)
    for name in ("q", "p", "energy", "time"):
        assert {"units", "long_name"} <= set(ds[name].attrs)
    assert ds.time.attrs["units"] == "s"
    for attr in (
        "system",
        "parameters",
        "hamiltonian",
        "integrator",
        "rtol",
        "atol",
        "dt",
        "seed",
        "hampipe_version",
    ):
        assert attr in ds.attrs, attr
    assert json.loads(ds.attrs["parameters"]) == {"G": 1.0, "m1": 1.0, "m2": 1.0, "m3": 1.0}
    # p = m v: with unit masses dq/dt equals p at every observed point
    three = make_system("three_body")
    dq, _ = three.time_derivative(ds.q.values[:, 0], ds.p.values[:, 0])
    np.testing.assert_allclose(dq, ds.p.values[:, 0])


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    spring = make_system("spring")
    paths = []
    for i, seed in enumerate((5, 5, 6)):
        paths.append(write_dataset(simulate(spring, 3, 10, 0.1, seed), tmp_path / f"{i}.nc"))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert not np.allclose(read_dataset(paths[0]).q, read_dataset(paths[2]).q)


def test_rejected_trajectories_are_resampled_and_counted(monkeypatch):
    """Force the first draws to fail: they are replaced by later draws, in order."""
    import hampipe.data.ground_truth as sim

    calls = {"n": 0}
    real = sim._integrate_one

    def flaky(args):
        calls["n"] += 1
        return IntegrationError("forced", "tolerance") if calls["n"] <= 2 else real(args)

    monkeypatch.setattr(sim, "_integrate_one", flaky)
    spring = make_system("spring")
    ds = simulate(spring, 4, 5, 0.1, seed=9, max_rejection_rate=0.5)
    assert ds.attrs["n_resampled"] == 2
    # the accepted trajectories are draws 3..6 of the seeded generator
    q0, _ = spring.sample_initial_states(np.random.default_rng(9), 4)
    assert ds.sizes["trajectory"] == 4
    np.testing.assert_allclose(ds.q.values[:2, 0], q0[2:])


def test_too_many_rejections_raise():
    with pytest.raises(IntegrationError, match="max_energy_drift"):
        simulate(
            make_system("spring"),
            3,
            20,
            0.1,
            seed=1,
            solver=GroundTruthSolver(rtol=1e-3, atol=1e-3, max_energy_drift=1e-15),
        )


def test_relative_energy_drift():
    energy = np.array([[2.0, 2.0, 2.2], [-1.0, -1.1, -1.0]])
    np.testing.assert_allclose(relative_energy_drift(energy), [0.1, 0.1])


def test_failed_write_keeps_existing_file(tmp_path):
    path = tmp_path / "train.nc"
    good = xr.Dataset({"a": ("x", np.arange(3.0))})
    write_dataset(good, path)
    before = path.read_bytes()
    bad = xr.Dataset({"a": ("x", np.array([object()], dtype=object))})
    with pytest.raises(Exception):  # noqa: B017  (any failure of the writer)
        write_dataset(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.nc"]


def test_load_by_system_and_split(tmp_path):
    ds = simulate(make_system("spring"), 2, 5, 0.1, seed=2)
    write_dataset(ds, tmp_path / "data" / "spring" / "test.nc")
    loaded = load("spring", "test", root=tmp_path)
    xr.testing.assert_identical(loaded, ds)
    with pytest.raises(FileNotFoundError, match="snakemake"):
        load("spring", "train", root=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load("spring", "validation", root=tmp_path)


# ------------------------------------------------- user Hamiltonians that go wrong
@contextmanager
def time_limit(seconds: float):
    """Fail the test instead of hanging when the body runs longer than ``seconds``."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def user_system(hamiltonian: str, low: list[float], high: list[float]) -> SymbolicSystem:
    initial_state = {"sampler": "uniform", "low": low, "high": high}
    return SymbolicSystem("trap", hamiltonian, ["q"], ["p"], initial_state=initial_state)


@pytest.mark.parametrize("workers", [1, 2])
def test_hamiltonian_not_real_where_sampled_stops_at_once(workers):
    """sqrt(q) at q < 0 is NaN: simulate used to spin at full CPU for minutes (solve_ivp
    looped on a NaN first step); now the first such state stops it, named in the message."""
    system = user_system("p**2/2 + sqrt(q)", [-1.0, -1.0], [-0.5, 1.0])
    q0, p0 = system.sample_initial_states(np.random.default_rng(3), 4)
    start = time.perf_counter()
    with time_limit(20), pytest.raises(IntegrationError) as info:
        simulate(system, 4, 10, 0.1, seed=3, workers=workers)
    assert time.perf_counter() - start < 10
    message = str(info.value)
    assert message.startswith(
        "systems.trap.hamiltonian: H = p**2/2 + sqrt(q) is not real-valued at "
    )
    assert "∂H/∂q is NaN there" in message
    assert "restrict systems.trap.initial_state" in message
    # the state named is one of the sampled ones, at t = 0
    named = re.search(r"at q=(\S+), p=(\S+) \(t = 0\)", message)
    assert named, message
    q, p = float(named[1].rstrip(",")), float(named[2])
    assert np.min(np.abs(q0[:, 0] - q) + np.abs(p0[:, 0] - p)) < 1e-5


def test_unbounded_hamiltonian_is_not_told_to_loosen_tolerances():
    """H = p²/2 − q⁴ from |q| ≥ 5 blows up in finite time: every trajectory is rejected,
    and the message says H is unbounded or singular, not that a tolerance is too tight."""
    system = user_system("p**2/2 - q**4", [5.0, -1.0], [10.0, 1.0])
    with time_limit(60), pytest.raises(IntegrationError) as info:
        simulate(system, 2, 5, 0.1, seed=0)
    message = str(info.value)
    assert "2 grew without bound or hit a singularity" in message
    assert "H is unbounded or singular where they went" in message
    assert "loosen" not in message and "drifted" not in message


def test_stiff_but_bounded_hamiltonian_still_integrates():
    """A fast oscillator (ω = 100) needs many small steps but nothing is wrong with it:
    no trajectory is rejected and the states follow the exact solution."""
    omega = 100.0
    system = user_system(f"p**2/2 + {omega**2}*q**2/2", [-1.0, -1.0], [1.0, 1.0])
    ds = simulate(system, 2, 8, 0.1, seed=5, solver=GroundTruthSolver(max_energy_drift=1e-8))
    assert ds.attrs["n_resampled"] == 0
    q0, p0 = ds.q.values[:, :1, 0], ds.p.values[:, :1, 0]
    t = ds.time.values[None, :]
    exact = q0 * np.cos(omega * t) + p0 / omega * np.sin(omega * t)
    np.testing.assert_allclose(ds.q.values[..., 0], exact, atol=1e-8)
