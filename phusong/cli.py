"""The ``phusong`` command: one subcommand per pipeline stage, plus ``demo``."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .config import DEFAULT_CRS, DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from .console import make_console, make_streams_safe
from .errors import PhusongError
from .i18n import set_language, t

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


def _load_units(boundaries, id_field, name_field, population_field, report):
    from phusong.coverage import load_boundaries

    report("step.load_boundaries", 0.0)
    units = load_boundaries(boundaries, id_field, name_field, population_field)
    report("step.load_boundaries", 1.0)
    return units


def _run_simulate(out: Path, seed: int, readings: int, report) -> Path:
    from phusong.coverage import SimulationConfig, load_boundaries, simulate

    units = load_boundaries()
    result = simulate(out, units, SimulationConfig(seed=seed, n_readings=readings),
                      progress=_stage(report, "step.simulate"))
    return result.store_path


def _run_estimate(store: Path, out: Path, units, resolution: float, threshold: Optional[float],
                  targets: Optional[Path], declarations: Optional[Path], report,
                  population: Optional[Path] = None, method: str = "pathloss",
                  sites: Optional[Path] = None) -> dict:
    from phusong.coverage import estimate_coverage, load_targets, write_estimate
    from phusong.coverage.evaluate import choose_method
    from phusong.coverage.gigabit import read_declarations
    from phusong.coverage.interpolate import make_interpolator
    from phusong.coverage.sites import read_sites

    targets_used = load_targets(targets)
    site_list = read_sites(sites) if sites else None
    if method == "auto":
        report("step.evaluate", 0.0)
        method, _ = choose_method(store, units.crs.to_string(),
                                  threshold=threshold or targets_used.threshold_dbm,
                                  sites=site_list)
        report("step.evaluate", 1.0)
        console.print(t("evaluate.best", method=method))
    result = estimate_coverage(
        store, units, resolution=resolution, targets=targets_used,
        threshold_dbm=threshold, interpolator=make_interpolator(method),
        declarations=read_declarations(declarations) if declarations else None,
        population_raster=population, sites=site_list,
        progress=_stage(report, "step.interpolate"))
    report("step.report", 0.0)
    paths = write_estimate(result, out)
    report("step.report", 1.0)
    return {"paths": paths, "summary": result.summary, "communes": result.communes}


def _run_map(estimates: Path, out: Path, report) -> Path:
    from phusong.maps import read_estimates, write_map

    report("step.map", 0.0)
    summary_path = estimates / "summary.json"
    synthetic = (summary_path.exists()
                 and json.loads(summary_path.read_text(encoding="utf-8")).get("synthetic", False))
    path = write_map(read_estimates(estimates), out, synthetic=synthetic)
    report("step.map", 1.0)
    return path


def _print_summary(summary: dict) -> None:
    share = summary.get("province_share_5g_pop_pct")
    console.print(t("summary.province",
                    share="—" if share is None else f"{share:.1f} %",
                    target=f"{summary['target_5g_pct']:g}", met=summary["communes_met"],
                    not_met=summary["communes_not_met"],
                    insufficient=summary["communes_insufficient"]))


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Folder for campaign.gpkg and truth/."),
    seed: int = typer.Option(2025, "--seed", help="Random seed (same seed, same campaign)."),
    readings: int = typer.Option(150_000, "--readings", min=100, help="Number of signal readings."),
) -> None:
    """Simulate a synthetic measurement campaign with known ground truth."""
    with _progress() as report:
        store = _run_simulate(out, seed, readings, report)
    console.print(t("done.simulate", store=store))
    console.print(t("done.truth", path=out / "truth"))


@app.command()
def estimate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    resolution: float = typer.Option(DEFAULT_RESOLUTION_M, "--resolution", min=5, help="Grid cell size in metres."),
    threshold_dbm: Optional[float] = typer.Option(None, "--threshold-dbm", help="NR SS-RSRP coverage threshold (default: the targets file's)."),
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
    declarations: Optional[Path] = typer.Option(None, "--declarations", help="Fixed-broadband availability declarations CSV (schema: phusong.coverage.gigabit)."),
    population: Optional[Path] = typer.Option(None, "--population", help="Population-count raster (GeoTIFF, any CRS); default: uniform within each commune."),
    sites: Optional[Path] = typer.Option(None, "--sites", help="Operators' site list CSV (operator, technology, lon, lat; NR rows are the 5G sites): the model then stands for every cell."),
    method: str = typer.Option("pathloss", "--method", help="Interpolator: pathloss (default), kriging, idw, gp, pykrige, or auto (best by spatial-block cross-validation)."),
) -> None:
    """Estimate per-commune 5G coverage and gigabit availability from a readings store."""
    with _progress() as report:
        units = _load_units(boundaries, id_field, name_field, population_field, report)
        result = _run_estimate(store, out, units, resolution, threshold_dbm, targets,
                               declarations, report, population, method, sites)
    _print_summary(result["summary"])
    console.print(t("done.estimate", path=result["paths"]["csv"]))


@app.command()
def evaluate(
    store: Path = typer.Option(..., "--store", help="Readings store (.gpkg)."),
    block_size: float = typer.Option(1000.0, "--block-size", min=10, help="Side of the held-out squares in metres."),
    methods: str = typer.Option("pathloss,kriging,idw,gp", "--methods", help="Comma-separated: pathloss, kriging, idw, gp, pykrige."),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of folds."),
    threshold_dbm: float = typer.Option(DEFAULT_NR_THRESHOLD_DBM, "--threshold-dbm", help="Coverage threshold for the covered/not-covered call."),
    crs: str = typer.Option(DEFAULT_CRS, "--crs", help="Metric CRS for distances."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the scores as JSON."),
    sites: Optional[Path] = typer.Option(None, "--sites", help="Operators' site list CSV (operator, technology, lon, lat), given to the methods that take one."),
) -> None:
    """Spatial-block cross-validation of the interpolators; names the best."""
    from rich.table import Table

    from phusong.coverage.evaluate import best_method, evaluate_store, scores_table
    from phusong.coverage.sites import read_sites

    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    scores = evaluate_store(store, crs, names, block_size, folds, threshold_dbm,
                            sites=read_sites(sites) if sites else None)
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
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate (reads p_covered.tif)."),
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets TOML (default: Plan 182-KH/TU)."),
) -> None:
    """Summarise an estimate's coverage rasters over another boundary set."""
    from phusong.coverage import load_targets
    from phusong.coverage.reaggregate import reaggregate as run

    with _progress() as report:
        units = _load_units(boundaries, id_field, name_field, population_field, report)
        report("step.aggregate", 0.0)
        table = run(estimates / "p_covered.tif", units, load_targets(targets))
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, float_format="%.2f", encoding="utf-8")
        report("step.aggregate", 1.0)
    console.print(t("done.estimate", path=out))


