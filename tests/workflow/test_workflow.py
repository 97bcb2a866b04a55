"""The workflow end to end on a tiny overlay, and what dry runs plan."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.helpers import DUFFING as DUFFING_SPEC
from tests.helpers import ROOT

#: The end-to-end scenario: the size overlay and the tiny run's experiments and tables,
#: runnable as `snakemake all --configfile .test/config.yaml .test/tiny.yaml`.
TINY = (".test/config.yaml", ".test/tiny.yaml")
_SCENARIO = yaml.safe_load((ROOT / TINY[1]).read_text())
#: The pairs the end-to-end test runs: every learner, model type and integrator family
#: (the quick run, CI's first command, runs every pair and variant of config.yaml).
TINY_EXPERIMENTS = {system: m for system, m in _SCENARIO["experiments"].items() if m}
#: The tables of the tiny run: Table 1's seven rows, Table 2 from the general HNN on the
#: 4-pendulum chain, App. G's search over two pairs.
TINY_TABLES = _SCENARIO["tables"]


def copy_project(dest: Path) -> Path:
    """Copy the workflow, its configs, the peer overlays and the test scenarios
    (``.test/``) into ``dest``."""
    for name in ("Snakefile", "config.yaml", "config.quick.yaml"):
        shutil.copy(ROOT / name, dest / name)
    for name in ("workflow", ".test", "profiles", "peers"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    result = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:")[1]
    jobs = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        jobs[match[1]] = int(match[2])
    jobs.pop("total", None)
    return jobs


def dry_run(workdir: Path, overlay: dict) -> tuple[dict[str, int], str]:
    """Dry-run `all` on the tiny overlay plus ``overlay``: planned jobs and the output."""
    path = workdir / "change.yaml"
    path.write_text(yaml.safe_dump(overlay))
    result = snakemake(workdir, "-n", "all", "--configfile", *TINY, str(path))
    return planned_jobs(result), result.stdout + result.stderr


#: The SAI figures drawn for every system with a SANN entry.
SAI_FIGURES = ("sai_si", "sai_percentiles", "sai_translation")


def assert_figure(workdir: Path, name: str) -> None:
    """results/figs/<name> exists as PDF, PNG and a non-empty CSV."""
    import pandas as pd

    figs = workdir / "results/figs"
    assert (figs / f"{name}.pdf").read_bytes()[:4] == b"%PDF", name
    assert (figs / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    assert len(pd.read_csv(figs / f"{name}.csv")) > 0, name


# `tiny_run`, the run of `all` on the tiny overlay that the slow tests below read, is
# in tests/workflow/conftest.py: one run per session, shared with test_compliance.py.


@pytest.mark.slow
def test_end_to_end_outputs(tiny_run):
    import pandas as pd
    import torch
    import xarray as xr

    for system, methods in TINY_EXPERIMENTS.items():
        for split in ("train", "test"):
            assert (tiny_run / f"results/data/{system}/{split}.nc").is_file()
        sai = xr.load_dataset(tiny_run / f"results/sai/{system}.nc")
        assert {"sai", "si"} <= set(sai.data_vars)
        test = xr.load_dataset(tiny_run / f"results/data/{system}/test.nc")
        for method in methods:
            run = f"{system}/{method}/seed0"
            trained = "sann" if method == "sann_exp5" else method  # identical: one model
            model = tiny_run / f"results/models/{system}/{trained}/seed0.pt"
            meta = torch.load(model, weights_only=True)
            assert meta["method"] == trained and meta["system"] == system
            assert len(meta["history"]["validation_loss"]) == len(meta["history"]["loss"])
            ev = xr.load_dataset(tiny_run / f"results/eval/{run}.nc")
            assert {"q_pred", "p_pred", "mse", "energy_error"} <= set(ev.data_vars)
            assert {dim: ev.sizes[dim] for dim in test.sizes} == dict(test.sizes)
            assert ev.sizes["epoch"] == len(meta["history"]["loss"])  # training history
            np.testing.assert_array_equal(ev.q_pred[:, 0], test.q[:, 0])
            for rule, job in (("train", f"{system}/{trained}/seed0"), ("evaluate", run)):
                assert (tiny_run / f"logs/{rule}/{job}.log").stat().st_size > 0
                assert (tiny_run / f"results/benchmarks/{rule}/{job}.tsv").is_file()
            assert ev.attrs["method"] == method and ev.attrs["trained_as"] == trained
        assert not (tiny_run / f"results/models/{system}/sann_exp5").exists()
        for fig in ("energy", "mse", "orbits", "energy_heatmap"):
            assert_figure(tiny_run, f"{system}_{fig}")
        everything = xr.load_dataset(tiny_run / f"results/collected/{system}/all.nc")
        assert list(everything.method.values) == methods
        # each figure's CSV holds the series it draws: every shown method, every time
        entries = yaml.safe_load((tiny_run / "config.yaml").read_text())["methods"]
        learners = [m for m in methods if "method" not in entries[m]] or methods
        drawn = pd.read_csv(tiny_run / f"results/figs/{system}_energy.csv")
        energy = drawn[drawn.metric == "energy_error"]
        assert sorted(energy.method.unique()) == sorted(learners)
        assert (energy.groupby("method").size() == test.sizes["time"]).all()
        assert (energy.n == test.sizes["trajectory"]).all()  # one seed × test trajectories
        # where SANN trains, a strip marks the test trajectories' stiff intervals
        strip = drawn[drawn.metric == "stiff_share"]
        assert len(strip) == (test.sizes["time"] - 1 if "sann" in methods else 0)
        if "sann" in methods:
            assert strip["mean"].between(0, 1).all() and strip["mean"].max() > 0
            assert_figure(tiny_run, f"{system}_error_by_stiffness")
            by_stiffness = pd.read_csv(tiny_run / f"results/figs/{system}_error_by_stiffness.csv")
            assert set(by_stiffness.bin) == set(range(1, 11))
        # how each training ended, in the evaluation file
        ev = xr.load_dataset(tiny_run / f"results/eval/{system}/{methods[0]}/seed0.nc")
        assert ev.attrs["stopped"] in ("converged", "epochs") and ev.attrs["epochs_run"] > 0
        assert ev.interval_error.shape == (test.sizes["trajectory"], test.sizes["time"] - 1)
    general = xr.load_dataset(tiny_run / "results/eval/pendulum4/hnn_general/seed0.nc")
    assert general.attrs["integrator"] == "dopri5" and general.attrs["model"] == "general"
    sann = torch.load(tiny_run / "results/models/three_body/sann/seed0.pt", weights_only=True)
    assert sann["hyperparameters"]["features"] == "pairwise_distances"  # per_system
    for name in (
        "spring_integrator_drift",
        "three_body_activations",
        "three_body_resampling",
        "three_body_noise",
        "three_body_epochs",
        "billiard_potential",
        "billiard_learned_potential",
        "spring_meshgrid_error",
        "valid_prediction_time",
        *(f"{s}_{f}" for s in ("three_body", "billiard") for f in SAI_FIGURES),
    ):
        assert_figure(tiny_run, name)
    for system in ("three_body", "billiard"):  # config.yaml's figures.animations
        assert (tiny_run / f"results/figs/{system}_orbits.gif").read_bytes()[:6] == b"GIF89a"
    ablation = pd.read_csv(tiny_run / "results/tables/ablation.csv")
    assert list(ablation.experiment) == TINY_TABLES["ablation"]["methods"]
    assert list(ablation.replication) == [9, 1, 4, 6, 8, 9, 1]  # SANN Table 1's K
    assert list(ablation.gamma) == [0.1] * 6 + [0.5]
    numbers = ["train_loss", "test_mse", "energy_error", "seconds_per_epoch"]
    assert np.isfinite(ablation[numbers].to_numpy()).all()
    summary = pd.read_csv(tiny_run / "results/tables/summary.csv")
    assert len(summary) == sum(len(m) for m in TINY_EXPERIMENTS.values())
    inseparable = pd.read_csv(tiny_run / "results/tables/inseparable.csv")
    assert list(inseparable.method) == ["hnn_general"] and inseparable.model[0] == "general"
    search = pd.read_csv(tiny_run / "results/tables/partition_search.csv")
    assert list(search.chosen) == [True, False] and set(search.s_nonstiff) == {1, 2}
    for name in ("summary", "stiffness", "ablation", "inseparable", "partition_search"):
        markdown = (tiny_run / f"results/tables/{name}.md").read_text()
        assert markdown.startswith("Scale: 1 seed · ") and "not the paper's scale" in markdown
        assert "\n\n| " in markdown
    stiffness = pd.read_csv(tiny_run / "results/tables/stiffness.csv")
    assert {"three_body", "billiard"} <= set(stiffness.system)
    assert np.isfinite(stiffness[["error_stiff", "error_rest"]].to_numpy()).all()
    columns = [c for c in summary.columns if c.endswith("_pct_low") or c.endswith("_pct_high")]
    assert columns and np.isfinite(summary[columns].dropna(how="all").to_numpy()).all()
    model_api = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hampipe; m = hampipe.load_model('results/models/spring/hinn/seed0.pt');"
            "print(m.checkpoint['method'], m.name)",
        ],
        cwd=tiny_run,
        capture_output=True,
        text=True,
        check=True,
    )
    assert model_api.stdout.strip() == "hinn resnet"


@pytest.mark.slow
def test_complete_run_plans_nothing(tiny_run):
    result = snakemake(tiny_run, "-n", "all", "--configfile", *TINY)
    assert planned_jobs(result) == {}


#: What a finished run's collected datasets, figures and tables of one system redraw when
#: one of its learners changes (energy, MSE, orbits, energy heat map; the valid
#: prediction time of all systems; the summary table).
REDRAW = {
    "figure_energy": 1,
    "figure_mse": 1,
    "figure_orbits": 1,
    "figure_energy_heatmap": 1,
    "figure_valid_prediction_time": 1,
    "table_summary": 1,
}


@pytest.mark.slow
def test_changing_gamma_reruns_only_sann_and_what_shows_it(tiny_run):
    jobs, planned = dry_run(tiny_run, {"methods": {"sann": {"gamma": 0.3}}})
    # sann on three_body and billiard, and the variants that inherit gamma (sann_general,
    # sann_tanh, sann_noise1; sann_exp2 sets its own); sann_exp5 (gamma 0.1 of its own)
    # stops being identical to sann, so it now trains itself and Table 1 is rewritten;
    # the SAI figures, the error-by-stiffness figures and the stiffness table mark the
    # stiff intervals by gamma; the partition search trains sann; sann leaves the entries
    # that differ only in K, so the resampling figure redraws without it
    assert jobs == {
        "train": 6,
        "evaluate": 6,
        "collect": 9,
        "figure_error_by_stiffness": 2,
        "table_stiffness": 1,
        "table_ablation": 1,
        **{rule: 2 for rule in REDRAW if rule != "figure_valid_prediction_time"},
        "figure_valid_prediction_time": 1,
        "table_summary": 1,
        "figure_activations": 1,
        "figure_noise": 1,
        "figure_epochs": 1,
        "figure_animation": 2,
        "figure_sai_si": 2,
        "figure_sai_translation": 2,
        "probe": 1,
        "figure_learned_potential": 1,
        "partition_search": 1,
        "table_partition_search": 1,
        "figure_resampling": 1,
        "all": 1,
    }
    assert "results/models/three_body/sann/seed0.pt" in planned
    assert "results/models/three_body/sann_general/seed0.pt" in planned
    assert "results/models/three_body/sann_exp2/seed0.pt" not in planned
    assert "simulate" not in jobs and "sai" not in jobs


@pytest.mark.slow
def test_changing_a_variant_reruns_only_that_variant(tiny_run):
    jobs, planned = dry_run(tiny_run, {"methods": {"sann_exp2": {"replication": 2}}})
    # sann_exp2 is in three_body's replication family, its ablation row and everything
    assert jobs == {
        "train": 1,
        "evaluate": 1,
        "collect": 3,
        "figure_resampling": 1,
        "table_ablation": 1,
        "table_summary": 1,
        "all": 1,
    }
    assert "results/models/three_body/sann_exp2/seed0.pt" in planned


@pytest.mark.slow
def test_a_per_system_override_reruns_that_system_only(tiny_run):
    change = {"methods": {"hnn": {"per_system": {"spring": {"learning_rate": 0.01}}}}}
    jobs, planned = dry_run(tiny_run, change)
    # hnn and hnn_exact, which inherits hnn's per-system block, and their field probes
    assert jobs == {
        "train": 2,
        "evaluate": 2,
        "collect": 2,
        **REDRAW,
        "probe": 2,
        "figure_meshgrid_error": 1,
        "all": 1,
    }
    assert "results/models/spring/hnn/seed0.pt" in planned
    assert "results/models/three_body/hnn/seed0.pt" not in planned


@pytest.mark.slow
def test_restyling_a_method_retrains_nothing(tiny_run):
    jobs, planned = dry_run(tiny_run, {"presentation": {"colours": {"sann": "#000000"}}})
    assert "train" not in jobs and "evaluate" not in jobs
    # the selections that hold sann: three_body learners, activation, replication, noise,
    # epochs and all; billiard learners and all
    assert jobs["collect"] == 8
    assert jobs["figure_learned_potential"] == 1  # billiard's sann, from its probe
    assert "output: results/collected/spring/" not in planned  # no spring method changed


@pytest.mark.slow
def test_more_seeds_add_runs_and_keep_the_first(tiny_run):
    jobs, planned = dry_run(tiny_run, {"seeds": 2})
    n_runs = sum(len(m) for m in TINY_EXPERIMENTS.values())
    assert jobs["evaluate"] == n_runs
    assert jobs["train"] == n_runs - 1  # sann_exp5 trains as sann
    assert "seed1.pt" in planned and "seed0.pt" not in planned


@pytest.mark.slow
def test_changing_a_system_size_reruns_that_system_only(tiny_run):
    jobs, _ = dry_run(tiny_run, {"systems": {"spring": {"trajectories": {"test": 4}}}})
    assert jobs == {
        "simulate": 1,
        "integrator_drift": 1,
        "evaluate": 4,
        "collect": 2,
        **REDRAW,
        "figure_integrator_drift": 1,
        "all": 1,
    }


@pytest.mark.slow
def test_report_builds(tiny_run):
    snakemake(tiny_run, "all", "--configfile", *TINY, "--report", "report.html")
    html = (tiny_run / "report.html").read_text()
    # what a browser shows inline: every figure as its PNG, every table and animation as
    # an HTML page (the report offers a PDF, a CSV or a GIF only for download)
    shown = [
        *(tiny_run / "results/figs").glob("*.png"),
        *(tiny_run / "results/figs").glob("*.html"),
        *(tiny_run / "results/tables").glob("*.html"),
    ]
    assert len(shown) > 30
    assert len(list((tiny_run / "results/figs").glob("*.html"))) == len(
        list((tiny_run / "results/figs").glob("*.gif"))
    )
    assert len(list((tiny_run / "results/tables").glob("*.html"))) == len(
        list((tiny_run / "results/tables").glob("*.csv"))
    )
    missing = [path.name for path in shown if path.name not in html]
    assert not missing, f"not in the report: {missing}"
    assert '"mime_type": "application/pdf"' not in html and '"mime_type": "image/png"' in html
    # the front page names the config files in merge order and the run's scale
    assert "in the order they were merged" in html
    assert ".test/config.yaml + .test/tiny.yaml" in html and "not the paper" in html
    # and each system's methods, and the summary table once the run has written it
    assert "Methods: HNN" in html and "seeds stopped by early stopping" in html


def test_one_figure_plans_only_what_it_needs(tmp_path):
    workdir = copy_project(tmp_path)
    result = snakemake(workdir, "-n", "results/figs/three_body_energy.pdf")
    # the figure compares the learners (not the variants) over config.yaml's 3 seeds,
    # collected into one dataset
    assert planned_jobs(result) == {
        "simulate": 2,
        "sai": 1,
        "train": 12,
        "evaluate": 12,
        "collect": 1,
        "figure_energy": 1,
    }
    text = result.stdout + result.stderr
    assert "spring" not in text and "sann_exp" not in text and "sann_tanh" not in text
    assert "results/collected/three_body/learners.nc" in text


def test_invalid_config_stops_before_any_job(tmp_path):
    workdir = copy_project(tmp_path)
    (workdir / "bad.yaml").write_text("methods:\n  sann:\n    replication: many\n")
    result = snakemake(workdir, "all", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "methods.sann.replication" in result.stderr + result.stdout
    assert not (workdir / "results").exists()


# The README's Duffing entry at a tiny size.
DUFFING = {
    **DUFFING_SPEC,
    "steps": {"train": 20, "test": 10},
    "trajectories": {"train": 4, "test": 2},
}


@pytest.mark.slow
def test_user_defined_system_runs_without_code(tmp_path):
    import xarray as xr

    from hampipe.systems import system_from_attrs

    workdir = copy_project(tmp_path)
    (workdir / "duffing.yaml").write_text(yaml.safe_dump({"systems": {"duffing": DUFFING}}))
    snakemake(workdir, "results/sai/duffing.nc", "--configfile", "duffing.yaml")
    data = xr.load_dataset(workdir / "results/data/duffing/train.nc")
    assert data.sizes == {"trajectory": 4, "time": 20, "dof": 1}
    assert data.attrs["max_relative_energy_drift"] <= 1e-8
    system = system_from_attrs(data.attrs)
    q, p = data.q.values[:, 0], data.p.values[:, 0]
    expected = p[:, 0] ** 2 / 2 + q[:, 0] ** 2 / 2 + 0.5 * q[:, 0] ** 4 / 4
    np.testing.assert_allclose(system.hamiltonian(q, p), expected, rtol=1e-14)
    sai = xr.load_dataset(workdir / "results/sai/duffing.nc")
    assert np.isfinite(sai.si.values).all()


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"hamiltonian": "p**2/2 + gamma*q**2"}, "systems.duffing.hamiltonian"),
        ({"hamiltonian": "p**2/2 +"}, "systems.duffing.hamiltonian"),
        ({"momenta": ["p", "r"]}, "systems.duffing.momenta"),
        ({"initial_state": {"sampler": "uniform", "low": [0], "high": [1]}}, "initial_state"),
    ],
)
def test_bad_user_system_stops_before_any_job(tmp_path, change, key):
    workdir = copy_project(tmp_path)
    overlay = {"systems": {"duffing": {**DUFFING, **change}}}
    (workdir / "bad.yaml").write_text(yaml.safe_dump(overlay))
    result = snakemake(workdir, "all", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert key in result.stderr + result.stdout
    assert not (workdir / "results").exists()


def test_lint_is_clean(tmp_path):
    workdir = copy_project(tmp_path)
    result = snakemake(workdir, "--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_changing_the_prediction_integrator_reruns_evaluation_only(tiny_run):
    change = {"methods": {"hnn_general": {"prediction": {"rtol": 1.0e-6}}}}
    jobs, planned = dry_run(tiny_run, change)
    # pendulum4: learners, all, and the inseparable table's selection
    assert jobs == {"evaluate": 1, "collect": 3, **REDRAW, "table_inseparable": 1, "all": 1}
    assert "results/eval/pendulum4/hnn_general/seed0.nc" in planned
