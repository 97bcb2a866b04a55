import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from hampipe.plotting import metric_summary, plot_metric_files


def fake_eval(scale: float, n: int = 4, t: int = 6) -> xr.Dataset:
    rng = np.random.default_rng(0)
    dims = ("trajectory", "time")
    values = scale * (1 + rng.random((n, t))) * np.arange(1, t + 1)
    return xr.Dataset(
        {"mse": (dims, values), "energy_error": (dims, -values)},
        coords={"time": np.arange(t) * 0.1},
        attrs={"n_diverged": 0},
    )


def test_metric_summary_uses_absolute_energy_error():
    ds = fake_eval(1.0)
    s = metric_summary(ds, "energy_error")
    np.testing.assert_allclose(s["mean"], np.abs(ds.energy_error).mean("trajectory"))
    assert (s["q25"] <= s["q75"]).all()
    ds["mse"][0, -1] = np.nan
    assert int(metric_summary(ds, "mse")["n"][-1]) == 3


@pytest.mark.parametrize("metric", ["mse", "energy_error"])
def test_plot_metric_files_writes_a_reproducible_pdf(tmp_path, metric):
    paths = {}
    for method, scale in (("hnn", 1.0), ("sann", 0.1)):
        paths[method] = tmp_path / f"{method}.nc"
        fake_eval(scale).to_netcdf(paths[method])
    out1 = plot_metric_files(paths, tmp_path / "a.pdf", metric, "three_body")
    out2 = plot_metric_files(paths, tmp_path / "b.pdf", metric, "three_body")
    assert out1.read_bytes()[:4] == b"%PDF"
    assert out1.read_bytes() == out2.read_bytes()


def test_unknown_metric():
    from hampipe.plotting import metric_figure

    with pytest.raises(ValueError, match="unknown metric"):
        metric_figure({"hnn": fake_eval(1.0)}, "accuracy", "spring")


def test_plotting_does_not_import_torch():
    code = "import sys, hampipe.plotting; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_drift_figure_is_a_reproducible_pdf(tmp_path):
    from hampipe.plotting import plot_drift_file

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
    a = plot_drift_file(tmp_path / "drift.nc", tmp_path / "a.pdf")
    b = plot_drift_file(tmp_path / "drift.nc", tmp_path / "b.pdf")
    assert a.read_bytes()[:4] == b"%PDF" and a.read_bytes() == b.read_bytes()
