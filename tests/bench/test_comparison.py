"""The GPU run's slice of the three-body comparison (``hampipe.bench.comparison``) at the
tiny scale on the CPU: the workflow's params, one record per stage with finite metrics
and the slice's label, skipped and failed methods recorded, the projection's arithmetic;
and the paper slice's config resolved to the paper's sizes and settings."""

import json
import math

import numpy as np
import pytest

from hampipe.bench import comparison, timeboxed
from hampipe.bench.workload import SCALES
from tests.helpers import ROOT

METRICS = {"energy_error", "last_step_mse", "test_mse", "derivative_mse", "energy_mse"}


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_paper_slice_is_config_yaml_at_the_papers_sizes_and_settings():
    plan, spec = comparison.slice_plan("paper", ROOT)
    assert spec.label == "paper-sized slice" and spec.test_trajectories == 100
    block = plan.config["systems"]["three_body"]
    assert (block["trajectories"], block["steps"]) == (
        {"train": 1000, "test": 300},
        {"train": 60, "test": 100},
    )
    assert plan.selection("three_body", "learners") == ["hnn", "srnn", "sann", "ode"]
    sann = plan.hyperparameters("sann", "three_body")
    assert (sann["width"], sann["batch_size"], sann["learning_rate"]) == (256, 1024, 1e-3)
    assert (sann["partitions"], sann["gamma"], sann["replication"]) == (
        {"nonstiff": 10, "stiff": 50},
        0.1,
        8,
    )
    assert plan.setting("sann", "three_body", "epochs") == 3000 and plan.seeds == 3
    assert set(comparison.SLICES) == set(SCALES)  # gpu runs the slice at its first scale


def test_tiny_slice_records_every_stage_with_finite_metrics(tmp_path):
    path = tmp_path / "comparison.jsonl"
    records = comparison.run(path, "tiny", seconds=120, device="cpu", root=ROOT)
    assert _lines(path) == json.loads(json.dumps(records))  # each written as it came
    assert all(r["scale"] == "tiny slice" for r in records)
    plan, _ = comparison.slice_plan("tiny", ROOT)
    stages = [(r["stage"], r.get("split") or r.get("method")) for r in records]
    assert stages == [
        ("simulate", "train"),
        ("simulate", "test"),
        ("sai", None),
        *[("method", m) for m in ("hnn", "srnn", "sann", "ode")],
        ("projection", None),
    ]
    train, test = records[0], records[1]
    assert (train["trajectories"], train["time_points"]) == (10, 10)
    assert (test["trajectories"], test["time_points"]) == (3, 12)
    assert train["seed"] == plan.seed("simulate", "three_body", "train")
    assert records[2]["intervals"] == 10 * 9
    methods = [r for r in records if r["stage"] == "method"]
    for r in methods:
        assert r["seed"] == plan.seed("train", "three_body", 0) and r["device"] == "cpu"
        assert r["epochs_configured"] == plan.setting(r["method"], "three_body", "epochs") == 3
        assert 1 <= r["epochs_run"] <= r["epochs_configured"]
        assert r["seconds_per_epoch"] > 0 and r["estimated_seconds_per_epoch"] > 0
        assert r["train_seconds"] > 0 and r["evaluate_seconds"] > 0
        assert r["settings"]["width"] == 8 and r["test_trajectories"] == 2
        assert set(r["metrics"]) == METRICS
        for name, m in r["metrics"].items():
            assert math.isfinite(m["mean"]) and m["mean"] >= 0, name
            assert m["trajectories"] == 2 - r["diverged"] and m["q25"] <= m["median"] <= m["q75"]
    assert methods[2]["settings"]["partitions"] == {"nonstiff": 10, "stiff": 50}
    assert methods[3]["prediction"]["integrator"] == "stormer_verlet"
    projection = records[-1]
    assert set(projection["methods"]) == {"hnn", "srnn", "sann", "ode"}
    assert projection["not_measured"] == []
    for name, p in projection["methods"].items():
        rate = next(r["seconds_per_epoch"] for r in methods if r["method"] == name)
        assert p["hours"] == pytest.approx(rate * 3 * projection["seeds"] / 3600)
    assert projection["hours"] == pytest.approx(
        sum(p["hours"] for p in projection["methods"].values())
    )
    table = comparison.format_table(records)
    assert "| sann | " in table and "Projected device time" in table


def test_a_spent_budget_skips_every_method_and_projects_nothing(tmp_path):
    records = comparison.run(tmp_path / "c.jsonl", "tiny", seconds=0, device="cpu", root=ROOT)
    methods = [r for r in records if r["stage"] == "method"]
    assert [(r["method"], r["skipped"]) for r in methods] == [
        (m, "budget") for m in ("hnn", "srnn", "sann", "ode")
    ]
    assert all("metrics" not in r for r in methods)
    assert records[-1]["methods"] == {} and records[-1]["hours"] == 0
    assert records[-1]["not_measured"] == ["hnn", "srnn", "sann", "ode"]
    assert "| sann | 0 / 3 | budget |" + "  |" * 7 + "\n" in comparison.format_table(records)
    assert records[0]["stage"] == "simulate"  # the data are made all the same