@app.command("map")
def map_command(
    estimates: Path = typer.Option(..., "--estimates", help="Folder written by phusong estimate."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
) -> None:
    """Draw the coverage and gap map of an estimate."""
    with _progress() as report:
        path = _run_map(estimates, out, report)
    console.print(t("done.map", path=path))


@app.command()
def demo(
    out: Path = typer.Option(..., "--out", help="Output folder."),
    boundaries: Optional[Path] = BoundariesOpt,
    id_field: Optional[str] = IdFieldOpt,
    name_field: Optional[str] = NameFieldOpt,
    population_field: Optional[str] = PopFieldOpt,
    seed: int = typer.Option(2025, "--seed", help="Random seed of the simulated campaign."),
    readings: int = typer.Option(150_000, "--readings", min=100, help="Number of simulated readings."),
    site_list: bool = typer.Option(True, "--site-list/--no-site-list", help="Use the operators' simulated site list (sites_declared.csv), or locate the cells from the readings alone."),
) -> None:
    """Simulate a campaign on the shipped province, estimate, map and report."""
    from phusong.coverage.simulate import DECLARATIONS_CSV, SITES_DECLARED_CSV

    with _progress() as report:
        store = _run_simulate(out / "simulation", seed, readings, report)
        units = _load_units(boundaries, id_field, name_field, population_field, report)
        declarations = store.parent / DECLARATIONS_CSV if boundaries is None else None
        sites = store.parent / SITES_DECLARED_CSV if site_list else None
        result = _run_estimate(store, out, units, DEFAULT_RESOLUTION_M, None, None,
                               declarations, report, sites=sites)
        map_path = _run_map(out, out / "map.html", report)
    _print_summary(result["summary"])
    console.print(t("done.estimate", path=result["paths"]["csv"]))
    console.print(t("done.map", path=map_path))
    console.print(t("done.demo", out=out))


def main() -> None:
    """Entry point: run the app, turning phusong errors into a clear message and exit 1."""
    make_streams_safe()
    try:
        app()
    except PhusongError as exc:
        make_console(stderr=True).print(f"{t('error.prefix')}: {exc}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
