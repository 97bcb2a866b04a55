"""A vectorised ensemble of runs ends where the separate runs end, member by member."""

import numpy as np
import pytest
import torch

from hampipe.core import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import fit, split_validation
from hampipe.training.ensemble import fit_ensemble
from tests.helpers import paper_config

CONFIG = paper_config()
SEEDS = (11, 12, 13)
#: Tiny networks, a few epochs; float64: rounding (amplified over epochs) stays far
#: below the tolerance, which a member trained with another seed exceeds by far.
SMALL = {
    "width": 8,
    "depth": 2,
    "epochs": 4,
    "batch_size": 16,
    "learning_rate": 1e-2,
    "dtype": "float64",
    "partitions": {"stiff": 3, "nonstiff": 1},
}


def hyperparameters(learner: str, **overrides) -> dict:
    """``methods.<learner>`` of ``config.yaml``, shrunk, then ``overrides``."""
    _, h = resolve_method(CONFIG["methods"], learner)
    return {**h, **{k: v for k, v in SMALL.items() if k in h}, **overrides}


@pytest.fixture(scope="module")
def spring_train():
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 6, 12, 0.1, seed=3)
    return spring, ds, annotate(ds)


def member(learner, h, system, ds, sai, seed, validation):
    """One run's method (weights drawn from ``seed``), examples and validation examples,
    drawn as :func:`hampipe.training.train` draws them (the split from the seed)."""
    fit_idx, val_idx = split_validation(ds, validation, np.random.default_rng([seed, 1]))
    train, held = ds.isel(trajectory=fit_idx), ds.isel(trajectory=val_idx)
    torch.manual_seed(seed)
    method = METHODS.get_class(learner).build(h, train, system)
    examples = method.examples(train, sai.isel(trajectory=fit_idx))
    held_out = method.examples(held, sai.isel(trajectory=val_idx)) if val_idx.size else None
    return method, examples, held_out


def runs(learner, spring_train, seeds=SEEDS, validation=0.34, **overrides):
    system, ds, sai = spring_train
    h = hyperparameters(learner, **overrides)
    return h, [member(learner, h, system, ds, sai, s, validation) for s in seeds]


def settings(h):
    keys = ("lr_schedule", "weight_decay", "patience", "min_improvement")
    return (h["epochs"], h["batch_size"], h["learning_rate"]), {k: h[k] for k in keys}


def assert_members_equal_separate_runs(h, members, separate_members, ensemble_seeds=SEEDS):
    """Train ``members`` as one ensemble (batch orders from ``ensemble_seeds``) and
    ``separate_members`` (built alike) one by one with :data:`SEEDS`; every member's
    weights and history must equal its separate run's."""
    args, options = settings(h)
    histories = fit_ensemble(
        [m for m, _, _ in members],
        [e for _, e, _ in members],
        *args,
        ensemble_seeds,
        torch.device("cpu"),
        [v for _, _, v in members] if members[0][2] is not None else None,
        **options,
    )
    for (method, _, _), (alone, examples, held), seed, history in zip(
        members, separate_members, SEEDS, histories, strict=True
    ):
        expected = fit(alone, examples, *args, seed, torch.device("cpu"), False, held, **options)
        for key in ("loss", "validation_loss", "learning_rate"):
            np.testing.assert_allclose(history[key], expected[key], rtol=1e-7, err_msg=key)
        for key in ("epochs_run", "best_epoch", "stopped", "stop_reason"):
            assert history[key] == expected[key], key
        mine, theirs = method.model.state_dict(), alone.model.state_dict()
        assert mine.keys() == theirs.keys()
        for key in mine:
            torch.testing.assert_close(mine[key], theirs[key], rtol=1e-7, atol=1e-10)
    return histories


@pytest.mark.parametrize(
    ("learner", "overrides"),
    [
        ("hnn", {}),
        ("hnn", {"weight_decay": 1e-3, "lr_schedule": "constant", "model": "general"}),
        ("sann", {}),
        ("srnn", {"window": 2}),
    ],
)
def test_an_ensemble_equals_its_separate_runs(spring_train, learner, overrides):
    h, members = runs(learner, spring_train, **overrides)
    _, separate = runs(learner, spring_train, **overrides)
    histories = assert_members_equal_separate_runs(h, members, separate)
    # the members are different runs: their own seeds, splits and weights
    assert histories[0]["loss"] != histories[1]["loss"]


def test_early_stopped_members_keep_their_best_weights(spring_train):
    # plateau halves each member's own rate; patience 1 stops members at their own epochs
    overrides = {"epochs": 12, "patience": 2, "lr_schedule": "plateau", "learning_rate": 0.3}
    h, members = runs("hnn", spring_train, **overrides)
    _, separate = runs("hnn", spring_train, **overrides)
    histories = assert_members_equal_separate_runs(h, members, separate)
    assert any(history["stopped"] == "converged" for history in histories)


def test_a_shared_seed_would_be_caught(spring_train):
    """The comparison can fail: an ensemble given the wrong seeds ends elsewhere."""
    h, members = runs("hnn", spring_train, validation=0.0)
    _, separate = runs("hnn", spring_train, validation=0.0)
    with pytest.raises(AssertionError):
        assert_members_equal_separate_runs(h, members, separate, ensemble_seeds=(11, 11, 11))


def test_members_with_unequal_examples_are_refused(spring_train):
    h, members = runs("hnn", spring_train, seeds=(1, 2), validation=0.0)
    method, examples, _ = members[1]
    short = {k: v[:-1] for k, v in examples.items()}
    args, options = settings(h)
    with pytest.raises(ValueError, match="member 1 has examples"):
        fit_ensemble([members[0][0], method], [members[0][1], short], *args, (1, 2), **options)
