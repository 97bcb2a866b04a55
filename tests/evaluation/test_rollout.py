import numpy as np
import pytest
import torch

from hampipe.data import (
    ENERGY_SCALE_FLOOR,
    InputFileError,
    read_dataset,
    relative_energy_error,
    simulate,
    write_dataset,
)
from hampipe.evaluation import (
    derivative_mse,
    energy_error,
    energy_mse,
    evaluate,
    evaluate_file,
    interval_errors,
    mse,
    rollout,
    substeps_per_interval,
)
from hampipe.models import METHODS, load_model, save_model
from hampipe.systems import make_system
from tests.helpers import exact_spring_model, in_job


def test_rollout_of_the_exact_model_follows_the_true_orbit():
    spring = make_system("spring")
    test = simulate(spring, 3, 30, 0.1, seed=8)
    ev = evaluate(exact_spring_model(), test, step=0.01, system=spring)
    amplitude = float(np.abs(test.q).max())
    # leapfrog with h = 0.01 over t ≤ 2.9: relative phase error ~ h² t / 24
    assert np.sqrt(ev.mse.max()) < 1e-4 * amplitude
    assert np.abs(ev.energy_error).max() < 1e-4
    assert ev.q_pred.dims == ("trajectory", "time", "dof")
    assert ev.mse.dims == ev.energy_error.dims == ("trajectory", "time")
    np.testing.assert_array_equal(ev.q_pred[:, 0], test.q[:, 0])


def test_rollout_converges_at_second_order():
    spring = make_system("spring")
    q0, p0 = np.array([[1.0]]), np.array([[0.0]])
    t = np.array([0.0, 1.0])
    q_exact, _ = spring.exact_solution(q0, p0, t)
    err = [
        abs(rollout(exact_spring_model(), q0, p0, t, h)[0][0, -1, 0] - q_exact[0, -1, 0])
        for h in (0.1, 0.05)
    ]
    assert np.log2(err[0] / err[1]) == pytest.approx(2, abs=0.1)


