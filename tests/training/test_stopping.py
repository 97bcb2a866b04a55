"""Early stopping (issue 21): convergence as a training budget.

The rule against a hand-worked sequence of validation losses; through ``train``, a run
stops when it should and ends with its best validation epoch's weights; the stop is
resumable and recorded in the model and evaluation files.
"""

import math

import pytest
import torch

from hampipe.core import resolve_method
from hampipe.data import simulate, write_dataset
from hampipe.evaluation import evaluate
from hampipe.models import load_model
from hampipe.models.io import training_end
from hampipe.systems import make_system
from hampipe.training import train, train_to_file
from hampipe.training.loop import _mean_loss
from hampipe.training.observations import add_noise
from hampipe.training.resume import Checkpointer
from hampipe.training.stopping import EarlyStopping
from tests.helpers import paper_config

CONFIG = paper_config()
SPRING = {"name": "spring", "parameters": {}, "definition": {}}


def hyperparameters(**overrides) -> dict:
    """HNN shrunk, with a constant, high rate so that the validation loss stalls early."""
    _, h = resolve_method(CONFIG["methods"], "hnn")
    small = {"width": 8, "depth": 2, "epochs": 300, "batch_size": 32, "validation": 0.34}
    recipe = {"learning_rate": 5e-2, "lr_schedule": "constant"}
    return {**h, **small, **recipe, "patience": 4, "min_improvement": 0.02, **overrides}


@pytest.fixture(scope="module")
def spring():
    return simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 6, 20, 0.1, 3)


@pytest.fixture(autouse=True)
def _keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


# -- the rule ---------------------------------------------------------------------------


def test_the_rule_on_a_hand_worked_sequence():
    """Margin 1 %, patience 3: epoch 2 improves on 5 (4 < 4.95); 4.1 and 3.99 do not beat
    4·0.99 = 3.96; 3.5 does (epoch 5); three epochs without improvement stop at 8."""
    losses = [5.0, 4.0, 4.1, 3.99, 3.5, 3.6, 3.47, 3.6]
    stopping, model = EarlyStopping(patience=3, min_improvement=0.01), Model()
    stops = []
    for epoch, loss in enumerate(losses, start=1):
        model.w.data.fill_(epoch)
        stops.append(stopping.update(epoch, loss, model))
    assert stops == [False] * 7 + [True]
    assert (stopping.best_epoch, stopping.best_loss) == (5, 3.5)  # 3.47 is within 1 %
    model.w.data.fill_(-1.0)
    stopping.restore_best(model)
    assert model.w.item() == 5.0  # the weights of epoch 5


def test_non_finite_losses_never_improve_and_no_patience_never_stops():
    stopping, model = EarlyStopping(patience=2), Model()
    assert not stopping.update(1, 1.0, model)
    assert not stopping.update(2, math.nan, model)
    assert stopping.update(3, math.inf, model)
    off = EarlyStopping(patience=0)
    assert not any(off.update(e, 1.0, model) for e in range(1, 100))
    assert off.best_state is None
    assert off.summary(99, 99, False)["stop_reason"] == (
        "trained the fixed 99 epochs (no early stopping)"
    )


@pytest.mark.parametrize(
    "patience, margin", [(-1, 0.0), (1.5, 0.0), (True, 0.0), (2, 1.0), (2, -0.1)]
)
def test_bad_settings_are_refused(patience, margin):
    with pytest.raises(ValueError):
        EarlyStopping(patience, margin)


# -- through train ----------------------------------------------------------------------


def test_a_run_stops_when_the_validation_loss_stalls_and_keeps_its_best_weights(spring):
    method, history = train("hnn", hyperparameters(), spring, None, seed=0, progress=False)
    v = history["validation_loss"]
    best, run = history["best_epoch"], history["epochs_run"]
    assert history["stopped"] == "converged" and run < 300
    assert len(v) == len(history["loss"]) == run
    assert run - best == 4  # the patience
    # no later epoch beat the best by the 2 % margin, and the best beat every one before
    assert all(loss >= v[best - 1] * 0.98 for loss in v[best:])
    assert v[best - 1] == min(v[:best])
    assert f"after epoch {best}; stopped at epoch {run} of at most 300" in history["stop_reason"]
    # the weights kept are the best epoch's: their validation loss is the one recorded
    held_out = spring.isel(trajectory=history["validation_trajectories"])
    examples = method.examples(add_noise(held_out, 0.0, None), None)
    assert _mean_loss(method, examples, 32) == pytest.approx(v[best - 1], rel=1e-6)
    assert _mean_loss(method, examples, 32) < v[-1]


def test_a_run_that_hits_its_cap_says_it_did_not_converge(spring):
    h = hyperparameters(epochs=5, patience=50, lr_schedule="cosine", learning_rate=1e-2)
    _, history = train("hnn", h, spring, None, seed=0, progress=False)
    assert history["stopped"] == "epochs" and history["epochs_run"] == 5
    assert history["stop_reason"].startswith("reached the cap of 5 epochs before converging")


