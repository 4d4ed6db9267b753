"""``probe init|check|run|speed|signal|summary``: the field probe."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from phusong.host import marks
from phusong.i18n import localise, t
from phusong.outputs import check_output_file

from ._common import app, console


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
    modem: Optional[str] = typer.Option(None, "--modem", help="Live modem: mmcli or serial:PORT (default: the config's, else ModemManager on Linux or a USB modem's AT port)."),
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
    ok, fail = marks(sys.stdout.encoding)
    line = t("probe.status", time=state["time"], fix=ok if state["fix"] else fail,
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
    from phusong.probes.self_check import run_checks

    ok_mark, fail_mark = marks(sys.stdout.encoding)
    results = run_checks(config)
    for ok, key, values in results:
        values = {k: localise(v) if isinstance(v, str) else v for k, v in values.items()}
        mark = ok_mark if ok else ("!" if ok is None else fail_mark)
        console.print(f"{mark} {t(key, **values)}", markup=False, highlight=False, soft_wrap=True)
    if any(ok is False for ok, _, _ in results):
        raise typer.Exit(1)  # a script or a shortcut sees that something needs fixing


@probe_app.command("sync")
def probe_sync(
    config: Path = typer.Option(..., "--config", help="Probe configuration (TOML) with a [server] section."),
    store: Optional[Path] = typer.Option(None, "--store", help="Readings store (.gpkg) whose readings are sent (default: the configuration's store)."),
    deadline: float = typer.Option(120.0, "--deadline", min=1, help="Give up after this many seconds without the server (the readings wait for the next sync)."),
) -> None:
    """Send the readings the server has not acknowledged yet, each exactly once."""
    from phusong.probes.probe import ProbeConfig
    from phusong.probes.sync import sync

    settings = ProbeConfig.load(config)
    if not settings.sync_url or not settings.sync_token:
        raise typer.BadParameter(t("error.no_server"), param_hint="--config")
    store = store or (Path(settings.store) if settings.store else None)
    if store is None:
        raise typer.BadParameter(t("error.no_store"), param_hint="--store")
    result = sync(store, settings.sync_url, settings.sync_token, settings.probe_id,
                  deadline_s=deadline)
    console.print(t("probe.synced", sent=result.sent, inserted=result.inserted,
                    duplicates=result.duplicates, quarantined=result.quarantined),
                  markup=False)
