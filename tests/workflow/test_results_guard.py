"""After a run, a plan made without one of its overlays stops and leaves every file as it was."""

from __future__ import annotations

import shutil

import pytest

from tests.workflow.test_workflow import TINY, planned_jobs, snakemake


def snapshot(root):
    """Every file under ``root`` (but Snakemake's own lock and log folder): bytes and mtime."""
    return {
        path.relative_to(root): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and ".snakemake" not in path.parts
    }


@pytest.mark.slow
def test_leaving_out_the_overlay_stops_and_changes_nothing(tiny_run, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(tiny_run, project, symlinks=True)
    before = snapshot(project)
    assert (project / "results/.hampipe-run.json").is_file()  # written by the tiny run
    for args in (("-n", "all"), ("all",)):  # a dry run and a real one
        result = snakemake(project, *args, "--configfile", TINY[0], check=False)
        message = result.stdout + result.stderr
        assert result.returncode != 0, message[-2000:]
        assert f"leaves out {TINY[1]}" in message and "--directory DIR" in message
        assert "--config replace_results=True" in message
        assert "Traceback" not in message
        assert snapshot(project) == before
    # a lint plans and writes nothing: not refused
    assert snakemake(project, "--lint").returncode == 0
    # the same files plan nothing; the override plans the other config's jobs
    assert planned_jobs(snakemake(project, "-n", "all", "--configfile", *TINY)) == {}
    forced = snakemake(
        project, "-n", "all", "--configfile", TINY[0], "--config", "replace_results=True"
    )
    assert planned_jobs(forced)
    assert snapshot(project) == before