def test_without_patience_the_run_is_the_fixed_epoch_recipe(spring):
    """patience 0 (the default) trains every epoch and keeps the last weights, exactly as
    before early stopping existed (bit for bit)."""
    h = hyperparameters(epochs=6, patience=0)
    method, history = train("hnn", h, spring, None, seed=0, progress=False)
    old = {k: v for k, v in h.items() if k not in ("patience", "min_improvement")}
    before, _ = train("hnn", old, spring, None, seed=0, progress=False)
    assert history["epochs_run"] == history["best_epoch"] == 6
    assert history["stopped"] == "epochs"
    for key, value in method.model.state_dict().items():
        assert torch.equal(value, before.model.state_dict()[key]), key


def test_patience_without_validation_is_refused(spring):
    with pytest.raises(ValueError, match=r"methods.hnn.patience: 4, but early stopping needs"):
        train("hnn", hyperparameters(validation=0.0), spring, None, seed=0, progress=False)


# -- files and resumption ---------------------------------------------------------------


def test_a_stopped_run_resumes_to_the_same_stop_and_weights(tmp_path, spring, monkeypatch):
    train_data = str(write_dataset(spring, tmp_path / "train.nc"))
    h = hyperparameters()

    def run(output, checkpoint=None):
        train_to_file("hnn", h, train_data, None, seed=0, output=str(output), entry="hnn",
                      threads=1, progress=False, checkpoint=checkpoint, system=SPRING)  # fmt: skip

    run(tmp_path / "whole.pt")
    whole = load_model(tmp_path / "whole.pt").checkpoint["history"]
    assert whole["stopped"] == "converged" and whole["epochs_run"] > whole["best_epoch"] + 1
    # kill it after a checkpoint between its best epoch and its stop
    every = whole["best_epoch"] + 1
    save, saved = Checkpointer.save, []

    def save_then_stop(self, *args, **kwargs):
        saved.append(save(self, *args, **kwargs))
        raise KeyboardInterrupt

    checkpoint = {"directory": str(tmp_path / "checkpoints"), "every": every}
    with monkeypatch.context() as patch:
        patch.setattr(Checkpointer, "save", save_then_stop)
        with pytest.raises(KeyboardInterrupt):
            run(tmp_path / "resumed.pt", checkpoint)
    state = torch.load(saved[0], weights_only=True)
    assert state["epoch"] == every and state["stopping"]["best_epoch"] <= every
    run(tmp_path / "resumed.pt", checkpoint)
    a, b = load_model(tmp_path / "whole.pt"), load_model(tmp_path / "resumed.pt")
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key
    resumed = b.checkpoint["history"]
    for key in ("epochs_run", "best_epoch", "stopped", "stop_reason", "validation_loss"):
        assert resumed[key] == whole[key], key


def test_the_evaluation_file_records_how_training_ended(tmp_path, spring):
    method, history = train("hnn", hyperparameters(), spring, None, seed=0, progress=False)
    from hampipe.models import save_model

    save_model(tmp_path / "m.pt", method, history, "spring", 0, entry="hnn_early")
    model = load_model(tmp_path / "m.pt")
    test = simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 2, 5, 0.1, 9)
    system = make_system("spring")
    ds = evaluate(model, test, 0.1, "leapfrog", system=system, entry="hnn_alias")
    assert ds.attrs["method"] == "hnn_alias" and ds.attrs["trained_as"] == "hnn_early"
    assert ds.attrs["stopped"] == "converged"
    assert ds.attrs["epochs_run"] == history["epochs_run"]
    assert ds.attrs["best_epoch"] == history["best_epoch"]
    assert ds.attrs["stop_reason"] == history["stop_reason"]
    # a model file from before early stopping trained its fixed epochs, and says so
    assert training_end({"loss": [1.0, 0.5, 0.2]}) == {
        "epochs_run": 3,
        "best_epoch": 3,
        "stopped": "epochs",
        "stop_reason": "trained the fixed 3 epochs (no early stopping)",
    }


def test_the_plateau_schedule_halves_the_rate_when_the_validation_loss_stalls():
    """Patience 4: the rate halves after more than 4 // 2 = 2 epochs without a 1 %
    improvement, and again 3 epochs later; an improvement resets the count."""
    from hampipe.training.loop import optimiser

    theta = torch.nn.Parameter(torch.zeros(1))
    optimizer, scheduler = optimiser([theta], 1.0, 100, "plateau", 0.0, 4, 0.01)
    rates = []
    for loss in [1.0, 0.995, 0.999, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]:
        scheduler.step(loss)
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    with pytest.raises(ValueError, match="plateau' needs early stopping"):
        optimiser([theta], 1.0, 100, "plateau", 0.0, 0)


def test_a_plateau_run_records_its_falling_rate(spring):
    _, history = train(
        "hnn", hyperparameters(lr_schedule="plateau"), spring, None, seed=0, progress=False
    )
    rates = history["learning_rate"]
    assert rates[0] == 5e-2 and min(rates) < 5e-2 and history["stopped"] == "converged"
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))
