import numpy as np
import pytest
import torch

from hampipe.data import simulate
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import fit, load_checkpoint, load_model, save_model, train

HYPER = {
    "width": 8,
    "depth": 2,
    "activation": "rational",
    "rational_sharing": "layer",
    "features": "auto",
    "epochs": 30,
    "batch_size": 64,
    "learning_rate": 1e-2,
    "dtype": "float32",
}


@pytest.fixture(scope="module")
def spring_train():
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 6, 20, 0.1, seed=3)
    return ds, annotate(ds)


def test_training_reduces_the_loss_and_is_reproducible(spring_train):
    ds, sai = spring_train
    m1, h1 = train("hnn", HYPER, ds, sai, seed=4, progress=False)
    m2, h2 = train("hnn", HYPER, ds, sai, seed=4, progress=False)
    assert h1["loss"][-1] < 0.5 * h1["loss"][0]
    assert h1["loss"] == h2["loss"]
    for a, b in zip(m1.model.state_dict().values(), m2.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert len(h1["learning_rate"]) == 30 and h1["learning_rate"][0] == pytest.approx(1e-2)


def test_save_and_load_roundtrip(tmp_path, spring_train):
    ds, sai = spring_train
    method, history = train(
        "sann",
        {
            **HYPER,
            "epochs": 2,
            "gamma": 0.1,
            "partitions": {"stiff": 4, "nonstiff": 2},
            "replication": 3,
            "ranking": "trajectory",
            "integrator": "leapfrog",
        },
        ds,
        sai,
        seed=1,
        progress=False,
    )
    path = save_model(tmp_path / "m.pt", method, history, "spring", seed=1)
    model = load_model(path)
    q = torch.randn(5, 1, dtype=torch.float64)
    p = torch.randn(5, 1, dtype=torch.float64)
    expected = method.model.double()(q, p)
    torch.testing.assert_close(model(q, p), expected)
    meta = load_checkpoint(path)
    assert meta["method"] == "sann" and meta["system"] == "spring"
    assert meta["hyperparameters"]["gamma"] == 0.1 and len(meta["history"]["loss"]) == 2
    assert model.checkpoint["method"] == "sann"


def test_not_a_model_file(tmp_path):
    torch.save({"weights": 1}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a hampipe model file"):
        load_checkpoint(tmp_path / "x.pt")


def test_non_finite_loss_stops_training(spring_train):
    ds, _ = spring_train
    from hampipe.models import METHODS

    method = METHODS["hnn"].build(HYPER, make_system("spring"), ds)
    method._loss = lambda batch: torch.tensor(np.nan)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        fit(method, method.examples(ds), 2, 16, 1e-3, seed=0, progress=False)
