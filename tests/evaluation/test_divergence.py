"""A rollout diverges where its state overflows or its state or energy error passes a bound."""

import numpy as np
import pytest
import torch
import yaml

from hampipe.data import simulate
from hampipe.evaluation import DIVERGENCE_BOUND, divergence, evaluate
from hampipe.evaluation.divergence import state_scale
from hampipe.systems import make_system
from tests.helpers import ROOT, exact_spring_model

T = np.arange(4) * 0.5


def test_a_state_beyond_the_bound_diverges_where_it_first_passes_it():
    q = np.array([[[1.0], [2.0], [40.0], [1.0]], [[1.0], [2.0], [3.0], [4.0]]])
    p = np.zeros_like(q)
    diverged, when = divergence(q, p, T, bound=10.0, scale=state_scale(q[:, :1], p[:, :1]))
    assert list(diverged) == [True, False]  # 40 > 10 x 1; 4 is not
    assert when[0] == 1.0 and np.isnan(when[1])
    assert not divergence(q, p, T)[0].any()  # without a bound only non-finite states count


def test_an_energy_error_beyond_the_bound_diverges_with_finite_states():
    q = p = np.ones((2, 4, 1))
    error = np.array([[0.0, 0.5, -20.0, 0.1], [0.0, 0.5, 9.0, np.nan]])
    diverged, when = divergence(q, p, T, error, bound=10.0)
    assert list(diverged) == [True, False] and when[0] == 1.0


def test_a_non_finite_state_diverges_whatever_the_bound():
    q = np.ones((1, 4, 1))
    q[0, 3, 0] = np.inf
    diverged, when = divergence(q, np.zeros_like(q), T, bound=1e300)
    assert diverged[0] and when[0] == 1.5


@pytest.fixture(scope="module")
def heavy():
    """A spring model with 1e4 times the true 1/(2m): from the true initial states its
    leapfrog rollouts stay finite, but reach states whose true energy is up to some 1e4
    times the initial one."""
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    test = simulate(spring, 3, 11, 0.1, seed=1)
    model = exact_spring_model()
    with torch.no_grad():
        model.M.mul_(1e4)
    unbounded = evaluate(model, test, 0.01, system=spring, divergence_bound=1e300)
    return spring, test, model, unbounded


def test_a_rollout_with_a_huge_energy_error_but_finite_states_is_diverged(heavy):
    spring, test, model, unbounded = heavy
    assert np.isfinite(unbounded.q_pred).all() and not unbounded.diverged.any()
    bound = 1500.0
    ev = evaluate(model, test, 0.01, system=spring, divergence_bound=bound)
    error = np.abs(unbounded.energy_error.values)
    size = np.abs(np.concatenate([unbounded.q_pred, unbounded.p_pred], -1)).max(-1)
    scale = np.abs(np.concatenate([test.q, test.p], -1)).max()
    beyond = (error > bound) | (size > bound * scale)
    assert beyond.any(-1).sum() >= 2 and not beyond.all()  # the bound matters
    np.testing.assert_array_equal(ev.diverged.values, beyond.any(-1))
    assert ev.attrs["n_diverged"] == beyond.any(-1).sum()
    assert ev.attrs["divergence_bound"] == bound and ev.attrs["divergence_state_scale"] == scale
    t = test.time.values
    for i in range(3):
        if not beyond[i].any():
            assert np.isnan(ev.diverged_time[i]) and np.isfinite(ev.q_pred[i]).all()
            continue
        first = int(np.argmax(beyond[i]))
        assert float(ev.diverged_time[i]) == t[first]
        # as a rollout that overflowed: NaN from then on, the same as before
        assert np.isnan(ev.q_pred.values[i, first:]).all()
        assert np.isnan(ev.energy_error.values[i, first:]).all()
        assert np.isnan(ev.mse.values[i, first:]).all()
        np.testing.assert_array_equal(ev.q_pred[i, :first], unbounded.q_pred[i, :first])


def test_the_default_bound_is_the_configs():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    declared = schema["$defs"]["evaluation"]["properties"]["divergence_bound"]
    assert declared["default"] == DIVERGENCE_BOUND
    assert declared["exclusiveMinimum"] == 0
