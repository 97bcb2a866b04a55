"""Declared settings: one Block gives the schema, the defaults and the typed settings."""

import dataclasses

import jsonschema
import pytest

from hampipe.core.settings import (
    Block,
    SettingsError,
    boolean,
    choice,
    integer,
    nested,
    number,
    value_range,
)

BLOCK = Block(
    "a small learner",
    width=integer(8, "units", minimum=1),
    rate=number(0.1, "a rate", exclusive_minimum=0, exclusive_maximum=1),
    flag=boolean(True, "a switch"),
    kind=choice("models", "separable", "a model"),
    span=value_range([1.0, 2.0], "a pair"),
    inner=nested(Block(steps=integer(3, "steps", minimum=1)), "nested settings"),
    needed=number(description="no default"),
)


def test_the_schema_validates_exactly_what_the_block_accepts():
    schema = BLOCK.schema()
    assert schema["required"] == ["needed"] and schema["additionalProperties"] is False
    assert schema["description"] == "a small learner"
    assert schema["properties"]["kind"] == {
        "x-registry": "models",
        "default": "separable",
        "description": "a model",
    }
    assert schema["properties"]["span"]["x-ordered"] == "weak"
    assert schema["properties"]["inner"]["default"] == {}
    validator = jsonschema.Draft202012Validator(schema)
    good = {"needed": 1.0, "width": 2, "inner": {"steps": 1}}
    assert not list(validator.iter_errors(good))
    BLOCK.fill(good)
    for bad in ({"needed": 1.0, "width": 0}, {"needed": 1.0, "rate": 1.0}, {"width": 2}):
        assert list(validator.iter_errors(bad))
        with pytest.raises(SettingsError):
            BLOCK.fill(bad)


def test_defaults_fill_nested_blocks_and_leave_required_keys_out():
    assert BLOCK.defaults() == {
        "width": 8,
        "rate": 0.1,
        "flag": True,
        "kind": "separable",
        "span": [1.0, 2.0],
        "inner": {"steps": 3},
    }


def test_typed_settings_are_frozen_complete_and_convert_numbers():
    settings = BLOCK.typed({"needed": 2, "inner": {"steps": 5}})
    assert (settings.width, settings.needed, settings.inner.steps) == (8, 2.0, 5)
    assert isinstance(settings.needed, float) and settings.span == (1.0, 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.width = 3
    assert settings.as_dict() == {**BLOCK.defaults(), "needed": 2.0, "inner": {"steps": 5}}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"needed": 1, "widht": 3}, r"learner: unknown key\(s\) widht; valid: width, rate"),
        ({}, r"learner\.needed is required"),
        ({"needed": 1, "width": 0}, r"learner\.width must be >= 1, got 0"),
        ({"needed": 1, "width": 2.5}, r"learner\.width must be an integer, got 2.5"),
        ({"needed": 1, "rate": 0}, r"learner\.rate must be > 0, got 0"),
        ({"needed": 1, "flag": 1}, r"learner\.flag must be true or false, got 1"),
        ({"needed": True}, r"learner\.needed must be a number, got True"),
        ({"needed": 1, "span": [2, 1]}, r"learner\.span must be a pair \(low, high\)"),
        ({"needed": 1, "inner": {"steps": 0}}, r"learner\.inner\.steps must be >= 1"),
        ({"needed": 1, "inner": {"step": 1}}, r"learner\.inner: unknown key\(s\) step"),
    ],
)
def test_a_bad_value_names_its_key(values, message):
    with pytest.raises(SettingsError, match=message):
        BLOCK.typed(values, "learner")


def test_quoted_keys_read_as_options():
    with pytest.raises(SettingsError, match="integrator 'x': option 'width' must be >= 1"):
        BLOCK.fill({"needed": 1, "width": 0}, "integrator 'x': option", quote=True)


def test_but_changes_defaults_and_keeps_the_rest():
    other = BLOCK.but(width={"default": 3}, extra=boolean(False))
    assert other.defaults()["width"] == 3 and other.defaults()["extra"] is False
    assert other["rate"] == BLOCK["rate"] and BLOCK.defaults()["width"] == 8
    assert list(other)[-1] == "extra" and len(other) == len(BLOCK) + 1


def test_configurable_leaves_out_constructor_only_options():
    block = Block(a=integer(1), b=integer(2, config=False))
    assert list(block.configurable()) == ["a"]


def test_numpy_numbers_are_numbers_and_numpy_bools_are_not():
    import numpy as np

    settings = BLOCK.typed({"needed": np.float32(2.0), "width": np.int64(3)})
    assert (settings.needed, settings.width) == (2.0, 3) and type(settings.width) is int
    with pytest.raises(SettingsError, match="must be a number"):
        BLOCK.typed({"needed": np.bool_(True)})


def test_a_schema_path_with_declared_blocks_is_refused_unloaded():
    from hampipe.core.config import validate_config
    from tests.helpers import ROOT

    with pytest.raises(ValueError, match="load it with hampipe.plan.schema.load_schema"):
        validate_config({}, ROOT / "workflow/schemas/config.schema.yaml")
