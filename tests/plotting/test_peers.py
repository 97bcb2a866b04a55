"""The peers table and figure (our baselines beside their published numbers), on the
synthetic evaluations of ``fakes.py`` and numbers worked out by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from hampipe.plotting import TABLES
from hampipe.plotting.peers import geometric_summary, peers_figure

COMPARISONS = {
    "toy": {
        "system": "two_body",
        "rows": {"a": {"peer": "srnn", "hampipe": "sann"}, "b": {"peer": "hnn"}},
    }
}
PUBLISHED = {
    "toy": {
        "source": "a made-up paper",
        "rows": {
            "a": {"label": "A", "derivative_mse": [0.04, None]},
            "b": {"label": "B", "derivative_mse": [1.0, 0.1], "energy_mse": [1e-3, None]},
        },
    }
}
BANDS = {"derivative_mse": 3.0, "energy_mse": 10.0}


@pytest.fixture(scope="module")
def table(collected):
    return TABLES["peers"]({"two_body": collected}, COMPARISONS, BANDS, PUBLISHED)


def test_geometric_summary_by_hand():
    s = geometric_summary(np.array([0.1, 0.4, np.nan, -1.0]))
    assert s["ours"] == pytest.approx(0.2)  # sqrt(0.1 · 0.4); NaN and ≤ 0 left out
    assert s["ours_spread"] == pytest.approx(math.exp(math.log(4) / math.sqrt(2)))
    assert (s["ours_min"], s["ours_max"]) == (0.1, 0.4)
    assert np.isnan(geometric_summary(np.array([0.3]))["ours_spread"])
    assert np.isnan(geometric_summary(np.array([np.nan]))["ours"])


def test_peers_table_by_hand(table, collected):
    """The fakes' derivative_mse of a seed is error·(1 + seed)·2 averaged over the three
    test trajectories (errors 1, 2, 3 × error·(1 + seed)): srnn (0.02) gives 0.04 and 0.08."""
    rows = table.set_index(["row", "metric", "recipe"])
    assert len(table) == 4  # a: 2 recipes; b: derivative and energy, peer only
    a = rows.loc[("a", "derivative_mse", "peer")]
    assert a.entry == "srnn" and a.label == "A" and a.seeds == 2
    assert a.ours == pytest.approx(math.sqrt(0.04 * 0.08))
    assert a.ours_spread == pytest.approx(2 ** (1 / math.sqrt(2)))
    assert a.ratio == pytest.approx(a.ours / 0.04) and a.within_band
    assert np.isnan(a.published_uncertainty)
    sann = rows.loc[("a", "derivative_mse", "hampipe")]
    assert sann.ours == pytest.approx(math.sqrt(0.02 * 0.04)) and sann.within_band
    b = rows.loc[("b", "derivative_mse", "peer")]
    assert b.ours == pytest.approx(math.sqrt(0.1 * 0.2))
    assert b.ratio == pytest.approx(b.ours) and not b.within_band  # 0.14 < 1/3
    assert b.published_uncertainty == 0.1
    # rows keep the paper's order (a below b) with the peer recipe; b/a ratios
    assert a.ordering_preserved and b.ordering_preserved
    assert b.published_ratio == pytest.approx(25.0)
    assert b.ours_ratio == pytest.approx(b.ours / a.ours)
    assert sann.ordering_preserved is None  # one row has the hampipe recipe
    energy = rows.loc[("b", "energy_mse", "peer")]
    expected = collected.energy_mse.sel({"method": "hnn"}).mean("trajectory").values
    assert energy.ours == pytest.approx(math.exp(np.log(expected).mean()))
    assert energy.band == 10.0


def test_a_reversed_order_is_flagged(collected):
    published = {
        "toy": {
            "source": "x",
            "rows": {
                "a": {"label": "A", "derivative_mse": 1.0},
                "b": {"label": "B", "derivative_mse": 0.01},
            },
        }
    }
    published["toy"]["rows"] = {k: {**v, "derivative_mse": [v["derivative_mse"], None]}
                                for k, v in published["toy"]["rows"].items()}  # fmt: skip
    table = TABLES["peers"]({"two_body": collected}, COMPARISONS, BANDS, published)
    peer = table[table.recipe == "peer"]
    assert (peer.ordering_preserved == False).all()  # noqa: E712


def test_peers_figure_draws_one_panel_per_comparison_and_metric(table, tmp_path):
    path = tmp_path / "peers.csv"
    table.to_csv(path, index=False)
    fig, data = peers_figure(pd.read_csv(path))
    assert len(fig.axes) == 2  # toy: derivative_mse, energy_mse
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log"]
    assert "2 seeds" in fig._suptitle.get_text()
    assert len(data) == len(table)
