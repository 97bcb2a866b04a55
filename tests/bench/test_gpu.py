"""``python -m hampipe.bench gpu``, the prepared run for a GPU machine, at the tiny scale
on the CPU: every file it promises, FLOP/s consistent with the timed products, the budget
and a failing stage recorded rather than losing what was measured."""

import json

import pytest

from hampipe.bench import gpu
from hampipe.bench.__main__ import main
from tests.helpers import ROOT


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tiny_run_writes_every_number(tmp_path):
    failures = gpu.run(
        tmp_path,
        scales=("tiny",),
        methods=("hnn", "srnn"),
        device="cpu",
        repeats=1,
        root=ROOT,
        matmul_shapes=((32, 16, 8),),
        ensemble={
            "methods": ("hnn",),
            "sizes": (1, 2),
            "trajectories": 4,
            "steps": 8,
            "epochs": 1,
            "settings": {"width": 8, "batch_size": 16},
        },
        comparison={"seconds": 60, "scale": None, "methods": ("hnn", "sann")},
    )
    assert failures == 0
    env = json.loads((tmp_path / "environment.json").read_text())
    assert env["device"] == "cpu" and env["torch_version"]
    products = _lines(tmp_path / "matmul.jsonl")
    assert [(p["m"], p["k"], p["n"], p["dtype"]) for p in products] == [
        (32, 16, 8, "float32"),
        (32, 16, 8, "bfloat16"),
    ]
    for p in products:
        # FLOP/s × seconds per product = 2·m·k·n, the operations of one product.
        assert p["flops_per_second"] * p["seconds_per_product"] == pytest.approx(2 * 32 * 16 * 8)
    records = _lines(tmp_path / "train_tiny.jsonl")
    assert [r["method"] for r in records] == ["hnn", "srnn"]
    assert all(r["seconds_per_epoch"] > 0 and r["reference_seconds_per_epoch"] > 0 for r in records)
    ensemble = _lines(tmp_path / "ensemble.jsonl")
    assert [(r["method"], r["members"], r["width"], r["device"]) for r in ensemble] == [
        ("hnn", 1, 8, "cpu"),
        ("hnn", 2, 8, "cpu"),
    ]
    assert all(
        r["speedup"] == pytest.approx(r["separate_fits_s"] / r["ensemble_s"]) for r in ensemble
    )
    compared = [r for r in _lines(tmp_path / "comparison.jsonl") if r["stage"] == "method"]
    # the slice runs at the first scale's sizes, every record labelled with it
    assert [(r["method"], r["scale"], r["device"]) for r in compared] == [
        ("hnn", "tiny slice", "cpu"),
        ("sann", "tiny slice", "cpu"),
    ]
    assert all(r["epochs_run"] >= 1 and r["metrics"]["energy_error"]["mean"] >= 0 for r in compared)
    summary = (tmp_path / "summary.md").read_text()
    assert "## Training step, scale tiny" in summary and "failures: 0" in summary
    assert "## Three-body comparison, tiny slice" in summary and "| sann | 3 / 3 |" in summary
    assert "## Ensemble" in summary and "| hnn | 2 | 8 |" in summary
    assert "hnn" in (tmp_path / "log.txt").read_text()


def test_budget_skips_methods_and_a_failing_stage_keeps_the_rest(tmp_path):
    """Past the budget no method starts (recorded as skipped); a scale whose config is
    missing fails alone, after the others were written."""
    failures = gpu.run(
        tmp_path,
        scales=("tiny",),
        methods=("hnn",),
        device="cpu",
        budget=0,
        root=ROOT,
        matmul_shapes=((8, 8, 8),),
    )
    assert failures == 0
    assert _lines(tmp_path / "train_tiny.jsonl") == [
        {"method": "hnn", "scale": "tiny", "skipped": "budget"}
    ]
    assert not (tmp_path / "ensemble.jsonl").exists()  # past the budget too
    assert "## Ensemble\n\nskipped: budget" in (tmp_path / "summary.md").read_text()
    assert _lines(tmp_path / "comparison.jsonl") == [{"scale": "tiny slice", "skipped": "budget"}]
    assert "comparison, tiny slice\n\nskipped: budget" in (tmp_path / "summary.md").read_text()
    argv = ["gpu", "--out", str(tmp_path / "b"), "--scale", "tiny", "--device", "cpu"]
    assert main([*argv, "--matmul", "8", "8", "8", "--root", str(tmp_path)]) == 1
    assert (tmp_path / "b" / "matmul.jsonl").read_text()
    assert "train tiny data: failed" in (tmp_path / "b" / "summary.md").read_text()
    assert "comparison: failed" in (tmp_path / "b" / "summary.md").read_text()
    assert "FileNotFoundError" in (tmp_path / "b" / "log.txt").read_text()
    argv = ["gpu", "--out", str(tmp_path / "c"), "--scale", "tiny", "--device", "cpu"]
    assert (
        main([*argv, "--matmul", "8", "8", "8", "--budget", "0", "--comparison-seconds", "0"]) == 0
    )
    assert not (tmp_path / "c" / "comparison.jsonl").exists()  # no share: no stage


def test_the_comparison_share_is_kept_for_last_under_a_budget(tmp_path):
    """With the budget no larger than the comparison's share, the benchmark and the
    ensemble start nothing, and the comparison still runs, time-boxed to what is left."""
    failures = gpu.run(
        tmp_path,
        scales=("tiny",),
        methods=("hnn",),
        device="cpu",
        budget=30,
        root=ROOT,
        matmul_shapes=((8, 8, 8),),
        comparison={"seconds": 30, "scale": "tiny", "methods": ("hnn",)},
    )
    assert failures == 0
    assert _lines(tmp_path / "train_tiny.jsonl") == [
        {"method": "hnn", "scale": "tiny", "skipped": "budget"}
    ]
    assert not (tmp_path / "ensemble.jsonl").exists()
    (hnn,) = [r for r in _lines(tmp_path / "comparison.jsonl") if r["stage"] == "method"]
    assert hnn["epochs_run"] >= 1 and 0 < hnn["seconds_share"] <= 30
