"""The training loop: reproducibility, validation, observation noise and their edge cases."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from hampipe.core import resolve_method
from hampipe.data import InputFileError, simulate, write_dataset
from hampipe.models import METHODS, compiled, load_model
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import (
    add_noise,
    fit,
    split_validation,
    train,
    train_to_file,
)
from hampipe.training.loop import check_blowup
from hampipe.training.observations import observed_annotation
from tests.helpers import in_job, paper_config

CONFIG = paper_config()
#: Small networks, few epochs and few sub-steps: each run takes well under a second.
SMALL = {
    "width": 8,
    "depth": 2,
    "epochs": 3,
    "batch_size": 32,
    "learning_rate": 1e-2,
    "validation": 0.3,
    "substeps": 2,
    "partitions": {"stiff": 4, "nonstiff": 2},
}


def hyperparameters(learner: str, **overrides) -> dict:
    """``methods.<learner>`` of ``config.yaml``, shrunk, then ``overrides``."""
    _, h = resolve_method(CONFIG["methods"], learner)
    return {**h, **{k: v for k, v in SMALL.items() if k in h}, **overrides}


@pytest.fixture(scope="module")
def spring_train() -> tuple[xr.Dataset, xr.Dataset]:
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 6, 20, 0.1, seed=3)
    return ds, annotate(ds)


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert torch.equal(state_a[key], state_b[key]), key


# -- reproducibility --------------------------------------------------------------------


@pytest.mark.parametrize("learner", sorted(METHODS))
def test_training_is_reproducible_with_a_seed(spring_train, learner):
    ds, sai = spring_train
    h = hyperparameters(learner)
    m1, h1 = train(learner, h, ds, sai, seed=4, progress=False)
    m2, h2 = train(learner, h, ds, sai, seed=4, progress=False)
    for key in ("loss", "validation_loss", "learning_rate", "train_trajectories", "examples"):
        assert h1[key] == h2[key], key
    assert_same_weights(m1.model, m2.model)
    m3, h3 = train(learner, h, ds, sai, seed=5, progress=False)
    assert h3["loss"] != h1["loss"]
    assert not torch.equal(next(m3.model.parameters()), next(m1.model.parameters()))


def test_compile_trains_to_the_same_weights_and_leaves_the_process_eager(spring_train):
    """``compile: true`` (compiled rational kernels) ends where the eager kernels end, to
    rounding in float64, and the next job of the process is eager again."""
    ds, sai = spring_train
    h = hyperparameters("sann", dtype="float64")
    eager, h_eager = train("sann", h, ds, sai, seed=4, progress=False)
    fused, h_fused = train("sann", {**h, "compile": True}, ds, sai, seed=4, progress=False)
    assert compiled.ACTIVE["cpu"] is False
    np.testing.assert_allclose(h_fused["loss"], h_eager["loss"], rtol=1e-9)
    for key, value in eager.model.state_dict().items():
        torch.testing.assert_close(fused.model.state_dict()[key], value, rtol=1e-8, atol=1e-12)


def test_training_reduces_the_loss(spring_train):
    ds, sai = spring_train
    h = hyperparameters("hnn", epochs=30, validation=0.0)
    _, history = train("hnn", h, ds, sai, seed=4, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    # Adam from the learning rate along a cosine to 0 (SANN §4.1)
    lr = np.array(history["learning_rate"])
    assert len(lr) == 30 and lr[0] == pytest.approx(1e-2)
    assert lr[10] == pytest.approx(1e-2 * (1 + math.cos(math.pi * 10 / 30)) / 2)
    assert np.all(np.diff(lr) < 0)


# -- validation -------------------------------------------------------------------------


def test_history_has_a_validation_loss_per_epoch_on_the_held_out_trajectories(spring_train):
    ds, sai = spring_train
    h = hyperparameters("hnn", validation=0.3, batch_size=1024)
    method, history = train("hnn", h, ds, sai, seed=2, progress=False)
    held_out, kept = history["validation_trajectories"], history["train_trajectories"]
    assert len(held_out) == round(0.3 * 6) and len(kept) == 6 - len(held_out)
    assert sorted(held_out + kept) == list(range(6))
    assert history["examples"] == len(kept) * (20 - 2)  # HNN: the interior times
    for key in ("loss", "validation_loss", "learning_rate", "seconds"):
        assert len(history[key]) == h["epochs"], key
    assert all(math.isfinite(v) for v in history["validation_loss"])
    # the last entry is the trained model's loss on the held-out trajectories, and only them
    with torch.no_grad():
        held = method.loss(method.examples(ds.isel(trajectory=held_out))).item()
        train_part = method.loss(method.examples(ds.isel(trajectory=kept))).item()
    assert history["validation_loss"][-1] == pytest.approx(held, rel=1e-6)
    assert history["validation_loss"][-1] != pytest.approx(train_part, rel=1e-3)


def test_no_validation_keeps_every_trajectory(spring_train):
    ds, sai = spring_train
    _, history = train("hnn", hyperparameters("hnn", validation=0.0), ds, sai, 1, False)
    assert history["validation_loss"] == [] and history["validation_trajectories"] == []
    assert history["train_trajectories"] == list(range(6))


def test_split_validation():
    ds = simulate(make_system("spring"), 10, 3, 0.1, seed=0)
    train_idx, val_idx = split_validation(ds, 0.0, np.random.default_rng(0))
    assert train_idx.tolist() == list(range(10)) and val_idx.size == 0
    train_idx, val_idx = split_validation(ds, 0.01, np.random.default_rng(0))
    assert val_idx.size == 1  # at least one trajectory once the fraction is positive
    train_idx, val_idx = split_validation(ds, 0.3, np.random.default_rng(0))
    assert val_idx.size == 3 and train_idx.size == 7
    assert np.all(np.diff(train_idx) > 0) and np.all(np.diff(val_idx) > 0)
    assert sorted([*train_idx, *val_idx]) == list(range(10))
    again = split_validation(ds, 0.3, np.random.default_rng(0))
    assert np.array_equal(again[1], val_idx)
    for fraction in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"validation fraction must lie in \[0, 1\)"):
            split_validation(ds, fraction, np.random.default_rng(0))


@pytest.mark.parametrize(("n_trajectories", "fraction"), [(1, 0.1), (2, 0.9)])
def test_validation_leaving_no_training_trajectory_names_the_key(n_trajectories, fraction):
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, n_trajectories, 5, 0.1, seed=0)
    with pytest.raises(ValueError, match=r"leaves no training trajectory.*\.validation"):
        split_validation(ds, fraction, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^methods\.hnn_x\.validation: .* lower methods\.hnn_x"):
        h = hyperparameters("hnn", validation=fraction)
        train("hnn", h, ds, None, 0, False, entry="hnn_x")


# -- observation noise ------------------------------------------------------------------


def test_add_noise():
    ds = simulate(make_system("spring"), 20, 50, 0.1, seed=0)
    before = ds.copy(deep=True)
    assert add_noise(ds, 0.0, np.random.default_rng(0)) is ds
    noisy = add_noise(ds, 0.5, np.random.default_rng(0))
    xr.testing.assert_identical(ds, before)  # the input (and its file) is untouched
    assert noisy.attrs["observation_noise"] == 0.5 and "observation_noise" not in ds.attrs
    for key in ("q", "p"):
        residual = (noisy[key] - ds[key]).values
        assert residual.std() == pytest.approx(0.5, rel=0.05)
        assert abs(residual.mean()) < 0.05
    xr.testing.assert_identical(noisy.energy, ds.energy)  # the truth stays the truth
    xr.testing.assert_identical(noisy, add_noise(ds, 0.5, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="noise must be >= 0"):
        add_noise(ds, -0.1, np.random.default_rng(0))


def test_noise_changes_the_examples_but_not_the_data(spring_train):
    ds, sai = spring_train
    before = ds.copy(deep=True)
    h = hyperparameters("hnn", noise=0.05)
    method_noisy, noisy = train("hnn", h, ds, sai, seed=6, progress=False)
    xr.testing.assert_identical(ds, before)
    _, again = train("hnn", h, ds, sai, seed=6, progress=False)
    assert noisy["loss"] == again["loss"]
    _, clean = train("hnn", {**h, "noise": 0.0}, ds, sai, seed=6, progress=False)
    assert noisy["loss"] != clean["loss"]
    # the run's examples come from the noisy observations that the seed draws first
    observed = add_noise(ds, 0.05, np.random.default_rng(6))
    clean_ex = method_noisy.examples(ds)
    noisy_ex = method_noisy.examples(observed)
    assert not torch.equal(clean_ex["q"], noisy_ex["q"])
    assert (noisy_ex["q"] - clean_ex["q"]).std().item() == pytest.approx(0.05, rel=0.2)


def test_noisy_observations_are_annotated_again(spring_train):
    ds, sai = spring_train
    assert observed_annotation(ds, sai, 0.0) is sai
    assert observed_annotation(ds, None, 0.1) is None
    noisy = add_noise(ds, 0.1, np.random.default_rng(0))
    annotation = observed_annotation(noisy, sai, 0.1)
    xr.testing.assert_identical(annotation, annotate(noisy))
    assert not np.array_equal(annotation.sai.values, sai.sai.values)


# -- failures and files -----------------------------------------------------------------


def test_non_finite_loss_stops_training(spring_train):
    ds, _ = spring_train
    method = METHODS["hnn"].build(hyperparameters("hnn"), ds)
    method._loss = lambda batch: torch.tensor(np.nan)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        fit(method, method.examples(ds), 2, 16, 1e-3, seed=0, progress=False)


def test_fit_trains_in_the_method_dtype(spring_train):
    ds, _ = spring_train
    method = METHODS["hnn"].build(hyperparameters("hnn", dtype="float64"), ds)
    history = fit(method, method.examples(ds), 2, 64, 1e-3, seed=0, progress=False)
    assert next(method.model.parameters()).dtype == torch.float64
    assert not method.model.training
    assert len(history["loss"]) == 2 and history["validation_loss"] == []


def test_train_to_file_writes_a_model_file(tmp_path, spring_train):
    ds, _ = spring_train
    data = write_dataset(ds, tmp_path / "train.nc")
    threads = torch.get_num_threads()
    try:
        train_to_file(
            "hnn",
            hyperparameters("hnn"),
            str(data),
            None,
            seed=3,
            output=str(tmp_path / "models" / "hnn_x.pt"),
            entry="hnn_x",
            threads=1,
            progress=False,
            system={"name": "spring", "parameters": {}, "definition": {}},
        )
    finally:
        torch.set_num_threads(threads)
    model = load_model(tmp_path / "models" / "hnn_x.pt")
    meta = model.checkpoint
    assert meta["method"] == "hnn_x" and meta["learner"] == "hnn" and meta["model"] == "separable"
    assert meta["system"] == "spring" and meta["seed"] == 3
    assert len(meta["history"]["loss"]) == SMALL["epochs"]


def test_the_noise_level_does_not_move_the_validation_split():
    ds = simulate(make_system("spring"), 20, 6, 0.1, seed=0)
    held_out = {
        noise: train("hnn", hyperparameters("hnn", noise=noise, epochs=1), ds, None, 7, False)[1][
            "validation_trajectories"
        ]
        for noise in (0.0, 0.01, 0.1)
    }
    assert held_out[0.0] == held_out[0.01] == held_out[0.1]


# -- what a training job refuses ---------------------------------------------------------

#: The train stage's ``system`` param and wildcards of run 0 of ``hnn`` on the spring.
SPRING_SPEC = {"name": "spring", "parameters": {}, "definition": {}}
RUN = {"system": "spring", "method": "hnn", "seed": "0"}


def train_job(tmp_path, data, **overrides) -> Path:
    """Run the train stage of ``RUN`` on the split file ``data``; return its output path."""
    output = tmp_path / "models" / "hnn.pt"
    threads = torch.get_num_threads()
    try:
        train_to_file("hnn", hyperparameters("hnn", **overrides), str(data), None, seed=3,
                      output=str(output), entry="hnn", progress=False, system=SPRING_SPEC,
                      expect=RUN)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    return output


def split_file(path, ds, system: str = "spring", split: str = "train") -> Path:
    """``ds`` written by the ``simulate`` job of ``system``/``split`` (a copy: writing
    adds the job's record to the dataset's attrs)."""
    with in_job("simulate", system=system, split=split):
        return write_dataset(ds.copy(), path)


@pytest.mark.parametrize(
    ("system", "split", "found", "wanted"),
    [
        ("pendulum", "train", "system 'pendulum'", "system 'spring'"),
        ("spring", "test", "split 'test'", "split 'train'"),
    ],
)
def test_a_split_of_another_system_or_split_trains_nothing(
    tmp_path, spring_train, system, split, found, wanted
):
    """The pendulum's training split, or the spring's test split, in the spring's
    training split's place: one message naming the file and both values, no model."""
    ds = spring_train[0]
    if system == "pendulum":
        ds = simulate(make_system("pendulum"), 6, 20, 0.1, seed=3)
    data = split_file(tmp_path / "train.nc", ds, system, split)
    with pytest.raises(InputFileError) as error:
        train_job(tmp_path, data)
    assert str(error.value) == (
        f"{data}: written for {found}, but this job reads {wanted}: a file of another run "
        "is in its place; delete it and rerun the workflow, which makes it again"
    )
    assert not (tmp_path / "models").exists()


