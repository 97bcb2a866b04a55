import numpy as np
import pytest

from hampipe.data import GroundTruthSolver, simulate
from hampipe.sai import annotate, replicate_stiff, stiff_mask, stiffness_aware_index
from hampipe.systems import make_system


def test_sai_hand_computed_example():
    """u = (q, p) with q = [3, 3, 0], p = [4, 0, 0] at t = [0, 0.5, 2.5]:
    SAI_0 = ‖(0, −4)‖ / (0.5 · ‖(3, 4)‖) = 4 / 2.5 = 1.6,
    SAI_1 = ‖(−3, 0)‖ / (2.0 · ‖(3, 0)‖) = 3 / 6 = 0.5."""
    q = np.array([[[3.0], [3.0], [0.0]]])
    p = np.array([[[4.0], [0.0], [0.0]]])
    sai = stiffness_aware_index(q, p, np.array([0.0, 0.5, 2.5]))
    np.testing.assert_allclose(sai, [[1.6, 0.5]])


def test_sai_rejects_non_increasing_time():
    with pytest.raises(ValueError, match="increasing"):
        stiffness_aware_index(np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.array([1.0, 1.0]))


def test_stiff_mask_top_gamma_per_trajectory_and_dataset():
    sai = np.array(
        [
            [1.0, 9.0, 2.0, 3.0, 0.5, 7.0, 1.0, 1.0, 1.0, 1.0],
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.1],
        ]
    )
    per_traj = stiff_mask(sai, 0.2, "trajectory")
    assert per_traj.sum(1).tolist() == [2, 2]
    assert per_traj[0, [1, 5]].all() and per_traj[1, 8]
    whole = stiff_mask(sai, 0.2, "dataset")
    assert whole.sum() == 4 and not whole[1].any()
    assert not stiff_mask(sai, 0.0).any()
    with pytest.raises(ValueError, match="gamma"):
        stiff_mask(sai, 1.0)


def test_replicate_stiff_counts():
    stiff = np.array([False, True, False, True])
    out = replicate_stiff(np.arange(4), stiff, 3)
    assert np.bincount(out).tolist() == [1, 3, 1, 3]
    with pytest.raises(ValueError, match="replication"):
        replicate_stiff(np.arange(4), stiff, 0)


def test_annotate_three_body_sai_tracks_si():
    """SANN §5: SAI follows SI; the top-SAI intervals are where SI is large."""
    three = make_system("three_body")
    ds = simulate(three, 20, 60, 0.1, seed=21, solver=GroundTruthSolver(max_energy_drift=1e-6))
    ann = annotate(ds, three)
    assert ann.sai.dims == ann.si.dims == ("trajectory", "interval")
    assert ann.sai.shape == (20, 59)
    stiff = stiff_mask(ann.sai.values, 0.1)
    assert ann.si.values[stiff].mean() > 2 * ann.si.values[~stiff].mean()
    rank_corr = np.corrcoef(
        np.argsort(np.argsort(ann.sai.values.ravel())),
        np.argsort(np.argsort(ann.si.values.ravel())),
    )[0, 1]
    assert rank_corr > 0.5


def test_stiff_mask_rejects_infinite_sai_and_warns_when_nothing_is_stiff():
    with pytest.raises(ValueError, match="not finite"):
        stiff_mask(np.array([[1.0, np.inf]]), 0.5)
    with pytest.warns(UserWarning, match="no interval stiff"):
        assert not stiff_mask(np.ones((2, 11)), 0.04).any()


#: The sai stage's ``system`` param for the three-body split.
THREE_BODY = {"name": "three_body", "parameters": {}, "definition": {}}


@pytest.fixture(scope="module")
def three_body_file(tmp_path_factory):
    from hampipe.data import write_dataset

    ds = simulate(make_system("three_body"), 2, 8, 0.1, seed=3,
                  solver=GroundTruthSolver(max_energy_drift=1e-6))  # fmt: skip
    return write_dataset(ds, tmp_path_factory.mktemp("sai") / "train.nc")


def test_annotate_file_takes_the_system_from_its_spec(three_body_file, tmp_path):
    from hampipe.data import read_dataset
    from hampipe.sai import annotate_file

    out = tmp_path / "sai.nc"
    annotate_file(str(three_body_file), str(out), system=THREE_BODY)
    ann = read_dataset(out, "sai")
    expected = annotate(read_dataset(three_body_file), make_system("three_body"))
    np.testing.assert_array_equal(ann.sai.values, expected.sai.values)
    np.testing.assert_array_equal(ann.si.values, expected.si.values)


def test_annotate_file_refuses_a_split_of_another_system(three_body_file, tmp_path):
    from hampipe.data import InputFileError
    from hampipe.sai import annotate_file

    out = tmp_path / "sai.nc"
    with pytest.raises(InputFileError, match=r"train\.nc: holds system 'three_body' .*"
                       r"but this job's system is 'two_body'"):  # fmt: skip
        annotate_file(str(three_body_file), str(out),
                      system={"name": "two_body", "parameters": {}, "definition": {}})  # fmt: skip
    heavier = {**THREE_BODY, "parameters": {"m1": 2.0}}
    with pytest.raises(InputFileError, match=r'"m1": 1\.0.*but .*"m1": 2\.0'):
        annotate_file(str(three_body_file), str(out), system=heavier)
    assert not out.exists()


#: The sai stage's ``system`` param and wildcards for the spring.
SPRING = {"name": "spring", "parameters": {}, "definition": {}}


def spring_split(path, split="train", change=None):
    """A spring split written by the ``simulate`` job of ``spring``/``split``, after
    ``change(ds)`` (to damage it)."""
    from hampipe.data import write_dataset
    from tests.helpers import in_job

    ds = simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 3, 6, 0.1, seed=0)
    if change is not None:
        change(ds)
    with in_job("simulate", system="spring", split=split):
        return write_dataset(ds, path)


def zero_state(ds):
    ds["q"].values[1, 2] = 0.0
    ds["p"].values[1, 2] = 0.0


def nan_momentum(ds):
    ds["p"].values[2, 4] = np.nan


@pytest.mark.parametrize(
    ("split", "change", "message"),
    [
        ("test", None, "written for split 'test', but this job reads split 'train'"),
        ("train", nan_momentum, "variable 'p' holds nan at index trajectory=2, time=4, dof=0"),
        ("train", zero_state, "the SAI (SANN Eq. 5) at index trajectory=1, interval=2 is inf"),
    ],
)
def test_annotate_file_refuses_a_wrong_or_damaged_split_and_writes_nothing(
    tmp_path, split, change, message
):
    """The test split in the training split's place, a NaN in it (not carried into NaN
    SAI values), a zero state (whose SAI is infinite): named where they enter."""
    from hampipe.data import InputFileError
    from hampipe.sai import annotate_file

    train = spring_split(tmp_path / "train.nc", split, change)
    out = tmp_path / "sai.nc"
    with pytest.raises(InputFileError) as error:
        annotate_file(str(train), str(out), system=SPRING, expect={"system": "spring"})
    assert str(error.value).startswith(f"{train}: {message}")
    assert not out.exists()
