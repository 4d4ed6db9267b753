"""The ``phusong`` entry point: every error ends as one line in the chosen language."""
from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

import typer

from phusong.console import make_streams_safe
from phusong.errors import PhusongError
from phusong.i18n import localise, set_language, t

from ._common import CLICK, NoArgsIsHelp, app, console, fail
from .language import command_in, requested_language


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if isinstance(exc, IsADirectoryError):
        return t("error.is_directory", path=exc.filename)
    if isinstance(exc, PermissionError):
        return t("error.permission", path=exc.filename or "", reason=reason)
    if isinstance(exc, FileNotFoundError):
        return t("error.not_found", path=exc.filename or "")
    if getattr(exc, "errno", None) == 28:
        return t("error.disk_full", path=exc.filename or "")
    return t("error.os", path=exc.filename or "", reason=reason)


def _internal_error(exc: BaseException) -> None:
    """An error that is phusong's own fault: one line for the user, the details in a log."""
    log = Path(tempfile.gettempdir()) / f"phusong-error-{os.getpid()}.log"
    try:
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:
        log = None
    fail(t("error.internal", kind=type(exc).__name__, detail=str(exc)[:200],
            log=log or "—"), code=3)


def main() -> None:
    """Entry point: every error ends as one clear line in the chosen language and a non-zero
    exit (1 for the user's input, 2 for the command line, 3 for phusong's own fault);
    set PHUSONG_DEBUG=1 to see tracebacks."""
    make_streams_safe()
    lang = requested_language(sys.argv[1:])
    set_language(lang)
    try:
        code = command_in(app, lang)(standalone_mode=False, prog_name="phusong")
        if isinstance(code, int) and code:
            sys.exit(code)
    except PhusongError as exc:
        fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        fail(t("error.interrupted"), code=130)
    except NoArgsIsHelp as exc:
        console.print(exc.format_message(), markup=False, highlight=False)
        sys.exit(0)
    except CLICK.ClickException as exc:
        fail(localise_click_error(exc), code=2)
    except KeyboardInterrupt:
        fail(t("error.interrupted"), code=130)
    except MemoryError:
        fail(t("error.memory"))
    except OSError as exc:
        if os.environ.get("PHUSONG_DEBUG"):
            raise
        fail(_os_error_message(exc))
    except Exception as exc:  # noqa: BLE001 - the user sees one line, the log the rest
        if os.environ.get("PHUSONG_DEBUG"):
            raise
        _internal_error(exc)


def localise_click_error(exc: Exception) -> str:
    """Click's usage errors in the chosen language, naming the option and the value."""
    if isinstance(exc, CLICK.MissingParameter):
        names = exc.param.opts[0] if exc.param is not None and exc.param.opts else ""
        return t("error.missing_option", option=names)
    if isinstance(exc, CLICK.BadParameter):
        hint = exc.param_hint or (exc.param.opts[0] if exc.param and exc.param.opts else "")
        if isinstance(hint, (list, tuple)):
            hint = " / ".join(hint)
        return t("error.bad_value", option=hint, detail=exc.message)
    if isinstance(exc, CLICK.NoSuchOption):
        return t("error.no_such_option", option=exc.option_name)
    if isinstance(exc, CLICK.UsageError):
        return t("error.usage", detail=localise(exc.message))
    return exc.format_message()
