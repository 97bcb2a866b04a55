"""Jobs' threads, memory, run time and GPUs scale with the config's sizes."""

import copy

import pytest

from hampipe.plan import job_resources, load_config
from tests.helpers import ROOT


def config(overrides: dict | None = None) -> dict:
    """``config.yaml`` with ``overrides`` merged in, checked as the workflow checks it."""
    return load_config("config.yaml", overrides=overrides, root=ROOT)


PAPER = config()
QUICK = load_config("config.yaml", "config.quick.yaml", root=ROOT)
JOBS = {
    "simulate": {"system": "three_body", "split": "train"},
    "sai": {"system": "three_body"},
    "train": {"system": "three_body", "method": "sann", "seed": "0"},
    "train_ensemble": {"system": "three_body", "method": "sann"},
    "partition_search": {"system": "three_body", "method": "sann"},
    "evaluate": {"system": "three_body", "method": "sann", "seed": "0"},
    "probe": {"system": "billiard", "method": "sann", "seed": "0", "kind": "potential"},
    "collect": {"system": "three_body", "selection": "all"},
    "integrator_drift": {"system": "spring"},
    "figure": {"system": "three_body"},
    "figure_animation": {"system": "three_body"},
    "table": {},
}


@pytest.mark.parametrize("rule", list(JOBS))
@pytest.mark.parametrize("cfg", [PAPER, QUICK], ids=["paper", "quick"])
def test_every_rule_gets_a_positive_request(rule, cfg):
    request = job_resources(cfg, rule, JOBS[rule])
    assert request.threads >= 1 and request.mem_mb >= 512 and request.runtime >= 10
    assert request.gpu == 0  # device: auto declares no GPU


@pytest.mark.parametrize("rule", list(JOBS))
def test_a_retry_asks_for_more_memory_and_time(rule):
    first, second = (job_resources(PAPER, rule, JOBS[rule], attempt) for attempt in (1, 2))
    assert second.mem_mb == pytest.approx(2 * first.mem_mb, abs=1)
    assert second.runtime >= 2 * first.runtime - 1
    assert second.threads == first.threads


def test_simulation_scales_with_the_trajectories():
    small, large = (
        job_resources(config({"systems": {"three_body": {"trajectories": {"train": n}}}}),
                      "simulate", JOBS["simulate"])
        for n in (50, 1600)
    )  # fmt: skip
    assert small.threads == 1 and large.threads == 16
    assert large.mem_mb > small.mem_mb


def test_training_threads_follow_the_network_size():
    """Quick-scale networks train on one thread (two jobs share a 2-core laptop); the
    papers' width-256 networks take eight."""
    assert job_resources(QUICK, "train", JOBS["train"]).threads == 1
    assert job_resources(PAPER, "train", JOBS["train"]).threads == 8


def test_training_time_grows_with_epochs_and_data():
    base = job_resources(PAPER, "train", JOBS["train"]).runtime
    longer = config({"methods": {"sann": {"epochs": 6000}}})
    more = config({"systems": {"three_body": {"trajectories": {"train": 2000}}}})
    assert job_resources(longer, "train", JOBS["train"]).runtime > 1.9 * base - 10
    assert job_resources(more, "train", JOBS["train"]).runtime > 1.9 * base - 10
    assert job_resources(QUICK, "train", JOBS["train"]).runtime < base


def test_an_ensemble_job_asks_for_the_time_and_data_of_all_its_seeds():
    """One train_ensemble job holds every seed's run: costed as the runs one after
    another (no vectorisation gain assumed), on one run's threads."""
    ensemble = config({"methods": {"sann": {"ensemble": True}}})
    alone = job_resources(ensemble, "train", JOBS["train"])
    together = job_resources(ensemble, "train_ensemble", JOBS["train_ensemble"])
    seeds = ensemble["seeds"]
    assert seeds == 3 and together.threads == alone.threads
    assert together.runtime - 10 == pytest.approx(seeds * (alone.runtime - 10), abs=seeds)
    assert together.mem_mb > alone.mem_mb
    more = config({"seeds": 6, "methods": {"sann": {"ensemble": True}}})
    assert job_resources(more, "train_ensemble", JOBS["train_ensemble"]).runtime > together.runtime


@pytest.mark.parametrize("rule", list(JOBS))
def test_cuda_asks_for_a_gpu_for_learning_rules_only(rule):
    cuda = copy.deepcopy(PAPER)
    cuda["device"] = "cuda"
    request = job_resources(cuda, rule, JOBS[rule])
    learning = ("train", "train_ensemble", "partition_search", "evaluate")
    assert request.gpu == (1 if rule in learning else 0)
    if request.gpu:
        on_cpu = job_resources(PAPER, rule, JOBS[rule])
        assert request.mem_mb > on_cpu.mem_mb  # the CUDA context's host memory
        assert request.runtime <= on_cpu.runtime


def test_training_estimates_count_sub_steps_replication_and_windows():
    """SANN's K-fold stiff intervals at S = 50 cost more than SRNN's S = 10, on the CPU and
    on a GPU; a window of W intervals costs W times one."""
    cuda = copy.deepcopy(PAPER)
    cuda["device"] = "cuda"
    for cfg in (PAPER, cuda):
        runtime = {
            m: job_resources(cfg, "train", {**JOBS["train"], "method": m}).runtime
            for m in ("hnn", "srnn", "sann")
        }
        assert runtime["sann"] > 3 * runtime["srnn"] > 3 * runtime["hnn"]
    windowed = config({"methods": {"srnn": {"window": 4}}})
    one, four = (
        job_resources(cfg, "train", {**JOBS["train"], "method": "srnn"}).runtime
        for cfg in (PAPER, windowed)
    )
    assert four - 10 == pytest.approx(4 * (one - 10), rel=0.05)


def test_training_estimates_match_measured_and_published_epochs():
    """The calibration: the quick run's SANN three-body epoch (0.398 s measured on the
    2-core machine, docs/results.md Table 1 Exp. 5) and the SANN paper's GPU epoch
    (32.35 s, its Table 1 Exp. 5), each within a factor of 1.5."""
    from hampipe.core.methods import resolve_method
    from hampipe.plan.learners import LEARNERS
    from hampipe.plan.resources import training_seconds

    for cfg, cuda, measured in ((QUICK, False, 0.398), (PAPER, True, 32.35)):
        learner, resolved = resolve_method(cfg["methods"], "sann", "three_body")
        settings = LEARNERS[learner].typed(resolved, "methods.sann")
        system = cfg["systems"]["three_body"]
        intervals = system["trajectories"]["train"] * (system["steps"]["train"] - 1)
        per_epoch = training_seconds(learner, settings, intervals, 1, cuda) / settings.epochs
        assert measured / 1.5 < per_epoch < measured * 1.5
