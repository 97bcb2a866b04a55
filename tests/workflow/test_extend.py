"""What adding to the pipeline costs, shown by doing it: a new figure is three files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from tests.workflow.test_workflow import TINY, planned_jobs

#: 1. the drawing function (hampipe.plotting): the final |energy error| per learner
DRAWING = '''

@FIGURES.register("final_energy")
def final_energy(inputs: Inputs, methods: Sequence[str]):
    """|Relative energy error| at the last time of the test rollouts, per method."""
    collected = load(inputs["collected"])
    last = abs(collected.energy_error.isel(time=-1)).mean(("seed", "trajectory"))
    table = pd.DataFrame({"method": methods, "energy_error": last.sel(method=methods).values})
    fig, ax = plt.subplots()
    ax.bar(table["method"], table["energy_error"])
    return fig, table
'''
#: 2. its spec (hampipe.plan): what it reads, its options, where `all` draws it
SPEC = """
figure(FigureSpec("final_energy", _collected("learners"), _methods_of("learners")))
"""
#: 3. its caption in the report
CAPTION = "|Relative energy error| at the end of the test rollouts, per method.\n"


@pytest.mark.slow
def test_adding_a_figure_touches_three_files(tiny_run, tmp_path):
    from tests.helpers import ROOT

    project = tmp_path / "project"
    shutil.copytree(tiny_run, project, symlinks=True)  # the finished tiny run, mtimes kept
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    before = {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "results" not in p.parts
    }

    with open(project / "src/hampipe/plotting/draw.py", "a") as f:
        f.write(DRAWING)
    with open(project / "src/hampipe/plan/outputs.py", "a") as f:
        f.write(SPEC)
    (project / "workflow/report/final_energy.rst").write_text(CAPTION)

    after = {p for p in project.rglob("*") if p.is_file() and "results" not in p.parts}
    changed = sorted(str(p.relative_to(project)) for p in after if before.get(p) != p.read_bytes())
    assert len(changed) == 3, changed

    env = {**os.environ, "PYTHONPATH": str(project / "src")}

    def snakemake(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--configfile", *TINY]
        result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    # `all` now draws it for every system of the experiments, and nothing else reruns
    systems = len(pd.read_csv(tiny_run / "results/tables/summary.csv")["system"].unique())
    assert planned_jobs(snakemake("-n", "all")) == {"figure_final_energy": systems, "all": 1}
    snakemake("results/figs/spring_final_energy.pdf")
    table = pd.read_csv(project / "results/figs/spring_final_energy.csv")
    assert list(table["method"]) == ["hnn", "hinn", "ode"]
    assert (table["energy_error"] >= 0).all()
    assert (project / "results/figs/spring_final_energy.png").read_bytes()[:4] == b"\x89PNG"


# -- a learning method: four files ------------------------------------------------------

#: 1. its declaration (hampipe.plan.learners): settings, label, traits
LEARNER = """

LEARNERS["leapfrog_net"] = LearnerSpec(
    "leapfrog_net",
    Block(**LEARNING, **INTERVALS),
    label="LFN",
    description="a network rolled out by leapfrog in a fixed number of sub-steps",
)
"""
#: 2. its class (a module of its own in hampipe.models), reading its typed settings
METHOD = '''"""A learner rolled out by leapfrog in a fixed number of sub-steps."""

import numpy as np

from hampipe.models.intervals import IntervalMethod
from hampipe.models.registry import METHODS


@METHODS.register("leapfrog_net")
class LeapfrogNet(IntervalMethod):
    def _substeps(self, train, sai):
        shape = (train.sizes["trajectory"], train.sizes["time"] - 1)
        return np.full(shape, self.settings.substeps)
'''
#: 3. its import, which registers it
IMPORT_METHOD = "from hampipe.models import leapfrog_net  # noqa: E402, F401\n"
#: 4. its plain autograd reference (hampipe.bench.reference), which the registry-wide
#: tests compare its loss and gradients with: an interval loss of fixed sub-steps
REFERENCE = """
LOSSES["leapfrog_net"] = interval_loss
REFERENCES["leapfrog_net"] = interval_reference
"""
#: and, in config.yaml, what differs from its declared defaults
CONFIG_METHOD = """
  leapfrog_net: {substeps: 4}
"""
#: its loss against the reference, as tests/bench/test_reference.py checks every learner's
CHECK_METHOD = """
import torch
from hampipe.bench.reference import reference_loss
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.systems import make_system

