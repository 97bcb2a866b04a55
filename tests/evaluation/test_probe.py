"""The probe stage: learned potential (SANN Fig. 9) and vector field (spring study Figs. 8, 9)."""

import json

import numpy as np
import pytest
import torch

from hampipe.data import simulate
from hampipe.data.io import read_dataset
from hampipe.evaluation.probe import field_probe, potential_probe, probe_file
from hampipe.models import (
    METHODS,
    Model,
    load_model,
    save_model,
)
from hampipe.systems import make_system, system_from_attrs
from tests.helpers import exact_spring_model, make_model


class ExactBilliardPotential(Model):
    """A separable model whose V_θ is the billiard's V (SANN Eq. 8) plus ``offset``."""

    separable = True

    def __init__(self, system, offset: float = 0.0) -> None:
        super().__init__(2)
        self.r = (system.parameters["r_alpha"], system.parameters["r_beta"])
        self.s = system.parameters["softness"]
        self.c = torch.tensor([system.parameters["shift"], 0.0], dtype=torch.float64)
        self.offset = offset
        self.checkpoint = {"method": "exact", "system": "billiard", "seed": 4}

    def potential(self, q):
        outer = torch.sigmoid((q.norm(dim=-1) - self.r[0]) / self.s)
        inner = torch.sigmoid(((q - self.c).norm(dim=-1) - self.r[1]) / self.s)
        return outer - inner + self.offset


@pytest.fixture(scope="module")
def billiard():
    return make_system("billiard")


@pytest.fixture(scope="module")
def spring():
    return make_system("spring")


def test_exact_potential_is_recovered(billiard):
    ds = potential_probe(ExactBilliardPotential(billiard), billiard, points=41)
    np.testing.assert_allclose(ds.potential_aligned, ds.potential_true, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ds.potential_learned, ds.potential_true, rtol=0, atol=1e-10)
    assert abs(ds.attrs["alignment_shift"]) < 1e-10
    # the true V is about -1 in the ring (soft walls), about 0 off the table
    assert float(ds.potential_true.sel(x=0.75, y=0.0)) == pytest.approx(-1, abs=0.06)
    assert float(ds.potential_true.sel(x=1.25, y=1.25)) == pytest.approx(0, abs=1e-3)


def test_a_constant_offset_is_aligned_away(billiard):
    ds = potential_probe(ExactBilliardPotential(billiard, offset=3.0), billiard, points=21)
    np.testing.assert_allclose(ds.potential_learned - ds.potential_true, 3.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ds.potential_aligned, ds.potential_true, rtol=0, atol=1e-10)
    assert ds.attrs["alignment_shift"] == pytest.approx(3.0, abs=1e-10)


def test_potential_probe_grid_and_attrs(billiard):
    ds = potential_probe(ExactBilliardPotential(billiard), billiard, points=11)
    for name in ("potential_true", "potential_learned", "potential_aligned"):
        assert ds[name].dims == ("x", "y") and ds[name].shape == (11, 11)
        assert {"units", "long_name"} <= set(ds[name].attrs)
    np.testing.assert_allclose(ds.x[[0, -1]], [-1.25, 1.25])  # ±1.25 r_alpha
    np.testing.assert_allclose(ds.y, ds.x)
    assert 0.0 in ds.y.values  # the side view's row y = 0
    assert ds.attrs["system"] == "billiard" and ds.attrs["probe"] == "potential"
    assert ds.attrs["method"] == "exact" and ds.attrs["seed"] == 4
    assert system_from_attrs(ds.attrs).parameters == billiard.parameters
    # [i, j] is the point (x[i], y[j])
    q = np.array([[float(ds.x[2]), float(ds.y[7])]])
    assert float(ds.potential_true[2, 7]) == pytest.approx(billiard.potential(q)[0])
    wide = make_system("billiard", {"r_alpha": 2.0})
    ds = potential_probe(ExactBilliardPotential(wide), wide, extent=(0, 1, -2, 3), points=5)
    np.testing.assert_allclose(ds.x, np.linspace(0, 1, 5))
    np.testing.assert_allclose(ds.y, np.linspace(-2, 3, 5))
    assert potential_probe(ExactBilliardPotential(wide), wide, points=3).x[-1] == 2.5


