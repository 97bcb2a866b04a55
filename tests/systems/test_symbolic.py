"""User-defined systems parsed from config text: maths, safety, validation, round trips."""

import json
import pickle
import re

import numpy as np
import pytest
import torch

from hampipe.core.config import ConfigError
from hampipe.data import simulate
from hampipe.systems.symbolic import SymbolicSystem, check_user_system
from tests.helpers import DUFFING

K, M = 2.0, 0.5


@pytest.fixture(scope="module")
def oscillator():
    return SymbolicSystem(
        "osc",
        "p**2/(2*m) + k*q**2/2",
        ["q"],
        ["p"],
        parameters={"k": K, "m": M},
        initial_state={"sampler": "uniform", "low": [-1, -1], "high": [1, 1]},
    )


@pytest.fixture(scope="module")
def inseparable():
    return SymbolicSystem(
        "bead",
        "p1**2/2 + p2**2/(2*(1 + q1**2)) + cos(q1 - q2)",
        ["q1", "q2"],
        ["p1", "p2"],
        initial_state={"sampler": "normal", "mean": [0, 0, 0, 0], "std": [1, 1, 1, 1]},
    )


def fd_gradient(f, x, eps=1e-6):
    """Central finite-difference gradient of a batched function (scalar or vector valued)."""
    columns = []
    for k in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, k] = eps
        columns.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(columns, axis=-1)


# ---------------------------------------------------------------------- package
def test_package_re_exports_the_public_names():
    # Other layers import these from the package, not from its modules.
    from hampipe.systems import symbolic
    from hampipe.systems.symbolic import checks, compile, parse, system

    assert symbolic.SymbolicSystem is system.SymbolicSystem
    assert symbolic.check_user_system is system.check_user_system
    assert symbolic.TorchFunctions is compile.TorchFunctions
    assert symbolic.DEFINITION_KEYS is checks.DEFINITION_KEYS
    assert symbolic.SAMPLERS is checks.SAMPLERS
    assert symbolic.FUNCTIONS is parse.FUNCTIONS and symbolic.CONSTANTS is parse.CONSTANTS
    assert set(symbolic.__all__) <= set(dir(symbolic))


# ------------------------------------------------------------------------- maths
def test_oscillator_gradients_and_hessian_are_exact(oscillator, rng):
    q, p = oscillator.sample_initial_states(rng, 7)
    np.testing.assert_allclose(
        oscillator.hamiltonian(q, p), p[:, 0] ** 2 / (2 * M) + K * q[:, 0] ** 2 / 2, rtol=1e-15
    )
    np.testing.assert_allclose(oscillator.dH_dq(q, p), K * q, rtol=1e-15)
    np.testing.assert_allclose(oscillator.dH_dp(q, p), p / M, rtol=1e-15)
    hess = oscillator.hessian(q, p)
    assert hess.shape == (7, 2, 2)
    np.testing.assert_array_equal(hess, np.broadcast_to([[K, 0.0], [0.0, 1 / M]], (7, 2, 2)))
    assert oscillator.separable and oscillator.has_hessian
    assert oscillator.dof_names == ["q"]
    assert oscillator.parameters == {"k": K, "m": M}
    assert oscillator.hamiltonian_text == "H = p**2/(2*m) + k*q**2/2"
    assert json.loads(oscillator.parameters_json()) == {"k": K, "m": M}


def test_oscillator_matches_closed_form(oscillator):
    n_steps, dt = 40, 0.1
    ds = simulate(oscillator, 3, n_steps, dt, seed=7)
    q, p = ds["q"].values[..., 0], ds["p"].values[..., 0]
    omega = np.sqrt(K / M)
    wt = omega * np.arange(n_steps) * dt
    q0, p0 = q[:, :1], p[:, :1]
    q_exact = q0 * np.cos(wt) + p0 / (M * omega) * np.sin(wt)
    p_exact = p0 * np.cos(wt) - M * omega * q0 * np.sin(wt)
    scale = np.abs(q_exact).max(), np.abs(p_exact).max()
    np.testing.assert_allclose(q, q_exact, rtol=0, atol=1e-9 * scale[0])
    np.testing.assert_allclose(p, p_exact, rtol=0, atol=1e-9 * scale[1])
    assert ds.attrs["max_relative_energy_drift"] <= 1e-8


def test_simulate_in_a_process_pool_matches_serial(oscillator):
    serial = simulate(oscillator, 4, 10, 0.1, seed=3)
    pooled = simulate(oscillator, 4, 10, 0.1, seed=3, workers=2)
    np.testing.assert_array_equal(serial["q"].values, pooled["q"].values)
    np.testing.assert_array_equal(serial["p"].values, pooled["p"].values)


