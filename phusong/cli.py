"""The ``phusong`` command: one subcommand per pipeline stage, plus ``demo``."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional


import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .config import DEFAULT_CRS, DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from .console import make_console, make_streams_safe
from .host import marks
from .errors import PhusongError
from .i18n import localise, set_language, t
from .outputs import (atomic_file, check_output_file, check_output_folder, spreadsheet_safe,
                      staged_folder)

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
def _progress() -> Iterator:
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, int] = {}

        def report(step_key: str, done: float) -> None:
            if step_key not in tasks:
                tasks[step_key] = progress.add_task(t(step_key), total=1.0)
            progress.update(tasks[step_key], completed=done)

        yield report


def _stage(report, key: str):
    def inner(_step: str, done: float) -> None:
        report(key, done)
    return inner


BoundariesOpt = typer.Option(None, "--boundaries", help="Boundary file (GeoPackage, GeoJSON, Shapefile…); the shipped 2025 Bắc Ninh communes by default.")
IdFieldOpt = typer.Option(None, "--id-field", help="Field with each unit's code.")
NameFieldOpt = typer.Option(None, "--name-field", help="Field with each unit's name.")
PopFieldOpt = typer.Option(None, "--population-field", help="Field with each unit's population (default: population).")
EncodingOpt = typer.Option(None, "--encoding", help="Text encoding of the boundary file's attributes when it does not declare one (e.g. cp1258 for an old Vietnamese shapefile without .cpg).")


def _load_units(boundaries, id_field, name_field, population_field, report, encoding=None,
                region="country", work_crs=None):
    from phusong.coverage import load_boundaries

    report("step.load_boundaries", 0.0)
    units = load_boundaries(boundaries, id_field, name_field, population_field,
                            encoding=encoding, region=region, crs=work_crs)
    report("step.load_boundaries", 1.0)
    return units


def _run_simulate(out: Path, config, report) -> Path:
    """Simulate the campaign of ``config`` (a :class:`~phusong.sim.SimulationConfig`)."""
    from phusong.coverage import load_boundaries
    from phusong.sim import simulate

    units = load_boundaries()
    result = simulate(out, units, config, progress=_stage(report, "step.simulate"))
    return result.store_path


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        console.print(f"{t('warning.prefix')}: {localise(warning)}", highlight=False,
                      markup=False)


def _run_estimate(store: Path, units, options: dict, report):
    from phusong.coverage import estimate_coverage, load_targets
    from phusong.coverage.evaluate import choose_method
    from phusong.coverage.gigabit import declarations_from_store, read_declarations
    from phusong.coverage.methods import make_interpolator
    from phusong.coverage.sites import read_sites

    targets_used = load_targets(options.get("targets"))
    crs = options.get("crs")
    sites = options.get("sites")
    site_list = read_sites(sites, crs=crs) if sites else None
    method = options.get("method", "pathloss")
    threshold = options.get("threshold")
    scores = None
    if method == "auto":
        report("step.evaluate", 0.0)
        method, scores = choose_method(store, units.crs.to_string(),
                                       threshold=threshold or targets_used.threshold_dbm,
                                       sites=site_list,
                                       technology=options.get("technology", "nr"),
                                       locate_sites=options.get("locate_sites", False))
        report("step.evaluate", 1.0)
        console.print(t("evaluate.best", method=method))
    declarations = options.get("declarations")
    result = estimate_coverage(
        store, units, resolution=options.get("resolution", DEFAULT_RESOLUTION_M),
        targets=targets_used, threshold_dbm=threshold, interpolator=make_interpolator(method),
        declarations=read_declarations(declarations, crs=crs) if declarations
        else declarations_from_store(store),
        population_raster=options.get("population"), sites=site_list,
        since=options.get("since"), until=options.get("until"),
        max_position_error_m=options.get("max_position_error"),
        technology=options.get("technology", "nr"),
        vehicle_loss_db=options.get("vehicle_loss", 0.0),
        locate_sites=options.get("locate_sites", False),
        unseen_sites=options.get("unseen_sites", False),
        progress=_stage(report, "step.interpolate"))
    if scores is not None:
        from phusong.coverage.evaluate import scores_table

        result.summary["cross_validation"] = {
            "block_size_m": 1000.0, "chosen": method,
            "scores": scores_table(scores).round(4).to_dict(orient="records")}
    return result


def _run_map(estimates: Path, out: Path, report, store: Optional[Path] = None,
             force: bool = False) -> Path:
    from phusong.coverage import check_estimate_folder
    from phusong.maps import read_estimates, read_store_layers, write_map

    report("step.map", 0.0)
    summary = check_estimate_folder(estimates)
    readings, speed = read_store_layers(store) if store is not None else (None, None)
    with atomic_file(out, "map", force) as partial:
        write_map(read_estimates(estimates), partial,
                  synthetic=bool(summary.get("synthetic", False)), run_id=summary.get("run_id"),
                  estimates_dir=estimates, readings=readings, speed=speed, summary=summary)
    report("step.map", 1.0)
    return out


def _print_summary(summary: dict) -> None:
    from phusong.i18n import technology_labels

    with technology_labels(summary.get("technology")):
        _print_province(summary)
    _warn(summary.get("warnings", []))


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


def _parse_date(value: Optional[str], option: str) -> Optional[datetime]:
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


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder for campaign.gpkg and truth/."),
    seed: int = typer.Option(2025, "--seed", min=0, help="Random seed (same seed, same campaign)."),
    readings: int = typer.Option(150_000, "--readings", min=100, max=20_000_000,
                                 help="Number of signal readings."),
    variant: str = typer.Option(
        "default", "--variant",
        help="What the estimator does not model: default, roads (drives along a road network), "
             "sectorised (three sectors per site), traffic (NR added only with traffic), "
             "hysteresis, device-offsets (3 dB per probe), or misspecified (all but sectors, "
             "plus 6 dB car loss: estimate it with --vehicle-loss-db 6)."),
    force: bool = ForceOpt,
) -> None:
    """Simulate a synthetic measurement campaign with known ground truth."""
    from phusong.sim import variant_config

    config = variant_config(variant, seed=seed, n_readings=readings)  # fails before any folder
    check_output_folder(out, "simulation", force)
    with _progress() as report, staged_folder(out, "simulation", force=force) as (staging, _):
        _run_simulate(staging, config, report)
    console.print(t("done.simulate", store=out / "campaign.gpkg"))
    console.print(t("done.truth", path=out / "truth"))


@app.command()
def estimate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    resolution: float = typer.Option(DEFAULT_RESOLUTION_M, "--resolution", help="Grid cell size in metres (5–5000)."),
    threshold_dbm: Optional[float] = typer.Option(None, "--threshold-dbm", help="NR SS-RSRP coverage threshold, −156…−31 dBm (default: the targets file's)."),
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
    declarations: Optional[Path] = typer.Option(None, "--declarations", help="Fixed-broadband availability declarations CSV (schema: phusong.coverage.gigabit)."),
    population: Optional[Path] = typer.Option(None, "--population", help="Population-count raster (GeoTIFF, any CRS); default: uniform within each commune."),
    sites: Optional[Path] = typer.Option(None, "--site-list", "--sites", help="Operators' base-station list CSV (operator, technology, lon, lat; NR rows are the 5G sites): the model then stands for every cell. (--sites: the former name.)"),
    crs: Optional[str] = typer.Option(None, "--crs", help="CRS of the coordinates in the --sites and --declarations CSVs when not WGS 84 longitude/latitude, e.g. EPSG:9214 (VN-2000 / TM-3 107-00)."),
    since: Optional[str] = typer.Option(None, "--since", help="Use readings taken from this date or time (YYYY-MM-DD[THH:MM], Vietnam time unless an offset is given)."),
    until: Optional[str] = typer.Option(None, "--until", help="Use readings taken before this date or time."),
    max_position_error: Optional[float] = typer.Option(None, "--max-position-error", help="Leave out readings whose stated position error exceeds this (metres)."),
    method: str = typer.Option("pathloss", "--method", help="Interpolator: pathloss (default), kriging, idw, gp, pykrige, or auto (best by spatial-block cross-validation)."),
    technology: str = typer.Option("nr", "--technology", help="nr (5G, the targets' figure) or lte (4G coverage)."),
    vehicle_loss: float = typer.Option(0.0, "--vehicle-loss-db", help="Penetration loss of the vehicle the readings were taken in (0 with a roof antenna; about 9 dB for a phone or modem inside a car), added back to every reading."),
    region: str = RegionOpt,
    work_crs: Optional[str] = WorkCrsOpt,
    locate_sites: bool = LocateSitesOpt,
    unseen_sites: bool = typer.Option(False, "--unseen-sites", help="With --locate-sites: also model the sites no reading names (off by default: on real drives it claimed coverage the held-out drives did not find)."),
) -> None:
    """Estimate per-commune 5G coverage and gigabit availability from a readings store."""
    from phusong.coverage import write_estimate

    options = {"resolution": resolution, "threshold": threshold_dbm, "targets": targets,
               "declarations": declarations, "population": population, "sites": sites,
               "crs": crs, "method": _check_method(method),
               "since": _parse_date(since, "--since"), "until": _parse_date(until, "--until"),
               "max_position_error": max_position_error, "technology": technology,
               "vehicle_loss": vehicle_loss, "locate_sites": locate_sites,
               "unseen_sites": unseen_sites}
    check_output_folder(out, "estimate")
    from phusong.i18n import technology_labels

    with _progress() as report, technology_labels(technology):
        units = _load_units(boundaries, id_field, name_field, population_field, report, encoding,
                            _region(region), work_crs)
        result = _run_estimate(store, units, options, report)
        report("step.report", 0.0)
        paths = write_estimate(result, out)
        report("step.report", 1.0)
    _print_summary(result.summary)
    console.print(t("done.estimate", path=paths["csv"]))


def _check_method(method: str) -> str:
    from phusong.coverage.methods import METHOD_NAMES

    if method != "auto" and method not in METHOD_NAMES:
        raise typer.BadParameter(t("error.bad_choice", value=method,
                                   choices=", ".join((*METHOD_NAMES, "auto"))),
                                 param_hint="--method")
    return method


@app.command()
def evaluate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    block_size: float = typer.Option(1000.0, "--block-size", min=10, help="Side of the held-out squares in metres."),
    methods: str = typer.Option("pathloss,kriging,idw,gp", "--methods", help="Comma-separated: pathloss, kriging, idw, gp, pykrige."),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of folds."),
    threshold_dbm: float = typer.Option(DEFAULT_NR_THRESHOLD_DBM, "--threshold-dbm", help="Coverage threshold for the covered/not-covered call."),
    crs: Optional[str] = typer.Option(None, "--crs", hidden=True, help="Old name of --work-crs."),
    region: str = RegionOpt,
    work_crs: Optional[str] = WorkCrsOpt,
    locate_sites: bool = LocateSitesOpt,
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scores as JSON."),
    sites: Optional[Path] = typer.Option(None, "--site-list", "--sites", help="Operators' base-station list CSV (operator, technology, lon, lat), given to the methods that take one. (--sites: the former name.)"),
    technology: str = typer.Option("nr", "--technology", help="nr (5G) or lte (4G)."),
) -> None:
    """Spatial-block cross-validation of the interpolators; names the best."""
    from rich.table import Table

    from phusong.coverage.evaluate import best_method, evaluate_store, scores_table
    from phusong.coverage.sites import read_sites

    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    region_used = _region(region)
    crs = work_crs or crs or (DEFAULT_CRS if region_used == "country" else None)
    scores = evaluate_store(store, crs, names, block_size, folds, threshold_dbm,
                            sites=read_sites(sites) if sites else None, technology=technology,
                            locate_sites=locate_sites)
    table = Table(title=t("evaluate.title", block=f"{block_size:g}"))
    frame = scores_table(scores)
    for column in frame.columns:
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)
    best = best_method(scores)
    console.print(t("evaluate.best", method=best))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"block_size_m": block_size, "folds": folds,
                                        "site_list": str(sites) if sites else None,
                                        "threshold_dbm": threshold_dbm, "best": best,
                                        "scores": frame.to_dict(orient="records")}, indent=2),
                            encoding="utf-8")


@app.command()
def reaggregate(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
    region: str = RegionOpt,
    force: bool = ForceFileOpt,
) -> None:
    """Summarise an estimate over another boundary set, with the same evidence rules,
    intervals and statuses."""
    from phusong.coverage import load_targets
    from phusong.coverage.outputs import with_status_labels
    from phusong.coverage.reaggregate import reaggregate as run

    check_output_file(out, "reaggregate", force)
    with _progress() as report:
        units = _load_units(boundaries, id_field, name_field, population_field, report, encoding,
                            _region(region))
        report("step.aggregate", 0.0)
        table = with_status_labels(run(estimates, units, load_targets(targets)))
        with atomic_file(out, "reaggregate", force) as partial:
            spreadsheet_safe(table).to_csv(partial, index=False, float_format="%.2f",
                                           encoding="utf-8")
        report("step.aggregate", 1.0)
    _warn(units.attrs.get("warnings", []))
    console.print(t("done.estimate", path=out))


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
    check_output_file(out, "map", force)
    with _progress() as report:
        path = _run_map(estimates, out, report, store, force)
    console.print(t("done.map", path=path))


IMPORT_FORMATS = ("gnettrack", "networksurvey", "speedtest-cli", "ookla", "murakami", "iperf3",
                  "table", "declarations")


def _parser(fmt: str, mapping: Optional[Path]):
    from phusong.probes import declarations, gnettrack, networksurvey, speedtests, table

    if fmt == "table":
        if mapping is None:
            raise typer.BadParameter(t("error.mapping_needed"), param_hint="--mapping")
        loaded = table.Mapping(mapping)
        return table.parse_with(loaded), loaded.kind
    parsers = {"gnettrack": gnettrack.parse, "networksurvey": networksurvey.parse,
               "speedtest-cli": speedtests.parse_speedtest_cli,
               "ookla": speedtests.parse_ookla, "murakami": speedtests.parse_murakami,
               "iperf3": speedtests.parse_iperf3, "declarations": declarations.parse}
    if fmt not in parsers:
        raise typer.BadParameter(t("error.bad_choice", value=fmt,
                                   choices=", ".join(IMPORT_FORMATS)), param_hint="FORMAT")
    return parsers[fmt], fmt


def _region(text: str):
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


def _inside(boundaries: Optional[Path]):
    """A test of (lon, lat) points against the units of a boundary file."""
    import shapely

    from phusong.coverage import load_boundaries

    area = shapely.union_all(load_boundaries(boundaries).to_crs("EPSG:4326").geometry.to_numpy())
    shapely.prepare(area)
    return lambda lon, lat: shapely.contains_xy(area, lon, lat).tolist() if lon else []


def _print_stored(summary) -> None:
    """What one file added per layer and technology, so an empty NR count shows at once."""
    from phusong.probes import SIGNAL_LAYER, SPEED_LAYER

    technologies = ", ".join(f"{name} {n}" for name, n in summary.technologies.most_common())
    console.print(t("import.stored", signal=summary.stored.get(SIGNAL_LAYER, 0),
                    technologies=technologies or "—", nr=summary.nr_values,
                    speed=summary.stored.get(SPEED_LAYER, 0)), markup=False, highlight=False)
    five_g = summary.technologies.get("NR-NSA", 0) + summary.technologies.get("NR-SA", 0)
    if five_g and not summary.nr_values:
        _warn([t("import.no_nr", file=summary.path.name, rows=five_g)])


@app.command("import")
def import_command(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="gnettrack, networksurvey, speedtest-cli, ookla, murakami, iperf3, table or declarations."),
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="Files to import."),
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg), created if needed."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Mapping file (TOML) for import table (schema: phusong.probes.table)."),
    strict: bool = typer.Option(False, "--strict", help="Any refused row is an error that rolls back its whole file."),
    tz: Optional[str] = typer.Option(None, "--tz", help="Time zone of times written without one (default Asia/Ho_Chi_Minh)."),
    probe_id: Optional[str] = typer.Option(None, "--probe-id", help="Name of the phone, app or probe the files come from."),
    region: str = typer.Option("country", "--region", help="Where positions are valid: country (Vietnam, default), any, or W,S,E,N in degrees."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="Flag readings outside these units (kept, flagged outside_boundaries); the shipped communes with --flag-outside."),
    flag_outside: bool = typer.Option(False, "--flag-outside", help="Flag readings outside the shipped 2025 communes."),
) -> None:
    """Import measurement files into a store: each row a reading or quarantined with its
    reason; importing a file again adds nothing."""
    from phusong.probes.importing import ImportOptions, import_files, time_zone

    parser, kind = _parser(fmt, mapping)
    options = ImportOptions(time_zone=time_zone(tz), time_zone_given=tz is not None,
                            probe_id=probe_id,
                            inside=_inside(boundaries) if boundaries or flag_outside else None)
    summaries = import_files(store, kind, parser, files, options, strict, _region(region))
    reasons: dict[str, int] = {}
    for summary in summaries:
        console.print(t("import.file", file=summary.path.name, imported=summary.imported,
                        duplicates=summary.duplicates, quarantined=summary.quarantined))
        _print_stored(summary)
        _warn(summary.notes)
        for reason, n in summary.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    console.print(t("import.total", imported=sum(s.imported for s in summaries),
                    duplicates=sum(s.duplicates for s in summaries),
                    quarantined=sum(s.quarantined for s in summaries), store=store))
    for reason, n in sorted(reasons.items(), key=lambda item: -item[1]):
        console.print(f"  {n} × {localise(reason)}", markup=False, highlight=False)


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
        _fail(t("store.damaged", store=store, advice=COPY_ADVICE.format(path=store)))
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


probe_app = typer.Typer(help="Field probes: speed tests, signal readings, unattended runs.",
                        no_args_is_help=True)
app.add_typer(probe_app, name="probe")

LatOpt = typer.Option(None, "--lat", help="Latitude of a fixed site (WGS 84).")
LonOpt = typer.Option(None, "--lon", help="Longitude of a fixed site (WGS 84).")
SiteOpt = typer.Option(None, "--site", help="Site id in the --sites file.")
SitesOpt = typer.Option(None, "--sites", help="Sites CSV (id, lat, lon) for --site.")
GpsdOpt = typer.Option(None, "--gpsd", help="gpsd as HOST:PORT (e.g. 127.0.0.1:2947).")
NmeaOpt = typer.Option(None, "--nmea", help="NMEA file, or a serial GNSS device (COM4, /dev/ttyACM0).")
ModemGnssOpt = typer.Option(False, "--modem-gnss", help="Position from the modem's own GNSS (ModemManager, Linux).")
ConfigOpt = typer.Option(None, "--config", help="Probe configuration (TOML; see phusong.probes.probe.ProbeConfig).")
ProbeIdOpt = typer.Option(None, "--probe-id", help="Name of this probe (default: the config's, else 'probe').")


def _probe_config(config: Optional[Path], probe_id: Optional[str], lat, lon, site, sites,
                  gpsd, nmea, modem_gnss: bool = False):
    from phusong.probes.probe import ProbeConfig

    settings = ProbeConfig.load(config) if config else ProbeConfig()
    if probe_id:
        settings.probe_id = probe_id
    if site is not None:
        lat, lon = _site_position(site, sites)
    if (lat is None) != (lon is None):
        raise typer.BadParameter(t("error.lat_lon"), param_hint="--lat/--lon")
    if lat is not None:
        settings.lat, settings.lon, settings.gpsd, settings.nmea = lat, lon, None, None
    settings.gpsd = gpsd or settings.gpsd
    settings.nmea = str(nmea) if nmea else settings.nmea
    settings.modem_gnss = modem_gnss or settings.modem_gnss
    return settings


def _site_position(site: str, sites: Optional[Path]) -> tuple[float, float]:
    import csv as csv_module

    if sites is None:
        raise typer.BadParameter(t("error.sites_needed"), param_hint="--sites")
    with open(sites, encoding="utf-8-sig", newline="") as handle:
        for row in csv_module.DictReader(handle):
            if row.get("id", "").strip() == site:
                return float(row["lat"]), float(row["lon"])
    raise typer.BadParameter(t("error.no_site", site=site), param_hint="--site")


@probe_app.command("speed")
def probe_speed(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    server_url: Optional[str] = typer.Option(None, "--server-url", help="A self-hosted legacy speedtest server (URL of its upload.php or root)."),
    server_id: Optional[int] = typer.Option(None, "--server-id", help="A speedtest.net server id."),
    iperf3: Optional[str] = typer.Option(None, "--iperf3", help="Verify a line with iperf3 against HOST[:PORT] (download, -R) instead of speedtest-cli."),
    plan_mbps: Optional[float] = typer.Option(None, "--plan-mbps", help="The line's subscribed download rate, Mbit/s."),
    store_client_ip: bool = typer.Option(False, "--store-client-ip", help="Also store the client's IP address (personal data)."),
    lat: Optional[float] = LatOpt, lon: Optional[float] = LonOpt,
    site: Optional[str] = SiteOpt, sites: Optional[Path] = SitesOpt,
    gpsd: Optional[str] = GpsdOpt, nmea: Optional[Path] = NmeaOpt,
    modem_gnss: bool = ModemGnssOpt,
    config: Optional[Path] = ConfigOpt, probe_id: Optional[str] = ProbeIdOpt,
) -> None:
    """Run one speed test (or record one failed attempt) and append it to the store."""
    from phusong.probes import ReadingStore
    from phusong.probes.probe import locate, speed_record
    from phusong.probes.speed import run_speed_test

    settings = _probe_config(config, probe_id, lat, lon, site, sites, gpsd, nmea, modem_gnss)
    check_output_file(store)
    if server_url:
        from phusong.probes.speed import server_root

        server_root(server_url)  # a URL of another form is refused here, not stored as a test
    if iperf3:
        from phusong.probes.speed import run_iperf3

        host, _, port = iperf3.partition(":")
        result = run_iperf3(host, int(port or 5201),
                            plan_down_mbps=plan_mbps or settings.plan_down_mbps)
    else:
        result = run_speed_test(server_url or settings.server_url,
                                server_id or settings.server_id,
                                plan_mbps or settings.plan_down_mbps, store_client_ip)
    record = speed_record(result, locate(settings), settings)
    with ReadingStore(store) as readings:
        readings.add_speed_tests([record], source_kind="probe")
    if record["status"] == "ok":
        console.print(t("probe.speed", down=(record.get("download_bps") or 0) / 1e6,
                        up=(record.get("upload_bps") or 0) / 1e6,
                        ping=record.get("latency_ms") or 0, kind=record["interface_kind"]))
    else:
        console.print(t("probe.failed", reason=localise(record["failure_reason"])),
                      markup=False)


@probe_app.command("signal")
def probe_signal(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    from_mmcli_json: Optional[Path] = typer.Option(None, "--from-mmcli-json", help="Saved output of mmcli --signal-get -J."),
    modem_json: Optional[Path] = typer.Option(None, "--modem-json", help="Saved output of mmcli -m any -J (operator, technology)."),
    at_log: Optional[Path] = typer.Option(None, "--at-log", help="Saved answers of a Quectel modem (AT+QENG…); one reading per servingcell answer."),
    modem: Optional[str] = typer.Option(None, "--modem", help="Live modem: mmcli or serial:PORT (default: the config's, else mmcli)."),
    lat: Optional[float] = LatOpt, lon: Optional[float] = LonOpt,
    site: Optional[str] = SiteOpt, sites: Optional[Path] = SitesOpt,
    gpsd: Optional[str] = GpsdOpt, nmea: Optional[Path] = NmeaOpt,
    modem_gnss: bool = ModemGnssOpt,
    config: Optional[Path] = ConfigOpt, probe_id: Optional[str] = ProbeIdOpt,
) -> None:
    """Take one signal reading (from a live modem or a saved answer) into the store."""
    from phusong.probes import ReadingStore
    from phusong.probes.modem import parse_at_log, parse_mmcli
    from phusong.probes.probe import locate, read_modem, store_signal

    settings = _probe_config(config, probe_id, lat, lon, site, sites, gpsd, nmea, modem_gnss)
    if from_mmcli_json:
        readings = [parse_mmcli(from_mmcli_json.read_text(encoding="utf-8"),
                                modem_json.read_text(encoding="utf-8") if modem_json else None)]
    elif at_log:
        readings = parse_at_log(at_log.read_text(encoding="utf-8", errors="replace"))
    else:
        source = modem or settings.modem_source_name()
        if source is None:
            raise typer.BadParameter(t("error.no_modem_source"), param_hint="--modem")
        readings = read_modem(source)
    if not readings:
        raise typer.BadParameter(t("error.no_reading"), param_hint="--at-log")
    with ReadingStore(store) as readings_store:
        before = readings_store.count("quarantine")
        stored = store_signal(readings_store, readings, locate(settings), settings)
        refused = readings_store.count("quarantine") - before
    last = readings[-1].values
    console.print(t("probe.signal", stored=stored, refused=refused,
                    technology=last.get("technology") or "—",
                    rsrp=last.get("nr_ss_rsrp_dbm") or last.get("lte_rsrp_dbm") or "—"))


@probe_app.command("run")
def probe_run(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg); a run resumes into it."),
    config: Path = typer.Option(..., "--config", help="Probe configuration (TOML)."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after this many seconds (default: until Ctrl-C)."),
) -> None:
    """Measure unattended: signal at its interval, speed tests on their schedule beside it;
    device faults are logged (STORE.probe.log) and retried while the run goes on."""
    from phusong.probes.probe import ProbeConfig, run

    settings = ProbeConfig.load(config)
    check_output_file(store)

    def status(state: dict) -> None:
        console.print(_status_line(state), markup=False, highlight=False)

    state = run(store, settings, status, duration)
    console.print(t("probe.stopped", signal=state.signal, speed=state.speed,
                    failed=state.failed, store=store), markup=False)
    if state.faults:
        console.print(t("probe.faults", n=sum(state.faults.values())), markup=False)
        for reason, n in state.faults.most_common(5):
            console.print(f"  {n} × {localise(reason)}", markup=False, highlight=False)
    if state.spooled:
        console.print(t("probe.unspooled", n=state.spooled), markup=False)


def _status_line(state: dict) -> str:
    """Time, fix, technology, signal, last speeds, counts and the last failure."""
    rsrp = "—" if state["rsrp"] is None else f"{state['rsrp']:g}"
    speeds = "—" if state["down_bps"] is None else \
        f"{state['down_bps'] / 1e6:.1f}/{(state['up_bps'] or 0) / 1e6:.1f}"
    line = t("probe.status", time=state["time"], fix="✓" if state["fix"] else "✗",
             technology=state["technology"] or "—", rsrp=rsrp, speeds=speeds,
             signal=state["signal"], speed=state["speed"], failed=state["failed"])
    if state["last_failure"]:
        line += " | " + t("probe.last_failure", reason=localise(state["last_failure"])[:80])
    return line


@probe_app.command("summary")
def probe_summary(
    store: Path = typer.Argument(..., metavar="STORE", help="Readings store (.gpkg)."),
) -> None:
    """The day in figures: readings, tests, failures by reason, distance and hours."""
    from phusong.probes.summary import summarise

    day = summarise(store)
    technologies = ", ".join(f"{k} {v}" for k, v in sorted(day.technologies.items(),
                                                            key=lambda kv: -kv[1]))
    console.print(t("summary.day", signal=day.signal, fixed=day.signal_with_fix,
                    technologies=technologies or "—", tests=day.tests,
                    failed=day.failed_tests, km=day.distance_km, hours=day.hours,
                    first=day.first_utc or "—", last=day.last_utc or "—"),
                  markup=False, highlight=False)
    for title, counts in (("summary.test_failures", day.failures),
                          ("summary.device_faults", day.device_faults)):
        if counts:
            console.print(t(title), markup=False)
            for reason, n in counts.most_common():
                console.print(f"  {n} × {localise(reason)}", markup=False, highlight=False)


@probe_app.command("init")
def probe_init(
    out: Path = typer.Option(Path("probe.toml"), "--out", help="Configuration file to write."),
    probe_id: str = typer.Option("probe", "--probe-id", help="Name of this probe."),
    force: bool = typer.Option(False, "--force", help="Replace a file this command did not write."),
) -> None:
    """Write a commented probe configuration for this laptop (its modem, GPS and interfaces)."""
    from phusong.outputs import atomic_file
    from phusong.probes.setup import this_laptop

    text = this_laptop(probe_id)
    with atomic_file(out, "probe-config", force) as partial:
        partial.write_text(text, encoding="utf-8")
    console.print(t("probe.init_written", path=out), markup=False, highlight=False)


@probe_app.command("check")
def probe_check(config: Optional[Path] = ConfigOpt) -> None:
    """Say, in plain words, what the probe found (modem, GPS, network, disk) and what to fix."""
    from phusong.probes.checks import run_checks

    ok_mark, fail_mark = marks(sys.stdout.encoding)
    results = run_checks(config)
    for ok, key, values in results:
        values = {k: localise(v) if isinstance(v, str) else v for k, v in values.items()}
        mark = ok_mark if ok else ("!" if ok is None else fail_mark)
        console.print(f"{mark} {t(key, **values)}", markup=False, highlight=False, soft_wrap=True)
    if any(ok is False for ok, _, _ in results):
        raise typer.Exit(1)  # a script or a shortcut sees that something needs fixing


@app.command()
def report(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="Folder for the report files."),
    formats: str = typer.Option("xlsx,html,csv", "--format", help="Comma-separated: xlsx, html, csv."),
) -> None:
    """The province's report against its targets (Excel, HTML printable on A4, CSV)."""
    from phusong.coverage import check_estimate_folder
    from phusong.maps.report import FORMATS, write_report

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(t("error.bad_choice", value=",".join(unknown) or formats,
                                   choices=", ".join(FORMATS)), param_hint="--format")
    check_estimate_folder(estimates)
    with staged_folder(out, "report", force=False) as (staging, _):
        write_report(estimates, staging, chosen)
    console.print(t("done.report", path=out))


