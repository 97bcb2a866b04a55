"""Logs: a job's log file, and progress as a bar on a terminal or as log lines."""

from __future__ import annotations

import io
import logging
import warnings

import pytest

from hampipe.core import log_to, progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def lines(caplog, desc: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{desc}:")]


def test_without_a_terminal_a_line_every_5_percent(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="hampipe"):
        items = list(progress(range(100), "simulate", stream=stream))
    assert items == list(range(100))
    logged = lines(caplog, "simulate")
    assert len(logged) == 20
    assert logged[0].startswith("simulate: 5/100 (5%)")
    assert logged[-1].startswith("simulate: 100/100 (100%)")
    assert stream.getvalue() == "" and "\r" not in caplog.text


def test_the_end_is_logged_once(caplog):
    with caplog.at_level(logging.INFO, logger="hampipe"):
        list(progress(iter(range(7)), "solve", total=7, every=50, stream=io.StringIO()))
        list(progress(iter(range(3)), "unsized", stream=io.StringIO()))
    assert [line.split(",")[0] for line in lines(caplog, "solve")] == [
        "solve: 4/7 (57%)",
        "solve: 7/7 (100%)",
    ]
    assert [line.split(",")[0] for line in lines(caplog, "unsized")] == ["unsized: 3 done"]


def test_postfix_goes_into_the_next_line(caplog):
    with caplog.at_level(logging.INFO, logger="hampipe"):
        bar = progress(range(10), "train sann", every=50, stream=io.StringIO())
        for epoch in bar:
            bar.set_postfix(loss=f"{1.0 / (epoch + 1):.3e}")
    logged = lines(caplog, "train sann")
    assert len(logged) == 2
    assert logged[0].endswith("loss=2.000e-01") and logged[1].endswith("loss=1.000e-01")


def test_a_resumed_loop_counts_from_where_it_was(caplog):
    with caplog.at_level(logging.INFO, logger="hampipe"):
        list(progress(range(50, 100), "train", total=100, initial=50, stream=io.StringIO()))
    logged = lines(caplog, "train")
    assert len(logged) == 10 and logged[0].startswith("train: 55/100 (55%)")


def test_on_a_terminal_a_bar_and_no_lines(caplog):
    stream = Terminal()
    with caplog.at_level(logging.INFO, logger="hampipe"):
        bar = progress(range(100), "simulate", stream=stream)
        assert bar.on_terminal
        for _ in bar:
            bar.set_postfix(loss=1.0)
    assert lines(caplog, "simulate") == []
    assert "simulate" in stream.getvalue() and "100/100" in stream.getvalue()
    assert "loss=1" in stream.getvalue()


def test_disabled_shows_nothing(caplog):
    stream = Terminal()
    with caplog.at_level(logging.INFO, logger="hampipe"):
        assert list(progress(range(5), "quiet", enabled=False, stream=stream)) == list(range(5))
    assert lines(caplog, "quiet") == [] and stream.getvalue() == ""


def test_every_must_be_a_percent():
    with pytest.raises(ValueError, match="every = 0"):
        progress(range(3), "x", every=0)


def test_log_to_fills_the_file_with_records_and_warnings(tmp_path, restore_logging):
    log = log_to(tmp_path / "job.log")
    log.info("a record")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a warning", UserWarning, stacklevel=1)
    text = (tmp_path / "job.log").read_text()
    assert "INFO hampipe: a record" in text and "UserWarning: a warning" in text
