"""A synthetic, physically plausible measurement campaign with known ground truth.

Everything it makes is labelled synthetic. Model, per operator:

* LTE (1.8 GHz) and NR (3.5 GHz, NSA) sites, more of them where people are: the
  expected count in a commune grows with its population, and NR sites are
  deployed preferentially in dense communes.
* Received power per resource element: ``EIRP_RE - PL + S``, with the 3GPP
  TR 38.901 UMa NLOS path loss and a spatially correlated log-normal shadowing
  field ``S`` (see :mod:`phusong.sim.radio`); the best server is the nearest site.
* Drive tests: random walks on each sampled commune, probes with data active on a
  5G-capable modem (an NR value is seen when the NR leg is attached, i.e. above
  ``nr_attach_dbm``), plus idle phones that always show LTE; GNSS noise and a few
  readings without a fix.
* Speed tests on the cellular probes and on wired lines, and per-commune fixed
  broadband with gigabit plans.

The ground truth is the true any-operator NR RSRP on the grid and the true share
of each commune above the threshold, by area and by population (spread uniformly
within a commune, which is all the shipped data allows).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from phusong.config import DEFAULT_CRS, DEFAULT_NR_THRESHOLD_DBM, DEFAULT_RESOLUTION_M
from phusong.errors import OutputError
from phusong.store import ReadingStore, stable_reading_id

from phusong.coverage.grid import Grid, Membership, grid_for, membership
from phusong.coverage.rasters import write_cog

from .roads import points_in, road_network, road_routes
from .radio import (UMA_NLOS_SHADOW_STD_DB, correlated_shadowing, sector_gain_db,
                    uma_nlos_path_loss_db)

OPERATORS = {"452-04": "Viettel", "452-02": "VinaPhone", "452-01": "MobiFone"}
VIETNAM_TZ = timezone(timedelta(hours=7))
STORE_NAME = "campaign.gpkg"
TRUTH_DIR = "truth"
TRUTH_RASTER = "nr_rsrp_dbm.tif"
TRUTH_TABLE = "communes_truth.csv"
SITES_TABLE = "sites.csv"
DECLARATIONS_CSV = "declarations.csv"
SITES_DECLARED_CSV = "sites_declared.csv"


@dataclass
class SimulationConfig:
    """Parameters of a synthetic campaign (defaults give a plausible Bắc Ninh)."""

    seed: int = 2025
    n_readings: int = 150_000
    resolution_m: float = DEFAULT_RESOLUTION_M
    crs: str = DEFAULT_CRS
    threshold_dbm: float = DEFAULT_NR_THRESHOLD_DBM
    operators: tuple[str, ...] = tuple(OPERATORS)
    # Relative NR roll-out of each operator (first = most advanced).
    nr_rollout: tuple[float, ...] = (1.0, 0.6, 0.4)
    nr_fc_ghz: float = 3.5
    lte_fc_ghz: float = 1.8
    # EIRP per resource element: 46 dBm over 3,276 subcarriers (100 MHz) + 17 dBi - 3 dB
    # losses for NR; 43 dBm over 1,200 subcarriers (20 MHz) + 17 dBi - 3 dB for LTE.
    nr_eirp_re_dbm: float = 24.8
    lte_eirp_re_dbm: float = 26.2
    people_per_lte_site: float = 2_500.0
    km2_per_lte_site: float = 10.0
    people_per_nr_site: float = 2_500.0
    # Density (people/km²) at which NR roll-out reaches half its full rate.
    nr_half_density: float = 1_200.0
    shadow_std_db: float = UMA_NLOS_SHADOW_STD_DB
    shadow_correlation_m: float = 250.0
    # Share of the shadowing variance common to every operator of a technology
    # (clutter shared by co-located sites): the operators' held-out residuals on the
    # same 10 m cells of the Hamburg–Bremen drives correlate at 0.12–0.20, 0.15 on average
    # (benchmarks/real_campaigns.py).
    shared_clutter_share: float = 0.15
    measurement_std_db: float = 2.0
    nr_attach_dbm: float = -125.0
    # NR leg released this far below the attach level (0: one hard threshold), and the
    # share of readings with enough traffic for the network to add the NR leg.
    nr_release_hysteresis_db: float = 0.0
    nr_traffic_share: float = 1.0
    # Mis-specifications the engine does not model: loss through the probe car's body
    # (applied to every reading of a drive, not to the truth) and a fixed offset per
    # device (standard deviation across probes).
    car_loss_db: float = 0.0
    device_offset_std_db: float = 0.0
    # Sectors per site (3 for the usual tri-sector macro; 1: omnidirectional, as the
    # estimator's trend assumes).
    sectors: int = 1
    idle_phone_share: float = 0.15
    no_fix_share: float = 0.02
    unsampled_commune_share: float = 0.08
    # "walks": random walks inside each commune; "roads": drives along a road network
    # (phusong.sim.roads) with about one junction per road_km2_per_junction.
    routes: str = "walks"
    road_km2_per_junction: float = 3.0
    road_loop_share: float = 0.3
    walk_step_m: float = 100.0
    walk_turn_std_rad: float = 0.1
    walk_length: int = 300
    speed_test_every: int = 120
    wired_tests_per_commune: int = 6
    # The operators' site list as filed: positions off by registry rounding and
    # survey error, some sites on air but missing from the list, and some NR sites
    # listed but not yet on air (planned upgrades of LTE sites).
    declared_site_error_m: float = 25.0
    declared_site_missing_share: float = 0.03
    declared_site_planned_share: float = 0.02
    # Persons per household in Bắc Giang from the 2019 census's households by size
    # (3.6–3.8 depending on the size of "5 or more"); the estimator uses the national
    # 3.5, so the simulator does not hand the engine its own assumption.
    household_size: float = 3.7
    start: datetime = field(default_factory=lambda: datetime(2025, 10, 1, tzinfo=VIETNAM_TZ))


@dataclass
class Simulation:
    """What :func:`simulate` made: the store, the truth and the objects behind them."""

    store_path: Path
    truth_dir: Path
    grid: Grid
    units: gpd.GeoDataFrame
    membership: Membership
    true_rsrp: np.ndarray
    truth: pd.DataFrame
    sites: pd.DataFrame
    config: SimulationConfig


def place_sites(units: gpd.GeoDataFrame, cfg: SimulationConfig,
                rng: np.random.Generator) -> pd.DataFrame:
    """LTE and NR sites of every operator, denser where population is higher."""
    area_km2 = units.area.to_numpy() / 1e6
    population = units["population"].fillna(0).to_numpy()
    density = population / np.maximum(area_km2, 1e-6)
    nr_uptake = density / (density + cfg.nr_half_density)
    rows = []
    for op, rollout in zip(cfg.operators, cfg.nr_rollout):
        lte_mean = population / cfg.people_per_lte_site + area_km2 / cfg.km2_per_lte_site
        nr_mean = rollout * nr_uptake * population / cfg.people_per_nr_site
        for tech, means in (("LTE", lte_mean), ("NR", nr_mean)):
            counts = rng.poisson(means)
            if tech == "LTE":
                counts = np.maximum(counts, 1)
            for unit, (polygon, n) in enumerate(zip(units.geometry, counts)):
                if n == 0:
                    continue
                xy = points_in(polygon, int(n), rng)
                rows.extend((op, tech, unit, x, y) for x, y in xy)
    sites = pd.DataFrame(rows, columns=["operator", "technology", "unit", "x", "y"])
    sites["site_id"] = [f"{op}-{tech}-{i:05d}" for i, (op, tech) in
                        enumerate(zip(sites.operator, sites.technology))]
    sites["pci"] = rng.integers(0, 1008, len(sites))
    # Azimuth of the first of each site's sectors, from a stream of its own so that
    # campaigns without sectors stay as they were.
    sites["azimuth_deg"] = np.random.default_rng([cfg.seed, 38901]).uniform(0, 360, len(sites))
    return sites


def _server_field(sites: pd.DataFrame, xy: np.ndarray, fc_ghz: float, eirp: float,
                  shadow: np.ndarray, sectors: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Received power from the best server and that site's row index.

    Omnidirectional sites (``sectors`` ≤ 1): the nearest. Sectorised: the best of the
    three nearest sites, each through the sector pointing closest to the point, with the
    TR 38.901 horizontal antenna pattern (:func:`~phusong.sim.radio.sector_gain_db`).
    """
    if len(sites) == 0:
        return np.full(len(xy), -np.inf), np.full(len(xy), -1)
    if sectors <= 1:
        distance, nearest = cKDTree(sites[["x", "y"]].to_numpy()).query(xy, k=1)
        rsrp = eirp - uma_nlos_path_loss_db(distance, fc_ghz) + shadow
        return rsrp, sites.index.to_numpy()[nearest]
    k = min(3, len(sites))
    site_xy = sites[["x", "y"]].to_numpy()
    distance, nearest = cKDTree(site_xy).query(xy, k=k)
    distance, nearest = distance.reshape(len(xy), k), nearest.reshape(len(xy), k)
    offset = xy[:, None, :] - site_xy[nearest]
    bearing = np.degrees(np.arctan2(offset[..., 0], offset[..., 1]))  # from north, clockwise
    gain = sector_gain_db(bearing, sites["azimuth_deg"].to_numpy()[nearest], sectors)
    candidates = eirp - uma_nlos_path_loss_db(distance, fc_ghz) + gain
    best = np.argmax(candidates, axis=1)
    rows = np.arange(len(xy))
    return candidates[rows, best] + shadow, sites.index.to_numpy()[nearest[rows, best]]


