"""``python -m hampipe.bench ground_truth``: the JSON lines of a system's simulate jobs."""

import json
from types import SimpleNamespace

import pytest

from hampipe.bench import ground_truth
from hampipe.bench.__main__ import main
from hampipe.plan import load_config
from hampipe.systems import split_initial_state
from tests.helpers import ROOT

#: The tiny overlay of the workflow test: three-body with 6 + 3 trajectories.
TINY = ["config.yaml", ".test/config.yaml"]


def test_prints_one_json_line_per_split_and_a_total(capsys):
    argv = ["ground_truth", "three_body", "--configfile", *TINY, "--workers", "1"]
    assert main([*argv, "--root", str(ROOT)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    spec = load_config(*TINY, root=ROOT)["systems"]["three_body"]
    assert [line.get("split") for line in lines] == ["train", "test", None]
    for record, split in zip(lines[:2], ["train", "test"], strict=True):
        assert record == {
            "system": "three_body",
            "split": split,
            "trajectories": spec["trajectories"][split],
            "time_points": spec["steps"][split],
            "workers": 1,
            "seconds": pytest.approx(record["seconds"]),
            "n_resampled": record["n_resampled"],
            "max_relative_energy_drift": record["max_relative_energy_drift"],
        }
        assert record["seconds"] >= 0 and record["n_resampled"] >= 0
        assert 0 <= record["max_relative_energy_drift"] <= spec["ground_truth"]["max_energy_drift"]
    assert lines[-1] == {"system": "three_body", "total_seconds": lines[-1]["total_seconds"]}
    assert lines[-1]["total_seconds"] == pytest.approx(
        lines[0]["seconds"] + lines[1]["seconds"], abs=0.011
    )


def test_an_unknown_system_or_a_missing_file_is_an_error(capsys, tmp_path):
    assert main(["ground_truth", "three_bdy", "--root", str(ROOT)]) == 1
    err = capsys.readouterr().err
    assert "no system 'three_bdy' in the config (did you mean 'three_body'?)" in err
    assert main(["ground_truth", "three_body", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"config file {tmp_path / 'config.yaml'} not found" in err and "--root" in err


def test_each_split_is_simulated_from_its_own_initial_states(monkeypatch):
    """A system with ``test_initial_state`` (DGNet's spring in the peers overlay): the
    test split starts from that recipe, as the workflow's simulate job does."""
    seen = []

    def record(system, *args, **kwargs):  # the recipe is what is checked: no simulation
        seen.append(dict(system.initial_state))
        sizes = {"trajectory": args[0], "time": args[1]}
        return SimpleNamespace(
            sizes=sizes, attrs={"n_resampled": 0, "max_relative_energy_drift": 0}
        )

    monkeypatch.setattr(ground_truth, "simulate", record)
    files = ["config.yaml", "peers/dgnet_spring.yaml"]
    list(ground_truth.run("dgnet_spring", files, workers=1, root=ROOT))
    spec = load_config(*files, root=ROOT)["systems"]["dgnet_spring"]
    for state, split in zip(seen, ["train", "test"], strict=True):
        for key, value in split_initial_state(spec, split).items():
            assert state[key] == value, (split, key)
    assert seen[0] != seen[1]  # the test recipe differs (radius [0.2, 1.0], a box)