def test_potential_probe_refuses_what_does_not_fit(billiard, spring):
    with pytest.raises(ValueError, match="separable model"):
        potential_probe(make_model("general", 2, width=4, depth=1).double(), billiard)
    with pytest.raises(ValueError, match="2 position coordinates"):
        potential_probe(exact_spring_model(), spring, extent=(-1, 1, -1, 1))
    plane = make_system(
        "plane",
        definition={
            "hamiltonian": "(px**2 + py**2)/2 + (x**2 + y**2)/2",
            "coordinates": ["x", "y"],
            "momenta": ["px", "py"],
        },
    )
    model = ExactBilliardPotential(billiard)
    model.checkpoint = {}
    with pytest.raises(ValueError, match="no default probe extent"):
        potential_probe(model, plane)
    assert potential_probe(model, plane, extent=(-1, 1, -1, 1), points=3).sizes == {"x": 3, "y": 3}
    with pytest.raises(ValueError, match="low < high"):
        potential_probe(model, plane, extent=(1, -1, -1, 1))
    model.checkpoint = {"system": "spring"}
    with pytest.raises(ValueError, match="trained on system 'spring'"):
        potential_probe(model, billiard)


def test_exact_field_has_no_error(spring):
    ds = field_probe(exact_spring_model(), spring)
    assert ds.sizes == {"q": 101, "p": 101}
    np.testing.assert_allclose(ds.q[[0, 50, -1]], [-100, 0, 100])
    for name in ("dq_dt_true", "relative_error_q", "relative_error", "hamiltonian_learned"):
        assert ds[name].dims == ("q", "p")
    k, m = spring.parameters["k"], spring.parameters["m"]
    Q, P = np.meshgrid(ds.q, ds.p, indexing="ij")
    np.testing.assert_allclose(ds.dq_dt_true, P / m)
    np.testing.assert_allclose(ds.dp_dt_true, -k * Q)
    np.testing.assert_allclose(ds.dq_dt_learned, ds.dq_dt_true, rtol=1e-12, atol=1e-12)
    for name in ("relative_error", "relative_error_q", "relative_error_p", "relative_error_energy"):
        assert np.nanmax(np.abs(ds[name])) < 1e-12, name
    # the combined error is NaN at the fixed point only, each component on its zero line
    assert np.isnan(ds.relative_error).sum() == 1 and np.isnan(ds.relative_error[50, 50])
    assert np.isnan(ds.relative_error_q[:, 50]).all() and np.isnan(ds.relative_error_q).sum() == 101
    assert np.isnan(ds.relative_error_p[50, :]).all() and np.isnan(ds.relative_error_p).sum() == 101
    assert ds.attrs["probe"] == "field" and "relative_error_definition" in ds.attrs
    assert ds.dq_dt_true.attrs["units"] == "m s-1"


def test_field_errors_by_hand(spring):
    model = exact_spring_model(m=1.0)  # learned dq/dt = p, true p/2: relative error +1
    ds = field_probe(model, spring, extent=(-2, 2, -1, 1), points=5)
    np.testing.assert_allclose(ds.relative_error_q.values[~np.isnan(ds.relative_error_q)], 1.0)
    assert np.nanmax(np.abs(ds.relative_error_p)) < 1e-12
    Q, P = np.meshgrid(ds.q, ds.p, indexing="ij")
    with np.errstate(invalid="ignore"):
        expected = np.abs(P / 2) / np.hypot(P / 2, 2 * Q)
    np.testing.assert_allclose(ds.relative_error, expected, rtol=1e-12)
    # H_θ = q² + p²/2 vs H = q² + p²/4, aligned by its mean difference over the grid
    shift = float(np.mean(P**2 / 4))
    assert ds.attrs["alignment_shift"] == pytest.approx(shift)
    np.testing.assert_allclose(ds.hamiltonian_aligned, Q**2 + P**2 / 2 - shift, atol=1e-12)


def test_field_of_a_black_box_model_has_no_energy(spring):
    model = make_model("vector_field", 1, width=4, depth=1).double()
    ds = field_probe(model, spring, points=7)
    assert "hamiltonian_learned" not in ds and "relative_error_energy" not in ds
    assert np.isfinite(ds.dq_dt_learned).all()


def test_field_probe_refuses_more_than_one_dof(billiard):
    with pytest.raises(ValueError, match="1-dof system"):
        field_probe(ExactBilliardPotential(billiard), billiard)


#: The probe stage's ``system`` params.
BILLIARD_SPEC = {"name": "billiard", "parameters": {}, "definition": {}}
SPRING_SPEC = {"name": "spring", "parameters": {}, "definition": {}}


