import json

import numpy as np
import pytest
import xarray as xr

from hampipe.plotting import collect, method_settings, presentation, spatial_layout
from hampipe.plotting.collect import PALETTE
from hampipe.systems import make_system

from .fakes import RUNS, SEEDS, fake_evaluation


def test_collect_stacks_methods_and_seeds_beside_the_truth(collected):
    assert list(collected.method.values) == list(RUNS)
    assert collected.sizes["seed"] == SEEDS
    assert collected.q_pred.dims == ("method", "seed", "trajectory", "time", "dof")
    assert collected.q.dims == ("trajectory", "time", "dof")
    # the truth is the test split's, the predictions the evaluations'
    np.testing.assert_array_equal(
        collected.q_pred.sel({"method": "hnn", "seed": 0})[:, 0], collected.q[:, 0]
    )
    assert collected.attrs["spatial_dim"] == 2 and collected.attrs["bodies"] == 2
    assert json.loads(collected.attrs["n_diverged"]) == {m: 0 for m in RUNS}


def test_true_energy_of_predictions_matches_the_energy_error(collected):
    """true_energy_pred is H on the predictions: (H − H(0)) / |H(0)| gives energy_error."""
    H = collected.true_energy_pred
    assert H.dims == ("method", "seed", "trajectory", "time")
    assert H.attrs["units"] == collected.energy.attrs["units"]
    relative = (H - H.isel(time=0)) / np.abs(H.isel(time=0))
    np.testing.assert_allclose(relative, collected.energy_error, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        H.isel(time=0).sel({"method": "sann", "seed": 1}), collected.energy[:, 0]
    )
    assert "energy_pred" not in collected


def test_collect_stacks_the_evaluations_energy_without_a_system(collected, tmp_path):
    """true_energy_pred is each evaluation's energy_pred, stacked bit for bit, equal to
    what collect computed from the system before, NaN rows included; no system is built."""
    test = collected[["q", "p", "energy"]].assign_attrs(
        system="two_body", parameters=json.dumps(make_system("two_body").parameters)
    )
    evals = {}
    for seed in range(2):
        ev = fake_evaluation(test, "hnn", seed, 0.1, 2, diverge={1: 5} if seed else None)
        evals.setdefault("hnn", []).append(tmp_path / f"hnn{seed}.nc")
        ev.to_netcdf(evals["hnn"][-1])
    test.attrs["parameters"] = "not read"  # collect must not rebuild the system
    out = collect(evals, test, {"hnn": {"label": "HNN", "colour": "#000000"}},
                  {"hnn": "hnn"}, {"hnn": {}})  # fmt: skip
    two_body = make_system("two_body")
    q, p = out.q_pred.values, out.p_pred.values
    with np.errstate(all="ignore"):
        before = two_body.hamiltonian(q.reshape(-1, 4), p.reshape(-1, 4)).reshape(q.shape[:-1])
    np.testing.assert_array_equal(out.true_energy_pred.values, before)
    assert np.isnan(out.true_energy_pred.values[0, 1, 1, 5:]).all()
    assert list(out.diverged.values[0, 1]) == [0, 1, 0]


def test_collect_refuses_an_evaluation_without_energy_pred(collected, tmp_path):
    from hampipe.data import InputFileError

    test = collected[["q", "p", "energy"]].assign_attrs(
        system="two_body", parameters=json.dumps(make_system("two_body").parameters)
    )
    path = tmp_path / "old.nc"
    fake_evaluation(test, "hnn", 0, 0.1, 2).drop_vars("energy_pred").to_netcdf(path)
    with pytest.raises(InputFileError, match=r"old\.nc: evaluation file lacks 'energy_pred'"):
        collect({"hnn": [path]}, test, {"hnn": {"label": "HNN", "colour": "#000000"}},
                {"hnn": "hnn"}, {"hnn": {}})  # fmt: skip


def test_histories_of_different_length_are_nan_padded(collected):
    assert collected.sizes["epoch"] == max(run[3] for run in RUNS.values())
    srnn = collected.train_loss.sel({"method": "srnn", "seed": 0}).values
    assert np.isfinite(srnn[:4]).all() and np.isnan(srnn[4:]).all()
    assert list(collected.epoch.values) == [1, 2, 3, 4, 5]


