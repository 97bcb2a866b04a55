"""``python -m hampipe.bench ensemble`` at a tiny scale: one JSON line per method and N."""

import json

from hampipe.bench.__main__ import main
from tests.helpers import ROOT


def test_the_ensemble_benchmark_prints_a_line_per_method_and_size(capsys):
    argv = ["ensemble", "--method", "hnn", "--members", "1", "2", "--trajectories", "3"]
    argv += ["--steps", "6", "--epochs", "1", "--threads", "1", "--root", str(ROOT)]
    assert main(argv) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["method"], r["members"]) for r in records] == [("hnn", 1), ("hnn", 2)]
    for record in records:
        assert record["ensemble_s"] > 0 and record["separate_fits_s"] > 0
        ratio = record["separate_fits_s"] / record["ensemble_s"]
        assert abs(record["speedup"] - ratio) <= 0.01 * ratio
