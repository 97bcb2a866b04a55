"""The workflow on a real Slurm cluster, through ``--profile profiles/slurm``.

Runs only where a Slurm controller answers (``.ci/slurm-up`` brings up a one-node
cluster with accounting on a Debian machine as root; ``.ci/run`` does so in CI) and is
skipped elsewhere, with the reason in pytest's summary. Every cluster command runs under
``timeout -s INT`` (SIGINT makes Snakemake cancel its Slurm jobs and exit), so a stuck
cluster fails the test instead of hanging CI.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

from hampipe.plan.guard import STAMP
from tests.workflow.test_workflow import copy_project

#: A small end-to-end run: two learners on the spring, every stage and figure of it.
#: The scenario: the size overlay and two methods on the spring (.test/cluster.yaml).
SCENARIO = (".test/config.yaml", ".test/cluster.yaml")
#: Per-epoch wall times differ between any two runs; everything else must not.
TIMINGS = {"epoch_seconds"}


def slurm_unavailable() -> str | None:
    """Why the cluster tests cannot run here, or None."""
    if not shutil.which("sbatch") or not shutil.which("sinfo"):
        return "no Slurm client here (run .ci/slurm-up as root on Debian)"
    try:
        states = subprocess.run(
            ["timeout", "5", "sinfo", "-h", "-o", "%T"], capture_output=True, text=True
        )
    except OSError as error:
        return f"sinfo failed: {error}"
    if states.returncode != 0:
        return f"no Slurm controller answers: {states.stderr.strip()[:200]}"
    if not {"idle", "mixed"} & set(states.stdout.split()):
        return f"no idle Slurm node: {states.stdout.split()}"
    return None


REASON = slurm_unavailable()
if REASON and os.environ.get("HAMPIPE_REQUIRE_SLURM"):  # CI brought Slurm up: never skip
    raise RuntimeError(f"HAMPIPE_REQUIRE_SLURM is set but {REASON}")
pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=str(REASON)),
]


def cluster(workdir: Path, *args: str, limit: int = 480) -> subprocess.CompletedProcess:
    """``snakemake --profile profiles/slurm ARGS`` under ``timeout -s INT``."""
    cmd = [
        "timeout", "-s", "INT", str(limit),
        sys.executable, "-m", "snakemake", "--profile", "profiles/slurm",
        "--slurm-init-seconds-before-status-checks", "5",
        *args, "--configfile", *SCENARIO,
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=limit + 60)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The same small workflow run through Slurm and locally."""
    out = {}
    for where in ("slurm", "local"):
        out[where] = copy_project(tmp_path_factory.mktemp(where))
    result = cluster(out["slurm"], "all")
    (out["slurm"] / "run.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    local = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "all",
         "--configfile", *SCENARIO],
        cwd=out["local"], capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr[-3000:]
    return out


def submitted(log: str) -> list[str]:
    """Slurm job ids of the jobs Snakemake submitted."""
    return re.findall(r"submitted with SLURM jobid (\d+)", log)


