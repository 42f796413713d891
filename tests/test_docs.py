"""Everything a user or plugin author meets is documented: hooks, rules, commands, options."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from coordlint import hookspecs
from coordlint.cli import cli
from coordlint.core.plugins import load_plugins

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
BUILTIN_RULES = load_plugins(autoload=False).rules


def test_every_hook_is_documented_and_typed():
    hooks = [f for name, f in vars(hookspecs).items() if name.startswith("coordlint_")]
    assert hooks, "no hookspecs found"
    for hook in hooks:
        assert hook.__doc__ and len(hook.__doc__.strip()) > 40, hook.__name__
        assert inspect.signature(hook).return_annotation is not inspect.Signature.empty


@pytest.mark.parametrize("code", sorted(BUILTIN_RULES))
def test_every_builtin_rule_is_documented_in_rufs_shape(code):
    rule = BUILTIN_RULES[code]
    assert "## What it does" in rule.doc and "## Why it matters" in rule.doc, code
    assert "## Example" in rule.doc, code
    for param in rule.params:
        assert param in rule.doc, f"{code} does not document its param {param!r}"
    assert f"| {code} | {rule.name} |" in README, f"{code} is missing from the README's table"


def test_every_command_and_option_has_help():
    for name, command in cli.commands.items():
        assert command.help, name
        for param in command.params:
            if param.param_type_name == "option" and not getattr(param, "hidden", False):
                assert param.help, f"coordlint {name} {param.opts[0]} has no help"


def test_every_check_option_is_in_the_readme():
    check = cli.commands["check"]
    documented = set(re.findall(r"`(--[a-z-]+)", README))
    for param in check.params:
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        long_opts = [o for o in param.opts if o.startswith("--")]
        if long_opts:
            assert set(long_opts) & documented, f"check {long_opts} is not in the README"
        else:
            assert any(f"`{o} " in README for o in param.opts), f"check {param.opts} undocumented"
