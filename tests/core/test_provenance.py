"""Provenance: the job's record, its log file and tracebacks, and `hampipe provenance`."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from snakemake.iocontainers import Namedlist

import hampipe
from hampipe.__main__ import main
from hampipe.core import end_job, provenance, start_job
from hampipe.core.provenance import git_commit, input_checksums, params_hash
from hampipe.data import write_dataset

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def fake_job(tmp_path: Path, rule: str = "sai", inputs: dict | None = None, **params):
    """What Snakemake hands a script as ``snakemake``: Namedlists of paths and values."""
    return SimpleNamespace(
        rule=rule,
        log=Namedlist(toclone=[str(tmp_path / f"{rule}.log")]),
        input=Namedlist(fromdict=inputs or {}),
        params=Namedlist(fromdict=params),
        wildcards=Namedlist(fromdict={"system": "spring"}),
    )


@pytest.fixture
def job_cleanup(monkeypatch, restore_logging):
    """Undo what start_job sets up: the record, the excepthook and the log handlers."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    yield
    end_job()


def test_outside_a_job_the_record_is_version_and_commit():
    record = provenance()
    assert record["hampipe_version"] == hampipe.__version__
    assert set(record) <= {"hampipe_version", "git_commit"}
    json.dumps(record)  # JSON-able


def test_start_job_records_rule_params_and_input_checksums(tmp_path, job_cleanup):
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    a.write_bytes(b"first input")
    b.write_bytes(b"x" * 3_000_000)  # more than one chunk
    job = fake_job(tmp_path, inputs={"train": str(a), "test": str(b)}, step=0.1, seed=3)
    record = start_job(job)
    assert record == provenance()
    assert record["rule"] == "sai" and record["wildcards"] == {"system": "spring"}
    assert record["params_hash"] == params_hash({"seed": 3, "step": 0.1})  # any key order
    assert record["params_hash"] != params_hash({"seed": 4, "step": 0.1})
    assert record["input_checksums"] == {
        str(a): "sha256:" + hashlib.sha256(b"first input").hexdigest(),
        str(b): "sha256:" + hashlib.sha256(b"x" * 3_000_000).hexdigest(),
    }
    # nothing time- or host-dependent: the same job gives the same record
    assert start_job(job) == record
    text = json.dumps(record)
    assert "vm" not in record.values() and "date" not in text.lower()
    logging.getLogger("hampipe.test").info("a message of the job")
    log = (tmp_path / "sai.log").read_text()
    assert "rule sai" in log and "a message of the job" in log
    end_job()
    assert "rule" not in provenance()


def test_params_hash_takes_any_value():
    assert params_hash({"path": Path("x"), "n": 1}) == params_hash({"n": 1, "path": "x"})
    assert params_hash({}).startswith("sha256:")


def test_a_missing_input_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.nc"):
        input_checksums([tmp_path / "absent.nc"])


def test_an_uncaught_exception_lands_in_the_log_file(tmp_path):
    log = tmp_path / "job.log"
    script = (
        "import sys\n"
        "from types import SimpleNamespace\n"
        "from hampipe.core import start_job\n"
        "start_job(SimpleNamespace(rule='train', log=[sys.argv[1]], input=[], params={},"
        " wildcards={}))\n"
        "def inner():\n"
        "    raise RuntimeError('boom in the job')\n"
        "inner()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(log)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    text = log.read_text()
    assert "rule train failed: RuntimeError: boom in the job" in text
    assert "Traceback (most recent call last)" in text and "in inner" in text
    assert result.stderr.count("Traceback") == 1  # on stderr too, once


@needs_git
def test_git_commit_marks_local_changes(tmp_path):
    def git(*args):
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert git_commit(tmp_path) is None  # not yet a checkout: no error
    git("init", "-q")
    (tmp_path / "f.txt").write_text("one")
    git("add", "f.txt")
    git("commit", "-qm", "first")
    head = git("rev-parse", "HEAD")
    assert git_commit(tmp_path) == head
    (tmp_path / "untracked.txt").write_text("new")
    assert git_commit(tmp_path) == head  # untracked files do not count
    (tmp_path / "f.txt").write_text("two")
    assert git_commit(tmp_path) == f"{head}-dirty"


def test_no_git_no_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # git cannot be found
    assert git_commit(tmp_path) is None


# `hampipe provenance FILE`


def run_cli(capsys, path) -> tuple[int, list[str], str]:
    status = main(["provenance", str(path)])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_cli_prints_a_netcdf_files_record(tmp_path, job_cleanup, capsys):
    source = tmp_path / "train.nc"
    source.write_bytes(b"input bytes")
    start_job(fake_job(tmp_path, inputs={"train": str(source)}, seed=1))
    path = write_dataset(xr.Dataset({"a": ("x", np.arange(3.0))}), tmp_path / "out.nc")
    status, lines, err = run_cli(capsys, path)
    assert status == 0 and "hampipe provenance:" not in err
    assert f"hampipe_version: {hampipe.__version__}" in lines
    assert "rule: sai" in lines and "wildcards.system: spring" in lines
    assert f"params_hash: {params_hash({'seed': 1})}" in lines
    digest = hashlib.sha256(b"input bytes").hexdigest()
    assert f"input_checksums.{source}: sha256:{digest}" in lines


def test_cli_prints_a_figures_record(tmp_path, job_cleanup, capsys):
    import matplotlib.pyplot as plt

    from hampipe.plotting.figures import save_figure

    start_job(fake_job(tmp_path, rule="figure_energy", width=3))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "fig.pdf")
    for name in ("fig.pdf", "fig.png"):
        status, lines, _ = run_cli(capsys, tmp_path / name)
        assert status == 0 and "rule: figure_energy" in lines, name
        assert f"params_hash: {params_hash({'width': 3})}" in lines, name
        assert "input_checksums: {}" in lines, name


