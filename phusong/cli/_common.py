"""What every command group shares: the Typer app, the console, the common options, the
progress bars and the printing of summaries and warnings."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
import sys
from typing import Iterator, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from phusong import __version__
from phusong.console import make_console
from phusong.i18n import localise, set_language, t

try:  # typer ≥ 0.20 carries its own copy of click
    from typer._click import exceptions as CLICK
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as CLICK
NoArgsIsHelp = getattr(CLICK, "NoArgsIsHelpError", ())

app = typer.Typer(add_completion=False, no_args_is_help=True, help=t("app.help", "en"),
                  pretty_exceptions_enable=False)
console = make_console()


def _version(value: bool) -> None:
    if value:
        console.print(f"phusong {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    lang: Optional[str] = typer.Option(None, "--lang", help="vi (default) or en; or set PHUSONG_LANG."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """phusong: measure mobile and broadband coverage, report per-commune targets."""
    set_language(lang)


@contextmanager
def progress_bars() -> Iterator:
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def report(step_key: str, done: float) -> None:
            if step_key not in tasks:
                tasks[step_key] = progress.add_task(t(step_key), total=1.0)
            progress.update(tasks[step_key], completed=done)

        yield report



BoundariesOpt = typer.Option(None, "--boundaries", help="Boundary file (GeoPackage, GeoJSON, Shapefile…); the shipped 2025 Bắc Ninh communes by default.")
IdFieldOpt = typer.Option(None, "--id-field", help="Field with each unit's code.")
NameFieldOpt = typer.Option(None, "--name-field", help="Field with each unit's name.")
PopFieldOpt = typer.Option(None, "--population-field", help="Field with each unit's population (default: population).")
EncodingOpt = typer.Option(None, "--encoding", help="Text encoding of the boundary file's attributes when it does not declare one (e.g. cp1258 for an old Vietnamese shapefile without .cpg).")

def warn(warnings: list[str]) -> None:
    for warning in warnings:
        console.print(f"{t('warning.prefix')}: {localise(warning)}", highlight=False,
                      markup=False)


def print_summary(summary: dict) -> None:
    from phusong.i18n import technology_labels

    with technology_labels(summary.get("technology")):
        _print_province(summary)
    warn(summary.get("warnings", []))


def _print_province(summary: dict) -> None:
    share = summary.get("province_share_5g_pct")
    low, high = summary.get("province_share_5g_low_pct"), summary.get("province_share_5g_high_pct")
    console.print(t("summary.province",
                    share="—" if share is None else f"{share:.1f} %",
                    interval="—" if low is None else f"{low:.1f}–{high:.1f} %",
                    status=t(f"status.{summary['province_5g_status']}"),
                    target=f"{summary['target_5g_pct']:g}", met=summary["communes_met"],
                    not_met=summary["communes_not_met"],
                    uncertain=summary["communes_uncertain"],
                    insufficient=summary["communes_insufficient"]))


def parse_date(value: Optional[str], option: str) -> Optional[datetime]:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(t("error.bad_date", value=value), param_hint=option) from None


RegionOpt = typer.Option("country", "--region", help="Where the boundaries and readings lie: country (Vietnam, default), any, or W,S,E,N in degrees.")
WorkCrsOpt = typer.Option(None, "--work-crs", help="Metric CRS to compute in (default: EPSG:9214 in Vietnam, the UTM zone of the data elsewhere).")
LocateSitesOpt = typer.Option(False, "--locate-sites", help="Without --site-list: locate the serving sites from the readings' cell ids and fit a path-loss trend from them (off by default: on real drives it predicted held-out drives worse).")
ForceOpt = typer.Option(False, "--force", help="Replace an output folder that holds other files.")
ForceFileOpt = typer.Option(False, "--force", help="Replace an existing file this command did not write (never a readings store).")


def parse_region(text: str):
    if text == "country":
        return "country"
    if text == "any":
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise typer.BadParameter(t("error.bad_region", value=text), param_hint="--region") \
            from None
    return west, south, east, north


def report_error(message: str) -> None:
    """One error line on stderr, in the chosen language."""
    make_console(stderr=True).print(f"{t('error.prefix')}: {localise(message)}", markup=False,
                                    highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    report_error(message)
    sys.exit(code)
