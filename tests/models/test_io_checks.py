"""A model file must hold the run a job asked for, with finite weights (hampipe.models.io).

A file of another method, seed or system in a run's place, a stale one trained with
other settings, or one whose weights hold NaN or inf is refused when loaded, naming the
file and both values (or the parameter), never met later as a model's divergence.
"""

import pytest
import torch

from hampipe.data import InputFileError
from hampipe.models import METHODS
from hampipe.models.io import load_model, read_model_file, save_model
from hampipe.systems import make_system
from tests.helpers import exact_spring_model, in_job

#: The training settings of the runs saved here (HNN's own, a few set).
SETTINGS = {"model": "separable", "width": 1, "depth": 1, "epochs": 3}


def saved(path, learner: str = "hnn", method: str = "hnn", seed: str = "0", **settings):
    """A spring model file written by the ``train`` job of ``method``, run ``seed``."""
    run = METHODS[learner](exact_spring_model(), {**SETTINGS, **settings})
    with in_job("train", system="spring", method=method, seed=seed):
        return save_model(path, run, {"loss": [1.0]}, "spring", seed=7, entry=method)


def expect(method: str = "hnn", seed: str = "0", learner: str = "hnn", **settings) -> dict:
    """What the evaluate job of ``method``, run ``seed``, expects of its model file."""
    return {
        "system": "spring",
        "method": method,
        "seed": seed,
        "kind": "field",  # a wildcard no model file records: not compared
        "learner": learner,
        "hyperparameters": {**SETTINGS, **settings},
    }


def test_the_run_asked_for_loads(tmp_path):
    model = load_model(saved(tmp_path / "hnn.pt"), system=make_system("spring"), expect=expect())
    assert model.checkpoint["method"] == "hnn"


def test_another_methods_model_file_is_refused(tmp_path):
    path = saved(tmp_path / "hnn.pt", learner="srnn", method="srnn")
    with pytest.raises(InputFileError) as error:
        load_model(path, expect=expect())
    assert str(error.value).startswith(
        f"{path}: written for method 'srnn', but this job reads method 'hnn'"
    )


def test_another_runs_model_file_is_refused(tmp_path):
    path = saved(tmp_path / "seed0.pt", seed="1")
    with pytest.raises(InputFileError, match=r"written for seed '1', but this job reads seed '0'"):
        load_model(path, expect=expect(seed="0"))


def test_a_model_of_another_system_is_refused(tmp_path):
    path = saved(tmp_path / "hnn.pt")
    with pytest.raises(InputFileError) as error:
        load_model(path, system=make_system("pendulum"))
    assert str(error.value).startswith(
        f"{path}: trained on system 'spring', but this job's system is 'pendulum'"
    )


def test_an_identical_entry_reads_the_model_it_trains_as(tmp_path):
    """Entries with the same learner and settings share one training (Plan.trained_as):
    the other entry's file is the right one, whatever its method's name."""
    path = saved(tmp_path / "hnn.pt")
    # the same settings, one default spelt out
    same = expect(method="hnn_copy", batch_size=1024)
    assert load_model(path, expect=same).checkpoint["method"] == "hnn"
    with pytest.raises(InputFileError, match="written for method 'hnn', but this job reads "):
        load_model(path, expect=expect(method="hnn_copy", epochs=5))


def test_a_stale_model_file_names_the_settings_that_differ(tmp_path):
    path = saved(tmp_path / "hnn.pt")
    with pytest.raises(InputFileError) as error:
        load_model(path, expect=expect(epochs=5, learning_rate=0.01))
    message = str(error.value)
    assert message.startswith(f"{path}: trained with other settings than this job's entry: ")
    assert "epochs 3 (file) vs 5 (job); learning_rate 0.001 (file) vs 0.01 (job)" in message


def test_a_learner_that_differs_is_refused(tmp_path):
    path = saved(tmp_path / "hnn.pt")
    with pytest.raises(
        InputFileError, match=r"trained by learner 'hnn', but this job's entry trains learner 'ode'"
    ):
        load_model(path, expect=expect(learner="ode"))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_naming_the_parameter(tmp_path, value):
    path = saved(tmp_path / "hnn.pt")
    payload = read_model_file(path)
    payload["state_dict"]["phi.out.weight"][0, 0] = value
    torch.save(payload, path)
    with pytest.raises(InputFileError) as error:
        load_model(path)
    assert str(error.value).startswith(
        f"{path}: model parameter 'phi.out.weight' holds {value} (1 of 1 values not finite)"
    )
    assert read_model_file(path)["method"] == "hnn"  # its record stays readable
