"""The conda specs in workflow/envs agree with pyproject.toml."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.helpers import ROOT

ENVS = sorted((ROOT / "workflow" / "envs").glob("*.yaml"))
# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"pytorch": "torch", "netcdf4": "netcdf4", "pyyaml": "pyyaml"}
NOT_FROM_PYPROJECT = {"python", "pip"}


def pyproject_requirements() -> dict[str, Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def env_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for dep in spec["dependencies"]:
        name, _, version = re.split(r"(=+)", dep, maxsplit=1) if "=" in dep else (dep, "", "")
        name = CONDA_TO_PYPI.get(name.lower(), name.lower())
        if name not in NOT_FROM_PYPROJECT:
            pins[name] = version.lstrip("=")
    return pins


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_satisfy_pyproject(env):
    reqs = pyproject_requirements()
    for name, version in env_pins(env).items():
        assert name in reqs, f"{env.name}: {name} is not a dependency in pyproject.toml"
        assert version, f"{env.name}: {name} is not pinned"
        assert reqs[name].specifier.contains(version, prereleases=True), (
            f"{env.name}: {name}={version} violates pyproject's {reqs[name]}"
        )


def test_envs_cover_pyproject():
    """Every runtime dependency but snakemake (which runs the envs) is in some env."""
    covered = set().union(*(env_pins(env) for env in ENVS))
    missing = set(pyproject_requirements()) - covered - {"snakemake"}
    assert not missing, f"dependencies missing from workflow/envs: {sorted(missing)}"


def test_every_env_installs_hampipe():
    for env in ENVS:
        script = env.with_suffix("").with_suffix(".post-deploy.sh")
        assert script.is_file(), f"{env.name} has no post-deploy script installing hampipe"
        assert "pip install" in script.read_text()
