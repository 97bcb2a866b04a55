"""The workflow tests' shared run: the tiny overlay end to end, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflow.test_workflow import TINY, copy_project, snakemake


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """Run `all` once on the tiny overlay; later tests (test_workflow.py's dry runs,
    test_compliance.py's checks of every output) read or dry-run against its outputs."""
    workdir = copy_project(tmp_path_factory.mktemp("project"))
    snakemake(workdir, "all", "--configfile", *TINY)
    return workdir