def test_nan_in_the_training_split_trains_nothing(tmp_path, spring_train):
    ds = spring_train[0].copy(deep=True)
    ds["q"].values[2, 5, 0] = np.nan
    data = split_file(tmp_path / "train.nc", ds)
    with pytest.raises(InputFileError) as error:
        train_job(tmp_path, data)
    message = str(error.value)
    assert message.startswith(f"{data}: variable 'q' holds nan at index trajectory=2, time=5")
    assert "zero norm" not in message and "diverg" not in message
    assert not (tmp_path / "models").exists()


def test_an_sai_file_of_another_system_trains_nothing(tmp_path, spring_train):
    ds, sai = spring_train
    data = split_file(tmp_path / "train.nc", ds)
    with in_job("sai", system="pendulum"):
        annotation = write_dataset(sai.copy(), tmp_path / "sai.nc")
    with pytest.raises(InputFileError, match=r"sai.nc: written for system 'pendulum', but"):
        train_to_file("sann", hyperparameters("sann"), str(data), str(annotation), seed=3,
                      output=str(tmp_path / "sann.pt"), progress=False, system=SPRING_SPEC,
                      expect={**RUN, "method": "sann"})  # fmt: skip
    assert not (tmp_path / "sann.pt").exists()


# -- blow-ups ---------------------------------------------------------------------------