def test_labels_colours_and_settings(collected):
    assert list(collected.label.values) == ["HNN", "SRNN", "SANN", "SANN, K = 1"]
    assert list(collected.colour.values) == list(PALETTE[:4])
    assert method_settings(collected, "sann_k1") == RUNS["sann_k1"][1]
    assert list(collected.learner.values) == ["hnn", "srnn", "sann", "sann"]


def test_presentation_colours_follow_the_methods_order_not_the_subset():
    learners = {"hnn": "hnn", "sann": "sann", "sann_tanh": "sann"}
    styles = presentation(["hnn", "sann", "sann_tanh"], learners, {"colours": {"hnn": "#000000"}})
    assert styles["hnn"] == {"label": "HNN", "colour": "#000000"}
    assert styles["sann"]["colour"] == PALETTE[1]
    assert styles["sann_tanh"] == {"label": "sann_tanh", "colour": PALETTE[2]}


def test_every_entry_of_a_long_config_has_its_own_colour_and_a_readable_label():
    names = [f"v{i}" for i in range(30)]
    entries = {n: {"method": "sann", "epochs": 10 * i} for i, n in enumerate(names)}
    entries["v3"] = {"method": "sann", "activation": "tanh", "per_system": {"x": {}}}
    entries["v4"] = {"method": "sann", "gamma": 0.1, "replication": 4, "noise": 0.01}
    styles = presentation(names, dict.fromkeys(names, "sann"), {}, entries)
    colours = [s["colour"] for s in styles.values()]
    assert len(set(colours)) == 30 and colours[:20] == list(PALETTE)
    assert styles["v3"]["label"] == "SANN (activation tanh)"
    assert styles["v1"]["label"] == "SANN (epochs 10)"
    assert styles["v4"]["label"] == "v4"  # more than two keys: the entry's name


@pytest.mark.parametrize(
    ("system", "layout"),
    [
        ("three_body", (2, 3)),
        ("two_body", (2, 2)),
        ("billiard", (2, 1)),
        ("spring", (0, 0)),
        ("pendulum4", (0, 0)),
    ],
)
def test_spatial_layout(system, layout):
    assert spatial_layout(make_system(system).dof_names) == layout


def test_collect_refuses_an_evaluation_of_another_grid(collected, tmp_path):
    test = collected[["q", "p", "energy"]].isel(time=slice(0, 6))
    test.attrs.update(system="two_body", parameters=json.dumps(make_system("two_body").parameters))
    path = tmp_path / "other.nc"
    fake_evaluation(
        collected[["q", "p", "energy"]].assign_attrs(test.attrs), "hnn", 0, 0.1, 2
    ).to_netcdf(path)
    with pytest.raises(ValueError, match="other.nc.*does not match the test split"):
        collect(
            {"hnn": [path]},
            test,
            {"hnn": {"label": "HNN", "colour": "#000000"}},
            {"hnn": "hnn"},
            {"hnn": {}},
        )
    assert isinstance(test, xr.Dataset)


def test_collect_refuses_the_evaluation_of_another_method_or_seed(collected, tmp_path):
    from hampipe.data import InputFileError, write_dataset
    from tests.helpers import in_job

    test = collected[["q", "p", "energy"]].assign_attrs(
        system="two_body", parameters=json.dumps(make_system("two_body").parameters)
    )
    paths = {}
    for method, seed in (("hnn", 0), ("hnn", 1), ("sann", 0)):
        with in_job("evaluate", system="two_body", method=method, seed=str(seed)):
            paths[method, seed] = write_dataset(
                fake_evaluation(test, method, seed, 0.1, 2), tmp_path / f"{method}{seed}.nc"
            )
    styles = {"hnn": {"label": "HNN", "colour": "#000000"}}
    args = (test, styles, {"hnn": "hnn"}, {"hnn": {}})
    out = collect({"hnn": [paths["hnn", 0], paths["hnn", 1]]}, *args)  # the right files
    assert out.sizes["seed"] == 2
    with pytest.raises(InputFileError, match=r"sann0\.nc.*method 'sann'.*method 'hnn'"):
        collect({"hnn": [paths["sann", 0], paths["hnn", 1]]}, *args)
    with pytest.raises(InputFileError, match=r"hnn1\.nc.*seed '1'.*seed '0'"):
        collect({"hnn": [paths["hnn", 1], paths["hnn", 0]]}, *args)