@pytest.fixture(scope="module")
def files(tmp_path_factory, billiard, spring):
    """Model files; the probe reads no data file (the system comes as a spec)."""
    root = tmp_path_factory.mktemp("probe")
    hyper = {"model": "separable", "width": 8, "depth": 2}
    data = simulate(billiard, 2, 5, 0.1, seed=0)  # sizes and scales the fresh models
    sann = METHODS["hnn"].build(hyper, data)
    save_model(root / "sann.pt", sann, {"loss": [1.0]}, "billiard", seed=3, entry="sann")
    general = METHODS["hnn"].build({"model": "general", "width": 4, "depth": 1}, data)
    save_model(root / "general.pt", general, {}, "billiard", seed=0)
    exact = METHODS["hnn"](exact_spring_model(), {"model": "separable", "targets": "exact"}, spring)
    save_model(root / "exact.pt", exact, {}, "spring", seed=1, entry="hnn_exact")
    return root


def test_probe_file_round_trip(files, billiard):
    out = files / "out" / "potential.nc"
    ds = probe_file(files / "sann.pt", out, "potential", system=BILLIARD_SPEC, points=9)
    back = read_dataset(out)
    assert back.attrs["method"] == "sann" and back.attrs["seed"] == 3
    assert back.attrs["system"] == "billiard"
    assert json.loads(back.attrs["parameters"]) == billiard.parameters
    np.testing.assert_array_equal(back.potential_learned, ds.potential_learned)
    model = load_model(files / "sann.pt")
    q = torch.tensor([[float(ds.x[1]), float(ds.y[4])]], dtype=torch.float64)
    assert float(ds.potential_learned[1, 4]) == pytest.approx(float(model.potential(q).detach()[0]))
    assert not list(out.parent.glob(".*tmp"))

    out = files / "out" / "field.nc"
    probe_file(files / "exact.pt", out, "field", system=SPRING_SPEC, points=11)
    back = read_dataset(out)
    assert back.attrs["method"] == "hnn_exact" and back.attrs["system"] == "spring"
    assert np.nanmax(np.abs(back.relative_error)) < 1e-12


def test_probe_file_takes_the_parameters_of_its_spec(files):
    """The true system is the spec's: a stiffer spring than the model's is a field error."""
    out = files / "out" / "stiff.nc"
    stiff = {"name": "spring", "parameters": {"k": 8.0}, "definition": {}}
    probe_file(files / "exact.pt", out, "field", system=stiff, points=11)
    back = read_dataset(out)
    assert json.loads(back.attrs["parameters"]) == {"k": 8.0, "m": 2.0}
    np.testing.assert_allclose(back.dp_dt_true, -8.0 * back.q.values[:, None] + 0 * back.p.values)
    assert np.nanmax(np.abs(back.relative_error_p)) == pytest.approx(0.75)  # −2q vs −8q


def test_probe_file_errors(files):
    x = files / "x.nc"
    with pytest.raises(ValueError, match=r"unknown probe kind 'energy'; valid: potential, field"):
        probe_file(files / "sann.pt", x, "energy", system=BILLIARD_SPEC)
    with pytest.raises(
        ValueError, match=r"general\.pt: cannot run the potential probe: .*separable"
    ):
        probe_file(files / "general.pt", x, "potential", system=BILLIARD_SPEC)
    with pytest.raises(ValueError, match=r"sann\.pt: cannot run the field probe: .*1-dof"):
        probe_file(files / "sann.pt", x, "field", system=BILLIARD_SPEC)
    with pytest.raises(ValueError, match=r"exact\.pt: .*trained on system 'spring'"):
        probe_file(files / "exact.pt", x, "potential", system=BILLIARD_SPEC)
    with pytest.raises(ValueError, match=r"^system: expected a mapping with keys name"):
        probe_file(files / "exact.pt", x, "field", system="spring")
    assert not x.exists()


def test_probe_file_refuses_another_methods_model_file(tmp_path):
    """Another entry's model file in HNN's place: refused naming both entries, nothing written."""
    from hampipe.data import InputFileError
    from tests.helpers import in_job

    path = tmp_path / "hnn_tanh.pt"
    with in_job("train", system="spring", method="hnn_tanh", seed="0"):
        save_model(path, METHODS["hnn"](exact_spring_model(), {}), {"loss": [1.0]}, "spring",
                   seed=0, entry="hnn_tanh")  # fmt: skip
    out = tmp_path / "field.nc"
    job = {"system": "spring", "method": "hnn", "seed": "0", "kind": "field"}
    with pytest.raises(InputFileError) as error:
        probe_file(path, out, "field", system=SPRING_SPEC, expect=job, points=5)
    assert str(error.value).startswith(
        f"{path}: written for method 'hnn_tanh', but this job reads method 'hnn'"
    )
    assert not out.exists()
    probe_file(
        path, out, "field", system=SPRING_SPEC, expect={**job, "method": "hnn_tanh"}, points=5
    )
    assert read_dataset(out).attrs["method"] == "hnn_tanh"
