"""``hampipe.plan.screen``: config files read strictly, and what no check could read."""

import copy
import time

import pytest
import yaml

from hampipe.core import ConfigError
from hampipe.plan import Plan, load_config
from hampipe.plan.config import SCHEMA
from hampipe.plan.screen import (
    MAX_DEPTH,
    MAX_VALUES,
    read_config_file,
    screen_files,
    unreadable,
)
from tests.helpers import ROOT

#: The "billion laughs": nine levels of ten aliases of the level below (10⁹ values).
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{level}: &{level} [{', '.join([f'*{below}'] * 10)}]\n"
    for below, level in zip("abcdefgh", "bcdefghi", strict=True)
)


def _refusal(tmp_path, text: str, name: str = "bad.yaml") -> tuple[str, str]:
    """(the path, the message) of reading a file holding ``text``."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        read_config_file(path)
    return str(path), str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "seed: 1\nmethods:\n  sann:\n    epochs: 10\n    epochs: 20\n",
            "line 5: config key 'methods.sann.epochs': given twice in one mapping (first on line 4",
        ),
        ("figures: {trajectory: 0, trajectory: 1}\n", "config key 'figures.trajectory': given"),
        ("seeds: 1\n'seeds': 2\n", "line 2: config key 'seeds': given twice"),
        ("figures: &f\n  trajectory: 0\n  again: *f\n", "config key 'figures.again': an alias"),
        ("animations: &a [billiard, *a]\n", "config key 'animations[1]': an alias inside"),
        (BOMB, "expands to more than 100000 values through its aliases"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
        ("seed: " + "9" * 5000 + "\n", "holds a value no config can use"),
        ("- 1\n- 2\n", "holds list, expected a mapping"),
        ("seeds: [1\n", "not valid YAML"),
    ],
    ids=[
        "duplicate",
        "duplicate_in_flow",
        "duplicate_quoted",
        "recursive_mapping",
        "recursive_list",
        "billion_laughs",
        "deep",
        "deeper_than_the_parser",
        "integer_of_5000_digits",
        "not_a_mapping",
        "invalid",
    ],
)
def test_a_file_no_config_can_be_read_from_is_refused_quickly_by_name(tmp_path, text, expected):
    start = time.perf_counter()
    path, message = _refusal(tmp_path, text)
    assert time.perf_counter() - start < 5
    assert f"config file {path}: " in message
    assert expected in message


def test_every_repeated_key_of_every_file_is_listed(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("seeds: 1\nseeds: 2\nseed: 3\nseed: 4\n")
    second.write_text("systems:\n  spring: {dt: 0.1, dt: 0.2}\n")
    with pytest.raises(ConfigError) as error:
        screen_files([first, second])
    assert [p.split(": config key ")[1].split(":")[0] for p in error.value.problems] == [
        "'seeds'",
        "'seed'",
        "'systems.spring.dt'",
    ]
    assert error.value.problems[2].startswith(f"config file {second}: line 2: ")


def test_aliases_merge_keys_and_json_are_read_as_yaml_reads_them(tmp_path):
    """What a config legitimately uses: aliases used a few times (config.quick.yaml), a
    merge key whose block a later key overrides, and a JSON file."""
    text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\nd: [*b, *b]\n"
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert read_config_file(path) == yaml.safe_load(text)
    quick = ROOT / "config.quick.yaml"
    assert read_config_file(quick) == yaml.safe_load(quick.read_text())
    json_file = tmp_path / "c.json"
    json_file.write_text('{"seeds": 2, "systems": {"spring": {"dt": 0.2}}}')
    assert read_config_file(json_file) == {"seeds": 2, "systems": {"spring": {"dt": 0.2}}}
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    assert read_config_file(empty) == {}
    screen_files([ROOT / "config.yaml", quick, path, json_file, empty])


def test_load_config_and_the_workflow_plan_read_files_strictly(tmp_path):
    overlay = tmp_path / "twice.yaml"
    overlay.write_text("seeds: 1\nseeds: 2\n")
    with pytest.raises(ConfigError, match=f"config file {overlay}: line 2: config key 'seeds'"):
        load_config("config.yaml", overlay, root=ROOT)
    config = load_config(root=ROOT)
    with pytest.raises(ConfigError, match=f"config file {overlay}: line 2: config key 'seeds'"):
        Plan.from_config(
            copy.deepcopy(config), ROOT / SCHEMA, files=[ROOT / "config.yaml", overlay]
        )
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError, match=f"config file {missing}: not found"):
        Plan.from_config(copy.deepcopy(config), ROOT / SCHEMA, files=[missing])
    assert Plan.from_config(config, ROOT / SCHEMA, files=[ROOT / "config.yaml"]).seeds == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e300, "config key 'x.y': 1e+300 is too large for any setting"),
        (-1e101, "config key 'x.y': -1e+101 is too large"),
        (10**400, "config key 'x.y': an integer of about 401 digits is too large"),
        (1e-300, "config key 'x.y': 1e-300 is too close to 0 for any setting"),
        (float("nan"), "config key 'x.y': nan is not a finite number"),
        (-float("inf"), "config key 'x.y': -inf is not a finite number"),
    ],
)
def test_a_number_no_setting_can_take_is_refused_whatever_its_key(value, expected):
    (problem,) = unreadable({"x": {"y": value}})
    assert problem.startswith(expected)
    assert not unreadable({"x": {"y": [1e100, -1e-100, 0, 0.0, 2**62, True]}})


def test_a_config_built_in_memory_is_screened_for_size_and_depth():
    """A bomb built of shared lists (as Snakemake's own reading leaves one) is stopped
    after MAX_VALUES values, not expanded; a key that is no name is named."""
    level: list = ["lol"] * 10
    for _ in range(8):
        level = [level] * 10
    start = time.perf_counter()
    (problem,) = unreadable({"bomb": level})
    assert time.perf_counter() - start < 5
    assert problem.startswith("config key 'bomb[") and f"more than {MAX_VALUES} values" in problem
    assert unreadable({"systems": {10**5000: {}}}) == [
        "config key 'systems': the key an integer of about 5001 digits is a int, expected a "
        "name (quote it)"
    ]