def test_inseparable_derivatives_match_finite_differences(inseparable, rng):
    system = inseparable
    q, p = system.sample_initial_states(rng, 5)
    assert not system.separable
    dq = fd_gradient(lambda x: system.hamiltonian(x, p), q)
    dp = fd_gradient(lambda x: system.hamiltonian(q, x), p)
    np.testing.assert_allclose(system.dH_dq(q, p), dq, atol=1e-8)
    np.testing.assert_allclose(system.dH_dp(q, p), dp, atol=1e-8)
    u = np.concatenate([q, p], axis=1)

    def grad(x):
        return np.concatenate(
            [system.dH_dq(x[:, :2], x[:, 2:]), system.dH_dp(x[:, :2], x[:, 2:])], 1
        )

    hess = system.hessian(q, p)
    np.testing.assert_allclose(hess, fd_gradient(grad, u), atol=1e-8)
    np.testing.assert_array_equal(hess, np.swapaxes(hess, 1, 2))
    # The mixed block is what makes it inseparable: d2H/dq1 dp2 = -2 q1 p2 / (1 + q1^2)^2.
    np.testing.assert_allclose(hess[:, 0, 3], -2 * q[:, 0] * p[:, 1] / (1 + q[:, 0] ** 2) ** 2)


def test_duffing_is_separable_and_ignores_run_keys():
    system = check_user_system("duffing", DUFFING)
    assert system.separable
    assert system.name == "duffing"
    q, p = np.array([[0.5]]), np.array([[0.2]])
    np.testing.assert_allclose(system.dH_dq(q, p), [[0.5 + 0.5 * 0.5**3]], rtol=1e-15)
    np.testing.assert_allclose(system.hessian(q, p)[0], [[1 + 1.5 * 0.25, 0], [0, 1]], rtol=1e-15)


def test_functions_constants_and_abs():
    system = SymbolicSystem(
        "f",
        "p**2/2 + a*Abs(q) + exp(-q**2)*sqrt(2)/pi + E*atan2(q, 2) + 0.1*q",
        ["q"],
        ["p"],
        {"a": 0.25},
    )
    q = np.array([[-0.7], [0.4]])
    p = np.zeros_like(q)
    expected = 0.25 * np.sign(q) - 2 * q * np.exp(-(q**2)) * np.sqrt(2) / np.pi
    expected += np.e * 2 / (4 + q**2) + 0.1
    np.testing.assert_allclose(system.dH_dq(q, p), expected, rtol=1e-14)
    assert np.isfinite(system.hessian(q, p)).all()
    assert system.separable


def test_parameter_values_are_exact():
    value = 1.2345678901234567
    system = SymbolicSystem("x", "c*p**2", ["q"], ["p"], {"c": value})
    assert system.hamiltonian(np.zeros((1, 1)), np.ones((1, 1)))[0] == value


# ----------------------------------------------------------------- round trips
def test_definition_json_round_trip(inseparable, rng):
    text = inseparable.definition_json()
    assert json.loads(text) == {
        "hamiltonian": "p1**2/2 + p2**2/(2*(1 + q1**2)) + cos(q1 - q2)",
        "coordinates": ["q1", "q2"],
        "momenta": ["p1", "p2"],
    }
    assert list(json.loads(text)) == sorted(json.loads(text))
    rebuilt = SymbolicSystem.from_definition(
        "bead", text, inseparable.parameters_json(), json.dumps(inseparable.initial_state)
    )
    assert rebuilt.initial_state == inseparable.initial_state
    q, p = inseparable.sample_initial_states(rng, 4)
    np.testing.assert_array_equal(rebuilt.hessian(q, p), inseparable.hessian(q, p))


def test_pickle_round_trip():
    system = check_user_system("duffing", DUFFING)
    clone = pickle.loads(pickle.dumps(system))
    assert isinstance(clone, SymbolicSystem)
    assert clone.name == "duffing" and clone.parameters == system.parameters
    assert clone.initial_state == system.initial_state and clone.separable
    rng = np.random.default_rng(0)
    q, p = system.sample_initial_states(rng, 6)
    np.testing.assert_array_equal(clone.hamiltonian(q, p), system.hamiltonian(q, p))
    np.testing.assert_array_equal(clone.dH_dq(q, p), system.dH_dq(q, p))
    np.testing.assert_array_equal(clone.hessian(q, p), system.hessian(q, p))


