"""Reading a stage's inputs: a missing, truncated or foreign file is a clear error."""

import numpy as np
import pytest
import xarray as xr

from hampipe.data import InputFileError, read_dataset, simulate, write_dataset
from hampipe.systems import make_system


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "train.nc"
    write_dataset(simulate(make_system("spring"), 2, 5, 0.1, seed=0), path)
    return path


def test_a_data_file_reads_back_as_written(data_file):
    ds = read_dataset(data_file, "data")
    assert {"q", "p", "energy"} <= set(ds.data_vars) and ds.attrs["system"] == "spring"


def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such NetCDF file: .*absent.nc"):
        read_dataset(tmp_path / "absent.nc")


def test_truncated_file_names_it(data_file, tmp_path):
    cut = tmp_path / "cut.nc"
    cut.write_bytes(data_file.read_bytes()[:200])
    with pytest.raises(InputFileError, match=r"cut.nc: not a readable NetCDF file"):
        read_dataset(cut, "data")


def test_text_file_is_not_netcdf(tmp_path):
    text = tmp_path / "notes.nc"
    text.write_text("q, p\n1, 2\n")
    with pytest.raises(InputFileError, match=r"notes.nc: not a readable NetCDF file"):
        read_dataset(text)


def test_foreign_netcdf_names_what_it_lacks(tmp_path):
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"temperature": ("x", np.arange(3.0))}).to_netcdf(foreign)
    with pytest.raises(InputFileError) as error:
        read_dataset(foreign, "data")
    message = str(error.value)
    assert "foreign.nc: not a hampipe data file" in message
    assert "variable 'q'" in message and "attribute 'system'" in message
    assert read_dataset(foreign)["temperature"].size == 3  # without a kind: any NetCDF


def test_a_data_file_is_not_an_evaluation(data_file):
    with pytest.raises(InputFileError, match="not a hampipe evaluation file.*'q_pred'"):
        read_dataset(data_file, "evaluation")


def test_unknown_kind_lists_the_valid_ones(data_file):
    with pytest.raises(ValueError, match="valid: data, sai, evaluation, search"):
        read_dataset(data_file, "model")
