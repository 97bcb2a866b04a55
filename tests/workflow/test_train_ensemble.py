"""``methods.<entry>.ensemble``: an entry's seeds train in one ``train_ensemble`` job."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.workflow.test_workflow import TINY, copy_project, planned_jobs, snakemake

#: hnn on; its variants that the tiny run lists (hnn_exact, hnn_general) off again.
HNN_ENSEMBLE = {
    "hnn": {"ensemble": True},
    "hnn_exact": {"ensemble": False},
    "hnn_general": {"ensemble": False},
}


def plan(workdir, name: str, overlay: dict, *targets: str) -> tuple[dict[str, int], str]:
    """Dry-run ``targets`` (default ``all``) on the tiny overlay plus ``overlay``."""
    (workdir / name).write_text(yaml.safe_dump(overlay))
    result = snakemake(workdir, "-n", *(targets or ("all",)), "--configfile", *TINY, name)
    return planned_jobs(result), result.stdout + result.stderr


def jobs_of(text: str, rule: str) -> list[str]:
    """The ``output:`` lines of the planned jobs of ``rule``."""
    return re.findall(rf"^rule {rule}:\n(?:    .*\n)*?    output: (.*)$", text, flags=re.M)


def test_an_ensemble_entry_trains_in_one_job_per_system(tmp_path):
    """hnn (listed for the spring and the three-body) with ``ensemble: true``: one
    train_ensemble job per system makes both seeds' model files, no train job makes
    one, and every other job of the plan is as before."""
    workdir = copy_project(tmp_path)
    before, _ = plan(workdir, "before.yaml", {"seeds": 2})
    after, text = plan(workdir, "after.yaml", {"seeds": 2, "methods": HNN_ENSEMBLE})
    assert sorted(jobs_of(text, "train_ensemble")) == [
        f"results/models/{system}/hnn/seed0.pt, results/models/{system}/hnn/seed1.pt"
        for system in ("spring", "three_body")
    ]
    assert not [out for out in jobs_of(text, "train") if "/hnn/" in out]
    assert "logs/train_ensemble/spring/hnn.log" in text
    assert "results/benchmarks/train_ensemble/three_body/hnn.tsv" in text
    assert after.pop("train_ensemble") == 2
    assert after == {**before, "train": before["train"] - 4}


def test_ensemble_per_system_and_shared_trainings(tmp_path):
    """Per system like any key: sann's billiard seeds train together, its three-body
    seeds alone; an entry that trains as sann (sann_exp5) reads the ensemble's files."""
    workdir = copy_project(tmp_path)
    overlay = {"seeds": 2, "methods": {"sann": {"per_system": {"billiard": {"ensemble": True}}}}}
    _, text = plan(workdir, "billiard.yaml", overlay)
    assert jobs_of(text, "train_ensemble") == [
        "results/models/billiard/sann/seed0.pt, results/models/billiard/sann/seed1.pt"
    ]
    assert "results/models/three_body/sann/seed1.pt" in jobs_of(text, "train")
    # sann_exp5 inherits sann's ensemble and still shares sann's training
    _, text = plan(workdir, "all_sann.yaml", {"seeds": 2, "methods": {"sann": {"ensemble": True}}})
    ensembles = jobs_of(text, "train_ensemble")
    assert any(out.startswith("results/models/three_body/sann/seed0.pt") for out in ensembles)
    assert not any("sann_exp5" in out for out in ensembles + jobs_of(text, "train"))
    # sann_exp5 alone in an ensemble no longer trains as sann: how a model trains is part
    # of what it is (the last bits of its weights)
    overlay = {"seeds": 2, "methods": {"sann_exp5": {"ensemble": True}}}
    _, text = plan(workdir, "exp5.yaml", overlay)
    assert jobs_of(text, "train_ensemble") == [
        "results/models/three_body/sann_exp5/seed0.pt, results/models/three_body/sann_exp5/seed1.pt"
    ]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_ensemble_value_stops_before_any_job(tmp_path, value):
    workdir = copy_project(tmp_path)
    (workdir / "bad.yaml").write_text(yaml.safe_dump({"methods": {"srnn": {"ensemble": value}}}))
    result = snakemake(workdir, "-n", "all", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "config key 'methods.srnn.ensemble'" in result.stdout + result.stderr
    assert not (workdir / "results").exists()


@pytest.mark.slow
def test_an_ensemble_job_writes_every_seeds_model_file(tmp_path):
    """A real run: billiard's sann, 2 seeds in one job; its files are evaluated as a
    train job's; switching ensemble off retrains those seeds with train."""
    import torch

    workdir = copy_project(tmp_path)
    overlay = {"seeds": 2, "methods": {"sann": {"ensemble": True}}}
    (workdir / "ensemble.yaml").write_text(yaml.safe_dump(overlay))
    target = "results/eval/billiard/sann/seed1.nc"
    snakemake(workdir, target, "--configfile", *TINY, "ensemble.yaml")
    for i in range(2):
        payload = torch.load(
            workdir / f"results/models/billiard/sann/seed{i}.pt", weights_only=True
        )
        assert payload["method"] == "sann" and payload["system"] == "billiard"
        record = payload["provenance"]
        assert record["rule"] == "train_ensemble"
        assert record["wildcards"] == {"system": "billiard", "method": "sann", "seed": str(i)}
        assert len(payload["history"]["loss"]) == 2  # the tiny billiard sann's epochs
    assert (workdir / "logs/train_ensemble/billiard/sann.log").stat().st_size > 0
    assert (workdir / "results/benchmarks/train_ensemble/billiard/sann.tsv").is_file()
    assert not (workdir / "results/checkpoints/billiard/sann").exists()
    assert (workdir / target).is_file()
    assert planned_jobs(snakemake(workdir, "-n", target, "--configfile", *TINY,
                                  "ensemble.yaml")) == {}  # fmt: skip
    overlay["methods"]["sann"]["ensemble"] = False
    (workdir / "ensemble.yaml").write_text(yaml.safe_dump(overlay))
    result = snakemake(workdir, "-n", "results/eval/billiard/sann/seed0.nc", "--configfile", *TINY,
                       "ensemble.yaml")  # fmt: skip
    assert planned_jobs(result) == {"train": 1, "evaluate": 1}
