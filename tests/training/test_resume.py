"""Resumable training: checkpoint keys, exact resumption (also after SIGKILL), stale files."""

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hampipe.core import resolve_method
from hampipe.data import simulate, write_dataset
from hampipe.models import METHODS, load_model, pick_device
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import (
    Checkpointer,
    checkpoint_key,
    partition_search,
    train,
    train_to_file,
)
from hampipe.training.resume import RESUME_FORMAT
from tests.helpers import ROOT, paper_config

CONFIG = paper_config()
#: Small networks and few sub-steps: an epoch takes a few milliseconds.
SMALL = {
    "width": 8,
    "depth": 2,
    "epochs": 6,
    "batch_size": 32,
    "learning_rate": 1e-2,
    "validation": 0.3,
    "noise": 0.01,
    "substeps": 2,
    "partitions": {"stiff": 4, "nonstiff": 2},
}


def hyperparameters(learner: str, **overrides) -> dict:
    """``methods.<learner>`` of ``config.yaml``, shrunk (with noise and validation)."""
    _, h = resolve_method(CONFIG["methods"], learner)
    return {**h, **{k: v for k, v in SMALL.items() if k in h or k == "noise"}, **overrides}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[str, str]:
    """A small spring training split and its SAI file."""
    folder = tmp_path_factory.mktemp("split")
    ds = simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 6, 20, 0.1, seed=3)
    return (
        str(write_dataset(ds, folder / "train.nc")),
        str(write_dataset(annotate(ds), folder / "sai.nc")),
    )