@app.command()
def demo(
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    encoding: Optional[str] = EncodingOpt,
    seed: int = typer.Option(2025, "--seed", min=0, help="Random seed of the simulated campaign."),
    readings: int = typer.Option(150_000, "--readings", min=100, max=20_000_000,
                                 help="Number of simulated readings."),
    site_list: bool = typer.Option(True, "--site-list/--no-site-list", help="Use the operators' simulated site list (sites_declared.csv), or locate the cells from the readings alone."),
    force: bool = ForceOpt,
) -> None:
    """Simulate a campaign on the shipped province, estimate, map and report."""
    from phusong.coverage.outputs import write_estimate_files
    from phusong.sim import DECLARATIONS_CSV, SITES_DECLARED_CSV, SimulationConfig
    from phusong.maps import read_store_layers, write_map

    check_output_folder(out, "demo", force)
    with _progress() as report, staged_folder(out, "demo", force=force) as (staging, run_id):
        store = _run_simulate(staging / "simulation",
                              SimulationConfig(seed=seed, n_readings=readings), report)
        units = _load_units(boundaries, id_field, name_field, population_field, report, encoding)
        options = {"declarations": store.parent / DECLARATIONS_CSV if boundaries is None else None,
                   "sites": store.parent / SITES_DECLARED_CSV if site_list else None}
        result = _run_estimate(store, units, options, report)
        report("step.report", 0.0)
        write_estimate_files(result, staging, run_id)
        report("step.report", 1.0)
        report("step.map", 0.0)
        signal, speed = read_store_layers(store)
        write_map(result.communes, staging / "map.html", synthetic=True, run_id=run_id,
                  estimates_dir=staging, readings=signal, speed=speed, summary=result.summary)
        report("step.map", 1.0)
        from phusong.maps.report import write_report

        write_report(staging, staging / "report")
    _print_summary(result.summary)
    console.print(t("done.estimate", path=out / "communes.csv"))
    console.print(t("done.map", path=out / "map.html"))
    console.print(t("done.demo", out=out))