def test_a_method_too_slow_for_the_time_left_or_failing_is_recorded_and_the_rest_run(
    tmp_path, monkeypatch
):
    """An estimated epoch longer than the whole time left skips the method (its estimate
    still priced in the projection); one that raises is recorded as failed."""
    estimate = timeboxed.estimate_seconds_per_epoch
    train_and_evaluate = timeboxed.train_and_evaluate

    def slow_sann(learner, *args, **kwargs):
        return 1e6 if learner == "sann" else estimate(learner, *args, **kwargs)

    def failing_srnn(plan, system, entry, *args):
        if entry == "srnn":
            raise FloatingPointError("methods.srnn: loss became nan")
        return train_and_evaluate(plan, system, entry, *args)

    monkeypatch.setattr(comparison, "estimate_seconds_per_epoch", slow_sann)
    monkeypatch.setattr(comparison, "train_and_evaluate", failing_srnn)
    records = comparison.run(
        tmp_path / "c.jsonl", "tiny", 60, ("hnn", "srnn", "sann"), "cpu", root=ROOT
    )
    by_method = {r["method"]: r for r in records if r["stage"] == "method"}
    assert "metrics" in by_method["hnn"]
    assert by_method["srnn"]["failed"] == "FloatingPointError: methods.srnn: loss became nan"
    assert by_method["sann"]["skipped"] == "budget"
    assert by_method["sann"]["estimated_seconds_per_epoch"] == 1e6
    projected = records[-1]["methods"]
    assert set(projected) == {"hnn", "sann"} and records[-1]["not_measured"] == ["srnn"]
    assert projected["sann"]["seconds_per_epoch"] == 1e6
    assert projected["sann"]["from"] == "timed batches"


def test_unknown_methods_are_refused_naming_them(tmp_path):
    with pytest.raises(ValueError, match="methods snn not in the config's methods block"):
        comparison.run(tmp_path / "c.jsonl", "tiny", 1, ("snn",), "cpu", root=ROOT)
    with pytest.raises(ValueError, match="unknown scale 'huge'; valid: tiny, cpu, paper"):
        comparison.slice_plan("huge", ROOT)


def test_the_projection_prices_each_training_job_that_costs_a_measured_epoch():
    """The compared entries at their configured epochs × seeds; the variants differing
    only in epochs or noise at their learner's rate; the others listed, not priced."""
    plan, _ = comparison.slice_plan("paper", ROOT)
    record = comparison.projection(plan, {"hnn": (2.0, "trained epochs")}, "paper-sized slice")
    epochs = plan.setting("hnn", "three_body", "epochs")
    assert record["methods"]["hnn"]["hours"] == pytest.approx(2.0 * epochs * plan.seeds / 3600)
    priced = record["all_jobs"]["priced"]
    assert set(priced) == {"hnn", "hnn_e6k", "hnn_e10k", "hnn_e15k", "hnn_noise1", "hnn_noise5"}
    e6k = plan.setting("hnn_e6k", "three_body", "epochs")
    assert priced["hnn_e6k"]["hours"] == pytest.approx(2.0 * e6k * plan.seeds / 3600)
    assert {"sann", "srnn", "hnn_general"} <= set(record["all_jobs"]["not_priced"])
    assert "sann_exp5" not in record["all_jobs"]["not_priced"]  # it trains as sann
    assert record["all_jobs"]["runs"] == record["all_jobs"]["entries"] * plan.seeds


def test_epochs_fill_the_training_fraction_of_a_share_within_one_and_the_config():
    assert timeboxed.epochs_for(100.0, 1.0, 3000) == int(timeboxed.TRAIN_FRACTION * 100)
    assert timeboxed.epochs_for(100.0, 1.0, 5) == 5
    assert timeboxed.epochs_for(1.0, 50.0, 3000) == 1


def test_spread_is_the_summary_mean_and_the_per_trajectory_spread():
    cells = np.array([[1.0, 3.0], [2.0, np.nan], [5.0, 7.0]])
    per = np.nanmean(cells, axis=1, keepdims=False)
    per[1] = np.nan  # the diverged rollout
    out = timeboxed.spread(cells, per)
    assert out["mean"] == pytest.approx(np.mean([1, 3, 2, 5, 7]))
    assert out["trajectories"] == 2 and out["median"] == pytest.approx(4.0)
    assert out["std"] == pytest.approx(np.std([2.0, 6.0], ddof=1))
