"""The path-loss trend: censored fits, device offsets, located and listed sites, the trend's
calibration."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from phusong.coverage import PathLossKriging, load_boundaries
from phusong.coverage.evidence import NO_NR_DBM, nr_evidence
from phusong.sim import SITES_DECLARED_CSV, SimulationConfig, simulate


def test_bad_site_list_is_refused(tmp_path):
    from phusong.coverage.sites import read_sites
    from phusong.errors import InputFormatError

    path = tmp_path / "sites.csv"
    path.write_text("operator,technology,lon,lat\n452-04,NR,106.2,21.3\n452-04,NR,2.3,48.8\n"
                    ",NR,106.1,21.2\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"line\(s\) 3, 4"):
        read_sites(path)
    path.write_text("operator,lon\n452-04,106.2\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="technology, lat"):
        read_sites(path)


def test_censored_fit_recovers_the_path_loss():
    from phusong.coverage.pathloss import fit_censored_log_distance

    rng = np.random.default_rng(4)
    log_d = np.log10(rng.uniform(30, 3000, 40_000))
    rsrp = 0.4 - 39.08 * log_d + rng.normal(0, 6, len(log_d))
    seen = rsrp >= -125
    fit = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125)
    assert fit.slope == pytest.approx(39.08, abs=0.8)
    assert fit.intercept == pytest.approx(0.4, abs=2.5)
    assert fit.sigma == pytest.approx(6, abs=0.2)
    naive = np.polyfit(log_d[seen], rsrp[seen], 1)[0]
    assert -naive < 36  # what ignoring the censored readings would give


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_censored_fit_tells_misses_from_weak_signal(seed):
    """Readings that miss NR whatever the signal (no traffic to add the leg) are learnt
    as a miss rate, not read as weak signal that drags the slope and level down."""
    from phusong.coverage.pathloss import censored_residual_mean, fit_censored_log_distance

    rng = np.random.default_rng(seed)
    log_d = np.log10(rng.uniform(30, 3000, 40_000))
    rsrp = 0.4 - 39.08 * log_d + rng.normal(0, 6, len(log_d))
    seen = (rsrp >= -125) & (rng.random(len(log_d)) >= 0.3)
    fit = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125)
    assert fit.miss_rate == pytest.approx(0.3, abs=0.02)
    assert fit.slope == pytest.approx(39.08, abs=1.0)
    assert fit.sigma == pytest.approx(6, abs=0.3)
    plain = fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen], -125,
                                      fit_miss_rate=False)
    # read as weak signal, the misses flatten the slope or widen the spread
    assert abs(plain.slope - 39.08) + abs(plain.sigma - 6) > 2.5
    # without misses the rate is learnt as (about) none
    seen = rsrp >= -125
    assert fit_censored_log_distance(log_d[seen], rsrp[seen], log_d[~seen],
                                     -125).miss_rate < 0.01
    # a reading without NR where the signal is strong says little once misses happen
    strong = np.array([-90.0])
    assert censored_residual_mean(strong, -125, 6, 0.3)[0] > -0.01
    assert censored_residual_mean(strong, -125, 6, 0.0)[0] < -35


def test_miss_rate_is_read_from_the_tracks():
    """A reading between two strong NR readings of the same probe that has no NR is a
    miss; the share of such readings is the miss rate, seen without any site."""
    from phusong.coverage.evidence import miss_rate_on_tracks

    rng = np.random.default_rng(5)
    n = 6000
    measured = rng.random(n) >= 0.25
    time = pd.Timestamp("2025-10-05", tz="UTC") + pd.to_timedelta(np.arange(n) * 10, "s")
    rows = pd.DataFrame({"probe_id": np.repeat(["a", "b"], n // 2), "operator": "452-04",
                         "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "value": np.where(measured, -95.0, -140.0), "nr_measured": measured})
    assert miss_rate_on_tracks(rows, -125.0) == pytest.approx(0.25, abs=0.03)
    # readings 10 minutes apart are not neighbours on a track
    sparse = rows.assign(time_utc=(time + pd.to_timedelta(np.arange(n) * 600, "s"))
                         .strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert miss_rate_on_tracks(sparse, -125.0) is None
    # weak neighbours bracket nothing: there the reading may well be below the level
    assert miss_rate_on_tracks(rows.assign(value=np.where(measured, -120.0, -140.0)),
                               -125.0) is None


def recovered_device_offsets(directory, seed: int) -> tuple[float, float, float, float]:
    """Correlation and slope of one simulated campaign's estimated device offsets
    against the true ones, the estimated spread and the true one."""
    from phusong.coverage.operators import fit_kwargs, project_sites, with_track_statistics
    from phusong.coverage.evidence import evidence_for, load_signal_xy
    from phusong.coverage.sites import read_sites

    sim = simulate(directory, load_boundaries(),
                   SimulationConfig(seed=seed, n_readings=15_000, device_offset_std_db=3.0))
    truth = pd.Series(json.loads((sim.truth_dir / "simulation.json").read_text(
        encoding="utf-8"))["device_offsets_db"])
    evidence = evidence_for(load_signal_xy(sim.store_path, "EPSG:9214"))
    sites = project_sites(read_sites(directory / SITES_DECLARED_CSV), "EPSG:9214")
    rows = evidence[evidence["operator"] == "452-04"]
    model = with_track_statistics(PathLossKriging(
        calibrate=False, sites=sites.loc[sites["operator"] == "452-04", ["x", "y"]].to_numpy()),
        rows)
    model.fit(rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(), **fit_kwargs(model, rows))
    found = pd.Series(model.device_offsets_.offsets)
    assert len(found) == 12
    true = truth[found.index] - truth[found.index].mean()
    return (np.corrcoef(true, found)[0, 1], np.polyfit(true, found, 1)[0],
            model.device_offsets_.tau_db, true.std(ddof=1))


def test_attach_level_is_read_from_the_tracks():
    """With hysteresis the weakest NR values show where the leg is released (5 dB below
    where it is added); the first values after a reading without NR show where it is added."""
    from phusong.coverage.evidence import attach_level_on_tracks
    from phusong.coverage.pathloss import attach_level
    from phusong.sim.campaign import nr_attached

    rng = np.random.default_rng(6)
    n = 20_000
    signal = -120 + 12 * np.sin(np.arange(n) / 15) + rng.normal(0, 2, n)
    walk = np.repeat(np.arange(n // 500), 500)
    attached = nr_attached(signal, walk, rng.random(n) < 0.9, -125.0, 5.0)
    time = pd.Timestamp("2025-10-05", tz="UTC") + pd.to_timedelta(np.arange(n) * 10, "s")
    rows = pd.DataFrame({"probe_id": "p", "operator": "452-04",
                         "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "value": np.where(attached, signal, -140.0), "nr_measured": attached})
    assert attach_level(rows["value"][attached]) < -128
    assert attach_level_on_tracks(rows) == pytest.approx(-125, abs=0.8)
    assert attach_level_on_tracks(rows.head(300)) is None  # too few attaches to tell


def test_device_offsets_are_recovered(tmp_path):
    """Probes that read about 3 dB high or low (the simulator's per-device offsets) are
    told apart from the signal: over three campaigns the estimated offsets follow the
    true ones, shrunk towards the fleet but not lost."""
    results = pd.DataFrame([recovered_device_offsets(tmp_path / str(seed), seed)
                            for seed in (11, 12, 13)],
                           columns=["correlation", "slope", "spread", "true_spread"])
    print("\n" + results.round(2).to_string())
    assert (results["correlation"] > 0.5).all()
    assert results["correlation"].mean() > 0.8
    assert 0.6 < results["slope"].mean() < 1.2
    assert 0.6 < (results["spread"] / results["true_spread"]).mean() < 1.4


def test_readings_without_a_cell_id_locate_no_site():
    """A missing serving cell (None, or NaN as pandas' string columns give it) names no
    site: it is not one cell called "nan" located from every such reading."""
    rng = np.random.default_rng(8)
    X = rng.uniform(-2000, 2000, (3000, 2))
    y = -40 - 35 * np.log10(np.hypot(np.hypot(*X.T), 25)) + rng.normal(0, 4, len(X))
    ids = np.array(["cell-a", np.nan], dtype=object)[(rng.random(len(X)) < 0.5).astype(int)]
    model = PathLossKriging(calibrate=False).fit(X, y, cell_ids=ids)
    assert list(model.sites_.cell_ids) == ["cell-a"]


def test_readings_without_a_fix_are_placed_only_across_short_gaps():
    from phusong.coverage.evidence import place_on_track

    frame = pd.DataFrame({
        "probe_id": "p", "time_utc": ["2025-10-05T00:00:00.000Z", "2025-10-05T00:00:05.000Z",
                                      "2025-10-05T00:00:10.000Z", "2025-10-05T00:05:00.000Z",
                                      "2025-10-05T00:10:10.000Z"],
        "lon": [106.0, None, 106.001, None, 106.1], "lat": [21.0, None, 21.0, None, 21.1],
        "position_accuracy_m": [5.0, None, 5.0, None, 5.0]})
    place_on_track(frame)
    assert frame.at[1, "lon"] == pytest.approx(106.0005)
    assert np.isnan(frame.at[3, "lon"])  # 10 minutes between its fixes: not a track


def test_site_missing_from_the_list_is_added_from_the_readings():
    from phusong.coverage.sites import HEIGHT_OFFSET_M

    rng = np.random.default_rng(2)
    sites = np.array([[0.0, 0.0], [4000.0, 0.0]])
    X = rng.uniform([-1500, -1500], [5500, 1500], (4000, 2))
    distance = np.hypot(X[:, None, 0] - sites[None, :, 0], X[:, None, 1] - sites[None, :, 1])
    nearest = distance.argmin(axis=1)
    y = 0.4 - 39.08 * np.log10(np.hypot(distance.min(axis=1), HEIGHT_OFFSET_M))
    y = y + rng.normal(0, 4, len(y))
    silent = y < -125
    y[silent] = NO_NR_DBM
    cells = np.where(silent, None, np.array(["A", "B"], dtype=object)[nearest])
    model = PathLossKriging(sites=sites[:1]).fit(X, y, cell_ids=cells)
    assert model.n_unlisted_ == 1
    assert np.hypot(*(model.sites_.xy[1] - sites[1])) < 300
    complete = PathLossKriging(sites=sites).fit(X, y, cell_ids=cells)
    assert complete.n_unlisted_ == 0


def test_site_list_names_operators_by_code_or_name(tmp_path):
    from phusong.coverage.sites import read_sites
    from phusong.errors import InputFormatError

    path = tmp_path / "sites.csv"
    path.write_text("operator,technology,lon,lat\n452-04,NR,106.2,21.3\nViettel,nr,106.2,21.3\n"
                    " VinaPhone ,LTE,106.1,21.2\nMobiFone,NR,106.0,21.1\n", encoding="utf-8")
    sites = read_sites(path)
    assert sites["operator"].tolist() == ["452-04", "452-04", "452-02", "452-01"]
    assert sites["technology"].tolist() == ["NR", "NR", "LTE", "NR"]
    path.write_text("operator,technology,lon,lat\nFooTel,NR,106.2,21.3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"known operator .* line\(s\) 2"):
        read_sites(path)


def test_listed_site_off_air_is_dropped():
    from phusong.coverage.sites import HEIGHT_OFFSET_M

    rng = np.random.default_rng(3)
    on_air, off_air = np.array([0.0, 0.0]), np.array([3000.0, 0.0])
    X = rng.uniform([-1500, -1500], [4500, 1500], (4000, 2))
    distance = np.hypot(*(X - on_air).T)
    y = 0.4 - 39.08 * np.log10(np.hypot(distance, HEIGHT_OFFSET_M)) + rng.normal(0, 4, len(X))
    y[y < -125] = NO_NR_DBM
    model = PathLossKriging(sites=np.vstack([on_air, off_air])).fit(X, y)
    assert model.n_off_air_ == 1
    assert len(model.sites_.xy) == 1 and np.allclose(model.sites_.xy[0], on_air)
    assert PathLossKriging(sites=on_air[None]).fit(X, y).n_off_air_ == 0
    silent_everywhere = np.where(distance < 1000, NO_NR_DBM, y)
    alone = PathLossKriging(sites=on_air[None]).fit(X, silent_everywhere)
    assert alone.n_off_air_ == 1 and alone.sites_ is None


def _roads_campaign(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Readings along a grid of roads in an 8 km square served by jittered sites:
    strongest log-distance signal plus a smooth clutter field and noise."""
    rng = np.random.default_rng(seed)
    lattice = np.stack(np.meshgrid(np.arange(600, 8000, 1400.0),
                                   np.arange(600, 8000, 1400.0)), -1).reshape(-1, 2)
    sites = lattice + rng.normal(0, 250, lattice.shape)
    along = rng.uniform(0, 8000, 6000)
    across = rng.choice(np.arange(350, 8000, 700.0), 6000)
    X = np.where(rng.random(6000)[:, None] < 0.5, np.c_[along, across], np.c_[across, along])
    d = np.hypot(*(X[:, None, :] - sites[None]).transpose(2, 0, 1))
    path = (-15 - 35 * np.log10(np.hypot(d, 23.5))).max(axis=1)
    k, phase = rng.normal(0, 1 / 600, (20, 2)), rng.uniform(0, 2 * np.pi, 20)
    clutter = 5 * np.sqrt(2 / 20) * np.cos(X @ k.T + phase).sum(axis=1)
    return X, path + clutter + rng.normal(0, 3, len(X)), sites


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibration_keeps_a_right_trend_and_shrinks_a_wrong_one(seed):
    X, y, sites = _roads_campaign(seed)
    right = PathLossKriging(sites=sites, unlisted_distance_m=None).fit(X, y).calibration_
    wrong_sites = np.random.default_rng(seed + 100).uniform(0, 8000, sites.shape)
    wrong = PathLossKriging(sites=wrong_sites, unlisted_distance_m=None).fit(X, y).calibration_
    print(f"seed {seed}: right sites {right}\n        wrong sites {wrong}")
    assert right.weight >= 0.75 and right.n_held_out > 1000
    assert wrong.weight <= right.weight - 0.3
    assert 0.7 <= right.spread <= 1.6


def test_calibrated_trend_predicts_held_out_roads_better_when_the_sites_are_wrong():
    gains = []
    for seed in (4, 5, 6):
        X, y, sites = _roads_campaign(seed)
        held_out = X[:, 0] > 6000
        wrong_sites = np.random.default_rng(seed).uniform(0, 8000, sites.shape)
        errors = {}
        for calibrate in (False, True):
            model = PathLossKriging(sites=wrong_sites, unlisted_distance_m=None,
                                    calibrate=calibrate).fit(X[~held_out], y[~held_out])
            errors[calibrate] = np.sqrt(np.mean((model.predict(X[held_out]) - y[held_out]) ** 2))
        gains.append(errors[False] - errors[True])
        print(f"seed {seed}: held-out RMSE {errors[False]:.2f} dB uncalibrated, "
              f"{errors[True]:.2f} dB calibrated")
    assert np.mean(gains) > 0.3 and min(gains) > -0.2


def test_located_sites_are_not_pulled_to_the_routes(tmp_path):
    """With NR added only while there is traffic (30 % of readings miss it), sites placed by
    the measured readings lie as far from the readings as the true servers do: readings
    without NR, counted against candidates, had pulled them 0.12 decade closer, and the
    trend ran low away from the roads."""
    import pandas as pd

    from phusong.coverage.evidence import load_signal_xy

    sim = simulate(tmp_path / "traffic", load_boundaries(),
                   SimulationConfig(seed=11, n_readings=12_000, nr_traffic_share=0.7))
    truth = pd.read_csv(sim.store_path.parent / "truth" / "sites.csv").set_index("site_id")
    rows = nr_evidence(load_signal_xy(sim.store_path, "EPSG:9214"))
    rows = rows[rows["operator"] == "452-04"]
    model = PathLossKriging(calibrate=False).fit(
        rows[["x", "y"]].to_numpy(), rows["value"].to_numpy(),
        cell_ids=rows["cell_id"].where(rows["nr_measured"]).to_numpy(dtype=object))
    measured = rows[rows["nr_measured"]]
    X, ids = measured[["x", "y"]].to_numpy(), measured["cell_id"].to_numpy().astype(str)
    own = dict(zip(model.sites_.cell_ids, model.sites_.xy))
    placed = np.array([own.get(cell, (np.nan, np.nan)) for cell in ids])

    def mean_log_distance(sites_xy: np.ndarray) -> float:
        return float(np.nanmean(np.log10(np.hypot(np.hypot(*(X - sites_xy).T), 23.5))))

    shortfall = mean_log_distance(truth.loc[ids, ["x", "y"]].to_numpy()) - mean_log_distance(placed)
    print(f"located sites {shortfall:.3f} decade closer to their readings than the true ones")
    assert abs(shortfall) < 0.05


def test_calibration_locates_the_sites_without_the_held_out_block(monkeypatch):
    """The inner cross-validation that weighs the located trend locates the sites from
    each fold's training readings: sites located with the held-out block's readings made
    the trend look better there than it is away from the roads."""
    from phusong.coverage import sites as sites_module

    seen = []
    original = sites_module.locate_sites

    def recording(X, *args, **kwargs):
        seen.append(len(X))
        return original(X, *args, **kwargs)

    monkeypatch.setattr(sites_module, "locate_sites", recording)
    rng = np.random.default_rng(9)
    X = rng.uniform(-3000, 3000, (4000, 2))
    centres = np.array([[-1500, -1500], [1500, 1500], [-1500, 1500], [1500, -1500]])
    nearest = np.argmin(np.hypot(*(X[:, None, :] - centres[None]).transpose(2, 0, 1)), axis=1)
    distance = np.hypot(*(X - centres[nearest]).T)
    y = -40 - 35 * np.log10(np.hypot(distance, 25)) + rng.normal(0, 4, len(X))
    ids = np.array([f"c{i}" for i in range(4)], dtype=object)[nearest]
    PathLossKriging().fit(X, y, cell_ids=ids)
    # the full fit first, then each fold of the calibration on fewer readings
    assert len(seen) > 1 and max(seen[1:]) < seen[0]

