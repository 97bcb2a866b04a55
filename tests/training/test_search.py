"""The partition grid search of SANN App. G."""

import numpy as np
import pytest

from hampipe.core import resolve_method
from hampipe.data import simulate, write_dataset
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import partition_pairs, partition_search, partition_search_file
from tests.helpers import paper_config

SMALL = {"width": 8, "depth": 1, "batch_size": 16, "validation": 0.25, "dtype": "float64"}


@pytest.fixture(scope="module")
def three_body():
    ds = simulate(make_system("three_body"), 4, 12, 0.1, seed=2)
    return ds, annotate(ds)


def sann(**overrides) -> dict:
    _, h = resolve_method(paper_config()["methods"], "sann", "three_body")
    return {**h, **SMALL, **overrides}


def test_pairs_never_give_stiff_intervals_fewer_substeps():
    assert partition_pairs([2, 10, 20], [10, 50]) == [
        (2, 10),
        (2, 50),
        (10, 10),
        (10, 50),
        (20, 50),
    ]


def test_search_ranks_pairs_by_validation_loss(three_body):
    data, sai = three_body
    pairs = [(1, 2), (2, 4), (1, 1)]
    ds = partition_search("sann", sann(), data, sai, pairs, epochs=2, seed=5)
    assert list(ds.nonstiff.values) == [1, 2, 1] and list(ds.stiff.values) == [2, 4, 1]
    assert sorted(ds["rank"].values) == [1, 2, 3]
    best = int(np.argmin(ds.validation_loss.values))
    assert ds["rank"].values[best] == 1
    assert (ds.attrs["chosen_nonstiff"], ds.attrs["chosen_stiff"]) == pairs[best]
    assert np.isfinite(ds.train_loss).all() and (ds.seconds > 0).all()
    # every pair starts from the same seed: a repeated pair gives the same loss
    again = partition_search("sann", sann(), data, sai, [(2, 4)], epochs=2, seed=5)
    assert again.validation_loss.values[0] == ds.validation_loss.values[1]


def test_search_needs_validation_and_partitions(three_body):
    data, sai = three_body
    with pytest.raises(ValueError, match=r"methods.sann.validation"):
        partition_search("sann", sann(validation=0.0), data, sai, [(1, 2)], 1, 0)
    _, srnn = resolve_method(paper_config()["methods"], "srnn", "three_body")
    with pytest.raises(ValueError, match="takes no partitions"):
        partition_search("srnn", {**srnn, **SMALL}, data, None, [(1, 2)], 1, 0)


def test_search_file_round_trip(three_body, tmp_path):
    data, sai = three_body
    write_dataset(data, tmp_path / "train.nc")
    write_dataset(sai, tmp_path / "sai.nc")
    out = tmp_path / "search.nc"
    partition_search_file("sann", sann(), tmp_path / "train.nc", tmp_path / "sai.nc", out,
                          [1], [1, 2], epochs=1, seed=0, entry="sann")  # fmt: skip
    from hampipe.data import read_dataset

    ds = read_dataset(out)
    assert ds.sizes["pair"] == 2 and ds.attrs["method"] == "sann" and ds.attrs["epochs"] == 1


def test_search_file_refuses_the_test_split_in_the_training_splits_place(three_body, tmp_path):
    from hampipe.data import InputFileError
    from tests.helpers import in_job

    data, sai = three_body
    with in_job("simulate", system="three_body", split="test"):
        write_dataset(data.copy(), tmp_path / "train.nc")
    out = tmp_path / "search.nc"
    job = {"system": "three_body", "method": "sann"}
    with pytest.raises(InputFileError, match=r"train.nc: written for split 'test', but this job"):
        partition_search_file("sann", sann(), tmp_path / "train.nc", None, out, [1], [1, 2],
                              epochs=1, seed=0, expect=job)  # fmt: skip
    assert not out.exists()