def test_one_interval_errors_are_leapfrogs_local_error_from_each_observed_state():
    """The exact spring model (H = p²/4 + q², ω = √2): one leapfrog step of h = dt from
    each observed state, by hand (kick q, drift, kick), against the next observed state;
    the mean over (q, p) of the squared difference is interval_error."""
    spring = make_system("spring")
    test = simulate(spring, 2, 6, 0.1, seed=4)
    q, p, t = test.q.values, test.p.values, test.time.values
    h, k, m = 0.1, 2.0, 2.0
    p_half = p[:, :-1] - h / 2 * k * q[:, :-1]
    q_next = q[:, :-1] + h * p_half / m
    p_next = p_half - h / 2 * k * q_next
    expected = ((q_next - q[:, 1:]) ** 2 + (p_next - p[:, 1:]) ** 2).sum(-1) / 2
    got = interval_errors(exact_spring_model(), q, p, t, h)
    assert got.shape == (2, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # a local error, O(h³) per step: two sub-steps of h/2 leave about a quarter of it,
    # a sixteenth of the squared error (at least ten times less here)
    finer = interval_errors(exact_spring_model(), q, p, t, h / 2)
    assert (finer < expected / 10).all()
    ev = evaluate(exact_spring_model(), test, step=h, system=spring)
    np.testing.assert_allclose(ev.interval_error.values, got)
    assert ev.interval_start.values.tolist() == pytest.approx(t[:-1].tolist())


def test_metrics_by_hand():
    q_true = np.zeros((1, 2, 2))
    p_true = np.zeros((1, 2, 2))
    q_pred = np.array([[[0.0, 0.0], [1.0, 2.0]]])
    p_pred = np.array([[[0.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_allclose(mse(q_pred, p_pred, q_true, p_true), [[0.0, 14 / 4]])
    spring = make_system("spring")  # H = q² + p²/4
    q = np.array([[[1.0], [0.0]]])
    p = np.array([[[0.0], [3.0]]])
    np.testing.assert_allclose(energy_error(spring, q, p), [[0.0, (9 / 4 - 1) / 1]])
    kepler = make_system("two_body")  # bound orbits: H < 0, the error keeps its sign
    q = np.array([[[0.5, 0.0, -0.5, 0.0], [1.0, 0.0, -1.0, 0.0]]])
    p = np.zeros_like(q)
    H = kepler.hamiltonian(q[0], p[0])
    assert H[0] < H[1] < 0
    np.testing.assert_allclose(energy_error(kepler, q, p), [[0.0, (H[1] - H[0]) / -H[0]]])
    assert energy_error(kepler, q, p)[0, 1] > 0


def test_peer_metrics_by_hand():
    """derivative_mse (the HNN paper's test loss) and energy_mse (its energy MSE) on
    values worked out by hand."""
    spring = make_system("spring")  # k = m = 2: dq/dt = p/2, dp/dt = −2q
    model = exact_spring_model(k=3.0, m=1.0)  # learned: dq/dt = p, dp/dt = −3q
    q = np.array([[[1.0], [0.0]]])
    p = np.array([[[0.0], [2.0]]])
    # (q, p) = (1, 0): errors (0 − 0)², (−3 + 2)² = 0, 1; (0, 2): (2 − 1)², 0 = 1, 0
    np.testing.assert_allclose(derivative_mse(model, q, p, np.array([0.0, 1.0]), spring), [0.5])
    # noisy inputs against the field at the clean states: at (q, p) = (1, 0) the learned
    # field is (0, −3), the true one at the clean (1, 1) is (1/2, −2): 1/4 + 1; at
    # (0, 2) against the clean (0, 2): 1 + 0
    np.testing.assert_allclose(
        derivative_mse(
            model, q, p, np.array([0.0, 1.0]), spring, q_clean=q, p_clean=np.array([[[1.0], [2.0]]])
        ),
        [(0.25 + 1 + 1) / 4],
    )
    exact = exact_spring_model()
    assert derivative_mse(exact, q, p, np.array([0.0, 1.0]), spring)[0] < 1e-28
    H = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, np.nan]])
    np.testing.assert_allclose(energy_mse(H, np.array([1.0, 5.0])), [5 / 3, np.nan])


def test_evaluation_stores_the_peer_metrics():
    spring = make_system("spring")
    test = simulate(spring, 3, 30, 0.1, seed=8)
    ev = evaluate(exact_spring_model(), test, step=0.01, system=spring)
    assert ev.derivative_mse.dims == ev.energy_mse.dims == ("trajectory",)
    assert float(ev.derivative_mse.max()) < 1e-20 * float((test.q**2).mean())
    H0 = spring.hamiltonian(test.q.values[:, 0], test.p.values[:, 0])
    np.testing.assert_allclose(
        ev.energy_mse, np.mean((ev.energy_pred.values - H0[:, None]) ** 2, axis=-1)
    )
    assert 0 < float(ev.energy_mse.max()) < 1e-8 * float(H0.max()) ** 2
    assert ev.energy_mse.attrs["units"] == "J2"
    wrong = evaluate(exact_spring_model(k=3.0), test, step=0.01, system=spring)
    assert float(wrong.derivative_mse.min()) > 1e-3


def test_noisy_test_inputs_measure_the_noise_floor():
    """evaluation.noise (DGNet's derivative metric): the exact spring model at inputs with
    noise σ against the true field at the clean states errs by σ²(1/m² + k²)/2 per
    coordinate on average (the field is linear); the rollouts are untouched."""
    spring = make_system("spring")  # k = m = 2
    test = simulate(spring, 20, 50, 0.1, seed=8)
    clean = evaluate(exact_spring_model(), test, step=0.01, system=spring)
    noisy = evaluate(exact_spring_model(), test, step=0.01, system=spring, noise=0.1, seed=3)
    floor = 0.1**2 * (1 / 2**2 + 2**2) / 2
    assert float(noisy.derivative_mse.mean()) == pytest.approx(floor, rel=0.1)
    assert float(clean.derivative_mse.max()) < 1e-20
    assert noisy.derivative_mse.attrs["input_noise"] == 0.1
    np.testing.assert_array_equal(noisy.q_pred, clean.q_pred)
    again = evaluate(exact_spring_model(), test, step=0.01, system=spring, noise=0.1, seed=3)
    np.testing.assert_array_equal(again.derivative_mse, noisy.derivative_mse)


def test_substeps_must_divide_intervals():
    np.testing.assert_array_equal(substeps_per_interval(np.array([0.0, 0.1, 0.3]), 0.01), [10, 20])
    with pytest.raises(ValueError, match="does not divide"):
        substeps_per_interval(np.array([0.0, 0.1]), 0.03)


def test_diverged_rollouts_become_nan_from_the_divergence_on():
    model = exact_spring_model()
    with torch.no_grad():
        model.M.fill_(-1e200)  # nonsense: states overflow after a few steps
    q, p = rollout(
        model, np.array([[1.0], [0.0]]), np.array([[1.0], [0.0]]), np.arange(6) * 0.1, 0.1
    )
    assert np.isnan(q[0, -1]).all()
    first_nan = np.argmax(np.isnan(q[0, :, 0]))
    assert np.isnan(q[0, first_nan:]).all()
    assert np.isfinite(q[1]).all()  # the state at rest stays finite


def test_model_of_another_system_is_refused():
    model = exact_spring_model()
    model.checkpoint = {"system": "pendulum"}
    spring = make_system("spring")
    test = simulate(spring, 2, 5, 0.1, seed=1)
    with pytest.raises(ValueError, match="trained on system 'pendulum'"):
        evaluate(model, test, step=0.01, system=spring)


@pytest.mark.parametrize(
    ("integrator", "options", "tol"),
    [("dopri5", {"rtol": 1e-10, "atol": 1e-12}, 1e-8), ("stormer_verlet", {}, 1e-4)],
)
def test_rollout_with_each_methods_prediction_integrator(integrator, options, tol):
    """The adaptive and the implicit integrators land on the observation times."""
    spring = make_system("spring")
    q0, p0 = np.array([[1.0], [-2.0]]), np.array([[0.5], [0.0]])
    t = np.arange(11) * 0.1
    q_exact, p_exact = spring.exact_solution(q0, p0, t)
    q, p = rollout(exact_spring_model(), q0, p0, t, 0.01, integrator, options)
    np.testing.assert_allclose(q, q_exact, atol=tol)
    np.testing.assert_allclose(p, p_exact, atol=tol)


def test_evaluation_records_the_prediction_settings():
    spring = make_system("spring")
    test = simulate(spring, 2, 5, 0.1, seed=1)
    ev = evaluate(exact_spring_model(), test, 0.01, "dopri5", {"rtol": 1e-9}, system=spring)
    assert ev.attrs["integrator"] == "dopri5" and '"rtol": 1e-09' in ev.attrs["integrator_options"]


def test_a_diverging_row_leaves_the_adaptive_rollout_of_the_others_intact():
    """q̇ = q² blows up at t = 1/q₀: the q₀ = 2 row dies at t = 0.5, the q₀ = 0.1 row
    must still follow q(t) = q₀ / (1 − q₀ t) to the end."""
    from hampipe.models import Model

    class Blowup(Model):
        hamiltonian = False

        def __init__(self):
            super().__init__(1)
            self.w = torch.nn.Parameter(torch.ones((), dtype=torch.float64))

        def vector_field(self, q, p, t=None):
            return self.w * q**2, torch.zeros_like(p)

    t = np.arange(9) * 0.25
    q0, p0 = np.array([[2.0], [0.1]]), np.zeros((2, 1))
    q, _ = rollout(Blowup(), q0, p0, t, 0.05, "dopri5", {"rtol": 1e-10, "atol": 1e-12})
    assert np.isnan(q[0, 2:]).all()
    np.testing.assert_allclose(q[1, :, 0], 0.1 / (1 - 0.1 * t), rtol=1e-8)


def test_energy_error_stays_finite_for_a_trajectory_starting_at_rest():
    """A chain pendulum at rest has H(0) = 0: its scale is floored at 1e-3 × the test
    set's median |H(0)|, while the others keep |H(0)|."""
    from hampipe.data import ENERGY_SCALE_FLOOR, energy_scale

    pendulum = make_system("pendulum4")
    q = np.zeros((3, 2, 4))
    q[1:, :, 0] = [[0.2, 0.1], [0.4, 0.3]]  # two moving chains (energy is exchanged)
    p = np.zeros_like(q)
    H = pendulum.hamiltonian(q[:, 0], p[:, 0])
    assert H[0] == 0 and (H[1:] > 0).all()
    scale, floor = energy_scale(H, ENERGY_SCALE_FLOOR)
    assert floor == pytest.approx(1e-3 * np.median(np.abs(H)))
    np.testing.assert_allclose(scale, [floor, H[1], H[2]])
    error = energy_error(pendulum, q, p)
    assert np.isfinite(error).all() and (error[0] == 0).all()
    H1 = pendulum.hamiltonian(q[:, 1], p[:, 1])
    np.testing.assert_allclose(error[1:, 1], (H1[1:] - H[1:]) / H[1:])


def test_evaluation_marks_each_diverged_trajectory_and_when():
    model = exact_spring_model()
    with torch.no_grad():
        model.M.fill_(-1e200)  # overflows within a few steps wherever p ≠ 0
    spring = make_system("spring")
    test = simulate(spring, 3, 6, 0.1, seed=1)
    test["p"][1] = 0.0  # a trajectory the nonsense model leaves finite: p stays 0
    test["q"][1] = 0.0
    ev = evaluate(model, test, step=0.1, system=spring)
    assert list(ev.diverged.values) == [1, 0, 1]
    assert ev.attrs["n_diverged"] == 2
    for i in (0, 2):
        first = int(np.argmax(~np.isfinite(ev.q_pred.values[i, :, 0])))
        assert float(ev.diverged_time[i]) == pytest.approx(float(test.time[first]))
    assert np.isnan(ev.diverged_time[1])


def test_evaluation_stores_the_true_energy_of_its_predictions():
    """energy_pred is the true H on q_pred, p_pred (NaN where the rollout diverged), in
    the test energy's units; energy_error is its relative error."""
    model = exact_spring_model()
    with torch.no_grad():
        model.M.fill_(-1e200)  # trajectories 0 and 2 diverge, 1 stays at rest
    spring = make_system("spring")
    test = simulate(spring, 3, 6, 0.1, seed=1)
    test["p"][1] = 0.0
    test["q"][1] = 0.0
    ev = evaluate(model, test, step=0.1, system=spring)
    assert ev.energy_pred.dims == ("trajectory", "time")
    assert ev.energy_pred.attrs["units"] == test.energy.attrs["units"]
    q, p = ev.q_pred.values, ev.p_pred.values
    finite = np.isfinite(q).all(-1)
    H = spring.hamiltonian(q[finite], p[finite])
    np.testing.assert_array_equal(ev.energy_pred.values[finite], H)
    assert np.isnan(ev.energy_pred.values[~finite]).all() and (~finite).any()
    np.testing.assert_array_equal(
        ev.energy_error.values,
        relative_energy_error(ev.energy_pred.values, floor=ENERGY_SCALE_FLOOR),
    )


SPRING_SPEC = {"name": "spring", "parameters": {}, "definition": {}}


@pytest.fixture(scope="module")
def stage_files(tmp_path_factory):
    """A spring test split and a model file of the exact spring, on disk."""
    root = tmp_path_factory.mktemp("evaluate")
    spring = make_system("spring")
    write_dataset(simulate(spring, 2, 5, 0.1, seed=1), root / "test.nc")
    method = METHODS["hnn"](exact_spring_model(), {"model": "separable"})
    save_model(root / "model.pt", method, {"loss": [1.0]}, "spring", seed=4, entry="hnn")
    return root


def test_evaluate_file_builds_the_system_from_its_spec(stage_files):
    out = stage_files / "eval.nc"
    evaluate_file(str(stage_files / "model.pt"), str(stage_files / "test.nc"), 0.01, str(out),
                  system=SPRING_SPEC)  # fmt: skip
    ev = read_dataset(out, "evaluation")
    expected = evaluate(load_model(stage_files / "model.pt"), read_dataset(stage_files / "test.nc"),
                        0.01, system=make_system("spring"))  # fmt: skip
    for name in ("q_pred", "mse", "energy_pred", "energy_error", "diverged"):
        np.testing.assert_array_equal(ev[name].values, expected[name].values)
    assert ev.attrs["system"] == "spring" and ev.attrs["method"] == "hnn"


@pytest.mark.parametrize(
    ("spec", "found", "wanted"),
    [
        ({"name": "pendulum", "parameters": {}, "definition": {}}, "'spring'", "'pendulum'"),
        ({"name": "spring", "parameters": {"k": 3.0}, "definition": {}}, '"k": 2.0', '"k": 3.0'),
    ],
)
def test_evaluate_file_refuses_a_test_split_of_another_system(stage_files, spec, found, wanted):
    """The test file's attrs must record the job's system: name and every parameter."""
    out = stage_files / "refused.nc"
    with pytest.raises(InputFileError) as error:
        evaluate_file(str(stage_files / "model.pt"), str(stage_files / "test.nc"), 0.01,
                      str(out), system=spec)  # fmt: skip
    message = str(error.value)
    assert message.startswith(f"{stage_files / 'test.nc'}: holds system 'spring'")
    assert found in message.split("but this job's")[0]
    assert wanted in message.split("but this job's")[1]
    assert not out.exists()


# -- what an evaluation job refuses ------------------------------------------------------

#: The evaluate job of run 0 of ``hnn`` on the spring: its wildcards and its entry.
RUN = {"system": "spring", "method": "hnn", "seed": "0", "learner": "hnn",
       "hyperparameters": {"model": "separable"}}  # fmt: skip


@pytest.fixture
def job_files(tmp_path):
    """A spring test split and an exact HNN model file, as the workflow's jobs write them;
    ``srnn.pt`` is run 0 of ``srnn`` on the spring."""
    spring = make_system("spring")
    with in_job("simulate", system="spring", split="test"):
        write_dataset(simulate(spring, 2, 5, 0.1, seed=1), tmp_path / "test.nc")
    for learner in ("hnn", "srnn"):
        method = METHODS[learner](exact_spring_model(), {"model": "separable"})
        with in_job("train", system="spring", method=learner, seed="0"):
            save_model(tmp_path / f"{learner}.pt", method, {"loss": [1.0]}, "spring", seed=4,
                       entry=learner)  # fmt: skip
    return tmp_path


def evaluate_job(files, model="hnn.pt", test="test.nc", **options):
    out = files / "eval.nc"
    evaluate_file(str(files / model), str(files / test), 0.01, str(out), system=SPRING_SPEC,
                  entry="hnn", expect=RUN, **options)  # fmt: skip
    return out


def test_the_evaluation_job_reads_the_run_it_asked_for(job_files):
    ev = read_dataset(evaluate_job(job_files, divergence_bound=50.0), "evaluation")
    assert ev.attrs["trained_as"] == "hnn" and ev.attrs["divergence_bound"] == 50.0
    assert not ev.diverged.any()


def assert_refused(job_files, message: str, **files) -> None:
    """The evaluation job on ``files`` stops with an InputFileError opening with
    ``message`` and writes no evaluation file."""
    with pytest.raises(InputFileError) as error:
        evaluate_job(job_files, **files)
    assert str(error.value).startswith(message)
    assert not (job_files / "eval.nc").exists()


def test_another_methods_model_file_is_not_evaluated(job_files):
    """SRNN's model file in HNN's place: refused, naming both, nothing written."""
    assert_refused(
        job_files,
        f"{job_files / 'srnn.pt'}: written for method 'srnn', but this job reads method 'hnn'",
        model="srnn.pt",
    )


def test_nan_in_the_test_split_is_no_divergence(job_files):
    test = read_dataset(job_files / "test.nc")
    test["q"].values[1, 3, 0] = np.nan
    test.to_netcdf(job_files / "nan.nc")  # its job's record kept
    assert_refused(
        job_files,
        f"{job_files / 'nan.nc'}: variable 'q' holds nan at index trajectory=1, time=3, dof=0",
        test="nan.nc",
    )


def test_nan_in_the_weights_is_no_divergence(job_files):
    payload = torch.load(job_files / "hnn.pt", weights_only=True)
    payload["state_dict"]["M"].fill_(float("nan"))
    torch.save(payload, job_files / "hnn.pt")
    assert_refused(
        job_files,
        f"{job_files / 'hnn.pt'}: model parameter 'M' holds nan (1 of 1 values not finite)",
    )