def test_torch_functions_agree_with_numpy(inseparable, oscillator, rng):
    for system in (inseparable, oscillator):
        q, p = system.sample_initial_states(rng, 8)
        f = system.torch_functions()
        qt, pt = torch.from_numpy(q), torch.from_numpy(p)
        H = f.hamiltonian(qt, pt)
        assert H.shape == (8,) and H.dtype == torch.float64
        np.testing.assert_allclose(H.numpy(), system.hamiltonian(q, p), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            f.dH_dq(qt, pt).numpy(), system.dH_dq(q, p), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            f.dH_dp(qt, pt).numpy(), system.dH_dp(q, p), rtol=1e-12, atol=1e-12
        )
    # Autograd through the true H gives the same gradient.
    qt = torch.from_numpy(q).requires_grad_(True)
    oscillator.torch_functions().hamiltonian(qt, torch.from_numpy(p)).sum().backward()
    np.testing.assert_allclose(qt.grad.numpy(), oscillator.dH_dq(q, p), rtol=1e-12)


def test_sampler_is_seeded_and_respects_bounds(oscillator, inseparable):
    for system in (oscillator, inseparable):
        a = system.sample_initial_states(np.random.default_rng(5), 50)
        b = system.sample_initial_states(np.random.default_rng(5), 50)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert a[0].shape == (50, system.dof)
    q, p = oscillator.sample_initial_states(np.random.default_rng(1), 200)
    assert np.all(np.abs(q) <= 1) and np.all(np.abs(p) <= 1)


def test_default_initial_state():
    system = SymbolicSystem("free", "px**2/2", ["x"], ["px"])
    assert system.initial_state == {"sampler": "uniform", "low": [-1.0, -1.0], "high": [1.0, 1.0]}


# ---------------------------------------------------------------------- errors
def build(hamiltonian="p**2/2 + q**2/2", coordinates=("q",), momenta=("p",), **kwargs):
    spec = {"hamiltonian": hamiltonian, "coordinates": coordinates, "momenta": momenta}
    return check_user_system("duffing", {**spec, **kwargs})


H_KEY = re.escape("systems.duffing.hamiltonian")


@pytest.mark.parametrize(
    ("hamiltonian", "why"),
    [
        ("__import__('os').system('x')", "only functions called by plain name"),
        ("q.real", "unsupported syntax 'q.real'"),
        ("(lambda: 1)()", "only functions called by plain name"),
        ("p**2 + foo(q)", "unknown function 'foo'"),
        ("p**2 + gamma*q", re.escape("undefined symbol 'gamma' (known: q, p, pi, E)")),
        ("p**2 +", "invalid syntax"),
        ("p**2 + q[0]", "unsupported syntax"),
        ("p**2 + 'q'", "unsupported constant"),
        ("p**2 + 1j*q", "unsupported constant"),
        ("p**2 + sin(x=q)", "positional arguments only"),
        ("p**2 + sin(q, q)", "takes 1 argument"),
        ("p**2 + (q < 1)", "unsupported syntax"),
        ("p**2 + q // 2", "unsupported syntax"),
        ("p**2 + sin", "used without arguments"),
        ("p**2 + q**100000", "exponent"),
        ("p**2 + ((2**1000)**1000)**1000", "too large"),
        ("p**2 + 1/0", "infinite"),
        ("p**2 + sqrt(-1)*q", "imaginary"),
        ("p**2 + log(-1)", "imaginary"),
        # Constants that are complex without an explicit I: numpy makes them NaN.
        ("p**2/2 + acos(2)", re.escape("acos(2) is not a real number")),
        ("p**2/2 + q**2*asin(3)**2", re.escape("asin(3) is not a real number")),
        ("p**2/2 + (-2)**(1/3)*q**2", re.escape("(-2)**(1/3) is not a real number")),
        ("q**2", "does not depend on any momentum"),
        ("", "expected the Hamiltonian as text"),
        ("(" * 300 + "p" + ")" * 300, "too many nested parentheses"),
        ("-" * 3000 + "p", "cannot parse|nested too deeply"),
        ("p" + " + p" * 2000, "longer than"),
        # Constants that would hang sympy's exact arithmetic or overflow in numpy.
        ("p**2 + q*exp(10**30*log(2))", "not a finite float"),
        ("p**2 + 1e308*1e308*q", "larger than the largest float"),
        ("p**2 + (10**1000)**5*q", "too large"),
        ("sin(" * 30 + "q*p" + ")" * 30, "nested more than 20 deep"),
    ],
)
def test_bad_hamiltonian_names_the_key(hamiltonian, why):
    with pytest.raises(ConfigError, match=H_KEY + ".*(?:" + why + ")"):
        build(hamiltonian)


def test_real_constants_are_accepted():
    """The real-constant check refuses complex constants only, not real function values."""
    system = build("p**2/2 + acos(-1)*q**2 + asin(1/2) + log(2)*sqrt(2)**3 + atan2(1, -1)")
    q, p = np.array([[0.5]]), np.array([[0.2]])
    expected = 0.02 + np.pi * 0.25 + np.pi / 6 + np.log(2) * 2 * np.sqrt(2) + 3 * np.pi / 4
    np.testing.assert_allclose(system.hamiltonian(q, p), [expected], rtol=1e-14)