@pytest.fixture(autouse=True)
def _keep_threads():
    """``train_to_file`` sets torch's thread count; put it back after each test."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


class Interrupted(Exception):
    """Stands in for a kill in the middle of training."""


def interrupt_after_saves(monkeypatch, saves: int) -> None:
    """Make training stop right after its ``saves``-th checkpoint has been written."""
    save = Checkpointer.save
    written = []

    def save_then_stop(self, *args, **kwargs):
        path = save(self, *args, **kwargs)
        written.append(path)
        if len(written) == saves:
            raise Interrupted(path)
        return path

    monkeypatch.setattr(Checkpointer, "save", save_then_stop)


#: The train stage's ``system`` param for the spring split of ``files``.
SPRING = {"name": "spring", "parameters": {}, "definition": {}}


def run(learner, h, files, output, checkpoint=None, **kwargs) -> None:
    train_data, sai = files
    train_to_file(learner, h, train_data, sai, seed=3, output=str(output), entry=learner,
                  threads=1, progress=False, checkpoint=checkpoint, system=SPRING,
                  **kwargs)  # fmt: skip


def assert_same_run(path_a: Path, path_b: Path) -> None:
    """Two model files hold identical weights and per-epoch losses."""
    a, b = load_model(path_a), load_model(path_b)
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name]), name
    history_a, history_b = a.checkpoint["history"], b.checkpoint["history"]
    for key in ("loss", "validation_loss", "learning_rate"):
        assert history_a[key] == history_b[key], key
    assert len(history_a["seconds"]) == len(history_b["seconds"])


# -- the key ----------------------------------------------------------------------------


def test_key_changes_with_every_parameter_and_input_byte(tmp_path):
    h = hyperparameters("sann")
    data, sai = tmp_path / "train.nc", tmp_path / "sai.nc"
    data.write_bytes(b"training split")
    sai.write_bytes(b"annotation")
    args = ("sann", "sann_k4", h, 3, "cpu", [data, sai])
    key = checkpoint_key(*args)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    # stable: again, with the hyperparameters in another order, with str paths
    assert checkpoint_key(*args) == key
    assert checkpoint_key("sann", "sann_k4", dict(reversed(h.items())), 3, "cpu",
                          [str(data), str(sai)]) == key  # fmt: skip
    changed = {
        **{f"hyperparameters.{k}": {**h, k: ["changed", v]} for k, v in h.items()},
        "hyperparameters.<new key>": {**h, "new": 1},
    }
    keys = {what: checkpoint_key("sann", "sann_k4", new, 3, "cpu", [data, sai])
            for what, new in changed.items()}  # fmt: skip
    keys["learner"] = checkpoint_key("srnn", *args[1:])
    keys["name"] = checkpoint_key("sann", "sann_k8", *args[2:])
    keys["seed"] = checkpoint_key("sann", "sann_k4", h, 4, "cpu", [data, sai])
    keys["device"] = checkpoint_key("sann", "sann_k4", h, 3, "cuda", [data, sai])
    keys["no sai"] = checkpoint_key("sann", "sann_k4", h, 3, "cpu", [data, None])
    keys["learning_rate value"] = checkpoint_key(
        "sann", "sann_k4", {**h, "learning_rate": h["learning_rate"] * (1 + 1e-12)}, 3, "cpu",
        [data, sai],
    )  # fmt: skip
    for path in (data, sai):
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit of one byte
        keys[f"bytes of {path.name}"] = checkpoint_key(*args)
        path.write_bytes(original)
    assert checkpoint_key(*args) == key
    assert len(set(keys.values()) | {key}) == len(keys) + 1, keys


# -- resuming ---------------------------------------------------------------------------


@pytest.mark.parametrize("learner", sorted(METHODS))
def test_resumed_run_ends_as_an_uninterrupted_one(tmp_path, files, monkeypatch, caplog, learner):
    h = hyperparameters(learner)
    run(learner, h, files, tmp_path / "whole.pt")
    directory = tmp_path / "checkpoints" / learner / "seed3"
    checkpoint = {"directory": str(directory), "every": 2}
    with monkeypatch.context() as patch:
        interrupt_after_saves(patch, 2)
        with pytest.raises(Interrupted):
            run(learner, h, files, tmp_path / "resumed.pt", checkpoint)
    assert not (tmp_path / "resumed.pt").exists()
    # the checkpoint after epoch 4 of 6, loadable safely, holding the whole loop state
    (path,) = directory.iterdir()
    state = torch.load(path, weights_only=True)
    assert state["format"] == RESUME_FORMAT and state["key"] == path.stem and state["epoch"] == 4
    assert {"model", "optimizer", "scheduler", "generator", "rng"} <= state.keys()
    assert state["optimizer"]["state"] and state["scheduler"]["last_epoch"] == 4
    assert all(len(state["history"][k]) == 4 for k in ("loss", "learning_rate", "seconds"))
    caplog.set_level(logging.INFO, logger="hampipe.training")
    run(learner, h, files, tmp_path / "resumed.pt", checkpoint)
    assert f"resuming from epoch 4 of 6: {path}" in caplog.messages
    assert_same_run(tmp_path / "whole.pt", tmp_path / "resumed.pt")
    assert not directory.exists()  # the checkpoint and its emptied directory are gone


def test_a_changed_hyperparameter_trains_from_epoch_0(tmp_path, files, monkeypatch, caplog):
    h = hyperparameters("hnn")
    directory = tmp_path / "checkpoints"
    checkpoint = {"directory": str(directory), "every": 2}
    with monkeypatch.context() as patch:
        interrupt_after_saves(patch, 1)
        with pytest.raises(Interrupted):
            run("hnn", h, files, tmp_path / "model.pt", checkpoint)
    (stale,) = directory.iterdir()
    other = directory / "0123456789abcdef.pt"  # a checkpoint of yet another config
    other.write_bytes(b"old")
    changed = {**h, "learning_rate": 5e-3}
    caplog.set_level(logging.INFO, logger="hampipe.training")
    with monkeypatch.context() as patch:  # stop at the new run's first save, to look inside
        interrupt_after_saves(patch, 1)
        with pytest.raises(Interrupted):
            run("hnn", changed, files, tmp_path / "model.pt", checkpoint)
    assert not stale.exists() and not other.exists()
    for path in (other, stale):
        assert f"removing stale checkpoint {path} (parameters or inputs changed)" in caplog.messages
    assert not any(m.startswith("resuming") for m in caplog.messages)
    (fresh,) = directory.iterdir()
    assert fresh != stale and torch.load(fresh, weights_only=True)["epoch"] == 2
    run("hnn", changed, files, tmp_path / "model.pt", checkpoint)
    run("hnn", changed, files, tmp_path / "whole.pt")
    assert_same_run(tmp_path / "whole.pt", tmp_path / "model.pt")
    assert not directory.exists()


def test_an_unreadable_checkpoint_is_ignored(tmp_path, files, caplog):
    h = hyperparameters("hnn")
    directory = tmp_path / "checkpoints"
    train_data, sai = files
    key = checkpoint_key("hnn", "hnn", h, 3, "cpu", [train_data, sai])
    directory.mkdir()
    (directory / f"{key}.pt").write_bytes(b"not a checkpoint")
    run("hnn", h, files, tmp_path / "model.pt", {"directory": str(directory), "every": 2})
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith(f"ignoring unreadable checkpoint {directory / key}.pt")
    run("hnn", h, files, tmp_path / "whole.pt")
    assert_same_run(tmp_path / "whole.pt", tmp_path / "model.pt")
    assert not directory.exists()


def test_checkpoint_every_must_be_a_count(tmp_path, files):
    h, directory = hyperparameters("hnn"), str(tmp_path / "checkpoints")
    with pytest.raises(ValueError, match="checkpoint_every must be a non-negative integer"):
        run("hnn", h, files, tmp_path / "m.pt", {"directory": directory, "every": -1})
    with pytest.raises(ValueError, match="checkpoint: missing every"):
        run("hnn", h, files, tmp_path / "m.pt", {"directory": directory})
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "checkpoints").exists()


#: A child process running one training job, logging to stderr.
CHILD = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
from hampipe.training import train_to_file
train_to_file(**json.loads(sys.argv[1]))
"""


