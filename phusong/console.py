"""Printing that never crashes a measurement run, whatever the console's encoding."""
from __future__ import annotations

import sys

from rich.console import Console

from .host import configure_stream


def make_streams_safe() -> None:
    """Replace unencodable characters on stdout/stderr instead of raising.

    A cp1252 or cp437 console cannot encode "Đã lưu"; a crash there would lose a run. On
    Windows the streams print UTF-8 (:func:`phusong.host.console_encoding`).
    """
    for name in ("stdout", "stderr"):
        configure_stream(getattr(sys, name))


def make_console(stderr: bool = False) -> Console:
    """A rich console on the (made safe) standard stream."""
    make_streams_safe()
    return Console(stderr=stderr, highlight=False)
