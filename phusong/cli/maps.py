"""``map`` and ``report``: the planner's map and the province's report of an estimate."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from phusong import pipeline
from phusong.i18n import t

from ._common import ForceFileOpt, app, console, progress_bars


@app.command("map")
def map_command(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
    store: Optional[Path] = typer.Option(
        None, "--store", help="Readings store whose measurements and failed speed tests "
                              "are drawn as layers."),
    force: bool = ForceFileOpt,
) -> None:
    """Draw the coverage and gap map of an estimate."""
    with progress_bars() as report:
        path = pipeline.map(pipeline.MapConfig(estimates, out, store, force), report)
    console.print(t("done.map", path=path))


@app.command()
def report(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="Folder for the report files."),
    formats: str = typer.Option("xlsx,html,csv", "--format", help="Comma-separated: xlsx, html, csv."),
) -> None:
    """The province's report against its targets (Excel, HTML printable on A4, CSV)."""
    from phusong.maps.report import FORMATS

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(t("error.bad_choice", value=",".join(unknown) or formats,
                                   choices=", ".join(FORMATS)), param_hint="--format")
    pipeline.report(pipeline.ReportConfig(estimates, out, chosen))
    console.print(t("done.report", path=out))
