"""The docs users read: the README's commands run as written, the guides build with
``mkdocs build --strict``, and the troubleshooting tables cover every message."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import DEMO_COMMAND, README, ROOT, cli_argv, readme_commands



def test_the_readme_is_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150


def test_every_readme_command_runs_as_written(tmp_path, demo_dir):
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = {**os.environ, "PHUSONG_SPOOL_DIR": str(tmp_path / "spool")}
    commands = readme_commands()
    assert any(c.startswith("phusong demo") for c in commands)
    assert any(c.startswith("phusong probe run") for c in commands)
    for command in commands:
        if command == DEMO_COMMAND:  # run as written, once per session, by the fixture
            assert demo_dir.name in command and (demo_dir / "map.html").is_file()
            continue
        if command.startswith("phusong probe run"):
            run = subprocess.Popen(cli_argv(command), cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(8)
            run.send_signal(signal.SIGINT)  # the README says: until Ctrl+C
            out, err = run.communicate(timeout=60)
            assert run.returncode == 0, (command, err.decode(errors="replace"))
            continue
        proc = subprocess.run(cli_argv(command), cwd=tmp_path, env=env, capture_output=True,
                              timeout=900)
        out = proc.stdout.decode(errors="replace")
        if command.startswith("phusong probe check"):
            # no modem or network here: it must say so line by line and exit 1, not crash
            assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr.decode()
            assert all(line[:1] in "✓✗![" for line in out.splitlines() if line and
                       not line.startswith(" "))
            continue
        assert proc.returncode == 0, (command, out, proc.stderr.decode(errors="replace"))
    assert (tmp_path / "ban-sao-ngay-01.gpkg").is_file()


def test_the_guides_build_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                           str(tmp_path / "site")], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert (tmp_path / "site" / "vi" / "probe-day" / "index.html").is_file()


def test_troubleshooting_tables_are_current_and_cover_every_message():
    sys.path.insert(0, str(ROOT / "tools"))
    import troubleshooting
    from phusong.messages import VIETNAMESE

    for lang in ("vi", "en"):
        written = (ROOT / "docs" / lang / "troubleshooting.md").read_text(encoding="utf-8")
        assert written == troubleshooting.page(lang), \
            "run python tools/troubleshooting.py after changing a message"
    english = (ROOT / "docs" / "en" / "troubleshooting.md").read_text(encoding="utf-8")
    shown = {english_text for name, rows in troubleshooting.sections()
             if name not in troubleshooting.NOT_MESSAGES for english_text, _ in rows}
    assert len(shown) > 0.9 * len(VIETNAMESE)
    for template in shown:
        assert troubleshooting._shown(template) in english
