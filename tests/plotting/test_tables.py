import json

import numpy as np
import pandas as pd
import pytest

from hampipe.plotting import TABLES, collect, make_table, save_table
from hampipe.plotting.tables import improvement, run_metrics
from hampipe.systems import make_system

from .fakes import RUNS, SEEDS, fake_evaluation


def test_run_metrics_follow_their_definitions(collected):
    table = run_metrics(collected, "srnn")
    assert list(table.seed) == list(range(SEEDS))
    runs = collected.sel({"method": "srnn"})
    np.testing.assert_allclose(table.test_mse, runs.mse.mean(("trajectory", "time")))
    np.testing.assert_allclose(table.last_step_mse, runs.mse.isel(time=-1).mean("trajectory"))
    np.testing.assert_allclose(
        table.energy_error, np.abs(runs.energy_error).mean(("trajectory", "time"))
    )
    np.testing.assert_allclose(table.derivative_mse, runs.derivative_mse.mean("trajectory"))
    np.testing.assert_allclose(table.energy_mse, runs.energy_mse.mean("trajectory"))
    assert (table.energy_mse > 0).all()
    # the last epoch actually trained (srnn trained 4 of the 5 padded epochs)
    np.testing.assert_allclose(table.train_loss, runs.train_loss.isel(epoch=3))
    np.testing.assert_allclose(table.seconds_per_epoch, [0.5, 1.5])
    assert (table.diverged == 0).all()


def test_diverged_counts_are_the_evaluations_own_flags(collected, tmp_path):
    """``diverged`` sums the evaluations' stored flags; it equals the count of rollouts
    whose last state is NaN, which the table computed before."""
    test = collected[["q", "p", "energy"]].assign_attrs(
        system="two_body", parameters=json.dumps(make_system("two_body").parameters)
    )
    evals = {"hnn": []}
    for seed, diverge in enumerate(({0: 3, 2: 11}, {}, {1: 0})):
        evals["hnn"].append(tmp_path / f"hnn{seed}.nc")
        fake_evaluation(test, "hnn", seed, 0.1, 2, diverge=diverge).to_netcdf(evals["hnn"][-1])
    ds = collect(evals, test, {"hnn": {"label": "HNN", "colour": "#000000"}},
                 {"hnn": "hnn"}, {"hnn": {}})  # fmt: skip
    table = run_metrics(ds, "hnn")
    before = ds.q_pred.sel({"method": "hnn"}).isel(time=-1).isnull().any("dof").sum("trajectory")
    assert list(table.diverged) == list(before.values) == [2, 0, 1]
    assert table.diverged.dtype == before.dtype
    assert np.isfinite(table.test_mse).all()  # NaN rows are left out of the means
    with pytest.raises(ValueError, match="lacks 'diverged'"):
        run_metrics(ds.drop_vars("diverged"), "hnn")
    with pytest.raises(ValueError, match="lacks 'derivative_mse', 'energy_mse'.*rerun evaluate"):
        run_metrics(ds.drop_vars(["derivative_mse", "energy_mse"]), "hnn")


def test_summary_reports_sanns_improvement(collected):
    table = TABLES["summary"]({"two_body": collected}, methods={"two_body": list(RUNS)})
    assert list(table.method) == list(RUNS)
    sann = table.set_index("method").loc["sann"]
    srnn = table.set_index("method").loc["srnn"]
    expected = 100 * (srnn.energy_error - sann.energy_error) / srnn.energy_error
    assert sann.sann_vs_srnn_energy_error_pct == pytest.approx(expected)
    assert sann.sann_vs_srnn_energy_error_pct > 0  # the fake SANN is the most accurate
    assert np.isnan(table.set_index("method").loc["hnn", "sann_vs_hnn_energy_error_pct"])
    assert (table.seeds == SEEDS).all() and (table.energy_error_std > 0).all()
    for metric in ("derivative_mse", "energy_mse"):
        assert (table[metric] > 0).all() and (table[f"{metric}_std"] > 0).all()


def test_ablation_reads_settings_from_the_runs(collected):
    settings = {"gamma": 0.1, "partitions": {"nonstiff": 10, "stiff": 50}}
    ds = collected.copy()
    row = {**settings, "epochs": 4}
    ds["settings"] = ds.settings.copy(
        data=[json.dumps({**row, "replication": k}) for k in (1, 2, 8, 1)]
    )
    table = TABLES["ablation"]({"two_body": ds}, system="two_body", methods=["sann", "sann_k1"])
    assert list(table.replication) == [8, 1]
    # each row says how its training ended: a cap and a converged run are not comparable
    runs = ds.sel({"method": "sann"})
    assert table.epochs_run[0] == float(runs.epochs_run.mean())
    assert table.converged[0] == int(runs.converged.sum())
    assert (table.s_stiff == settings["partitions"]["stiff"]).all()
    assert (
        np.isfinite(table[["train_loss", "test_mse", "energy_error", "seconds_per_epoch"]])
        .all()
        .all()
    )


