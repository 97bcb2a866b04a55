"""SAI after translating the positions (SANN App. B): the table holds what is plotted."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hampipe.plotting.sai_translation import sai_translation_figure
from hampipe.sai import stiff_mask, stiffness_aware_index

from .sai_fakes import DT, N_INTERVALS, three_body_sai, three_body_split


@pytest.fixture(scope="module")
def data():
    return three_body_split()


@pytest.fixture(scope="module")
def sai(data):
    return three_body_sai(data)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_sai_translation_zero_shift_is_the_untranslated_sai(data, sai):
    fig, table = sai_translation_figure(data, shifts=(0, 1, 10), random_shifts=0, trajectory=1)
    assert list(table.columns) == [
        "panel",
        "shift",
        "scale",
        "draw",
        "trajectory",
        "interval",
        "time",
        "sai",
        "stiff",
    ]
    assert len(fig.axes) == 1 and set(table.panel) == {"fixed"}
    assert len(table) == 3 * N_INTERVALS  # 0 is not drawn twice
    zero = table[table["shift"] == "0"]
    np.testing.assert_allclose(zero.sai, sai.sai.values[1], rtol=1e-12)
    np.testing.assert_array_equal(zero.stiff, stiff_mask(sai.sai.values, 0.1)[1])
    np.testing.assert_allclose(zero.time, data.time.values[:-1])
    assert len(fig.axes[0].lines) == 2 * 3  # a line and its stiff markers per shift


def test_sai_translation_fixed_shifts_scale_sai_down(data):
    shifts = (0.1, 1, 10, 100, 1e3, 1e6)
    _, table = sai_translation_figure(data, shifts=shifts, random_shifts=0)
    fixed = table[table["shift"] != "0"]
    assert list(fixed["shift"].unique()) == ["0.1", "1", "10", "100", "1000", "1e+06"]
    means = fixed.groupby("scale", sort=True).sai.mean()
    assert list(means.index) == sorted(shifts)
    assert (np.diff(means.to_numpy()) < 0).all()  # ‖u_i‖ grows with the shift
    for v in shifts:  # each line is Eq. 5 on q + v with its own top-γ stiff split
        rows = fixed[fixed.scale == v]
        expected = stiffness_aware_index(data.q.values + v, data.p.values, data.time.values)
        np.testing.assert_allclose(rows.sai, expected[0], rtol=1e-12)
        np.testing.assert_array_equal(rows.stiff, stiff_mask(expected, 0.1)[0])
        assert rows.stiff.sum() == round(0.1 * N_INTERVALS)
    # For v ≫ ‖q‖, ‖u_i‖ ≈ v √dof, so SAI ≈ ‖u_{i+1} − u_i‖ / (Δt v √dof).
    u = np.concatenate([data.q.values[0], data.p.values[0]], axis=-1)
    step = np.linalg.norm(np.diff(u, axis=0), axis=-1) / DT
    big = fixed[fixed.scale == 1e6].sai.to_numpy()
    np.testing.assert_allclose(big * 1e6 * np.sqrt(data.sizes["dof"]), step, rtol=1e-4)


def test_sai_translation_random_shifts_are_seeded(data):
    shifts = (1, 100, 1e4)
    fig, table = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=3)
    assert [ax.get_title()[:3] for ax in fig.axes] == ["(a)", "(b)"]
    rand = table[table["shift"] == "random"]
    assert (rand.panel == "random").all()
    assert len(rand) == len(shifts) * 2 * N_INTERVALS
    assert sorted(set(zip(rand.scale, rand.draw, strict=True))) == [
        (v, k) for v in shifts for k in (0, 1)
    ]
    # the untranslated line is drawn (and listed) in both panels
    assert (table[table["shift"] == "0"].groupby("panel").size() == N_INTERVALS).all()
    again = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=3)[1]
    other = sai_translation_figure(data, shifts=shifts, random_shifts=2, seed=4)[1]
    np.testing.assert_array_equal(again.sai, table.sai)
    assert not np.allclose(other[other["shift"] == "random"].sai, rand.sai)
    # V ~ U[0, v] per coordinate: ‖V‖ ≤ v √dof = ‖(v, …, v)‖, so for v ≫ ‖q‖ the random
    # translation shrinks SAI less than the fixed one, and never by more than v √dof.
    fixed = table[(table.panel == "fixed") & (table.scale == 1e4)].sai.to_numpy()
    for k in (0, 1):
        random_sai = rand[(rand.scale == 1e4) & (rand.draw == k)].sai.to_numpy()
        assert (random_sai >= 0.999 * fixed).all()
        assert not np.allclose(random_sai, fixed)
        assert rand[(rand.scale == 1e4) & (rand.draw == k)].stiff.sum() == 4