def test_every_job_but_the_local_rules_ran_through_slurm(runs):
    log = (runs["slurm"] / "run.log").read_text()
    remote = re.findall(r"^rule (\w+):", log, flags=re.M)
    local = set(re.findall(r"^localrule (\w+):", log, flags=re.M))
    ids = submitted(log)
    assert remote and len(ids) == len(remote)
    assert {"simulate", "sai", "train", "evaluate", "collect"} <= set(remote)
    assert all(r.startswith(("figure_", "table_")) or r == "all" for r in local)
    accounting = subprocess.run(
        ["timeout", "10", "sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(ids)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    states = dict(line.split("|") for line in accounting.stdout.split())
    assert set(states) == set(ids)
    assert set(states.values()) == {"COMPLETED"}, states


def test_training_went_to_the_gpu_partition(runs):
    """The profile's site section: learning rules on `gpu`, the rest on `cpu`."""
    log = (runs["slurm"] / "run.log").read_text()
    partitions = {}
    for rule, job in re.findall(r"rule_(\w+?)/\S+/(\d+)\.log", log):
        partitions[job] = rule
    accounting = subprocess.run(
        ["timeout", "10", "sacct", "-X", "-n", "-P", "-o", "JobID,Partition",
         "-j", ",".join(partitions)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in accounting.stdout.split():
        job, partition = line.split("|")
        expected = "gpu" if partitions[job] in ("train", "evaluate", "partition_search") else "cpu"
        assert partition == expected, (partitions[job], partition)


#: Results that carry (or descend from files that carry) training wall times.
TIMED = ("models", "eval", "collected", "probe", "search")


def same_dataset(a: Path, b: Path) -> None:
    """Equal arrays (wall times aside) and attrs, except the checksums of the inputs
    that carry wall times."""
    with xr.open_dataset(a) as x, xr.open_dataset(b) as y:
        assert set(x.variables) == set(y.variables), a
        for v in set(x.variables) - TIMINGS:
            np.testing.assert_array_equal(x[v].values, y[v].values, err_msg=f"{a}:{v}")
        checksums = [json.loads(d.attrs.pop("input_checksums", "{}")) for d in (x, y)]
        for checksum in checksums:
            for path in [p for p in checksum if Path(p).parts[1] in TIMED]:
                checksum.pop(path)
        assert checksums[0] == checksums[1], a
        assert x.attrs == y.attrs, a


def without_record(path: Path) -> str:
    """A table's Markdown copy or HTML page without its provenance record, whose input
    checksums cover collected datasets (and so the models' per-epoch wall times)."""
    text = path.read_text()
    text = re.sub(r"<!-- hampipe_provenance .*? -->", "", text)
    return re.sub(r'<meta name="hampipe_provenance" content="[^"]*">', "", text)


def test_outputs_equal_a_local_runs(runs):
    """Byte for byte, except what descends from model files, which carry per-epoch
    wall times: there the weights and every array and attribute must be equal."""
    results = {where: runs[where] / "results" for where in runs}
    files = sorted(
        p.relative_to(results["local"])
        for p in results["local"].rglob("*")
        if p.is_file()
        and "benchmarks" not in p.parts
        and p.suffix not in (".pdf", ".png", ".gif")
        and p.name != STAMP.name  # the run record: which config files, and when
    )
    assert {"data", "sai", "models", "eval", "collected", "figs", "tables"} <= {
        f.parts[0] for f in files
    }
    for name in files:
        local, slurm = results["local"] / name, results["slurm"] / name
        assert slurm.is_file(), f"{name} missing from the Slurm run"
        if name.suffix == ".pt":
            a, b = (torch.load(p, weights_only=True)["state_dict"] for p in (local, slurm))
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
        elif name.parts[0] in TIMED:
            same_dataset(local, slurm)
        elif name.suffix in (".md", ".html"):  # their record checksums timed inputs
            assert without_record(local) == without_record(slurm), f"{name} differs"
        else:
            assert filecmp.cmp(local, slurm, shallow=False), f"{name} differs"


def test_a_job_failing_inside_slurm_fails_the_run_naming_its_rule(runs):
    """A corrupt training split makes the `sai` job fail inside its Slurm allocation."""
    workdir = runs["slurm"]
    data = workdir / "results" / "data" / "spring" / "train.nc"
    data.write_bytes(data.read_bytes()[:200])  # truncated: newer than its outputs
    result = cluster(workdir, "results/sai/spring.nc", limit=240)
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"Error in rule sai", text), text[-3000:]
    ids = submitted(text)
    assert ids
    state = subprocess.run(
        ["timeout", "10", "sacct", "-X", "-n", "-P", "-o", "State", "-j", ids[-1]],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert state == ["FAILED"], state
    log = (workdir / "logs" / "sai" / "spring.log").read_text()
    assert "train.nc" in log
