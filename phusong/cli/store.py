"""``import``, ``merge``, ``export`` and ``store copy|check|repair``: the readings store."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from phusong.i18n import localise, t
from phusong.pipeline import inside_units
from phusong.probes.formats import IMPORT_FORMATS, parser_for

from ._common import ForceFileOpt, app, console, fail, parse_region, report_error, warn


def _print_stored(summary) -> None:
    """What one file added per layer and technology, so an empty NR count shows at once."""
    from phusong.probes import SIGNAL_LAYER, SPEED_LAYER

    technologies = ", ".join(f"{name} {n}" for name, n in summary.technologies.most_common())
    console.print(t("import.stored", signal=summary.stored.get(SIGNAL_LAYER, 0),
                    technologies=technologies or "—", nr=summary.nr_values,
                    speed=summary.stored.get(SPEED_LAYER, 0)), markup=False, highlight=False)
    if summary.five_g_rows and not summary.nr_values:
        warn([t("import.no_nr", file=summary.path.name, rows=summary.five_g_rows)])


@app.command("import")
def import_command(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="gnettrack, networksurvey, speedtest-cli, ookla, murakami, iperf3, table or declarations."),
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="Files to import."),
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg), created if needed."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Mapping file (TOML) for import table (schema: phusong.probes.table)."),
    strict: bool = typer.Option(False, "--strict", help="Any refused row is an error that rolls back its whole file."),
    tz: Optional[str] = typer.Option(None, "--tz", help="Time zone of times written without one (default Asia/Ho_Chi_Minh)."),
    probe_id: Optional[str] = typer.Option(None, "--probe-id", help="Name of the phone, app or probe the files come from."),
    operator: Optional[str] = typer.Option(None, "--operator", help="Operator of the readings whose files name none (a log without an operator column): MCC-MNC (452-04) or a name (Viettel)."),
    device_5g: Optional[bool] = typer.Option(None, "--device-5g/--device-4g", help="The phone or modem is 5G-capable (its LTE rows with data active then say 5G was not there), or 4G-only; by default a G-NetTrack file is taken as from a 5G device when it holds a 5G row."),
    region: str = typer.Option("country", "--region", help="Where positions are valid: country (Vietnam, default), any, or W,S,E,N in degrees."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="Flag readings outside these units (kept, flagged outside_boundaries); the shipped communes with --flag-outside."),
    flag_outside: bool = typer.Option(False, "--flag-outside", help="Flag readings outside the shipped 2025 communes."),
) -> None:
    """Import measurement files into a store: each row a reading or quarantined with its
    reason; importing a file again adds nothing."""
    from phusong.probes.importing import ImportOptions, import_files, time_zone

    if fmt not in IMPORT_FORMATS:
        raise typer.BadParameter(t("error.bad_choice", value=fmt,
                                   choices=", ".join(IMPORT_FORMATS)), param_hint="FORMAT")
    if fmt == "table" and mapping is None:
        raise typer.BadParameter(t("error.mapping_needed"), param_hint="--mapping")
    parser, kind = parser_for(fmt, mapping)
    options = ImportOptions(time_zone=time_zone(tz), time_zone_given=tz is not None,
                            probe_id=probe_id, operator=_operator_code(operator),
                            device_5g_capable=device_5g,
                            inside=inside_units(boundaries) if boundaries or flag_outside else None)
    summaries = import_files(store, kind, parser, files, options, strict, parse_region(region))
    reasons: dict[str, int] = {}
    for summary in summaries:
        if summary.error is not None:
            report_error(summary.error)
            continue
        console.print(t("import.file", file=summary.path.name, imported=summary.imported,
                        duplicates=summary.duplicates, quarantined=summary.quarantined))
        _print_stored(summary)
        warn(summary.notes)
        for reason, n in summary.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    console.print(t("import.total", imported=sum(s.imported for s in summaries),
                    duplicates=sum(s.duplicates for s in summaries),
                    quarantined=sum(s.quarantined for s in summaries), store=store))
    for reason, n in sorted(reasons.items(), key=lambda item: -item[1]):
        console.print(f"  {n} × {localise(reason)}", markup=False, highlight=False)
    if any(summary.error is not None for summary in summaries):
        raise typer.Exit(1)


def _operator_code(text: str | None) -> str | None:
    from phusong.store.cells import operator_code

    try:
        code = operator_code(text)
    except ValueError as exc:
        raise typer.BadParameter(localise(str(exc)), param_hint="--operator") from None
    return code


@app.command()
def merge(
    stores: list[Path] = typer.Argument(..., metavar="STORE...", help="Stores to merge (one per laptop)."),
    into: Path = typer.Option(..., "--into", help="Store to merge into (created if needed)."),
) -> None:
    """Merge stores into one; merging again adds nothing."""
    from phusong.probes import merge_stores

    added = merge_stores(into, stores)
    console.print(t("merge.done", into=into, signal=added["signal_readings"],
                    speed=added["speed_tests"], quarantine=added["quarantine"]))


@app.command()
def export(
    store: Path = typer.Argument(..., metavar="STORE", help="Readings store (.gpkg)."),
    fmt: str = typer.Option("csv", "--format", help="gpkg, csv or parquet (GeoParquet)."),
    out: Optional[Path] = typer.Option(None, "--out", help="File (gpkg) or folder (csv, parquet); beside the store by default."),
    force: bool = ForceFileOpt,
) -> None:
    """Export a store with its column dictionary (COLUMNS.md)."""
    from phusong.store.exchange import export_store

    path = export_store(store, fmt, out, force)
    console.print(t("export.done", path=path))


store_app = typer.Typer(help="Readings stores: a safe copy, a check, a repair.",
                        no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("copy")
def store_copy(
    source: Path = typer.Argument(..., metavar="SRC", help="Readings store (.gpkg)."),
    target: Path = typer.Argument(..., metavar="DST", help="New file for the copy."),
) -> None:
    """Copy a store consistently, even while a probe writes to it (for a USB stick)."""
    from phusong.store.maintenance import copy_store

    copy_store(source, target)
    console.print(t("store.copied", source=source, target=target), markup=False)


@store_app.command("check")
def store_check(
    store: Path = typer.Argument(..., metavar="STORE", help="Readings store (.gpkg)."),
) -> None:
    """Check a store in full (SQLite's integrity check); exit 1 when it is damaged."""
    import sqlite3

    from phusong.probes import ReadingStore
    from phusong.store.integrity import COPY_ADVICE, finish_unfinished_write, problems
    from phusong.store.sqlite import _check_path, _readonly_uri

    _check_path(store, must_exist=True)
    finish_unfinished_write(store)
    conn = sqlite3.connect(_readonly_uri(store), uri=True)
    try:
        found = problems(conn, full=True)
    finally:
        conn.close()
    if found:
        for problem in found[:10]:
            console.print(f"  {problem}", markup=False, highlight=False)
        fail(t("store.damaged", store=store, advice=COPY_ADVICE.format(path=store)))
    with ReadingStore(store, readonly=True) as readings:
        counts = {layer: readings.count(layer) for layer in
                  ("signal_readings", "speed_tests", "quarantine")}
    console.print(t("store.sound", store=store, **counts), markup=False)


@store_app.command("repair")
def store_repair(
    store: Path = typer.Argument(..., metavar="STORE", help="Damaged readings store (.gpkg)."),
    out: Path = typer.Option(..., "--out", help="New store for what can be recovered."),
) -> None:
    """Copy every row SQLite can still read into a new store; the rest is quarantined."""
    from phusong.store.maintenance import repair_store

    report = repair_store(store, out)
    console.print(t("store.repaired", out=out, copied=sum(report.copied.values()),
                    lost=sum(report.unreadable.values())), markup=False)