def test_check_blowup_compares_the_last_epoch_with_the_lowest_before_it():
    assert check_blowup([5.0], 10, "methods.hnn", 3) is None
    assert check_blowup([5.0, 0.5, 4.9], 10, "methods.hnn", 3) is None  # 9.8 times
    message = check_blowup([5.0, 0.5, 6.0, 5.5], 10, "methods.hnn", 9)
    assert message.startswith(
        "methods.hnn: loss grew to 5.5 at epoch 4 of 9, 11 times its lowest so far (0.5 at "
        "epoch 2; methods.hnn.blowup_factor is 10)"
    )


def test_a_loss_that_blows_up_stops_training_and_writes_no_model(tmp_path, spring_train):
    """HNN at a learning rate of 10: the loss grows by orders of magnitude while every
    number stays finite; training stops as at a NaN loss, naming the key."""
    data = split_file(tmp_path / "train.nc", spring_train[0])
    with pytest.raises(FloatingPointError) as error:
        train_job(tmp_path, data, learning_rate=10.0, lr_schedule="constant", epochs=30)
    message = str(error.value)
    assert message.startswith("methods.hnn: loss grew to ")
    assert "methods.hnn.blowup_factor is 10000). Likely causes: a learning rate too" in message
    assert not (tmp_path / "models").exists()
    # the same run with the check out of the way trains all its epochs on finite losses
    output = train_job(tmp_path, data, learning_rate=10.0, lr_schedule="constant", epochs=30,
                       blowup_factor=1e100)  # fmt: skip
    losses = load_model(output).checkpoint["history"]["loss"]
    assert len(losses) == 30 and np.isfinite(losses).all()
    assert max(losses[e] / min(losses[:e]) for e in range(1, 30)) > 1e4
