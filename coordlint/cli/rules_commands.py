"""``coordlint rules``, ``explain`` and ``plugins``: what is loaded and what each rule does."""

from __future__ import annotations

import click

from coordlint.cli.options import open_session, setup_options
from coordlint.core import engine
from coordlint.core.engine_findings import ENGINE_RULES
from coordlint.core.session import Setup
from coordlint.core.suggest import find_rule
from coordlint.formatters import rules_format

__all__ = ["explain", "plugins_command", "rules_command"]


@click.command("rules")
@click.option("--all", "show_all", is_flag=True, help="Include rules the config disables.")
@click.option(
    "--output-format",
    "-f",
    "output_format",
    type=click.Choice(rules_format.FORMATS),
    default="text",
    show_default=True,
    help="text: aligned columns; json: every field, the documentation included (as ruff's "
    "'rule --all --output-format json').",
)
@setup_options
def rules_command(show_all: bool, output_format: str, setup: Setup) -> int:
    """List every rule: code, name, severity, and the plugin it comes from."""
    session = open_session(setup).select()
    settings, loaded = session.settings, session.plugins
    enabled = {r.code for r in engine.select_rules(loaded.rules, settings)} | set(ENGINE_RULES)
    every = sorted([*loaded.rules.values(), *ENGINE_RULES.values()], key=lambda r: r.code)
    shown = [r for r in every if show_all or r.code in enabled]
    text = rules_format.format_rules(shown, settings.severity, enabled, output_format)
    click.echo(text, nl=False)
    return 0


@click.command()
@click.argument("rule", metavar="CODE_OR_NAME")
@setup_options
def explain(rule: str, setup: Setup) -> int:
    """Print one rule's documentation (by code, CL201, or name, soft-ce-rebound), as Markdown."""
    loaded = open_session(setup).plugins
    found = find_rule({**loaded.rules, **ENGINE_RULES}, rule)
    click.echo(rules_format.explanation(found), nl=False)
    return 0


@click.command("plugins")
@setup_options
def plugins_command(setup: Setup) -> int:
    """List loaded plugins: name, version, where it came from, its rules."""
    loaded = open_session(setup).plugins
    for info in loaded.info.values():
        rules = ", ".join(info.rules) or "-"
        click.echo(f"{info.name}  {info.version or '-'}  ({info.origin})  rules: {rules}")
    return 0
