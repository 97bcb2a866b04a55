"""The workflow's shape: thin rule files that take their policy from hampipe.plan."""

from __future__ import annotations

import re

import pytest

from hampipe.systems import SYSTEMS
from tests.helpers import ROOT

RULES = sorted((ROOT / "workflow/rules").glob("*.smk"))


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_rules_hold_no_lambda_and_no_system_name(path):
    code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
    assert not re.search(r"\blambda\b", code), path.name
    for name in SYSTEMS:
        assert f'"{name}"' not in code and f"'{name}'" not in code, (path.name, name)


def test_common_is_a_page_of_adapters():
    lines = (ROOT / "workflow/rules/common.smk").read_text().splitlines()
    assert len(lines) <= 200
    assert not any(line.startswith("rule ") for line in lines)


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_each_rules_file_is_named_after_its_rules(path):
    names = re.findall(r"^rule (\w+):", path.read_text(), flags=re.M)
    named = re.findall(r'^\s+f"(\w+)_\{spec\.name\}"', path.read_text(), flags=re.M)
    stem = path.stem
    if stem == "common":
        assert not names and not named
        return
    assert names or named, path.name
    for name in names:
        assert name == stem, (path.name, name)
    for prefix in named:  # figures.smk: figure_<spec>, tables.smk: table_<spec>
        assert stem == prefix + "s", (path.name, prefix)


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "src").rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 500
    }
    assert not long, long
