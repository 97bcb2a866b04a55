"""The tiny run's outputs: every NetCDF file is CF-1.10 clean, and every output (NetCDF,
model, figure) names the job that made it; the jobs' logs hold progress lines, no bars."""

from __future__ import annotations

import json

import pytest

from hampipe.__main__ import read_provenance
from hampipe.core.provenance import file_checksum
from tests.data.test_io import cf_problems

#: results/<folder> → the rule writing the NetCDF files there.
NETCDF_RULES = {
    "data": "simulate",
    "sai": "sai",
    "eval": "evaluate",
    "probe": "probe",
    "search": "partition_search",
    "drift": "integrator_drift",
    "collected": "collect",
}


def netcdf_files(workdir):
    return sorted((workdir / "results").rglob("*.nc"))


@pytest.mark.slow
def test_every_netcdf_file_is_cf_1_10_clean(tiny_run):
    files = netcdf_files(tiny_run)
    assert {path.relative_to(tiny_run / "results").parts[0] for path in files} == set(NETCDF_RULES)
    problems = {str(path.relative_to(tiny_run)): cf_problems(path) for path in files}
    assert {name: found for name, found in problems.items() if found} == {}


def assert_inputs_match(workdir, record, name):
    """The record's input checksums are those of the run's files as they are now."""
    for path, checksum in record["input_checksums"].items():
        assert file_checksum(workdir / path) == checksum, (name, path)


@pytest.mark.slow
def test_every_output_names_the_job_that_made_it(tiny_run):
    for path in netcdf_files(tiny_run):
        name = str(path.relative_to(tiny_run))
        record = read_provenance(path)
        assert record["rule"] == NETCDF_RULES[path.relative_to(tiny_run / "results").parts[0]]
        assert record["params_hash"].startswith("sha256:"), name
        assert_inputs_match(tiny_run, record, name)
        if record["rule"] != "simulate":
            assert record["input_checksums"], name
        assert f"/{record['wildcards']['system']}" in name, name
    for path in sorted((tiny_run / "results/models").rglob("*.pt")):
        record = read_provenance(path)
        assert record["rule"] == "train" and record["wildcards"]["seed"] == "0"
        assert_inputs_match(tiny_run, record, path.name)
    figures = sorted((tiny_run / "results/figs").glob("*.p[dn][fg]"))
    assert len(figures) > 60
    for path in figures:
        record = read_provenance(path)
        assert record["rule"].startswith("figure_"), path.name
        assert_inputs_match(tiny_run, record, path.name)


@pytest.mark.slow
def test_logs_hold_the_job_and_progress_lines_not_bars(tiny_run):
    logs = sorted((tiny_run / "logs").rglob("*.log"))
    assert logs
    for path in logs:
        text = path.read_text()
        assert "\r" not in text, path
        assert " rule " in text.splitlines()[0], path  # start_job's line comes first
    simulate = (tiny_run / "logs/simulate/spring/train.log").read_text()
    assert "simulate: 4/4 (100%)" in simulate
    data = read_provenance(tiny_run / "results/data/spring/train.nc")
    assert json.dumps(data["input_checksums"]) == "{}"
