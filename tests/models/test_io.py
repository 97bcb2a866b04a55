"""Model files (hampipe.models.io): what save_model writes, and files of every readable
format loading back.

Every model type's save-and-load round trip is in ``tests/models/test_models.py``.
"""

import pytest
import torch

import hampipe
from hampipe.data import InputFileError, simulate
from hampipe.models import FEATURES, METHODS, SCALE_NAMES, SeparableHamiltonian
from hampipe.models.io import MODEL_FORMAT, load_model, read_model_file, save_model
from hampipe.systems import make_system

#: The keys of a format-1 ``model_config``: the separable model's options of the time.
FORMAT_1_CONFIG = {
    "dof": 4,
    "width": 8,
    "depth": 2,
    "activation": "rational",
    "rational_sharing": "layer",
    "spatial_dim": 2,
}
#: The scales that format 1 knew; the others came with format 2.
FORMAT_1_SCALES = {"q_scale": 1.7, "p_scale": 0.6, "energy_scale": 2.5}


@pytest.fixture(scope="module")
def spring_data():
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    return simulate(spring, 3, 8, 0.1, seed=0)


def format_1_file(path, features: str):
    """A model file as hampipe wrote it before format 2, and the model it holds.

    A separable model only (no ``model`` key), no shifts, rate or time scales, and the
    pair incidence buffer at the top level (``incidence``, not ``features.incidence``);
    no ``output_bias`` in its config (the output layer always had a bias then).
    """
    config = {**FORMAT_1_CONFIG, "features": features}
    model = SeparableHamiltonian(**config, output_bias=True, scales=FORMAT_1_SCALES)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))
    new_in_format_2 = set(SCALE_NAMES) - set(FORMAT_1_SCALES)
    state = {
        ("incidence" if key == "features.incidence" else key): value
        for key, value in model.state_dict().items()
        if key not in new_in_format_2
    }
    assert "incidence" in state and "q_shift" not in state
    torch.save(
        {
            "format": "hampipe-model-1",
            "method": "sann",
            "system": "three_body",
            "seed": 0,
            "hyperparameters": {"width": 8, "depth": 2, "gamma": 0.1},
            "model_config": config,
            "state_dict": state,
            "history": {"loss": [2.0, 1.0]},
            "hampipe_version": "0.1.0",
        },
        path,
    )
    return model.double()


@pytest.mark.parametrize("features", FEATURES)
def test_format_1_file_still_loads(tmp_path, features):
    expected = format_1_file(tmp_path / "old.pt", features)
    model = hampipe.load_model(tmp_path / "old.pt")
    assert type(model) is SeparableHamiltonian and not model.training
    assert model.checkpoint["format"] == "hampipe-model-1"
    assert model.checkpoint["method"] == "sann" and model.checkpoint["system"] == "three_body"
    for key, neutral in SCALE_NAMES.items():
        value = FORMAT_1_SCALES.get(key, neutral)
        assert getattr(model, key).item() == pytest.approx(value, rel=1e-7), key
    assert torch.equal(model.features.incidence, expected.features.incidence)
    gen = torch.Generator().manual_seed(0)
    q, p = torch.randn(2, 5, 4, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(model(q, p), expected(q, p), rtol=0, atol=0)
    for a, b in zip(model.vector_field(q, p), expected.vector_field(q, p), strict=True):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_file_missing_a_weight_is_refused(tmp_path):
    format_1_file(tmp_path / "old.pt", "coordinates")
    payload = torch.load(tmp_path / "old.pt", weights_only=True)
    del payload["state_dict"]["M"]
    torch.save(payload, tmp_path / "broken.pt")
    with pytest.raises(ValueError, match=r"broken\.pt: model file lacks \['M'\]"):
        load_model(tmp_path / "broken.pt")


def test_not_a_model_file(tmp_path):
    torch.save({"weights": 1}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a hampipe model file"):
        read_model_file(tmp_path / "x.pt")
    torch.save({"format": "hampipe-model-99"}, tmp_path / "y.pt")
    with pytest.raises(ValueError, match="not a hampipe model file"):
        load_model(tmp_path / "y.pt")


def test_save_model_writes_a_plain_file_atomically(tmp_path, spring_data):
    hyper = {"model": "separable", "width": 8, "depth": 2, "noise": 0.0}
    method = METHODS["hnn"].build(hyper, spring_data)
    folder = tmp_path / "models" / "spring"
    path = save_model(folder / "hnn.pt", method, {"loss": [1.0]}, "spring", seed=2)
    assert path == folder / "hnn.pt" and [f.name for f in folder.iterdir()] == ["hnn.pt"]
    payload = torch.load(path, weights_only=True)  # tensors and built-in types only
    assert payload["format"] == MODEL_FORMAT
    assert payload["method"] == payload["learner"] == "hnn"  # no variant name given
    assert payload["model"] == "separable" and payload["hyperparameters"] == hyper
    assert payload["model_config"] == method.model.config
    assert payload["hampipe_version"] == hampipe.__version__
    assert payload.keys() - {"state_dict"} == read_model_file(path).keys() - {"state_dict"}
    state = method.model.state_dict()
    assert payload["state_dict"].keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(payload["state_dict"][key], value), key
    # saving again replaces the file and leaves no temporary file behind
    save_model(path, method, {"loss": [1.0, 0.5]}, "spring", seed=2, entry="hnn_x")
    assert [f.name for f in folder.iterdir()] == ["hnn.pt"]
    assert read_model_file(path)["method"] == "hnn_x"


def test_truncated_or_foreign_model_files_are_named(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("not a model")
    with pytest.raises(InputFileError, match=r"notes.pt: not a readable model file"):
        load_model(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(InputFileError, match=r"other.pt: not a hampipe model file: format None"):
        load_model(other)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_model(tmp_path / "absent.pt")


def test_training_and_the_package_keep_the_old_names():
    """``hampipe.load_model`` and the names training used to define stay importable."""
    import hampipe.training
    from hampipe.models import io
    from hampipe.models.device import pick_device

    assert hampipe.load_model is io.load_model
    assert hampipe.training.load_model is io.load_model
    assert hampipe.training.save_model is io.save_model
    assert hampipe.training.load_checkpoint is io.read_model_file
    assert hampipe.training.pick_device is pick_device
