"""``hampipe.plan.feasible``: a plan no cluster could finish is refused before any job."""

import pytest

from hampipe.core import ConfigError
from hampipe.plan import Plan, load_config
from hampipe.plan.config import SCHEMA
from tests.helpers import ROOT

#: Only HNN on the spring (every other system left out, and the tables that need them).
SPRING_HNN = {
    "experiments": {
        **{s: [] for s in ("pendulum", "two_body", "three_body", "billiard")},
        **{"pendulum4": [], "pendulum6": [], "spring": ["hnn"]},
    },
    "tables": {"ablation": None, "inseparable": None, "partition_search": None},
}


def plan(overrides: dict | None = None) -> Plan:
    return Plan.from_config(load_config(overrides=overrides, root=ROOT), ROOT / SCHEMA)


def refusal(overrides: dict) -> list[str]:
    """The problems of ``overrides``; the same config passes with limits.allow_huge."""
    with pytest.raises(ConfigError) as error:
        plan(overrides)
    assert plan({**overrides, "limits": {"allow_huge": True}}).config["limits"]["allow_huge"]
    assert all(
        p.endswith("or set limits.allow_huge: true to run it anyway") for p in error.value.problems
    )
    return error.value.problems


def test_the_papers_study_passes_with_room_to_grow():
    """config.yaml (356 CPU-days, 41 GPU-days) passes, and so does 30 times its seeds."""
    assert plan().config["limits"] == {"allow_huge": False}
    assert plan({"seeds": 100}).seeds == 100


def test_all_the_jobs_together_are_bounded():
    (problem,) = refusal({"seeds": 1000})
    assert problem.startswith("config keys 'seeds', 'experiments': the ")
    assert "(1000 seed(s) each) are estimated at " in problem
    assert "years of device time in all, the most in methods.sann_exp6 (training on " in problem
    assert "allowed: at most 10 years in all" in problem


def test_one_training_run_is_bounded_on_the_device_it_may_use():
    """A CPU-only run pays for the width's arithmetic; on a GPU it would not."""
    wide = {**SPRING_HNN, "methods": {"hnn": {"width": 65536}}}
    (problem,) = refusal({**wide, "device": "cpu"})
    assert problem.startswith("config key 'methods.hnn': training on spring (")
    assert "methods.hnn.width = 65536" in problem
    assert "systems.spring.trajectories.train = 50" in problem
    assert "per job; allowed: at most 1 year per job" in problem
    assert plan(wide).learner("hnn", "spring") == "hnn"  # device auto: the GPU's estimate


def test_an_ensemble_job_is_bounded_as_one_job_of_all_its_seeds():
    """Two runs estimated at 0.7 years each pass as two train jobs; in one ensemble job
    they are one job of 1.4 years, refused naming the ensemble key."""
    from hampipe.plan.feasible import MAX_JOB_SECONDS
    from hampipe.plan.resources import training_estimate

    def cpu_seconds(width: int) -> float:
        config = plan({**SPRING_HNN, "device": "cpu", "methods": {"hnn": {"width": width}}}).config
        return training_estimate(config, "spring", "hnn")["cpu"]

    # the CPU estimate is a + b width² (the arithmetic of depth layers of width²)
    low, high = cpu_seconds(256), cpu_seconds(4096)
    b = (high - low) / (4096**2 - 256**2)
    width = round(((0.7 * MAX_JOB_SECONDS - low) / b + 256**2) ** 0.5)
    seeds = {**SPRING_HNN, "device": "cpu", "seeds": 2}
    alone = {**seeds, "methods": {"hnn": {"width": width}}}
    assert 0.6 * MAX_JOB_SECONDS < cpu_seconds(width) < 0.8 * MAX_JOB_SECONDS
    assert plan(alone).seeds == 2  # passes
    (problem,) = refusal({**seeds, "methods": {"hnn": {"width": width, "ensemble": True}}})
    assert problem.startswith(
        "config key 'methods.hnn': training 2 seeds in one ensemble job on spring ("
    )
    assert "methods.hnn.ensemble = true) is estimated at 1.4 years per job" in problem


def test_an_evaluation_in_tiny_steps_is_bounded():
    (problem,) = refusal({**SPRING_HNN, "systems": {"spring": {"evaluation": {"step": 1e-9}}}})
    assert problem.startswith(
        "config key 'systems.spring.evaluation.step': evaluating on spring in steps of 1e-09 "
        "(100000000 per observed interval of systems.spring.dt = 0.1"
    )


def test_a_data_split_is_bounded():
    huge = {"trajectories": {"train": 1_000_000, "test": 30}, "steps": {"train": 100_000}}
    problems = refusal({**SPRING_HNN, "systems": {"billiard": huge}})
    assert problems[0].startswith(
        "config key 'systems.billiard.trajectories.train': 1000000 trajectories × 100000 "
        "time points (systems.billiard.steps.train) × 4 values (q and p of 2 dof) × 8 bytes "
        "is 2.91 TiB for the train split; allowed: at most 256 GiB per split"
    )