ds = simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 2, 6, 0.1, seed=1)
method = METHODS["leapfrog_net"].build({"width": 8, "depth": 2, "dtype": "float64"}, ds)
batch = method.examples(ds, None)
expected = reference_loss("leapfrog_net", method.model, method.hyperparameters, batch)
torch.testing.assert_close(method.loss(batch), expected, rtol=1e-12, atol=0)
"""


def _copy(tiny_run, project):
    from tests.helpers import ROOT

    shutil.copytree(tiny_run, project, symlinks=True)  # the finished tiny run, mtimes kept
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    return {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "results" not in p.parts
    }


def _changed(project, before):
    after = {p for p in project.rglob("*") if p.is_file() and "results" not in p.parts}
    return sorted(str(p.relative_to(project)) for p in after if before.get(p) != p.read_bytes())


def _snakemake(project, *args, overlays=()):
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    cmd += ["--configfile", *TINY, *map(str, overlays)]
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _insert_under(path, key, text):
    """Insert ``text`` right after the top-level line ``key:`` of a YAML file."""
    lines = path.read_text().splitlines(keepends=True)
    at = lines.index(f"{key}:\n") + 1
    path.write_text("".join(lines[:at]) + text.lstrip("\n") + "".join(lines[at:]))


@pytest.mark.slow
def test_adding_a_method_touches_four_files(tiny_run, tmp_path):
    project = tmp_path / "project"
    before = _copy(tiny_run, project)
    with open(project / "src/hampipe/plan/learners.py", "a") as f:
        f.write(LEARNER)
    (project / "src/hampipe/models/leapfrog_net.py").write_text(METHOD)
    with open(project / "src/hampipe/models/__init__.py", "a") as f:
        f.write(IMPORT_METHOD)
    with open(project / "src/hampipe/bench/reference.py", "a") as f:
        f.write(REFERENCE)
    _insert_under(project / "config.yaml", "methods", CONFIG_METHOD)
    changed = _changed(project, before)
    assert len(changed) == 5 and "config.yaml" in changed, changed  # four files + config
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    subprocess.run([sys.executable, "-c", CHECK_METHOD], cwd=project, env=env, check=True)

    # the tiny scenario lists its own experiments, so the run adds the method to spring's
    overlay = tmp_path / "run.yaml"
    overlay.write_text(
        "experiments:\n  spring: [hnn, hnn_exact, hinn, ode, leapfrog_net]\n"
        "methods:\n  leapfrog_net: {epochs: 2, width: 8}\n"
    )
    jobs = planned_jobs(_snakemake(project, "-n", "all", overlays=[overlay]))
    assert jobs["train"] == jobs["evaluate"] == 1  # one seed of the new method, nothing else
    assert "simulate" not in jobs and "sai" not in jobs
    _snakemake(project, "results/models/spring/leapfrog_net/seed0.pt", overlays=[overlay])
    settings = subprocess.run(
        [sys.executable, "-m", "hampipe", "settings", "leapfrog_net"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        settings.startswith("methods.leapfrog_net (LFN")
        and "  substeps: 10  [>= 1, <= 100000]" in settings
    )


# -- a built-in system: two files plus its config block ---------------------------------

#: 1. its module (hampipe.systems): declared settings, H, its derivatives, a sampler
SYSTEM = '''"""A quartic oscillator, H = p²/(2m) + c q⁴/4."""

import numpy as np

from hampipe.core.settings import Block, number, value_range
from hampipe.systems.base import HamiltonianSystem
from hampipe.systems.registry import SYSTEMS


@SYSTEMS.register("quartic")
class Quartic(HamiltonianSystem):
    separable = True
    hamiltonian_text = "H = p**2/(2*m) + c*q**4/4"
    parameter_fields = Block(
        m=number(1.0, "mass", exclusive_minimum=0),
        c=number(1.0, "stiffness", exclusive_minimum=0),
    )
    initial_state_fields = Block(amplitude=value_range([0.5, 1.0], "range of q0 (p0 = 0)"))

    @property
    def dof_names(self):
        return ["x"]

    def _hamiltonian(self, q, p):
        m, c = self.parameters["m"], self.parameters["c"]
        return p[:, 0] ** 2 / (2 * m) + c * q[:, 0] ** 4 / 4

    def _dH_dq(self, q, p):
        return self.parameters["c"] * q**3

    def _dH_dp(self, q, p):
        return p / self.parameters["m"]

    def _hessian(self, q, p):
        hess = np.zeros((q.shape[0], 2, 2))
        hess[:, 0, 0] = 3 * self.parameters["c"] * q[:, 0] ** 2
        hess[:, 1, 1] = 1 / self.parameters["m"]
        return hess

    def _sample_initial_states(self, rng, n):
        low, high = self.initial_state["amplitude"]
        return rng.uniform(low, high, size=(n, 1)), np.zeros((n, 1))
'''
#: 2. its import, which registers it
IMPORT_SYSTEM = "from hampipe.systems import quartic  # noqa: E402, F401\n"
#: its config block, and the methods `all` runs on it
CONFIG_SYSTEM = """
  quartic:
    parameters: {c: 2.0}
    dt: 0.1
    steps: {train: 12, test: 10}
    trajectories: {train: 4, test: 3}
"""


@pytest.mark.slow
def test_adding_a_system_touches_two_files_and_the_config(tiny_run, tmp_path):
    import xarray as xr

    project = tmp_path / "project"
    before = _copy(tiny_run, project)
    (project / "src/hampipe/systems/quartic.py").write_text(SYSTEM)
    with open(project / "src/hampipe/systems/__init__.py", "a") as f:
        f.write(IMPORT_SYSTEM)
    _insert_under(project / "config.yaml", "systems", CONFIG_SYSTEM)
    _insert_under(project / "config.yaml", "experiments", "  quartic: [hnn]\n")
    changed = _changed(project, before)
    assert len(changed) == 3 and "config.yaml" in changed, changed

    jobs = planned_jobs(_snakemake(project, "-n", "all"))
    assert jobs["simulate"] == 2 and jobs["train"] == jobs["evaluate"] == 1, jobs
    _snakemake(project, "results/data/quartic/train.nc")
    with xr.open_dataset(project / "results/data/quartic/train.nc") as ds:
        assert ds.attrs["system"] == "quartic" and '"c": 2.0' in ds.attrs["parameters"]
        drift = abs(ds.energy / ds.energy.isel(time=0) - 1).max()
        assert ds.q.shape == (4, 12, 1) and float(drift) < 1e-8