class _Radio:
    """True received power of each operator and technology at any point of the grid."""

    def __init__(self, sites: pd.DataFrame, grid: Grid, cfg: SimulationConfig,
                 rng: np.random.Generator) -> None:
        self.sites, self.grid, self.cfg = sites, grid, cfg

        def field() -> np.ndarray:
            return correlated_shadowing(grid.shape, grid.resolution, cfg.shadow_std_db,
                                        cfg.shadow_correlation_m, rng).ravel()

        shared = np.sqrt(cfg.shared_clutter_share)
        own = np.sqrt(1 - cfg.shared_clutter_share)
        common = {tech: field() for tech in ("LTE", "NR")}
        self.shadow = {(op, tech): shared * common[tech] + own * field()
                       for op in cfg.operators for tech in ("LTE", "NR")}

    def at(self, op: str, tech: str, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cells = np.clip(self.grid.cell_of(xy), 0, self.grid.size - 1)
        chosen = self.sites[(self.sites.operator == op) & (self.sites.technology == tech)]
        fc, eirp = ((self.cfg.nr_fc_ghz, self.cfg.nr_eirp_re_dbm) if tech == "NR"
                    else (self.cfg.lte_fc_ghz, self.cfg.lte_eirp_re_dbm))
        return _server_field(chosen, xy, fc, eirp, self.shadow[(op, tech)][cells],
                             self.cfg.sectors)


def _walks(units: gpd.GeoDataFrame, member: Membership, n_positions: int,
           cfg: SimulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Drive routes: random walks that stay inside their commune, or drives along
    roads (``cfg.routes``)."""
    n_units = len(units)
    weight = np.sqrt(units.area.to_numpy()) * rng.lognormal(0, 0.5, n_units)
    weight[rng.random(n_units) < cfg.unsampled_commune_share] = 0
    steps_per_unit = np.floor(n_positions * weight / weight.sum()).astype(int)
    if cfg.routes == "roads":
        network = road_network(units, cfg.road_km2_per_junction, cfg.road_loop_share, rng)
        positions = road_routes(units, steps_per_unit, network, cfg.walk_length,
                                cfg.walk_step_m, rng, member.unit_of(network.nodes))
    else:
        positions = _random_walks(units, member, steps_per_unit, cfg, rng)
    positions["walk_key"] = positions["unit"].astype(str) + "-" + positions["walk"].astype(str)
    return positions


def _random_walks(units: gpd.GeoDataFrame, member: Membership, steps_per_unit: np.ndarray,
                  cfg: SimulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Random walks of ``cfg.walk_length`` steps inside each unit, ``steps_per_unit``
    positions in all, turning back at the unit's border. Every unit's walks step together;
    the random numbers are drawn unit by unit, in the order of one unit's walks at a time."""
    walk_length = cfg.walk_length
    chosen = np.flatnonzero(steps_per_unit)
    starts, headings, noises, owners = [], [], [], []
    for unit in chosen:
        n_walks = int(np.ceil(steps_per_unit[unit] / walk_length))
        starts.append(points_in(units.geometry.iloc[unit], n_walks, rng))
        headings.append(rng.uniform(0, 2 * np.pi, n_walks))
        noises.append(rng.standard_normal((walk_length, 2, n_walks)))  # turn, bounce per step
        owners.append(np.full(n_walks, unit))
    xy, heading, owner = np.concatenate(starts), np.concatenate(headings), np.concatenate(owners)
    noise = np.concatenate(noises, axis=2)
    path = np.empty((walk_length, len(owner), 2))
    for step in range(walk_length):
        path[step] = xy
        heading += cfg.walk_turn_std_rad * noise[step, 0]
        proposal = xy + cfg.walk_step_m * np.column_stack([np.cos(heading), np.sin(heading)])
        inside = member.unit_of(proposal) == owner
        xy = np.where(inside[:, None], proposal, xy)
        heading = np.where(inside, heading, heading + np.pi + 0.5 * noise[step, 1])
    frames = []
    each_unit = np.split(path, np.cumsum([len(o) for o in owners])[:-1], axis=1)
    for unit, own in zip(chosen, each_unit):
        n_walks = own.shape[1]
        frame = pd.DataFrame({
            "unit": unit,
            "walk": np.tile(np.arange(n_walks), walk_length),
            "step": np.repeat(np.arange(walk_length), n_walks),
            "x": own[:, :, 0].ravel(),
            "y": own[:, :, 1].ravel(),
        }).sort_values(["walk", "step"], kind="stable")
        frames.append(frame.head(steps_per_unit[unit]))
    return pd.concat(frames, ignore_index=True)


def _timestamps(positions: pd.DataFrame, cfg: SimulationConfig,
                rng: np.random.Generator) -> np.ndarray:
    keys, inverse = np.unique(positions["walk_key"], return_inverse=True)
    day = rng.integers(0, 30, len(keys))
    hour = rng.uniform(7, 16, len(keys))
    start = np.array([cfg.start + timedelta(days=int(d), hours=float(h))
                      for d, h in zip(day, hour)])
    seconds = positions["step"].to_numpy() * cfg.walk_step_m / 10.0  # 36 km/h
    return np.array([s + timedelta(seconds=float(dt)) for s, dt in zip(start[inverse], seconds)])


def nr_attached(nr_dbm: np.ndarray, walk: np.ndarray, traffic: np.ndarray, attach_dbm: float,
                hysteresis_db: float) -> np.ndarray:
    """Whether the NR leg is up at each reading of time-ordered walks.

    It is added when the signal reaches ``attach_dbm`` while there is ``traffic``,
    and released only when it falls below ``attach_dbm - hysteresis_db``.
    """
    if hysteresis_db <= 0:
        return (nr_dbm >= attach_dbm) & traffic
    up = np.zeros(len(nr_dbm), bool)
    state, previous_walk = False, None
    for i in range(len(nr_dbm)):
        if walk[i] != previous_walk:
            state, previous_walk = False, walk[i]
        if state:
            state = nr_dbm[i] >= attach_dbm - hysteresis_db
        else:
            state = bool(traffic[i]) and nr_dbm[i] >= attach_dbm
        up[i] = state
    return up


def _signal_records(positions: pd.DataFrame, times: np.ndarray, radio: _Radio,
                    to_lonlat: Transformer, cfg: SimulationConfig,
                    rng: np.random.Generator) -> tuple[list[dict], dict[str, float]]:
    """The signal readings, and each probe's level offset (dB, car loss included)."""
    xy = positions[["x", "y"]].to_numpy()
    n = len(xy)
    accuracy = rng.uniform(3, 12, n)
    reported = xy + rng.normal(0, 1, (n, 2)) * (accuracy / 2)[:, None]
    lon, lat = to_lonlat.transform(reported[:, 0], reported[:, 1])
    no_fix = rng.random(n) < cfg.no_fix_share
    walk_codes = pd.factorize(positions["walk_key"])[0]
    idle_walk = rng.random(walk_codes.max() + 1) < cfg.idle_phone_share
    idle = idle_walk[walk_codes]
    site_ids, pcis = radio.sites["site_id"].to_dict(), radio.sites["pci"].to_dict()
    probe_of_walk = walk_codes % 12
    device_offset = rng.normal(0, cfg.device_offset_std_db, 12)[probe_of_walk] - cfg.car_loss_db
    records = []
    for op in cfg.operators:
        nr, nr_site = radio.at(op, "NR", xy)
        lte, lte_site = radio.at(op, "LTE", xy)
        nr_seen = nr + device_offset + rng.normal(0, cfg.measurement_std_db, n)
        lte_seen = np.clip(lte + device_offset + rng.normal(0, cfg.measurement_std_db, n),
                           -140, -44)
        attached = nr_attached(nr_seen, walk_codes, rng.random(n) < cfg.nr_traffic_share,
                               cfg.nr_attach_dbm, cfg.nr_release_hysteresis_db) & ~idle
        sinr = np.clip((nr_seen + 125) * 0.8 - 5 + rng.normal(0, 2, n), -23, 40)
        for i in range(n):
            is_nr = bool(attached[i])
            site = nr_site[i] if is_nr else lte_site[i]
            records.append({
                "reading_id": stable_reading_id("simulate", cfg.seed, op, i),
                "time_utc": times[i],
                "probe_id": f"sim-{'phone' if idle[i] else 'probe'}-{probe_of_walk[i]:02d}",
                "lon": None if no_fix[i] else lon[i],
                "lat": None if no_fix[i] else lat[i],
                "position_accuracy_m": None if no_fix[i] else round(accuracy[i], 1),
                "position_source": "none" if no_fix[i] else "simulated",
                "technology": "NR-NSA" if is_nr else "LTE",
                "operator": op,
                "device_state": "idle" if idle[i] else "data",
                "device_5g_capable": True,
                "device_model": "simulated phone" if idle[i] else "simulated RM520N-GL",
                "cell_id": site_ids[site],
                "pci": int(pcis[site]),
                "lte_rsrp_dbm": round(float(lte_seen[i]), 1),
                "nr_ss_rsrp_dbm": round(float(np.clip(nr_seen[i], -156, -31)), 1) if is_nr
                else None,
                "nr_ss_sinr_db": round(float(sinr[i]), 1) if is_nr else None,
                "synthetic": True,
            })
    offsets = offsets_by_probe(device_offset, probe_of_walk)
    return records, offsets


def offsets_by_probe(device_offset: np.ndarray, probe_of_walk: np.ndarray) -> dict[str, float]:
    """Each data probe's level offset (dB) as its readings carry it."""
    first = pd.Series(device_offset).groupby(probe_of_walk).first()
    return {f"sim-probe-{probe:02d}": round(float(v), 3) for probe, v in first.items()}


def _cellular_speed_tests(signal: list[dict], cfg: SimulationConfig,
                          rng: np.random.Generator) -> list[dict]:
    tests = []
    for index in range(0, len(signal), cfg.speed_test_every):
        reading = signal[index]
        if reading["device_state"] != "data":
            continue
        if reading["technology"] == "NR-NSA":
            quality = np.clip((reading["nr_ss_rsrp_dbm"] + 125) / 35, 0.05, 1)
            down = 600e6 * quality * rng.lognormal(0, 0.3)
        else:
            quality = np.clip((reading["lte_rsrp_dbm"] + 125) / 45, 0.05, 1)
            down = 60e6 * quality * rng.lognormal(0, 0.3)
        tests.append({
            **{k: reading[k] for k in ("time_utc", "probe_id", "lon", "lat",
                                       "position_accuracy_m", "position_source",
                                       "technology", "operator", "synthetic")},
            "reading_id": stable_reading_id("simulate-speed", cfg.seed, reading["reading_id"]),
            "tool": "simulated",
            "interface_kind": "cellular",
            "download_bps": round(down),
            "upload_bps": round(down * rng.uniform(0.1, 0.3)),
            "latency_ms": round(float(rng.uniform(12, 45)), 1),
        })
    return tests


def _fixed_broadband(units: gpd.GeoDataFrame, cfg: SimulationConfig,
                     rng: np.random.Generator) -> pd.DataFrame:
    """True households per commune and how many can get a ≥ 1 Gb/s plan."""
    area_km2 = units.area.to_numpy() / 1e6
    population = units["population"].fillna(0).to_numpy()
    density = population / np.maximum(area_km2, 1e-6)
    logit = np.log(density / 900) * 1.4 + rng.normal(0, 0.6, len(units))
    share = 1 / (1 + np.exp(-logit))
    households = np.round(population / cfg.household_size).astype(int)
    return pd.DataFrame({
        "households": households,
        "gigabit_households": np.round(households * share).astype(int),
    })


def _wired_speed_tests(units: gpd.GeoDataFrame, fixed: pd.DataFrame, to_lonlat: Transformer,
                       cfg: SimulationConfig, rng: np.random.Generator) -> list[dict]:
    tests = []
    for unit, polygon in enumerate(units.geometry):
        share = fixed.gigabit_households[unit] / max(fixed.households[unit], 1)
        # Each line is tested twice, as a household re-testing a bad line would.
        xy = np.repeat(points_in(polygon, max(cfg.wired_tests_per_commune // 2, 1), rng), 2, axis=0)
        lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
        for k in range(len(xy)):
            if k % 2 == 0:
                plan = 1000.0 if rng.random() < share else float(rng.choice([100, 200, 300, 500]))
                link = 2500.0 if rng.random() < 0.2 else 1000.0
                degraded = rng.random() < 0.05
            rate = min(plan * 1.05, link * 0.94) * rng.uniform(0.85, 1.0)
            if degraded:
                rate *= rng.uniform(0.1, 0.4)
            when = cfg.start + timedelta(days=int(rng.integers(0, 30)), hours=float(rng.uniform(8, 21)))
            tests.append({
                "reading_id": stable_reading_id("simulate-wired", cfg.seed, unit, k),
                "time_utc": when,
                "probe_id": f"sim-wired-{unit:03d}",
                "lon": lon[k], "lat": lat[k], "position_accuracy_m": 10.0,
                "position_source": "simulated",
                "tool": "simulated", "interface_kind": "wired", "link_speed_mbps": link,
                "plan_down_mbps": plan, "isp": cfg.operators[k % len(cfg.operators)],
                "download_bps": round(rate * 1e6), "upload_bps": round(rate * 1e6 * 0.9),
                "latency_ms": round(float(rng.uniform(2, 8)), 1), "synthetic": True,
            })
    return tests


def declarations_table(units: gpd.GeoDataFrame, fixed: pd.DataFrame,
                       cfg: SimulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Operators' availability declarations per commune (see :mod:`.gigabit`).

    The first operator declares every gigabit household; the others a part of them.
    """
    rows = []
    for unit, code in enumerate(units["code"]):
        gigabit, total = int(fixed.gigabit_households[unit]), int(fixed.households[unit])
        for k, op in enumerate(cfg.operators):
            served = gigabit if k == 0 else int(gigabit * rng.uniform(0.3, 0.9))
            if served > 0:
                rows.append((OPERATORS.get(op, op), "XGS-PON" if k == 0 else "GPON", 1000, 1000,
                             code, served))
            if total - served > 0:
                rows.append((OPERATORS.get(op, op), "GPON", 300, 300, code, total - served))
    frame = pd.DataFrame(rows, columns=["operator", "technology", "max_down_mbps",
                                        "max_up_mbps", "commune_code", "households"])
    frame["as_of"] = cfg.start.date().isoformat()
    return frame


def declared_sites(sites: pd.DataFrame, to_lonlat: Transformer, cfg: SimulationConfig,
                   rng: np.random.Generator) -> pd.DataFrame:
    """The site list operators file (see :func:`~phusong.coverage.sites.read_sites`):
    positions with an error of ``declared_site_error_m``,
    ``declared_site_missing_share`` of the sites left out, and NR entries for
    ``declared_site_planned_share`` as many LTE sites, not on air."""
    listed = sites[rng.random(len(sites)) >= cfg.declared_site_missing_share]
    lte = sites[sites["technology"] == "LTE"]
    n_planned = int(round(cfg.declared_site_planned_share * (sites["technology"] == "NR").sum()))
    planned = lte.iloc[rng.choice(len(lte), min(n_planned, len(lte)), replace=False)]
    listed = pd.concat([listed, planned.assign(technology="NR")], ignore_index=True)
    xy = listed[["x", "y"]].to_numpy() + rng.normal(0, cfg.declared_site_error_m, (len(listed), 2))
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    return pd.DataFrame({"operator": listed["operator"].to_numpy(),
                         "technology": listed["technology"].to_numpy(),
                         "lon": np.round(lon, 5), "lat": np.round(lat, 5),
                         "synthetic": True})


def true_nr_rsrp(radio: _Radio, member: Membership) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """True NR RSRP of each operator and of the best operator, NaN outside all units."""
    cells = member.cells()
    xy = member.grid.centres(cells)
    per_operator = {}
    for op in radio.cfg.operators:
        values = np.full(member.grid.size, np.nan, dtype=np.float32)
        values[cells] = np.maximum(radio.at(op, "NR", xy)[0], -156)
        per_operator[op] = values
    return np.fmax.reduce(list(per_operator.values())), per_operator


def _truth_table(units: gpd.GeoDataFrame, member: Membership, rsrp: np.ndarray,
                 per_operator: dict[str, np.ndarray], fixed: pd.DataFrame,
                 threshold: float) -> pd.DataFrame:
    def share(values: np.ndarray) -> np.ndarray:
        covered = np.where(np.isnan(values), np.nan, (values >= threshold).astype(float))
        return 100 * member.weighted_mean(covered)

    table = pd.DataFrame({"code": units["code"].to_numpy(), "name": units["name"].to_numpy()})
    table["population"] = units["population"].to_numpy()
    table["true_share_5g_area_pct"] = share(rsrp)
    # Population is spread uniformly within a commune, so both bases agree per commune.
    table["true_share_5g_pop_pct"] = table["true_share_5g_area_pct"]
    for op, values in per_operator.items():
        table[f"true_share_5g_area_pct_{op}"] = share(values)
    table["households"] = fixed["households"].to_numpy()
    table["gigabit_households"] = fixed["gigabit_households"].to_numpy()
    table["true_gigabit_share_pct"] = 100 * table.gigabit_households / table.households.clip(lower=1)
    table["synthetic"] = True
    return table


def simulate(
    out_dir: str | Path,
    units: gpd.GeoDataFrame,
    config: SimulationConfig | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> Simulation:
    """Simulate a campaign over ``units``; write ``campaign.gpkg`` and ``truth/``.

    Parameters
    ----------
    out_dir
        Folder for the store and the ground truth.
    units
        Boundaries from :func:`~phusong.coverage.load_boundaries` (with population).
    config
        Simulation parameters; :class:`SimulationConfig` defaults when omitted.
    progress
        Called as ``progress(step, fraction_done)``.
    """
    cfg = config or SimulationConfig()
    report = progress or (lambda step, done: None)
    rng = np.random.default_rng(cfg.seed)
    units = units.to_crs(cfg.crs).reset_index(drop=True)
    out_dir = Path(out_dir)
    if (out_dir / STORE_NAME).exists():
        raise OutputError(f"{out_dir} already holds a campaign ({STORE_NAME}): a second one "
                          "would mix with it while truth/ describes only the last")
    truth_dir = out_dir / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)

    report("grid", 0.0)
    grid = grid_for(units, cfg.resolution_m)
    member = membership(grid, units)
    report("sites", 0.1)
    sites = place_sites(units, cfg, rng)
    radio = _Radio(sites, grid, cfg, rng)
    report("truth", 0.2)
    rsrp, per_operator = true_nr_rsrp(radio, member)
    fixed = _fixed_broadband(units, cfg, rng)
    truth = _truth_table(units, member, rsrp, per_operator, fixed, cfg.threshold_dbm)

    report("readings", 0.35)
    to_lonlat = Transformer.from_crs(cfg.crs, "EPSG:4326", always_xy=True)
    n_positions = max(cfg.n_readings // len(cfg.operators), 1)
    positions = _walks(units, member, n_positions, cfg, rng)
    times = _timestamps(positions, cfg, rng)
    signal, device_offsets = _signal_records(positions, times, radio, to_lonlat, cfg, rng)
    speed = _cellular_speed_tests(signal, cfg, rng)
    speed += _wired_speed_tests(units, fixed, to_lonlat, cfg, rng)

    store_path = out_dir / STORE_NAME
    with ReadingStore(store_path) as store:
        batch = 10_000
        for start in range(0, len(signal), batch):
            store.add_signal(signal[start:start + batch], source_kind="simulator")
            report("store", 0.5 + 0.45 * min(start + batch, len(signal)) / len(signal))
        store.add_speed_tests(speed, source_kind="simulator")

    write_cog(truth_dir / TRUTH_RASTER, rsrp, grid,
              "SYNTHETIC true NR SS-RSRP, best operator", "dBm")
    truth.to_csv(truth_dir / TRUTH_TABLE, index=False, float_format="%.3f")
    declarations_table(units, fixed, cfg, rng).to_csv(out_dir / DECLARATIONS_CSV, index=False)
    sites_out = sites.copy()
    lon, lat = to_lonlat.transform(sites.x.to_numpy(), sites.y.to_numpy())
    sites_out["lon"], sites_out["lat"] = lon, lat
    sites_out["synthetic"] = True
    sites_out.to_csv(truth_dir / SITES_TABLE, index=False)
    declared_sites(sites, to_lonlat, cfg, rng).to_csv(out_dir / SITES_DECLARED_CSV, index=False)
    (truth_dir / "simulation.json").write_text(json.dumps(
        {"synthetic": True, "config": asdict(cfg), "n_signal_readings": len(signal),
         "n_speed_tests": len(speed), "device_offsets_db": device_offsets,
         "path_loss": "3GPP TR 38.901 V17.0.0 UMa NLOS",
         "shadowing": "log-normal, exponential autocorrelation (Gudmundson 1991)"},
        default=str, ensure_ascii=False, indent=2), encoding="utf-8")
    report("done", 1.0)
    return Simulation(store_path, truth_dir, grid, units, member, rsrp, truth, sites, cfg)