def _fail(message: str, code: int = 1) -> None:
    make_console(stderr=True).print(f"{t('error.prefix')}: {localise(message)}", markup=False,
                                    highlight=False, soft_wrap=True)
    sys.exit(code)


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
    _fail(t("error.internal", kind=type(exc).__name__, detail=str(exc)[:200],
            log=log or "—"), code=3)


def main() -> None:
    """Entry point: every error ends as one clear line in the chosen language and a non-zero
    exit (1 for the user's input, 2 for the command line, 3 for phusong's own fault);
    set PHUSONG_DEBUG=1 to see tracebacks."""
    make_streams_safe()
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except PhusongError as exc:
        _fail(str(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _fail(t("error.interrupted"), code=130)
    except NoArgsIsHelp as exc:
        console.print(exc.format_message(), markup=False, highlight=False)
        sys.exit(0)
    except CLICK.ClickException as exc:
        _fail(localise_click_error(exc), code=2)
    except KeyboardInterrupt:
        _fail(t("error.interrupted"), code=130)
    except MemoryError:
        _fail(t("error.memory"))
    except OSError as exc:
        if os.environ.get("PHUSONG_DEBUG"):
            raise
        _fail(_os_error_message(exc))
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
        return t("error.usage", detail=exc.message)
    return exc.format_message()


if __name__ == "__main__":
    main()
