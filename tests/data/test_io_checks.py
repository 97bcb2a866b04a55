"""A stage's input must be the file it asked for: of its system, split and run, finite.

hampipe.data.io's read side: a file whose provenance names other wildcards than the
reading job's, or whose states or SAI hold NaN or inf, is refused naming the file and
both values (or where the bad value is), before the job writes anything.
"""

import numpy as np
import pytest

from hampipe.data import InputFileError, read_dataset, simulate, write_dataset
from hampipe.data.io import load, recorded_identity
from hampipe.sai import annotate
from hampipe.systems import make_system
from tests.helpers import in_job


def spring_split(path, split: str = "train", system: str = "spring"):
    """A small spring split written by the ``simulate`` job of ``{system}``/``{split}``."""
    with in_job("simulate", system=system, split=split):
        return write_dataset(simulate(make_system("spring"), 2, 5, 0.1, seed=0), path)


def test_a_file_records_the_wildcards_of_the_job_that_wrote_it(tmp_path):
    path = spring_split(tmp_path / "test.nc", "test")
    assert recorded_identity(read_dataset(path).attrs) == {"system": "spring", "split": "test"}
    outside = write_dataset(simulate(make_system("spring"), 2, 5, 0.1, seed=0), tmp_path / "x.nc")
    assert recorded_identity(read_dataset(outside).attrs) == {}


def test_the_test_split_in_the_training_splits_place_is_refused(tmp_path):
    path = spring_split(tmp_path / "train.nc", "test")
    with pytest.raises(InputFileError) as error:
        read_dataset(path, "data", expect={"system": "spring", "split": "train"})
    assert str(error.value).startswith(
        f"{path}: written for split 'test', but this job reads split 'train'"
    )
    # the matching split, keys the file does not record, and None are not compared
    read_dataset(path, "data", expect={"system": "spring", "split": "test", "method": "hnn"})
    read_dataset(path, "data", expect={"system": None, "split": "test"})


def test_every_differing_key_is_named_with_both_values(tmp_path):
    path = spring_split(tmp_path / "train.nc", "test", system="pendulum")
    with pytest.raises(InputFileError) as error:
        read_dataset(path, "data", expect={"system": "spring", "split": "train"})
    message = str(error.value)
    assert "written for system 'pendulum' and split 'test'" in message
    assert "this job reads system 'spring' and split 'train'" in message


def test_load_refuses_a_split_in_another_ones_place(tmp_path):
    spring_split(tmp_path / "data" / "spring" / "train.nc", "test")
    with pytest.raises(InputFileError, match="written for split 'test', but this job reads"):
        load("spring", "train", root=tmp_path)


@pytest.mark.parametrize(
    ("variable", "index", "value", "where"),
    [
        ("q", (1, 3, 0), np.nan, "trajectory=1, time=3, dof=0"),
        ("p", (0, 4, 0), np.inf, "trajectory=0, time=4, dof=0"),
        ("energy", (1, 2), -np.inf, "trajectory=1, time=2"),
    ],
)
def test_a_data_file_holding_nan_or_inf_is_refused_naming_where(
    tmp_path, variable, index, value, where
):
    ds = simulate(make_system("spring"), 2, 5, 0.1, seed=0)
    ds[variable].values[index] = value
    path = write_dataset(ds, tmp_path / "train.nc")
    with pytest.raises(InputFileError) as error:
        read_dataset(path, "data")
    assert str(error.value).startswith(
        f"{path}: variable {variable!r} holds {value} at index {where} (1 of "
    )
    assert not np.isfinite(read_dataset(path)[variable].values[index])  # no kind: not checked


def test_an_sai_file_holding_nan_is_refused(tmp_path):
    ds = annotate(simulate(make_system("spring"), 2, 5, 0.1, seed=0))
    ds["sai"].values[1, 2] = np.nan
    path = write_dataset(ds, tmp_path / "sai.nc")
    with pytest.raises(InputFileError, match=r"variable 'sai' holds nan at index trajectory=1, "):
        read_dataset(path, "sai")
