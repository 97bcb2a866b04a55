"""The ``peers`` block: its published file, its checks before any job, its selection and
outputs (the overlay peers/hnn_two_body.yaml as the example)."""

from __future__ import annotations

import pytest
import yaml

from hampipe.core import ConfigError
from hampipe.plan import Plan, load_config
from hampipe.plan.peers import PEER_METRICS, peer_entries, read_published
from tests.helpers import ROOT

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
OVERLAY = "peers/hnn_two_body.yaml"
ENTRIES = ["hnn_2body_peer", "hnn_2body_hampipe", "baseline_2body_peer", "baseline_2body_hampipe"]


def test_published_file_is_read_with_uncertainties():
    published = read_published(ROOT / "peers/published.yaml")
    two_body = published["hnn_two_body"]
    assert "Greydanus" in two_body["source"]
    assert two_body["rows"]["hnn"]["derivative_mse"] == [2.8218e-6, 4.20e-8]
    # a bare value is read as [value, None]
    assert published["dgnet_spring"]["rows"]["srnn_leapfrog"]["energy_mse"] == [6.90e-4, None]
    for comparison in published.values():
        for row in comparison["rows"].values():
            assert {k for k in row if k != "label"} <= set(PEER_METRICS)


def test_a_bad_published_file_names_the_entry(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"x": {"source": "s", "rows": {"a": {"label": "A",
                                    "derivative_mse": -1.0}}}}))  # fmt: skip
    with pytest.raises(ValueError, match=r"p.yaml: entry 'x.rows.a.derivative_mse'"):
        read_published(path)
    with pytest.raises(FileNotFoundError, match="no published-numbers file"):
        read_published(tmp_path / "missing.yaml")


def test_overlay_plans_the_peer_runs_table_and_figure():
    config = load_config("config.yaml", OVERLAY, root=ROOT)
    plan = Plan.from_config(config, SCHEMA)
    assert peer_entries(plan.config, "two_body") == ENTRIES
    assert plan.selection("two_body", "peers") == ENTRIES
    assert plan.selection("spring", "peers") == []
    assert plan.peer_outputs() == [
        "results/tables/peers.csv",
        "results/tables/peers.md",
        "results/figs/peers.pdf",
    ]
    assert len(plan.evaluations("two_body", "peers")["hnn_2body_peer"]) == 5  # seeds: 5
    assert "results/tables/peers.csv" in plan.final_outputs()


def test_without_comparisons_there_is_nothing_to_make():
    plan = Plan.from_config(load_config("config.yaml", root=ROOT), SCHEMA)
    assert plan.peer_outputs() == []
    assert "peers" not in plan.tables()
    assert "results/figs/peers.pdf" not in plan.final_outputs()


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"comparisons": {"hnn_two_body": {"system": "two_bdy"}}},
            "'peers.comparisons.hnn_two_body.system': no such system 'two_bdy'",
        ),
        (
            {"comparisons": {"hnn_two_body": {"rows": {"hnn": {"peer": "hnn_2body_per"}}}}},
            "'peers.comparisons.hnn_two_body.rows.hnn.peer'",
        ),
        (
            {
                "comparisons": {
                    "hnn_three_body": {"system": "two_body", "rows": {"hnn": {"peer": "hnn"}}}
                }
            },
            "has no comparison 'hnn_three_body'; allowed: hnn_two_body, dgnet_spring",
        ),
        (
            {"comparisons": {"hnn_two_body": {"rows": {"sann": {"peer": "hnn"}}}}},
            "has no row 'sann' in 'hnn_two_body'; allowed: baseline, hnn",
        ),
        ({"published": "peers/nothing.yaml"}, "'peers.published': no published-numbers file"),
        ({"bands": {"energy_mse": 0.5}}, "'peers.bands.energy_mse'"),
    ],
)
def test_a_bad_peers_block_stops_before_any_job(change, message):
    with pytest.raises(ConfigError) as error:
        load_config("config.yaml", OVERLAY, overrides={"peers": change}, root=ROOT)
    assert message in str(error.value), str(error.value)
