"""``python -m hampipe.bench train``: the equality check of every benchmark method against
its plain autograd reference, its refusal of a wrong loss, and the command's JSON lines."""

import json
import subprocess
import sys

import pytest
import xarray as xr

from hampipe.bench.__main__ import main
from hampipe.bench.equivalence import TOLERANCE, MismatchError, check_equivalence
from hampipe.bench.plain import PLAIN
from hampipe.bench.train import RECORD_KEYS, format_table, run
from hampipe.bench.workload import BENCH_METHODS, benchmark_data, method_settings, scale_config
from hampipe.models import METHODS, compiled
from hampipe.models.method import Method
from tests.helpers import ROOT

CONFIG = scale_config("tiny", ROOT)


@pytest.fixture(scope="module")
def tiny_data() -> tuple[xr.Dataset, xr.Dataset]:
    return benchmark_data(CONFIG, "tiny", seed=0)


def test_every_learner_is_benchmarked():
    learners = {method_settings(CONFIG, m, "tiny")[0] for m in BENCH_METHODS}
    assert learners == set(METHODS)
    assert method_settings(CONFIG, "general", "tiny")[1]["model"] == "general"


@pytest.mark.parametrize("method", list(BENCH_METHODS))
def test_loss_and_gradients_equal_the_reference(tiny_data, method):
    """The issue's equality test: ours and the plain autograd reference agree in float64
    on the first batch of the tiny three-body benchmark."""
    data, sai = tiny_data
    learner, h = method_settings(CONFIG, method, "tiny")
    assert h["width"] == 8
    difference = check_equivalence(method, learner, h, data, sai)
    assert 0 <= difference <= TOLERANCE


def test_a_wrong_loss_is_refused(tiny_data, monkeypatch, capsys):
    """A loss 1 % off fails the check, and the command exits non-zero timing nothing."""
    data, sai = tiny_data
    learner, h = method_settings(CONFIG, "srnn", "tiny")
    loss = Method.loss
    monkeypatch.setattr(Method, "loss", lambda self, batch: 1.01 * loss(self, batch))
    with pytest.raises(MismatchError, match=r"method 'srnn' .* differ from the plain reference"):
        check_equivalence("srnn", learner, h, data, sai)
    argv = ["train", "--scale", "tiny", "--method", "hnn,srnn", "--json", "--root", str(ROOT)]
    assert main(argv) == 1
    out = capsys.readouterr()
    assert out.out == "" and "error: method 'hnn'" in out.err and "refusing to time" in out.err


def test_unknown_names_list_the_valid_ones(capsys):
    with pytest.raises(ValueError, match="unknown method 'sann_k4'; valid: sann, srnn"):
        method_settings(CONFIG, "sann_k4", "tiny")
    with pytest.raises(ValueError, match="unknown scale 'huge'; valid: tiny, cpu, paper"):
        scale_config("huge", ROOT)
    for option, valid in [
        (["--method", "sann,foo"], "valid: sann, srnn, hnn, hinn, ode, general"),
        (["--scale", "huge"], "invalid choice: 'huge'"),  # argparse lists the choices
    ]:
        with pytest.raises(SystemExit) as exit_:
            main(["train", *option])
        assert exit_.value.code != 0 and valid in capsys.readouterr().err


def test_command_prints_one_json_line_per_method():
    command = [sys.executable, "-m", "hampipe.bench", "train", "--scale", "tiny"]
    command += ["--method", "srnn,hnn", "--json", "--batches", "1", "--repeats", "1"]
    command += ["--threads", "1", "--width", "6"]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    record, hnn = map(json.loads, lines)
    assert set(RECORD_KEYS) <= set(record)
    assert record["method"] == "srnn" and record["scale"] == "tiny"
    assert record["width"] == 6 and record["threads"] == 1 and record["batches_timed"] == 1
    assert record["seconds_per_epoch"] > 0 and record["reference_seconds_per_epoch"] > 0
    assert record["ratio"] == pytest.approx(
        record["reference_seconds_per_epoch"] / record["seconds_per_epoch"]
    )
    assert record["max_relative_difference"] <= TOLERANCE
    assert record["peak_memory_bytes"] > 0
    # SRNN's reference is the plain separable step; the merged-kick one and the generic
    # one are further columns
    assert record["reference"] == PLAIN
    for side in ("merged", "generic"):
        assert record[f"{side}_ratio"] == pytest.approx(
            record[f"{side}_seconds_per_epoch"] / record["seconds_per_epoch"]
        )
    # how far from the machine: FLOPs / seconds / the measured dense matmul throughput
    assert record["threads"] == 1 and record["matmul_flops_per_second"] > 0
    for side in ("", "reference_", "merged_", "generic_"):
        assert record[f"{side}flops_per_epoch"] > 0
        assert record[f"{side}fraction_of_matmul"] == pytest.approx(
            record[f"{side}flops_per_epoch"]
            / record[f"{side}seconds_per_epoch"]
            / record["matmul_flops_per_second"]
        )
    # HNN has no plain separable reference: its merged columns are empty, not made up
    assert hnn["method"] == "hnn" and hnn["reference"] != PLAIN
    assert all(hnn[f"merged_{k}"] is None for k in ("seconds_per_epoch", "ratio"))
    table = format_table([record, hnn]).splitlines()
    assert "% of matmul" in table[1] and "generic ratio" in table[1] and "merged ratio" in table[1]
    assert f"{100 * record['fraction_of_matmul']:.2f}" in table[2].split()
    assert table[3].split().count("-") == 2  # HNN: merged s/epoch and merged ratio


def test_compiled_kernels_are_checked_and_timed_where_asked(tiny_data):
    """``compile=True``: SANN's step runs the compiled rational kernels, still equal to
    both references; the record says which kernels ran; the process is left eager."""
    kwargs = dict(scale="tiny", threads=1, repeats=1, batches=1, data=tiny_data, width=6)
    (record,) = run(["sann"], compile=True, root=ROOT, **kwargs)
    assert record["compiled_kernels"] is True
    assert record["max_relative_difference"] <= TOLERANCE
    assert compiled.ACTIVE["cpu"] is False
    (record,) = run(["sann"], compile=False, root=ROOT, **kwargs)
    assert record["compiled_kernels"] is False
