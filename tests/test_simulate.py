"""The simulator: reproducible, labelled synthetic, physically sensible."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phusong.coverage import load_boundaries
from phusong.sim import SimulationConfig, simulate
from phusong.sim.radio import correlated_shadowing, uma_nlos_path_loss_db
from phusong.coverage.rasters import read_band
from phusong.probes import SIGNAL_LAYER, SPEED_LAYER, ReadingStore


def test_path_loss_matches_tr38901_uma_nlos():
    # 13.54 + 39.08 log10(d3D) + 20 log10(3.5) at d2D = 1 km, hBS 25 m, hUT 1.5 m
    expected = 13.54 + 39.08 * np.log10(np.hypot(1000, 23.5)) + 20 * np.log10(3.5)
    assert uma_nlos_path_loss_db(np.array([1000.0]), 3.5)[0] == pytest.approx(expected)
    assert np.all(np.diff(uma_nlos_path_loss_db(np.array([100, 500, 2000.0]), 3.5)) > 0)


def test_shadowing_has_requested_std_and_correlation():
    field = correlated_shadowing((400, 400), 50.0, 6.0, 250.0, np.random.default_rng(1))
    assert field.std() == pytest.approx(6.0, rel=0.01)
    lag1 = np.corrcoef(field[:, :-5].ravel(), field[:, 5:].ravel())[0, 1]  # 250 m apart
    assert 0.2 < lag1 < 0.6  # exp(-1) ≈ 0.37


@pytest.fixture(scope="module")
def small_campaign(tmp_path_factory):
    units = load_boundaries()
    first = simulate(tmp_path_factory.mktemp("a"), units, SimulationConfig(seed=7, n_readings=9000))
    second = simulate(tmp_path_factory.mktemp("b"), units, SimulationConfig(seed=7, n_readings=9000))
    return first, second


def test_same_seed_same_campaign(small_campaign):
    first, second = small_campaign
    pd.testing.assert_frame_equal(first.truth, second.truth)
    with ReadingStore(first.store_path) as a, ReadingStore(second.store_path) as b:
        ra, rb = a.read(SIGNAL_LAYER), b.read(SIGNAL_LAYER)
    assert ra["reading_id"].tolist() == rb["reading_id"].tolist()
    assert ra["nr_ss_rsrp_dbm"].equals(rb["nr_ss_rsrp_dbm"])


def test_everything_is_labelled_synthetic(small_campaign):
    sim = small_campaign[0]
    with ReadingStore(sim.store_path) as store:
        signal, speed = store.read(SIGNAL_LAYER), store.read(SPEED_LAYER)
        assert store.count("quarantine") == 0
    assert signal["synthetic"].all() and speed["synthetic"].all()
    assert sim.truth["synthetic"].all()
    assert (sim.truth_dir / "simulation.json").read_text().count('"synthetic": true') == 1
    assert (~signal["has_fix"]).any() and signal["has_fix"].mean() > 0.9
    assert set(speed["interface_kind"]) == {"cellular", "wired"}


def test_truth_raster_matches_the_readings_taken_on_it(small_campaign):
    """The truth raster and the store are two outputs of one radio model: where every
    operator's NR was measured at one place, the best of them is the raster's value there,
    up to the 2 dB measurement noise and the path loss's change within a 100 m cell."""
    from phusong.coverage.grid import wgs84_to

    sim = small_campaign[0]
    raster, transform, crs = read_band(sim.truth_dir / "nr_rsrp_dbm.tif")
    assert crs.endswith("9214")
    with ReadingStore(sim.store_path, readonly=True) as store:
        signal = store.read_table(SIGNAL_LAYER, columns=("time_utc", "operator",
                                                         "nr_ss_rsrp_dbm", "has_fix"))
    signal = signal[signal["nr_ss_rsrp_dbm"].notna() & signal["lon"].notna()]
    place = signal.groupby(["time_utc", "lon", "lat"])
    best = place["nr_ss_rsrp_dbm"].max()[place["operator"].nunique() == 3].reset_index()
    x, y = wgs84_to(crs).transform(best["lon"].to_numpy(), best["lat"].to_numpy())
    col, row = ~transform @ (x, y)
    inside = (row >= 0) & (row < raster.shape[0]) & (col >= 0) & (col < raster.shape[1])
    at = raster[row[inside].astype(int), col[inside].astype(int)]
    difference = best["nr_ss_rsrp_dbm"].to_numpy()[inside] - at
    print(f"\n{inside.sum()} places: best measured minus truth raster, median "
          f"{np.median(difference):.2f} dB, spread {np.std(difference):.2f} dB")
    assert inside.sum() > 200
    assert abs(np.median(difference)) < 2.0
    assert np.std(difference) < 6.0
    assert np.corrcoef(best["nr_ss_rsrp_dbm"].to_numpy()[inside], at)[0, 1] > 0.85


