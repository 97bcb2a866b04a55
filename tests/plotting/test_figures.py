import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hampipe.plotting import FIGURES, draw, metric_figure, metric_summary, setting_family

from .fakes import RUNS, SEEDS


def test_metric_summary_pools_seeds_and_trajectories(collected):
    values = np.abs(collected.energy_error.sel({"method": "hnn"}))
    s = metric_summary(values, ("seed", "trajectory"))
    np.testing.assert_allclose(s["mean"], values.mean(("seed", "trajectory")))
    assert (s["q25"] <= s["q75"]).all()
    assert int(s["n"][-1]) == SEEDS * collected.sizes["trajectory"]
    values[0, 0, -1] = np.nan  # a diverged rollout is left out and counted
    assert (
        int(metric_summary(values, ("seed", "trajectory"))["n"][-1])
        == values.size // values.sizes["time"] - 1
    )


@pytest.mark.parametrize("metric", ["mse", "energy_error"])
def test_metric_figure_table_holds_every_plotted_line(collected, metric):
    fig, table = metric_figure(collected, metric, ["hnn", "sann"])
    assert set(table.method) == {"hnn", "sann"}
    assert len(table) == 2 * collected.sizes["time"]
    lines = fig.axes[0].get_lines()
    mean = table[table.method == "sann"]["mean"].to_numpy()
    drawn = np.asarray(lines[1].get_ydata(), float)
    np.testing.assert_allclose(drawn[mean > 0], mean[mean > 0])
    # on the log axis no point at zero (t = 0) drops to the floor: it is left out
    assert (mean[0] == 0) == np.isnan(drawn[0]) and not (drawn <= 0).any()
    assert lines[0].get_color() == str(collected.colour.sel({"method": "hnn"}).item())


def test_unknown_metric(collected):
    with pytest.raises(ValueError, match="unknown metric"):
        metric_figure(collected, "accuracy")


def test_draw_writes_a_reproducible_pdf_png_and_csv(collected, tmp_path):
    collected.to_netcdf(tmp_path / "collected.nc")
    inputs = {"collected": tmp_path / "collected.nc"}
    a = draw("energy", inputs, tmp_path / "a.pdf", methods=list(RUNS))
    b = draw("energy", inputs, tmp_path / "b.pdf", methods=list(RUNS))
    assert a.read_bytes()[:4] == b"%PDF" and a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(tmp_path / "a.csv")
    assert list(table.method.unique()) == list(RUNS)
    assert not list(tmp_path.glob(".*tmp"))


def test_resampling_figure_labels_each_line_by_its_k(collected, tmp_path):
    collected.to_netcdf(tmp_path / "collected.nc")
    fig, table = FIGURES["resampling"](
        {"collected": tmp_path / "collected.nc"}, ["sann_k1", "sann"]
    )
    assert dict(zip(table.method, table.replication, strict=False)) == {"sann_k1": 1, "sann": 8}
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert legend == ["K = 1 (sann_k1)", "K = 8 (sann)"]


def test_setting_family_finds_entries_that_differ_in_one_key():
    learners = {"sann": "sann", "a": "sann", "b": "sann", "c": "sann", "hnn": "hnn"}
    base = {"gamma": 0.1, "replication": 8, "activation": "rational"}
    settings = {
        "sann": base,
        "a": {**base, "replication": 1},
        "b": {**base, "replication": 8},  # same K as sann: dropped
        "c": {**base, "gamma": 0.5, "replication": 4},  # another group
        "hnn": {"activation": "rational"},
    }
    assert setting_family(learners, settings, "replication") == ["a", "b"]
    assert setting_family(learners, settings, "activation") == []


def test_plotting_does_not_import_torch():
    code = "import sys, hampipe.plotting; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_drift_figure_is_a_reproducible_pdf(tmp_path):
    rng = np.random.default_rng(1)
    t = np.linspace(0, 10, 11)
    error = 1e-6 * rng.random((2, 3, 4, 11)) * t
    ds = xr.Dataset(
        {"energy_error": (("integrator", "tolerance", "trajectory", "time"), error)},
        coords={
            "integrator": ("integrator", ["RK45", "DOP853"]),
            "rtol": ("tolerance", [1e-3, 1e-6, 1e-9]),
            "atol": ("tolerance", [1e-6, 1e-9, 1e-12]),
            "time": t,
        },
        attrs={"system": "spring"},
    )
    ds.to_netcdf(tmp_path / "drift.nc")
    a = draw("integrator_drift", {"drift": tmp_path / "drift.nc"}, tmp_path / "a.pdf")
    b = draw("integrator_drift", {"drift": tmp_path / "drift.nc"}, tmp_path / "b.pdf")
    assert a.read_bytes()[:4] == b"%PDF" and a.read_bytes() == b.read_bytes()
    table = pd.read_csv(tmp_path / "a.csv")
    assert len(table) == 2 * 3 * 10  # integrators × tolerances × times after t = 0


def test_learner_families_group_each_learner():
    from hampipe.plotting import learner_families

    learners = {"hnn": "hnn", "hnn_n": "hnn", "sann": "sann", "sann_n": "sann", "srnn": "srnn"}
    base = {"noise": 0.0, "gamma": 0.1}
    settings = {m: base for m in learners} | {
        "hnn_n": {**base, "noise": 0.05},
        "sann_n": {**base, "noise": 0.01},
    }
    assert learner_families(learners, settings, "noise") == ["hnn", "hnn_n", "sann", "sann_n"]


def test_noise_and_epochs_figures_show_every_run(collected, tmp_path):
    import json

    ds = collected.copy()
    noise = {"hnn": 0.0, "srnn": 0.0, "sann": 0.0, "sann_k1": 0.05}
    ds["settings"] = ds.settings.copy(
        data=[json.dumps({"noise": noise[m], "epochs": 4 + i}) for i, m in enumerate(RUNS)]
    )
    ds.to_netcdf(tmp_path / "c.nc")
    inputs = {"collected": tmp_path / "c.nc"}
    fig, table = FIGURES["noise"](inputs, ["sann", "sann_k1", "hnn"])
    assert set(zip(table.learner, table.noise, strict=True)) == {
        ("sann", 0.0), ("sann", 0.05), ("hnn", 0.0)
    }  # fmt: skip
    assert len(fig.axes) == 4  # (MSE, energy) × (sann, hnn)
    fig, table = FIGURES["epochs"](inputs, ["hnn", "srnn", "sann"])
    losses = table[table.metric == "train_loss"]
    assert dict(losses.groupby("method").size()) == {"hnn": 5, "srnn": 4, "sann": 4}
    assert set(table.epochs) == {4, 5, 6}


def test_billiard_potential_figure_takes_the_system_spec_and_no_file(tmp_path):
    """The figure's system comes as an option (the rule's ``system`` param), with the
    config's parameters; its CSV holds that system's V on the grid."""
    from hampipe.systems import make_system

    spec = {"name": "billiard", "parameters": {"r_alpha": 1.5}, "definition": {}}
    path = draw("billiard_potential", {}, tmp_path / "potential.pdf", system=spec, points=5)
    table = pd.read_csv(path.with_suffix(".csv"))
    billiard = make_system("billiard", {"r_alpha": 1.5})
    profile = table[table.panel == "profile"]
    np.testing.assert_allclose(profile.x, np.linspace(-1.875, 1.875, 5))  # ±1.25 r_alpha
    q = profile[["x", "y"]].to_numpy()
    np.testing.assert_allclose(profile.potential, billiard.potential(q), rtol=1e-12)