def test_undefined_symbol_lists_known_names():
    spec = {**DUFFING, "hamiltonian": "p**2/2 + alpha*q**2/2 + gamma*q**4/4"}
    message = re.escape(
        "systems.duffing.hamiltonian: undefined symbol 'gamma' (known: q, p, alpha, beta, pi, E)"
    )
    with pytest.raises(ConfigError, match=message):
        check_user_system("duffing", spec)


@pytest.mark.parametrize(
    ("kwargs", "key", "why"),
    [
        ({"coordinates": ["q", "x"]}, "momenta", "1 momenta for 2 coordinates"),
        ({"coordinates": []}, "coordinates", "non-empty list"),
        ({"coordinates": "q"}, "coordinates", "non-empty list"),
        ({"coordinates": ["q", "q"], "momenta": ["p", "r"]}, "coordinates", "duplicate"),
        ({"momenta": ["q"]}, "momenta", "also a coordinate"),
        ({"coordinates": ["sin"]}, "coordinates[0]", "reserved"),
        ({"momenta": ["pi"]}, "momenta[0]", "reserved"),
        ({"coordinates": ["2q"]}, "coordinates[0]", "not a valid name"),
        ({"coordinates": ["lambda"]}, "coordinates[0]", "not a valid name"),
        ({"coordinates": ["__class__"]}, "coordinates[0]", "not a valid name"),
        ({"parameters": {"q": 1.0}}, "parameters", "already a coordinate"),
        ({"parameters": {"E": 1.0}}, "parameters.E", "reserved"),
        ({"parameters": {"k": float("nan")}}, "parameters.k", "non-finite"),
        ({"parameters": {"k": "1"}}, "parameters.k", "expected a number"),
        ({"parameters": {"k": 1.0}}, "parameters", "'k' not used in H"),
        ({"hamiltonian": "p**2/m", "parameters": {"m": 0}}, "parameters", "infinite"),
        (
            {"hamiltonian": "p**2/2 + acos(c)*q", "parameters": {"c": 2.0}},
            "parameters",
            re.escape("acos(2) is not a real number with these parameter values"),
        ),
        ({"hamiltonian": "c*p**2 + q**2", "parameters": {"c": 0}}, "parameters", "momentum"),
        ({"initial_state": {"sampler": "sobol"}}, "initial_state.sampler", "not a sampler"),
        ({"initial_state": {"low": [0, 0], "high": [1, 1]}}, "initial_state.sampler", ""),
        (
            {"initial_state": {"sampler": "uniform", "low": [0, 0, 0], "high": [1, 1]}},
            "initial_state.low",
            "expected 2 numbers",
        ),
        (
            {"initial_state": {"sampler": "uniform", "low": [0, 1], "high": [1, 1]}},
            "initial_state",
            "low < high",
        ),
        ({"initial_state": {"sampler": "normal", "mean": [0, 0]}}, "initial_state.std", "required"),
        (
            {"initial_state": {"sampler": "normal", "mean": [0, 0], "std": [1, 0]}},
            "initial_state.std",
            "> 0",
        ),
        (
            {"initial_state": {"sampler": "normal", "mean": [0, 0], "std": [1, 1], "low": [0]}},
            "initial_state",
            "unknown key",
        ),
    ],
)
def test_bad_spec_names_the_key(kwargs, key, why):
    with pytest.raises(ConfigError, match=re.escape(f"systems.duffing.{key}") + ".*" + why):
        build(**kwargs)


@pytest.mark.parametrize("key", ["hamiltonian", "coordinates", "momenta"])
def test_missing_required_key(key):
    spec = {k: v for k, v in DUFFING.items() if k != key}
    with pytest.raises(ConfigError, match=re.escape(f"systems.duffing.{key}: required")):
        check_user_system("duffing", spec)


@pytest.mark.parametrize(
    ("hamiltonian", "separable"),
    [
        # Mixed derivative 2 sin cos p - 2 cos sin p: zero, though not term by term.
        ("p**2/2 + (sin(q)**2 + cos(q)**2)*p", True),
        ("p**2/2 + cos(q) + exp(2)*q", True),
        # Expressions whose symbolic simplification took minutes are decided at once.
        ("p**2/2 + sin(q*p)**7*cos(q + p)**5*exp(q*p)/(1 + q**2 + p**2)**3", False),
        ("p**2/2 + q*p + tan(q*p + sin(q - p))**3*log(1 + q**2*p**2)", False),
    ],
)
def test_separability_is_detected_without_simplify(hamiltonian, separable):
    assert build(hamiltonian).separable is separable
