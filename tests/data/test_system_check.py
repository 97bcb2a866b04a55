"""A stage's input file is checked against the true system it gets as a param."""

import json

import pytest

from hampipe.data import InputFileError, check_system, read_dataset, simulate, write_dataset
from hampipe.systems import make_system, system_from_spec
from tests.helpers import DUFFING


@pytest.fixture(scope="module")
def pendulum_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("check") / "train.nc"
    write_dataset(simulate(make_system("pendulum"), 2, 4, 0.1, seed=0), path)
    return path


def test_a_file_of_the_same_system_passes(pendulum_file):
    pendulum = system_from_spec({"name": "pendulum", "parameters": {}, "definition": {}})
    ds = read_dataset(pendulum_file, "data", system=pendulum)
    assert ds.attrs["system"] == "pendulum"
    # the full parameters, given or defaulted, are what is compared
    full = {"name": "pendulum", "parameters": dict(pendulum.parameters), "definition": {}}
    read_dataset(pendulum_file, "data", system=system_from_spec(full))


def test_pendulum_data_against_the_spring_names_the_file_and_both_systems(pendulum_file):
    spring = system_from_spec({"name": "spring", "parameters": {}, "definition": {}})
    pendulum = make_system("pendulum")
    with pytest.raises(InputFileError) as error:
        read_dataset(pendulum_file, "data", system=spring)
    message = str(error.value)
    assert message.startswith(
        f"{pendulum_file}: holds system 'pendulum' with parameters "
        f"{json.dumps(pendulum.parameters, sort_keys=True)}, but this job's system is "
        f"'spring' with parameters {spring.parameters_json()}"
    )
    assert "rebuild it with the workflow" in message


def test_other_parameters_are_refused(pendulum_file):
    name, value = next(iter(make_system("pendulum").parameters.items()))
    other = system_from_spec(
        {"name": "pendulum", "parameters": {name: value * 2 + 1}, "definition": {}}
    )
    with pytest.raises(InputFileError, match=rf"train\.nc: holds system 'pendulum' .*{name}"):
        read_dataset(pendulum_file, "data", system=other)


def test_attrs_without_a_system_are_refused():
    spring = make_system("spring")
    with pytest.raises(InputFileError, match=r"^x\.nc: holds system None with parameters null"):
        check_system({}, spring, "x.nc")
    check_system({"system": "spring", "parameters": spring.parameters_json()}, spring, "x.nc")


def test_a_user_system_is_checked_with_its_definition(tmp_path):
    spec = {
        "name": "duffing",
        "parameters": DUFFING["parameters"],
        "definition": {k: DUFFING[k] for k in ("hamiltonian", "coordinates", "momenta")},
    }
    duffing = system_from_spec(spec)
    path = write_dataset(
        simulate(make_system("duffing", DUFFING["parameters"], DUFFING["initial_state"],
                             spec["definition"]), 2, 4, 0.1, seed=0),
        tmp_path / "duffing.nc",
    )  # fmt: skip
    read_dataset(path, "data", system=duffing)
    stiffer = {**spec["definition"], "hamiltonian": "p**2/2 + alpha*q**2/2 + beta*q**4/2"}
    changed = system_from_spec({**spec, "definition": stiffer})
    with pytest.raises(InputFileError, match=r"duffing\.nc: .* and definition .*beta\*q\*\*4/4"):
        read_dataset(path, "data", system=changed)
    # a built-in system's spec against a user system's file
    with pytest.raises(InputFileError, match=r"holds system 'duffing'.*job's system is 'spring'"):
        read_dataset(path, "data", system=make_system("spring"))