def test_sites_follow_population(small_campaign):
    sim = small_campaign[0]
    nr = sim.sites[sim.sites.technology == "NR"].groupby("unit").size()
    per_unit = nr.reindex(range(len(sim.units)), fill_value=0)
    density = sim.units["population"] / sim.units.area
    dense = density > density.median()
    assert per_unit[dense].mean() > 2 * per_unit[~dense].mean()


def test_sector_pattern_follows_tr38901():
    from phusong.sim.radio import sector_gain_db

    # boresight, half the 65° beamwidth (−3 dB), between two of three sectors (60° off)
    gains = sector_gain_db(np.array([10.0, 42.5, 70.0, 190.0]), np.full(4, 10.0), 3)
    np.testing.assert_allclose(gains, [0.0, -3.0, -12 * (60 / 65) ** 2, -12 * (60 / 65) ** 2])
    assert sector_gain_db(np.array([190.0]), np.array([10.0]), 1)[0] == -30.0  # back lobe


def test_sectorised_campaign_differs_only_where_sectors_matter():
    units = load_boundaries()
    plain = simulate_small(units, sectors=1)
    sectorised = simulate_small(units, sectors=3)
    # same sites and shadowing, lower signal off boresight: the share can only fall
    assert (sectorised.truth["true_share_5g_area_pct"]
            <= plain.truth["true_share_5g_area_pct"] + 1e-9).all()
    assert (sectorised.truth["true_share_5g_area_pct"]
            < plain.truth["true_share_5g_area_pct"] - 0.5).mean() > 0.3
    pd.testing.assert_frame_equal(plain.sites.drop(columns="azimuth_deg"),
                                  sectorised.sites.drop(columns="azimuth_deg"))


def simulate_small(units, **options):
    import tempfile
    from pathlib import Path

    return simulate(Path(tempfile.mkdtemp()), units,
                    SimulationConfig(seed=4, n_readings=300, **options))


def test_road_routes_follow_the_network(tmp_path):
    """Routes run along the network's roads, every junction can be reached, and a
    campaign driven on roads stays in the province with 100 m between readings."""
    import shapely

    from phusong.coverage.evidence import load_signal_xy
    from phusong.sim.roads import road_network

    units = load_boundaries().to_crs(SimulationConfig().crs)
    rng = np.random.default_rng(3)
    network = road_network(units, 3.0, 0.3, rng)
    roads = shapely.union_all([shapely.LineString(network.nodes[[a, b]])
                               for a, near in enumerate(network.neighbours) for b in near])
    route = network.route(0, 30_000, 100.0, rng)
    assert len(route) == pytest.approx(300, abs=15)
    assert shapely.distance(shapely.points(route), roads).max() < 1e-6
    reached, frontier = {0}, [0]
    while frontier:
        new = {int(b) for a in frontier for b in network.neighbours[a]} - reached
        reached |= new
        frontier = list(new)
    # junctions cut off only where the province's outline splits them (edges across
    # outside land are dropped)
    assert len(reached) > 0.9 * len(network.nodes)

    sim = simulate(tmp_path, load_boundaries(),
                   SimulationConfig(seed=4, n_readings=9_000, routes="roads"))
    readings = load_signal_xy(sim.store_path, sim.config.crs)
    readings = readings[readings["operator"] == readings["operator"].iloc[0]]
    assert (sim.membership.unit_of(readings[["x", "y"]].to_numpy()) >= 0).mean() > 0.99
    track = readings.sort_values(["probe_id", "time_utc"])
    step = np.hypot(np.diff(track["x"]), np.diff(track["y"]))
    assert np.median(step[step < 150]) == pytest.approx(100, abs=8)
