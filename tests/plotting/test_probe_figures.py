"""Probe figures (SANN Fig. 9, spring study Figs. 5, 8, 9): tables hold what is plotted."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import QuadMesh
from matplotlib.contour import ContourSet

from hampipe.plotting.collect import PALETTE
from hampipe.plotting.probe_figures import learned_potential_figure, meshgrid_error_figure

NX, NY = 9, 7
NQ, NP = 11, 13


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def potential_probe(offset: float, bump: float) -> xr.Dataset:
    """A potential probe as the probe stage writes it, with made-up numbers."""
    x, y = np.linspace(-1.25, 1.25, NX), np.linspace(-1.0, 1.0, NY)
    X, Y = np.meshgrid(x, y, indexing="ij")
    true = -np.exp(-(X**2 + Y**2))
    learned = true + bump * X + offset
    aligned = learned - np.mean(learned - true)
    dims = ("x", "y")
    return xr.Dataset(
        {
            "potential_true": (dims, true, {"units": "1"}),
            "potential_learned": (dims, learned, {"units": "1"}),
            "potential_aligned": (dims, aligned, {"units": "1"}),
        },
        coords={"x": x, "y": y},
        attrs={"system": "billiard", "probe": "potential"},
    )


def field_probe(scale: float, hamiltonian: bool = True) -> xr.Dataset:
    """A field probe whose combined relative error grows as scale × ‖(q, p)‖ / 100."""
    q, p = np.linspace(-100, 100, NQ), np.linspace(-100, 100, NP)
    Q, P = np.meshgrid(q, p, indexing="ij")
    error = scale * np.hypot(Q, P) / 100
    error[Q.shape[0] // 2, P.shape[1] // 2] = np.nan  # the origin
    dims = ("q", "p")
    data = {
        "dq_dt_true": (dims, P / 2),
        "dp_dt_true": (dims, -2 * Q),
        "relative_error": (dims, error),
        "relative_error_q": (dims, -error),
        "relative_error_p": (dims, 0.5 * error),
    }
    if hamiltonian:
        data["relative_error_energy"] = (dims, 2 * error)
    return xr.Dataset(data, coords={"q": q, "p": p}, attrs={"system": "spring", "probe": "field"})


@pytest.fixture
def potentials():
    return {"sann": potential_probe(3.0, 0.0), "hnn": potential_probe(-1.0, 0.2)}


def test_potential_table_holds_every_plotted_point(potentials):
    fig, table = learned_potential_figure(potentials)
    assert list(table.columns) == ["panel", "method", "x", "y", "potential"]
    profile, maps = table[table.panel == "profile"], table[table.panel == "map"]
    assert len(profile) == 3 * NX and len(maps) == 3 * NX * NY
    assert list(profile.method.unique()) == ["true", "sann", "hnn"]
    ax_line = fig.axes[0]
    lines = ax_line.get_lines()
    assert len(lines) == 3
    for line, method in zip(lines, ["true", "sann", "hnn"], strict=True):
        rows = profile[profile.method == method]
        np.testing.assert_allclose(line.get_xdata(), rows.x)
        np.testing.assert_allclose(line.get_ydata(), rows.potential)
    assert (profile.y == 0).all()  # the side view is taken along y = 0
    # the SANN probe is the truth plus a constant: aligned, it is the truth
    np.testing.assert_allclose(lines[1].get_ydata(), lines[0].get_ydata(), atol=1e-12)
    meshes = [c for ax in fig.axes[1:4] for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 3 and len(fig.axes) == 5  # profile, 3 maps, one colour bar
    for mesh, method in zip(meshes, ["true", "sann", "hnn"], strict=True):
        np.testing.assert_allclose(
            np.asarray(mesh.get_array()).ravel(), maps[maps.method == method].potential
        )
    assert len({(m.norm.vmin, m.norm.vmax) for m in meshes}) == 1  # one shared colour scale
    assert meshes[0].norm.vmin == pytest.approx(maps.potential.min())


def test_potential_labels_and_colours(potentials):
    fig, _ = learned_potential_figure(
        potentials, labels={"sann": "SANN (ours)"}, colours={"hnn": "#123456"}
    )
    lines = fig.axes[0].get_lines()
    assert lines[0].get_color() == "black"
    assert lines[1].get_color() == PALETTE[0] and lines[2].get_color() == "#123456"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["true V", "SANN (ours)", "HNN"]
    titles = [ax.get_title() for ax in fig.axes[1:4]]
    assert titles == ["true V", "SANN (ours)", "HNN"]


def test_potential_probes_must_share_a_grid(potentials):
    other = potential_probe(0.0, 0.0).assign_coords(x=np.linspace(0, 1, NX))
    with pytest.raises(ValueError, match="another x grid"):
        learned_potential_figure({**potentials, "srnn": other})
    with pytest.raises(ValueError, match="no probes"):
        learned_potential_figure({})
    with pytest.raises(ValueError, match="potential_aligned"):
        learned_potential_figure({"x": field_probe(1e-3)})


def contours(ax) -> list[ContourSet]:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def test_error_table_holds_every_plotted_point():
    probes = {"hnn": field_probe(2e-3), "hnn_exact": field_probe(4e-4)}
    fig, table = meshgrid_error_figure(probes, components=("norm", "q"))
    assert list(table.columns) == ["method", "q", "p", "component", "relative_error"]
    assert len(table) == 2 * 2 * NQ * NP
    meshes = [c for ax in fig.axes[:4] for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 4 and len(fig.axes) == 5  # 2 × 2 maps, one colour bar
    keys = [("hnn", "norm"), ("hnn", "q"), ("hnn_exact", "norm"), ("hnn_exact", "q")]
    for mesh, (method, component) in zip(meshes, keys, strict=True):
        rows = table[(table.method == method) & (table.component == component)]
        shown = np.ma.filled(np.ma.asarray(mesh.get_array()).astype(float), np.nan).ravel()
        expected = np.clip(np.abs(rows.relative_error.values), mesh.norm.vmin, None)
        np.testing.assert_allclose(shown, expected)  # NaN at the origin in both
    q_rows = table[(table.method == "hnn") & (table.component == "q")]
    assert (q_rows.relative_error.dropna() <= 0).all()  # the table keeps the sign
    assert isinstance(meshes[0].norm, type(meshes[-1].norm)) and meshes[0].norm.vmin > 0
    assert len({(m.norm.vmin, m.norm.vmax) for m in meshes}) == 1


def test_tolerance_contours_exist_where_the_error_crosses_them():
    probes = {
        "both": field_probe(2e-3),  # |error| up to 2.8e-3: crosses 1e-3 and 5e-4
        "one": field_probe(8e-4),  # up to 1.1e-3: crosses 1e-3 and 5e-4
        "low": field_probe(5e-4),  # up to 7.1e-4: crosses 5e-4 only
        "none": field_probe(1e-6),  # below both
    }
    fig, _ = meshgrid_error_figure(probes, tolerances=(1e-3, 5e-4))
    axes = fig.axes[:4]
    levels = []
    for ax in axes:
        sets = contours(ax)
        assert len(sets) <= 1
        if sets:
            drawn = 10 ** np.asarray(sets[0].levels)
            assert all(len(segs) > 0 for segs in sets[0].allsegs)  # lines really drawn
            levels.append(sorted(np.round(drawn, 12)))
        else:
            levels.append([])
    assert levels == [[5e-4, 1e-3], [5e-4, 1e-3], [5e-4], []]
    # the 1e-3 contour is solid and the 5e-4 one dashed, as in the legend
    assert contours(axes[2])[0].get_linestyle()[0][1] is not None  # dashed
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["|error| = 0.001", "|error| = 0.0005"]
    assert "≤1e-03: 100%" in axes[3].get_title()


def test_error_labels_and_missing_energy():
    probes = {"hnn": field_probe(2e-3), "ode": field_probe(2e-3, hamiltonian=False)}
    fig, table = meshgrid_error_figure(probes, labels={"ode": "neural ODE"}, components=["energy"])
    assert set(table.method) == {"hnn"} and set(table.component) == {"energy"}
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert titles[0].startswith("HNN: H") and titles[1] == "neural ODE: H"
    assert "no Hamiltonian" in [t.get_text() for t in fig.axes[1].texts]


def test_error_figure_refuses_bad_arguments():
    probes = {"hnn": field_probe(1e-3)}
    with pytest.raises(ValueError, match="unknown component"):
        meshgrid_error_figure(probes, components=("x",))
    with pytest.raises(ValueError, match="tolerances"):
        meshgrid_error_figure(probes, tolerances=(1e-3, -1.0))
    with pytest.raises(ValueError, match="another p grid"):
        meshgrid_error_figure({**probes, "b": field_probe(1e-3).assign_coords(p=np.arange(NP))})


def test_probe_figures_do_not_import_torch():
    code = "import sys, hampipe.plotting.probe_figures; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
