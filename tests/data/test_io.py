"""Reading a stage's inputs: a missing, truncated or foreign file is a clear error."""

import numpy as np
import pytest
import xarray as xr

import hampipe
from hampipe.data import InputFileError, read_dataset, simulate, write_dataset
from hampipe.data.io import FILE_FORMAT
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


def test_a_file_of_another_format_version_is_refused(data_file, tmp_path):
    assert read_dataset(data_file).attrs["hampipe_format"] == FILE_FORMAT
    newer = tmp_path / "newer.nc"
    ds = read_dataset(data_file)
    ds.attrs.update(hampipe_format=FILE_FORMAT + 1, hampipe_version="9.0.0")
    ds.to_netcdf(newer)
    with pytest.raises(
        InputFileError,
        match=rf"newer.nc: written in hampipe file format {FILE_FORMAT + 1} \(by hampipe "
        rf"9.0.0\); this hampipe .* reads format {FILE_FORMAT}: rebuild it",
    ):
        read_dataset(newer, "data")


def test_a_data_file_is_not_an_evaluation(data_file):
    with pytest.raises(InputFileError, match="not a hampipe evaluation file.*'q_pred'"):
        read_dataset(data_file, "evaluation")


def test_unknown_kind_lists_the_valid_ones(data_file):
    with pytest.raises(ValueError, match="valid: data, sai, evaluation, search"):
        read_dataset(data_file, "model")


# CF-1.10: `compliance-checker --test cf:1.10` on what write_dataset writes

#: The one CF-1.10 finding the contract rules out: the checker wants standard_name
#: "time" on the coordinate of a dimension named ``time``, and standard_name "time" in
#: turn wants units "<unit> since <epoch>", which xarray decodes into dates, while the
#: contract's ``time`` holds seconds since each trajectory's start (units "s").
TIME_STANDARD_NAME = "Coordinate variable 'time' should have standard_name='time'"


def cf_problems(path, priorities=("high", "medium")) -> list[str]:
    """The CF-1.10 checker's failed checks of ``path`` of the given priorities, as
    ``"<priority> <section>: <message>"`` (less :data:`TIME_STANDARD_NAME`), plus any
    exception the checker raised (it swallows them)."""
    import json
    import tempfile
    import warnings
    from pathlib import Path

    from compliance_checker.runner import CheckSuite, ComplianceChecker

    with warnings.catch_warnings():  # the checkers of other conventions are deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        CheckSuite.load_all_available_checkers()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        _, errors = ComplianceChecker.run_checker(
            str(path),
            ["cf:1.10"],
            verbose=0,
            criteria="normal",
            output_filename=str(report),
            output_format="json",
        )
        results = json.loads(report.read_text())["cf:1.10"]
    problems = [f"checker raised exceptions on {path}"] if errors else []
    for priority in priorities:
        for check in results[f"{priority}_priorities"]:
            passed, total = check["value"]
            if passed < total:
                messages = [m for m in check["msgs"] if TIME_STANDARD_NAME not in m]
                problems += [f"{priority} {check['name']}: {m}" for m in messages]
    return problems


def labelled_dataset() -> xr.Dataset:
    """A small dataset with what CF checkers trip on: string index coordinates, an
    auxiliary string coordinate, index coordinates without attributes, NaN data."""
    q = np.arange(2 * 3 * 4 * 2, dtype=np.float64).reshape(2, 3, 4, 2)
    q[1, 2, 3] = np.nan  # a diverged rollout
    return xr.Dataset(
        {
            "q_pred": (("method", "trajectory", "time", "dof"), q, {"units": "m"}),
            "mse": (("method", "time"), np.ones((2, 4)), {"units": "1", "long_name": "MSE"}),
            "diverged": (
                ("method",),
                np.array([0, 1], dtype=np.int8),
                {"flag_values": np.array([0, 1], np.int8), "flag_meanings": "finite diverged"},
            ),
            "train_loss": (("epoch",), [1.0, 0.5], {"units": "1"}),
        },
        coords={
            "method": ["sann", "hnn"],
            "trajectory": np.arange(3),
            "time": ("time", np.arange(4) * 0.1, {"units": "s"}),
            "dof": ["x1", "y1"],
            "label": ("method", ["SANN", "HNN"]),
        },
        attrs={"system": "three_body"},
    )


@pytest.mark.parametrize("name", ["data", "labelled", "sai"])
def test_written_files_are_cf_1_10_clean(tmp_path, data_file, name):
    if name == "data":
        path = data_file
    elif name == "labelled":
        path = write_dataset(labelled_dataset(), tmp_path / "labelled.nc")
    else:
        from hampipe.sai import annotate

        three_body = make_system("three_body")
        train = simulate(three_body, 2, 6, 0.1, seed=1)
        path = write_dataset(annotate(train, three_body), tmp_path / "sai.nc")
    assert cf_problems(path, ("high", "medium", "low")) == []


def test_cf_fixes_keep_every_value_and_attribute(tmp_path):
    import netCDF4

    ds = labelled_dataset()
    before = ds.copy(deep=True)
    path = write_dataset(ds, tmp_path / "labelled.nc")
    back = read_dataset(path)
    xr.testing.assert_identical(back, ds)  # the dataset in memory now equals the file
    for name, variable in before.variables.items():
        for key, value in variable.attrs.items():
            np.testing.assert_array_equal(back[name].attrs[key], value, err_msg=name)
        np.testing.assert_array_equal(back[name].values, variable.values, err_msg=name)
    assert before.attrs.items() <= back.attrs.items()
    assert list(back.dof.values) == ["x1", "y1"] and back.label.sel({"method": "hnn"}) == "HNN"
    assert back.trajectory.attrs["long_name"] == "trajectory index"  # CF 3.3
    with netCDF4.Dataset(path) as raw:
        for name in ("method", "trajectory", "time", "dof", "mse", "diverged"):
            assert "_FillValue" not in raw[name].ncattrs(), name  # CF 2.5.1
        assert np.isnan(raw["q_pred"].getncattr("_FillValue"))  # missing data stays marked
        assert raw["dof"].dimensions[0] == "dof"  # labels as a character array (CF 6.1)


def test_global_attrs_name_the_file_and_its_provenance(data_file):
    from hampipe.core import provenance

    attrs = read_dataset(data_file).attrs
    assert attrs["Conventions"] == "CF-1.10"
    assert attrs["title"] == "hampipe ground-truth trajectories (system spring)"
    assert attrs["history"] == f"hampipe {hampipe.__version__}"
    assert attrs["source"] == f"hampipe {hampipe.__version__}"
    for key, value in provenance().items():  # outside a job: version and commit
        assert attrs[key] == value, key
    for key in ("system", "parameters", "hamiltonian", "integrator", "dt", "seed"):
        assert key in attrs, key  # docs/contract.md's attrs stay


def test_load_names_the_closest_system_with_data(tmp_path):
    from hampipe.data.io import load

    (tmp_path / "data/three_body").mkdir(parents=True)
    (tmp_path / "data/billiard").mkdir()
    with pytest.raises(FileNotFoundError) as error:
        load("three_bdy", "train", root=tmp_path)
    message = str(error.value)
    assert "did you mean 'three_body'?" in message and "snakemake --cores 2" in message
    assert "systems with data under" in message and "billiard, three_body" in message
