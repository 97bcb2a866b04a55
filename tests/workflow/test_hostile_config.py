"""Through the real workflow: a config file Snakemake reads leniently, or a plan no
cluster could finish, stops ``snakemake -n`` with the one clean ``hampipe:`` message."""

from __future__ import annotations

import pytest

from tests.workflow.test_workflow import copy_project, snakemake

BOMB = "a: &a [l, l, l, l, l, l, l, l, l, l]\n" + "".join(
    f"{level}: &{level} [{', '.join([f'*{below}'] * 10)}]\n"
    for below, level in zip("abcdefgh", "bcdefghi", strict=True)
)
CASES = {
    "repeated_key": (
        "methods:\n  sann:\n    epochs: 10\n    epochs: 20\n",
        "bad.yaml: line 4: config key 'methods.sann.epochs': given twice in one mapping",
    ),
    "alias_bomb": (BOMB, "expands to more than 100000 values through its aliases"),
    "years_of_training": (
        "methods: {sann: {epochs: 1000000}}\n",
        "years of device time in all, the most in methods.sann_exp6",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(("overlay", "expected"), CASES.values(), ids=CASES.keys())
def test_a_hostile_overlay_stops_the_dry_run_cleanly(tmp_path, overlay, expected):
    workdir = copy_project(tmp_path)
    (workdir / "bad.yaml").write_text(overlay)
    result = snakemake(workdir, "-n", "all", "--configfile", "bad.yaml", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "hampipe: invalid config (1 problem(s)):" in output
    assert expected in output
    assert "Traceback" not in output
    assert not (workdir / "results").exists()
