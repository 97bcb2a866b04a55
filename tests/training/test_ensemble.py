"""A vectorised ensemble of runs ends where the separate runs end, member by member."""

import re

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


# -- the train_ensemble stage: files as the train stage writes them ---------------------

#: The stage's ``system`` param for the spring splits of ``split_files``.
SPRING = {"name": "spring", "parameters": {}, "definition": {}}
#: Noise and a hold-out, so that every per-seed draw of a run's preparation is exercised.
PREPARED = {"noise": 0.01, "validation": 0.34}


@pytest.fixture(scope="module")
def split_files(tmp_path_factory, spring_train) -> tuple[str, str]:
    """The spring split of ``spring_train`` and its SAI annotation, as files."""
    from hampipe.data import write_dataset

    folder = tmp_path_factory.mktemp("split")
    _, ds, sai = spring_train
    return (
        str(write_dataset(ds.copy(), folder / "train.nc")),
        str(write_dataset(sai.copy(), folder / "sai.nc")),
    )


@pytest.fixture(autouse=True)
def _keep_threads():
    """The stage functions set torch's thread count; put it back after each test."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def single_jobs(folder, learner, h, files, seeds=SEEDS) -> list:
    """What ``train`` jobs of ``seeds`` write: one model file each, under ``folder``."""
    from hampipe.training import train_to_file

    paths = [folder / f"seed{i}.pt" for i in range(len(seeds))]
    for seed, path in zip(seeds, paths, strict=True):
        train_to_file(learner, h, files[0], files[1], seed, str(path), entry=learner,
                      progress=False, device="cpu", system=SPRING)  # fmt: skip
    return paths


def ensemble_job(folder, learner, h, files, seeds=SEEDS, **kwargs) -> list:
    """What a ``train_ensemble`` job of ``seeds`` writes, under ``folder``."""
    from hampipe.training import train_ensemble_to_files

    paths = [folder / f"seed{i}.pt" for i in range(len(seeds))]
    train_ensemble_to_files(learner, h, files[0], files[1], list(seeds),
                            [str(p) for p in paths], entry=learner, progress=False,
                            device="cpu", system=SPRING, **kwargs)  # fmt: skip
    return paths


@pytest.mark.parametrize("learner", ["hnn", "sann"])
def test_ensemble_files_equal_the_train_stage_files(tmp_path, split_files, learner):
    """Seed by seed, the ensemble job's model file holds what the train job's holds: the
    same weights (float64, to rounding), history and provenance fields."""
    from hampipe.models import read_model_file

    h = hyperparameters(learner, **PREPARED)
    (tmp_path / "single").mkdir()
    (tmp_path / "ensemble").mkdir()
    alone = single_jobs(tmp_path / "single", learner, h, split_files)
    together = ensemble_job(tmp_path / "ensemble", learner, h, split_files)
    for expected_path, path in zip(alone, together, strict=True):
        expected, found = read_model_file(expected_path), read_model_file(path)
        assert found.keys() == expected.keys()
        for key in expected.keys() - {"state_dict", "history"}:
            assert found[key] == expected[key], key
        assert found["state_dict"].keys() == expected["state_dict"].keys()
        for name, tensor in expected["state_dict"].items():
            torch.testing.assert_close(found["state_dict"][name], tensor, rtol=1e-7, atol=1e-10)
        history, wanted = found["history"], expected["history"]
        assert history.keys() == wanted.keys()
        for key in ("loss", "validation_loss", "learning_rate"):
            np.testing.assert_allclose(history[key], wanted[key], rtol=1e-7, err_msg=key)
        for key in wanted.keys() - {"loss", "validation_loss", "learning_rate", "seconds"}:
            assert history[key] == wanted[key], key
        assert len(history["seconds"]) == len(wanted["seconds"]) == h["epochs"]
        assert all(s > 0 for s in history["seconds"])
    # the seeds' runs differ (noise, split, weights): the comparison is seed by seed
    runs = [read_model_file(p)["history"] for p in together]
    assert len({tuple(run["validation_trajectories"]) for run in runs}) > 1
    assert runs[0]["loss"] != runs[1]["loss"]


def test_each_ensemble_file_records_its_run_as_a_train_job_would(tmp_path, split_files):
    """Inside a workflow job every file's provenance names its own run (``seed: i``), so
    evaluate's identity check reads it as a train job's file."""
    from hampipe.models import read_model_file
    from hampipe.models.io import check_model
    from tests.helpers import in_job

    h = hyperparameters("hnn")
    with in_job("train_ensemble", system="spring", method="hnn"):
        paths = ensemble_job(tmp_path, "hnn", h, split_files, seeds=(11, 12))
    for i, path in enumerate(paths):
        payload = read_model_file(path)
        assert payload["provenance"]["rule"] == "train_ensemble"
        assert payload["provenance"]["wildcards"] == {
            "system": "spring",
            "method": "hnn",
            "seed": str(i),
        }
        assert payload["seed"] == (11, 12)[i]
        check_model(payload, path, {"system": "spring", "method": "hnn", "seed": str(i)})
    from hampipe.data import InputFileError

    with pytest.raises(InputFileError, match="written for seed '1', but this job reads seed '0'"):
        check_model(read_model_file(paths[1]), paths[1], {"system": "spring", "seed": "0"})


def test_a_blown_up_member_stops_the_ensemble_and_writes_no_file(tmp_path, split_files):
    """HNN at a learning rate of 10 (as test_loop's single run): the job stops as the
    train stage stops, naming the key and the member's seed, and writes no model file."""
    h = hyperparameters("hnn", learning_rate=10.0, lr_schedule="constant", epochs=30,
                        dtype="float32", validation=0.0)  # fmt: skip
    with pytest.raises(FloatingPointError) as error:
        ensemble_job(tmp_path, "hnn", h, split_files, seeds=(3, 4))
    message = str(error.value)
    assert re.match(r"methods\.hnn \(seed [34]\): loss grew to \S+ at epoch \d+ of 30", message)
    assert "methods.hnn.blowup_factor is 10000). Likely causes: a learning rate too" in message
    assert not list(tmp_path.glob("*.pt"))
    # the same runs with the check out of the way train all their epochs
    paths = ensemble_job(tmp_path, "hnn", {**h, "blowup_factor": 1e100}, split_files, (3, 4))
    assert all(path.is_file() for path in paths)


def test_a_failed_write_leaves_no_file_of_the_ensemble(tmp_path, split_files, monkeypatch):
    from hampipe.training import ensemble

    save, calls = ensemble.save_model, []

    def save_then_fail(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return save(*args, **kwargs)

    monkeypatch.setattr(ensemble, "save_model", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        ensemble_job(tmp_path, "hnn", hyperparameters("hnn"), split_files, seeds=(1, 2))
    assert len(calls) == 2 and not list(tmp_path.glob("*.pt"))


class Interrupted(Exception):
    """Stands in for a kill in the middle of training."""


@pytest.mark.parametrize("learner", ["hnn", "sann"])
def test_a_resumed_ensemble_ends_as_an_uninterrupted_one(
    tmp_path, split_files, monkeypatch, caplog, learner
):
    """Killed after its first checkpoint and run again, the job resumes there and writes
    the very files an uninterrupted job writes; the checkpoint is then removed."""
    import logging

    from hampipe.models import read_model_file
    from hampipe.training.resume import Checkpointer

    # early stopping with a plateau schedule: per-member state beyond the weights
    h = hyperparameters(learner, epochs=6, patience=3, lr_schedule="plateau", **PREPARED)
    checkpoint = {"directory": str(tmp_path / "checkpoints"), "every": 2}
    (tmp_path / "whole").mkdir()
    (tmp_path / "resumed").mkdir()
    whole = ensemble_job(tmp_path / "whole", learner, h, split_files)
    save = Checkpointer.save_state

    def save_then_stop(self, *args, **kwargs):
        save(self, *args, **kwargs)
        raise Interrupted

    monkeypatch.setattr(Checkpointer, "save_state", save_then_stop)
    with pytest.raises(Interrupted):
        ensemble_job(tmp_path / "resumed", learner, h, split_files, checkpoint=checkpoint)
    assert len(list((tmp_path / "checkpoints").glob("*.pt"))) == 1
    assert not list((tmp_path / "resumed").glob("*.pt"))
    monkeypatch.setattr(Checkpointer, "save_state", save)
    with caplog.at_level(logging.INFO, logger="hampipe"):
        resumed = ensemble_job(tmp_path / "resumed", learner, h, split_files, checkpoint=checkpoint)
    assert "resuming the ensemble from epoch 2 of 6" in caplog.text
    for a, b in zip(whole, resumed, strict=True):
        found, expected = read_model_file(b), read_model_file(a)
        for name, tensor in expected["state_dict"].items():
            assert torch.equal(found["state_dict"][name], tensor), name
        for key in ("loss", "validation_loss", "learning_rate", "best_epoch", "stop_reason"):
            assert found["history"][key] == expected["history"][key], key
    assert not (tmp_path / "checkpoints").exists()


def test_an_ensemble_checkpoint_of_other_seeds_is_not_resumed(tmp_path, split_files):
    from hampipe.training.resume import checkpoint_key

    h = hyperparameters("hnn")
    inputs = list(split_files)
    keys = {
        checkpoint_key("hnn", "hnn", h, seeds, "cpu", inputs)
        for seeds in ([11, 12], [12, 11], [11, 12, 13], 11)
    }
    assert len(keys) == 4
