"""The benchmark's batch references against the one-example-at-a-time dataset references."""

import pytest
import torch

from hampipe.bench.reference import LOSSES, REFERENCES, reference_loss, reference_step
from hampipe.core import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.sai import annotate
from hampipe.systems import make_system
from tests.helpers import paper_config

#: Small networks and sub-steps (as in tests/models/test_methods.py), with a window.
SMALL = {"width": 8, "depth": 2, "dtype": "float64", "substeps": 2, "window": 2}
SMALL_SANN = {"partitions": {"stiff": 4, "nonstiff": 2}, "gamma": 0.2, "replication": 3}


def test_every_learner_has_both_references():
    assert set(LOSSES) == set(REFERENCES) == set(METHODS)


@pytest.mark.parametrize("learner", sorted(METHODS))
def test_batch_reference_equals_the_dataset_reference(learner):
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 2, 6, 0.1, seed=1)
    sai = annotate(ds)
    _, h = resolve_method(paper_config()["methods"], learner)
    h = {**h, **{k: v for k, v in SMALL.items() if k in h}}
    if learner == "sann":
        h = {**h, **SMALL_SANN}
    method = METHODS[learner].build(h, ds)
    batch = method.examples(ds, sai)
    expected = REFERENCES[learner](learner, method.model, h, ds, sai)
    torch.testing.assert_close(
        reference_loss(learner, method.model, h, batch), expected, rtol=1e-12, atol=0
    )


def test_unknown_learners_and_integrators_are_named():
    with pytest.raises(ValueError, match="no plain reference loss for method 'x'; valid: hinn"):
        reference_loss("x", None, {}, {})
    with pytest.raises(ValueError, match="option 'integrator': no plain reference for 'rk4'"):
        reference_step({"integrator": "rk4"})