def test_a_job_killed_with_sigkill_resumes_to_the_same_model(tmp_path, files):
    epochs, every = 150, 5
    h = hyperparameters("hnn", epochs=epochs)
    directory = tmp_path / "checkpoints"
    output = tmp_path / "model.pt"
    job = dict(learner="hnn", hyperparameters=h, train_data=files[0], sai=files[1], seed=3,
               output=str(output), entry="hnn", threads=1, progress=False,
               checkpoint={"directory": str(directory), "every": every},
               system=SPRING)  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.getenv("PYTHONPATH")])),
    }
    command = [sys.executable, "-c", CHILD, json.dumps(job)]
    with open(tmp_path / "killed.log", "wb") as log:
        child = subprocess.Popen(command, env=env, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while not any(directory.glob("*.pt")):
                assert child.poll() is None, "the job ended before its first checkpoint"
                assert time.monotonic() < deadline, "no checkpoint within 60 s"
                time.sleep(0.005)
            time.sleep(0.05)  # a few epochs later, maybe in the middle of a save
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
    assert not output.exists()
    (checkpoint,) = directory.glob("*.pt")
    done = torch.load(checkpoint, weights_only=True)["epoch"]
    assert 0 < done < epochs and done % every == 0
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    resumed = re.search(r"resuming from epoch (\d+) of (\d+): (\S+)", rerun.stderr)
    assert resumed and resumed.groups() == (str(done), str(epochs), str(checkpoint))
    train_to_file(**{**job, "output": str(tmp_path / "whole.pt"), "checkpoint": None})
    assert_same_run(tmp_path / "whole.pt", output)
    assert not directory.exists()


# -- failures ---------------------------------------------------------------------------


def test_a_non_finite_loss_names_epoch_and_causes_and_writes_no_model(tmp_path, files, monkeypatch):
    # a learning rate that overflows is past the config's bound (10), so the weights are
    # poisoned after a few optimiser steps instead, as an overflowing step would
    step, calls = torch.optim.Adam.step, []

    def overflowing(self, *args, **kwargs):
        result = step(self, *args, **kwargs)
        calls.append(1)
        if len(calls) > 3:
            with torch.no_grad():
                for group in self.param_groups:
                    for parameter in group["params"]:
                        parameter.fill_(float("inf"))
        return result

    monkeypatch.setattr(torch.optim.Adam, "step", overflowing)
    h = hyperparameters("srnn")
    directory = tmp_path / "checkpoints"
    with pytest.raises(FloatingPointError) as error:
        run("srnn", h, files, tmp_path / "model.pt", {"directory": str(directory), "every": 2})
    message = str(error.value)
    assert re.match(r"methods\.srnn: loss became (nan|inf|-inf) at epoch \d+ of 6\. ", message)
    for key in ("methods.srnn.learning_rate", "methods.srnn.scaling", "methods.srnn.substeps"):
        assert key in message
    assert not (tmp_path / "model.pt").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_names_the_device_key(tmp_path, files):
    match = r"^device: 'cuda' asks for a GPU, but torch sees no CUDA device"
    with pytest.raises(ValueError, match=match):
        pick_device("cuda")
    with pytest.raises(ValueError, match=match):
        run("hnn", hyperparameters("hnn"), files, tmp_path / "model.pt", device="cuda")
    assert not (tmp_path / "model.pt").exists()
    spring = simulate(make_system("spring"), 4, 12, 0.1, seed=2)
    with pytest.raises(ValueError, match=match):
        train("hnn", hyperparameters("hnn"), spring, None, 0, False, device="cuda")
    with pytest.raises(ValueError, match=match):
        partition_search("sann", hyperparameters("sann"), spring, annotate(spring), [(1, 2)], 1,
                         0, device="cuda")  # fmt: skip


def test_restore_puts_back_every_state_or_touches_nothing(tmp_path, caplog):
    def fresh(seed: int):
        torch.manual_seed(seed)
        model = torch.nn.Linear(3, 2)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
        return model, optimizer, scheduler, torch.Generator().manual_seed(seed)

    cpu = torch.device("cpu")
    checkpoints = Checkpointer(tmp_path, "0123456789abcdef", every=1)
    model, optimizer, scheduler, generator = fresh(0)
    for _ in range(3):
        model(torch.randn(4, 3, generator=generator)).square().sum().backward()
        optimizer.step()
        scheduler.step()
    history = {"loss": [1.0, 0.5, 0.25]}
    checkpoints.save(3, model, optimizer, scheduler, generator, history, cpu)
    expected = (torch.rand(5, generator=generator), torch.rand(5), optimizer.param_groups[0]["lr"])
    restored = fresh(1)
    assert checkpoints.restore(*restored, epochs=10, device=cpu) == (3, history)
    assert torch.equal(restored[0].weight, model.weight)
    assert restored[2].last_epoch == 3 and restored[1].param_groups[0]["lr"] == expected[2]
    assert torch.equal(torch.rand(5, generator=restored[3]), expected[0])  # batch order
    assert torch.equal(torch.rand(5), expected[1])  # the global torch RNG
    # a checkpoint of this key that does not fit (another architecture) changes nothing
    checkpoints.save(3, torch.nn.Linear(3, 5), optimizer, scheduler, generator, history, cpu)
    other = fresh(2)
    before = {k: v.clone() for k, v in other[0].state_dict().items()}
    rng = torch.get_rng_state()
    assert checkpoints.restore(*other, epochs=10, device=cpu) is None
    assert "it does not fit this run" in caplog.text
    assert all(torch.equal(v, other[0].state_dict()[k]) for k, v in before.items())
    assert torch.equal(torch.get_rng_state(), rng) and other[2].last_epoch == 0
    assert torch.equal(other[3].get_state(), torch.Generator().manual_seed(2).get_state())
    assert checkpoints.restore(*fresh(2), epochs=2, device=cpu) is None  # epoch 3 of 2
