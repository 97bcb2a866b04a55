"""Error by stiffness (issue 21): SAI percentiles and bins against hand-built examples,
and the ``stiffness`` table's parts and ratios on a dataset whose answer is known."""

import numpy as np
import pytest
import xarray as xr

from hampipe.plotting.stiffness import (
    error_by_stiffness_figure,
    errors_by_bin,
    sai_of_split,
    sai_percentile,
    stiff_share,
    stiffness_table,
)


def test_percentiles_rank_within_each_trajectory_or_over_the_split():
    sai = np.array([[5.0, 1.0, 3.0, 2.0], [0.1, 0.4, 0.3, 0.2]])
    assert sai_percentile(sai).tolist() == [[0.75, 0.0, 0.5, 0.25], [0.0, 0.75, 0.5, 0.25]]
    # over the split: the second trajectory's intervals are the four least stiff
    assert sai_percentile(sai, "dataset").tolist() == [
        [7 / 8, 4 / 8, 6 / 8, 5 / 8],
        [0 / 8, 3 / 8, 2 / 8, 1 / 8],
    ]


def collected_with(errors: dict[str, np.ndarray], learners: dict[str, str]) -> xr.Dataset:
    """A collected dataset of one 1-dof trajectory whose SAI rises with the interval
    (|u| = 1 and steps of growing size), so interval i is the i-th least stiff."""
    angles = np.cumsum(np.r_[0.0, np.linspace(0.1, 1.0, 10)])  # growing steps
    q, p = np.cos(angles)[None, :, None], np.sin(angles)[None, :, None]
    methods = list(errors)
    stacked = np.stack([errors[m] for m in methods])  # (method, seed, trajectory, interval)
    return xr.Dataset(
        {
            "q": (("trajectory", "time", "dof"), q),
            "p": (("trajectory", "time", "dof"), p),
            "interval_error": (("method", "seed", "trajectory", "interval"), stacked),
        },
        coords={
            "time": np.arange(11.0),
            "method": methods,
            "seed": np.arange(stacked.shape[1]),
            "label": ("method", [m.upper() for m in methods]),
            "colour": ("method", ["C0", "C1", "C2"][: len(methods)]),
            "learner": ("method", [learners[m] for m in methods]),
        },
        attrs={"system": "toy"},
    )


def test_the_hand_built_dataset_has_rising_sai():
    ds = collected_with({"a": np.zeros((1, 1, 10))}, {"a": "hnn"})
    assert np.all(np.diff(sai_of_split(ds)[0]) > 0)


def test_errors_fall_into_their_deciles():
    """Ten intervals, ten bins: bin b holds interval b alone; two seeds."""
    errors = np.stack([np.arange(1.0, 11.0), 10 * np.arange(1.0, 11.0)])[:, None, :]
    ds = collected_with({"a": errors}, {"a": "hnn"})
    bins = errors_by_bin(ds, "a", "trajectory", bins=10)
    assert bins.tolist() == [list(np.arange(1.0, 11.0)), list(10 * np.arange(1.0, 11.0))]
    # five bins: pairs of intervals
    assert errors_by_bin(ds, "a", "trajectory", bins=5)[0].tolist() == [1.5, 3.5, 5.5, 7.5, 9.5]
    fig, table = error_by_stiffness_figure(ds, ["a"], "trajectory", gamma=0.2)
    assert table["mean"].tolist() == pytest.approx(list(5.5 * np.arange(1.0, 11.0)))
    assert table["seed_min"].tolist() == list(np.arange(1.0, 11.0))
    assert len(table) == 10


def test_the_table_splits_stiff_from_rest_and_compares_sann_with_the_baselines():
    """γ = 0.2 marks the two stiffest intervals (8 and 9). SANN's error is a quarter of
    SRNN's on them and equal elsewhere; HNN's is twice SRNN's everywhere."""
    base = np.ones((3, 1, 10))
    srnn = base.copy()
    sann = base.copy()
    sann[..., 8:] = 0.25
    hnn = 2 * base
    ds = collected_with({"sann": sann, "srnn": srnn, "hnn": hnn},
                        {"sann": "sann", "srnn": "srnn", "hnn": "hnn"})  # fmt: skip
    table = stiffness_table(
        {"toy": ds},
        {"toy": ["sann", "srnn", "hnn"]},
        {"toy": {"gamma": 0.2, "ranking": "trajectory"}},
    ).set_index("method")
    assert table.loc["sann", "error_stiff"] == pytest.approx(0.25)
    assert table.loc["sann", "error_rest"] == pytest.approx(1.0)
    assert table.loc["hnn", "error_stiff"] == pytest.approx(2.0)
    assert table.loc["sann", "ratio_to_srnn_stiff"] == pytest.approx(0.25)
    assert table.loc["sann", "ratio_to_srnn_rest"] == pytest.approx(1.0)
    assert table.loc["sann", "ratio_to_hnn_stiff"] == pytest.approx(0.125)
    assert bool(table.loc["sann", "ratio_to_srnn_stiff_clear"])
    assert not bool(table.loc["sann", "ratio_to_srnn_rest_clear"])  # equal: holds 1
    assert np.isnan(table.loc["srnn"].get("ratio_to_hnn_stiff", np.nan))  # SANN rows only


def test_the_stiff_share_marks_when_the_test_trajectories_are_stiff():
    """γ = 0.2 of ten intervals: the two stiffest (8 and 9) of the one trajectory."""
    ds = collected_with({"a": np.ones((1, 1, 10))}, {"a": "hnn"})
    assert stiff_share(ds, 0.2).tolist() == [0.0] * 8 + [1.0, 1.0]


def test_the_energy_figure_draws_the_stiff_strip(tmp_path):
    from hampipe.plotting.figures import metric_figure

    ds = collected_with({"a": np.ones((1, 1, 10))}, {"a": "hnn"})
    ds["energy_error"] = (("method", "seed", "trajectory", "time"), np.full((1, 1, 1, 11), 0.1))
    ds["q_pred"] = (("method", "seed", "trajectory", "time", "dof"), np.zeros((1, 1, 1, 11, 1)))
    fig, table = metric_figure(ds, "energy_error", ["a"], stiff_share(ds, 0.2))
    assert len(fig.axes) == 2 and fig.axes[1].get_ylim() == (0.0, 1.0)
    strip = table[table.metric == "stiff_share"]
    assert strip["mean"].tolist() == [0.0] * 8 + [1.0, 1.0]


def test_without_an_entry_named_hnn_the_first_hnn_learner_is_the_baseline():
    """The inseparable chains list hnn_general and sann_general only."""
    ds = collected_with(
        {"hnn_general": 2 * np.ones((1, 1, 10)), "sann_general": np.ones((1, 1, 10))},
        {"hnn_general": "hnn", "sann_general": "sann"},
    )
    table = stiffness_table(
        {"toy": ds},
        {"toy": ["hnn_general", "sann_general"]},
        {"toy": {"gamma": 0.2, "ranking": "trajectory"}},
    ).set_index("method")
    assert table.loc["sann_general", "ratio_to_hnn_rest"] == pytest.approx(0.5)
    assert "ratio_to_srnn_rest" not in table.columns
