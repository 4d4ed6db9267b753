"""The whole CLI in the chosen language: help texts, and Typer's and Click's own words.

The language is known before the command line is parsed (``--lang`` or ``PHUSONG_LANG``,
Vietnamese by default), so the commands are built with their help already translated
(:data:`phusong.help_vi.HELP_VI`)."""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import typer

from phusong.help_vi import (FRAME_VI, HELP_VI, METAVARS_VI, OPTIONS_METAVAR_VI,
                              SUBCOMMAND_METAVAR_VI, USAGE_VI)
from phusong.i18n import t


def requested_language(argv: Sequence[str], env: Mapping[str, str] = os.environ) -> str:
    """``vi`` or ``en`` from ``--lang X`` / ``--lang=X`` on the command line, else
    ``PHUSONG_LANG``, else Vietnamese."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1].lower().startswith("en") else "vi"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1].lower().startswith("en") else "vi"
    return "en" if env.get("PHUSONG_LANG", "vi").lower().startswith("en") else "vi"


def command_in(app: typer.Typer, lang: str):
    """The Click command of ``app``, its help in ``lang``."""
    command = typer.main.get_command(app)
    if lang == "vi":
        _speak_vietnamese()
        _translate(command, root=True)
    return command


def _translate(command, root: bool = False) -> None:
    if root:
        command.help = t("app.help", "vi")
    elif command.help:
        command.help = HELP_VI.get(command.help.strip(), command.help)
    if command.short_help:
        command.short_help = HELP_VI.get(command.short_help, command.short_help)
    command.options_metavar = OPTIONS_METAVAR_VI
    for param in command.params:
        if getattr(param, "help", None):
            param.help = HELP_VI.get(param.help, param.help)
        if param.metavar in METAVARS_VI:
            param.metavar = METAVARS_VI[param.metavar]
    helper = command.get_help_option(_click_module("core").Context(command))
    if helper is not None:
        helper.help = HELP_VI.get(helper.help, helper.help)
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:
        command.subcommand_metavar = SUBCOMMAND_METAVAR_VI
        for sub in subcommands.values():
            _translate(sub)


def _speak_vietnamese() -> None:
    """Typer's panel titles and markers, and Click's usage line, in Vietnamese."""
    from typer import rich_utils

    for name, text in FRAME_VI.items():
        setattr(rich_utils, name, text)
    formatting = _click_module("formatting")
    original = formatting.HelpFormatter.write_usage
    if getattr(original, "phusong_vi", False):
        return

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, USAGE_VI if prefix is None else prefix)

    write_usage.phusong_vi = True
    formatting.HelpFormatter.write_usage = write_usage


def _click_module(name: str):
    import importlib

    try:  # typer ≥ 0.20 carries its own copy of click
        return importlib.import_module(f"typer._click.{name}")
    except ImportError:  # pragma: no cover - older typer uses click itself
        return importlib.import_module(f"click.{name}")