def test_improvement_is_relative_to_the_baseline():
    assert improvement(2.0, 1.0) == 50.0
    assert improvement(1.0, 2.0) == -100.0
    assert np.isnan(improvement(0.0, 1.0)) and np.isnan(improvement(np.nan, 1.0))


def test_save_table_writes_csv_and_markdown(tmp_path):
    table = pd.DataFrame({"method": ["hnn", "sann"], "mse": [1.5e-3, 2.25e-4]})
    path = save_table(table, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_csv(path), table)
    markdown = (tmp_path / "t.md").read_text()
    assert "| method" in markdown and "0.0015" in markdown and "0.000225" in markdown
    assert not list(tmp_path.glob(".*tmp"))


def test_markdown_copy_is_rounded_and_leaves_out_empty_columns(tmp_path):
    table = pd.DataFrame(
        {
            "method": ["hnn", "sann"],
            "seconds": [0.30000000000000004, 12.3456],
            "mse": [1.23456e-3, 2.0],
            "mse_std": [np.nan, np.nan],
        }
    )
    save_table(table, tmp_path / "t.csv", header="1 seed")
    markdown = (tmp_path / "t.md").read_text()
    assert "0.3 " in markdown and "12.3 " in markdown and "0.00123 " in markdown
    table_text = markdown.split("<!--")[0]  # the provenance comment aside
    assert "0.30000000000000004" not in table_text and "nan" not in table_text
    assert "| mse_std" not in markdown and "left out: mse_std." in markdown
    # the CSV keeps every column and digit
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == list(table.columns)


def test_make_table_reads_collected_files(collected, tmp_path):
    collected.to_netcdf(tmp_path / "two_body.nc")
    out = make_table(
        "summary",
        {"two_body": tmp_path / "two_body.nc"},
        tmp_path / "s.csv",
        methods={"two_body": ["hnn", "sann"]},
    )
    assert list(pd.read_csv(out).method) == ["hnn", "sann"]


def _search_table(validation_loss, seconds, rank):
    """The partition-search table of three (S_nonstiff, S_stiff) pairs with these values."""
    import xarray as xr

    search = xr.Dataset(
        {
            "nonstiff": ("pair", [2, 2, 10]),
            "stiff": ("pair", [10, 50, 50]),
            "validation_loss": ("pair", validation_loss),
            "train_loss": ("pair", [4e-3, 2e-3, 3e-3]),
            "seconds": ("pair", seconds),
            "rank": ("pair", rank),
        },
        attrs={"epochs": 10},
    )
    return TABLES["partition_search"]({"search": search})


def test_partition_search_table_marks_the_smallest_validation_loss():
    table = _search_table([3e-3, 1e-3, 2e-3], [1.0, 2.0, 3.0], [3, 1, 2])
    assert list(table["rank"]) == [1, 2, 3]
    assert list(table.chosen) == [True, False, False]
    assert (table.s_nonstiff[0], table.s_stiff[0]) == (2, 50)


def test_partition_search_flags_pairs_tied_with_the_chosen_one():
    table = _search_table([1.0004e-3, 1e-3, 1.2e-3], [0.30000000000000004, 2.0, 3.0], [2, 1, 3])
    assert list(table.tied_with_best) == [False, True, False]  # 0.04 % apart; 20 % apart
    assert table.seconds.iloc[1] == 0.3


def test_the_html_page_is_the_rounded_table_under_its_scale(tmp_path):
    table = pd.DataFrame(
        {"method": ["hnn", "sann"], "mse": [1.23456e-3, 2.0], "mse_std": [np.nan] * 2}
    )
    save_table(table, tmp_path / "t.csv", header="1 seed · width <32>")
    page = (tmp_path / "t.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<p>Scale: 1 seed · width &lt;32&gt;</p>" in page
    assert (
        "<td>0.00123</td>" in page
        and "<th>mse</th>" in page
        and "mse_std" in page.split("</table>")[1]
    )
    assert "<th>mse_std</th>" not in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.html", "t.md"]


def test_the_html_page_puts_each_mean_and_its_spread_in_one_cell(tmp_path):
    from hampipe.plotting.tables import paired_columns

    table = pd.DataFrame(
        {
            "method": ["hnn", "sann"],
            "mse": [1.23456e-3, 2.0],
            "mse_std": [4.5678e-4, np.nan],
            "gain_pct": [np.nan, 12.345],
            "gain_pct_low": [np.nan, -3.0],
            "gain_pct_high": [np.nan, 30.0],
            "loss": [1.0, 2.0],
            "loss_std": [np.nan, np.nan],  # one seed: left as it is (and left out)
        }
    )
    paired = paired_columns(table)
    assert list(paired.columns) == ["method", "mse", "gain_pct", "loss", "loss_std"]
    assert list(paired["mse"]) == ["0.00123 ± 0.000457", "2"]
    assert list(paired["gain_pct"]) == ["", "12.3 [-3, 30]"]
    save_table(table, tmp_path / "t.csv")
    page = (tmp_path / "t.html").read_text()
    assert "0.00123 ± 0.000457" in page and "12.3 [-3, 30]" in page
    assert "<th>mse_std</th>" not in page and "<th>loss_std</th>" not in page
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == list(table.columns)
