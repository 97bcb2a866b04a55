"""hampipe.plan.guard: a run does not replace outputs made with config files it leaves out."""

from __future__ import annotations

import json

import pytest

from hampipe.core import ConfigError
from hampipe.plan.guard import (
    STAMP,
    check_results,
    config_digest,
    read_only,
    read_stamp,
    stamp_results,
)

QUICK = {"seed": 0, "seeds": 1, "systems": {"spring": {"steps": 10}}}
PAPER = {"seed": 0, "seeds": 5, "systems": {"spring": {"steps": 1000}}}


@pytest.fixture
def project(tmp_path):
    for name in ("config.yaml", "config.quick.yaml", "change.yaml"):
        (tmp_path / name).write_text("{}\n")
    return tmp_path


def files(project, *names):
    return [project / name for name in names]


def test_leaving_out_an_overlay_is_refused_naming_files_directory_and_override(project):
    stamp_results(files(project, "config.yaml", "config.quick.yaml"), QUICK, project)
    before = (project / STAMP).read_bytes()
    with pytest.raises(ConfigError) as caught:
        check_results(files(project, "config.yaml"), PAPER, project)
    message = str(caught.value)
    assert "leaves out config.quick.yaml" in message
    assert "config.yaml, config.quick.yaml" in message
    assert "--directory DIR" in message and "--config replace_results=True" in message
    assert (project / STAMP).read_bytes() == before  # a check writes nothing


def test_the_override_lets_it_through(project):
    stamp_results(files(project, "config.yaml", "config.quick.yaml"), QUICK, project)
    check_results(files(project, "config.yaml"), {**PAPER, "replace_results": True}, project)


def test_same_files_with_edited_values_or_an_added_overlay_are_allowed(project):
    stamp_results(files(project, "config.yaml", "config.quick.yaml"), QUICK, project)
    edited = {**QUICK, "seeds": 2}
    check_results(files(project, "config.yaml", "config.quick.yaml"), edited, project)
    added = files(project, "config.yaml", "config.quick.yaml", "change.yaml")
    check_results(added, edited, project)


def test_leaving_out_an_overlay_that_changes_nothing_is_allowed(project):
    stamp_results(files(project, "config.yaml", "config.quick.yaml"), QUICK, project)
    check_results(files(project, "config.yaml"), dict(QUICK), project)


def test_without_a_record_nothing_is_refused(project):
    check_results(files(project, "config.yaml"), PAPER, project)
    (project / STAMP).parent.mkdir(parents=True)
    (project / STAMP).write_text("{not json")
    assert read_stamp(project) is None
    check_results(files(project, "config.yaml"), PAPER, project)


def test_the_record_names_files_relative_to_the_project_so_a_copy_still_matches(project, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-overlay.yaml"
    outside.write_text("{}\n")
    path = stamp_results([*files(project, "config.yaml"), outside], QUICK, project)
    stamp = json.loads(path.read_text())
    assert stamp["configfiles"] == ["config.yaml", str(outside.resolve())]
    assert stamp["digest"] == config_digest(QUICK) != config_digest(PAPER)
    assert not list(path.parent.glob("*.tmp"))


def test_the_digest_ignores_the_override_and_private_keys():
    marked = {**QUICK, "replace_results": True, "_front_page": "text"}
    assert config_digest(marked) == config_digest(QUICK)


def test_lint_listings_and_unlock_are_read_only_and_runs_are_not():
    assert read_only(["snakemake", "--lint"]) and read_only(["snakemake", "--lint=json"])
    assert read_only(["snakemake", "--unlock"]) and read_only(["snakemake", "-l"])
    for argv in (["snakemake", "-n", "all"], ["snakemake", "--report", "r.html"], ["x"]):
        assert not read_only(argv)
