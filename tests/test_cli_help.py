"""The whole CLI speaks the chosen language: every command's --help under --lang vi holds no
English sentence (Typer's and Click's own words included), and --lang en stays English."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import typer

from phusong.cli import app
from phusong.help_vi import HELP_VI

# Words that only an English sentence holds (values such as "default" or "any" are codes).
ENGLISH = {"the", "and", "of", "to", "with", "or", "for", "is", "are", "this", "that",
           "from", "by", "into", "each", "every", "when", "not", "its", "show", "message",
           "exit", "usage", "options", "commands", "arguments", "required", "file", "folder",
           "readings", "store", "run", "write", "on", "without", "per"}
CODE = re.compile(r"<[^>]*>|--?[\w-]+|\S*[./_:\\]\S*|'[^']*'|\[[A-Z_ ]+\]")


def command_paths() -> list[list[str]]:
    paths = []

    def walk(command, path):
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def help_page(path: list[str], lang: str) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "phusong.cli", "--lang", lang, *path, "--help"],
                          capture_output=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("utf-8", errors="replace")


def english_words(page: str, commands: set[str]) -> set[str]:
    found = set()
    for line in page.splitlines():
        text = CODE.sub(" ", line.strip("│╭╰─ "))
        words = re.findall(r"\w+", text)  # Vietnamese words whole: "toàn" is not "to"
        # command names are code, in the usage line and the commands panel alike
        found |= {w for w in words if w.lower() in ENGLISH and w not in commands}
    return found


def test_every_help_page_speaks_vietnamese():
    paths = command_paths()
    assert len(paths) >= 20
    commands = {name for path in paths for name in path}
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda p: help_page(p, "vi"), paths))
    left = {" ".join(path) or "phusong": english_words(page, commands)
            for path, page in zip(paths, pages)}
    assert not {k: v for k, v in left.items() if v}
    assert all("Cách dùng:" in page and "Tuỳ chọn" in page for page in pages)


def test_every_help_text_has_its_vietnamese():
    texts = set()

    def walk(command):
        if command.help:
            texts.add(command.help.strip())
        texts.update(p.help for p in command.params if getattr(p, "help", None))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    texts.discard(typer.main.get_command(app).help.strip())  # the program's: app.help
    assert texts - set(HELP_VI) == set()


def test_english_stays_english_and_a_wrong_command_is_named_in_vietnamese():
    page = help_page(["estimate"], "en")
    assert "Usage:" in page and "Readings store" in page
    proc = subprocess.run([sys.executable, "-m", "phusong.cli", "--lang", "vi", "estimat"],
                          capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert "Không có lệnh 'estimat'" in proc.stderr.decode("utf-8")
