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
