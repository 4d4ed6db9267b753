"""Printing that never crashes a measurement run, whatever the console's encoding."""
from __future__ import annotations

import io
import sys

from rich.console import Console


def make_streams_safe() -> None:
    """Replace unencodable characters on stdout/stderr instead of raising.

    A cp1252 or cp437 console cannot encode "Đã lưu"; a crash there would lose a run.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, io.TextIOWrapper):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def make_console(stderr: bool = False) -> Console:
    """A rich console on the (made safe) standard stream."""
    make_streams_safe()
    return Console(stderr=stderr, highlight=False)