def test_cli_prints_a_model_files_record(tmp_path, job_cleanup, capsys):
    import torch

    from hampipe.data import simulate
    from hampipe.models import METHODS
    from hampipe.systems import make_system
    from hampipe.training import save_model

    data = simulate(make_system("spring"), 3, 8, 0.1, seed=0)
    method = METHODS["hnn"].build({"model": "separable", "width": 8, "depth": 2}, data)
    start_job(fake_job(tmp_path, rule="train", learning_rate=0.01))
    path = save_model(tmp_path / "hnn.pt", method, {"loss": [1.0]}, "spring", seed=0)
    payload = torch.load(path, weights_only=True)
    assert payload["provenance"] == provenance()
    status, lines, _ = run_cli(capsys, path)
    assert status == 0 and "rule: train" in lines
    assert f"params_hash: {params_hash({'learning_rate': 0.01})}" in lines


def test_cli_prints_a_tables_record_from_each_of_its_files(tmp_path, job_cleanup, capsys):
    import pandas as pd

    from hampipe.plotting.tables import save_table

    start_job(fake_job(tmp_path, rule="table_summary", digits="a--b"))
    path = save_table(pd.DataFrame({"a": [1.0]}), tmp_path / "summary.csv", header="1 seed")
    assert pd.read_csv(path).to_dict() == {"a": {0: 1.0}}  # the CSV stays plain
    assert path.with_suffix(".md").read_text().count("-->") == 1  # "--" cannot close it
    for name in ("summary.md", "summary.html", "summary.csv"):
        status, lines, _ = run_cli(capsys, tmp_path / name)
        assert status == 0 and "rule: table_summary" in lines, name
        assert f"params_hash: {params_hash({'digits': 'a--b'})}" in lines, name
    assert (
        lines[0]
        == f"# the record of {tmp_path / 'summary.html'}, written beside it by the same job"
    )


def test_cli_prints_a_gifs_and_an_animation_pages_record(tmp_path, job_cleanup, capsys):
    from PIL import Image

    from hampipe.core.provenance import gif_with_comment, record_json
    from hampipe.plotting.animation import write_animation_page

    start_job(fake_job(tmp_path, rule="figure_animation"))
    frames = [Image.new("RGB", (4, 3), colour) for colour in ("red", "blue")]
    plain = tmp_path / "plain.gif"
    frames[0].save(plain, save_all=True, append_images=frames[1:], duration=100, loop=0)
    gif = tmp_path / "orbits.gif"
    gif.write_bytes(gif_with_comment(plain.read_bytes(), record_json() + " " * 600))
    with Image.open(gif) as image:  # still a GIF of the same frames, comment in >2 blocks
        assert image.n_frames == 2 and image.size == (4, 3)
    write_animation_page(gif, tmp_path / "orbits.html", "two-body")
    for name in ("orbits.gif", "orbits.html"):
        status, lines, _ = run_cli(capsys, tmp_path / name)
        assert status == 0 and "rule: figure_animation" in lines, name
    status, _, err = run_cli(capsys, plain)
    assert status == 2 and "plain.gif" in err
    with pytest.raises(ValueError, match="not a GIF"):
        gif_with_comment(b"\x89PNG\r\n\x1a\n" + bytes(20), "{}")


def test_cli_names_a_missing_or_foreign_file(tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    (tmp_path / "notes.nc").write_text("q, p\n1, 2\n")
    xr.Dataset({"t": ("x", np.arange(3.0))}).to_netcdf(tmp_path / "foreign.nc")
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    plt.figure().savefig(tmp_path / "plain.png")
    plt.close("all")
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    (tmp_path / "notes.md").write_text("| a |\n|---|\n| 1 |\n")
    (tmp_path / "page.html").write_text("<html><head><meta charset='utf-8'></head></html>")
    (tmp_path / "run.log").write_text("done\n")
    foreign = ("foreign.nc", "foreign.pt", "plain.png", "table.csv", "notes.md", "page.html")
    for name in ("absent.nc", "notes.nc", *foreign, "run.log"):
        status, lines, err = run_cli(capsys, tmp_path / name)
        assert status == 2 and lines == [], name
        assert len(err.strip().splitlines()) == 1 and name in err, err
        assert "Traceback" not in err


def test_python_m_hampipe(tmp_path):
    path = write_dataset(xr.Dataset({"a": ("x", np.arange(3.0))}), tmp_path / "out.nc")
    ok = subprocess.run(
        [sys.executable, "-m", "hampipe", "provenance", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and f"hampipe_version: {hampipe.__version__}" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "hampipe", "provenance", str(tmp_path / "absent.pt")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == f"hampipe provenance: {tmp_path / 'absent.pt'}: no such file"
