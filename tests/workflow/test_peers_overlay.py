"""A peer overlay end to end at a tiny size: ``snakemake peers`` with
peers/hnn_two_body.yaml trains and evaluates its four entries, writes the peers table
with the published numbers beside ours, and draws its figure."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from hampipe.plan.peers import read_published
from tests.workflow.test_workflow import assert_figure, copy_project, planned_jobs, snakemake

#: The overlay shrunk to seconds: two seeds, a few orbits, two epochs of a narrow net.
SHRINK = {
    "seeds": 2,
    "systems": {"two_body": {"trajectories": {"train": 4, "test": 2}}},
    "methods": {"hnn_2body_peer": {"width": 8, "epochs": 2, "batch_size": 64}},
}


@pytest.mark.slow
def test_tiny_peer_overlay_end_to_end(tmp_path):
    workdir = copy_project(tmp_path)
    (workdir / "shrink.yaml").write_text(yaml.safe_dump(SHRINK))
    overlays = ("--configfile", "peers/hnn_two_body.yaml", "shrink.yaml")
    jobs = planned_jobs(snakemake(workdir, "-n", "peers", *overlays))
    # the two splits, 4 entries x 2 seeds trained and evaluated, nothing of config.yaml's
    assert jobs == {
        "simulate": 2, "train": 8, "evaluate": 8, "collect": 1,
        "table_peers": 1, "figure_peers": 1, "peers": 1,
    }  # fmt: skip
    snakemake(workdir, "peers", *overlays)
    table = pd.read_csv(workdir / "results/tables/peers.csv")
    published = read_published(workdir / "peers/published.yaml")["hnn_two_body"]["rows"]
    assert len(table) == 2 * 2 * 2  # rows hnn, baseline x 2 metrics x 2 recipes
    for r in table.itertuples():
        assert r.published == published[r.row][r.metric][0]
        assert r.seeds == 2 and r.ours > 0
        assert r.ratio == pytest.approx(r.ours / r.published)
        assert r.within_band == (1 / r.band <= r.ratio <= r.band)
    assert set(table.entry) == {
        "hnn_2body_peer", "hnn_2body_hampipe", "baseline_2body_peer", "baseline_2body_hampipe",
    }  # fmt: skip
    assert (workdir / "results/tables/peers.md").read_text().startswith("|")
    assert_figure(workdir, "peers")
    # done: nothing left to plan
    assert planned_jobs(snakemake(workdir, "-n", "peers", *overlays)) == {}
