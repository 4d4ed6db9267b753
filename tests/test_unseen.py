"""Sites no reading names: the Poisson model behind them recovers a network's density from
the sites a route names, and adds coverage where they are, not where the routes were."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from phusong.coverage.unseen import coverage_kernel, naming_probability, site_intensity

SIDE_M = 40_000.0
CELL_M = 200.0


def _named_by_routes(sites: np.ndarray, routes: np.ndarray) -> int:
    """Sites that are the nearest site of some route point (the best server, equal powers)."""
    _, nearest = cKDTree(sites).query(routes)
    return len(np.unique(nearest))


def _routes(rng: np.random.Generator, n_roads: int) -> np.ndarray:
    """Straight roads across the square, a point every 50 m."""
    points = []
    for _ in range(n_roads):
        start, end = rng.uniform(0, SIDE_M, 2), rng.uniform(0, SIDE_M, 2)
        steps = np.linspace(0, 1, int(np.hypot(*(end - start)) / 50))
        points.append(start + steps[:, None] * (end - start))
    return np.vstack(points)


def test_intensity_is_recovered_from_the_sites_routes_name():
    """Poisson networks of known density, a dozen roads: the intensity that makes the
    expected number of named sites the number named is right within its sampling error
    (λ grows as the square of the count, so its relative error is about 2/√n) on each of
    five networks, and within 10 % on average."""
    ratios = []
    for seed in range(1, 6):
        rng = np.random.default_rng(seed)
        lam = rng.uniform(0.05, 0.3)  # sites per km², rural to suburban
        sites = rng.uniform(0, SIDE_M, (rng.poisson(lam * (SIDE_M / 1000) ** 2), 2))
        routes = _routes(rng, 12)
        named = _named_by_routes(sites, routes)
        centres = np.arange(0, SIDE_M, CELL_M) + CELL_M / 2
        cells = np.stack(np.meshgrid(centres, centres), -1).reshape(-1, 2)
        distance, _ = cKDTree(routes).query(cells, distance_upper_bound=4000.0)
        estimate = site_intensity(named, distance, (CELL_M / 1000) ** 2)
        ratios.append(estimate / lam)
        print(f"seed {seed}: true {lam:.3f}/km², named {named} of {len(sites)}, "
              f"estimated {estimate:.3f}/km²")
        assert abs(ratios[-1] - 1) < 3 * 2 / np.sqrt(named)
    assert abs(np.mean(ratios) - 1) < 0.10


def test_intensity_is_zero_without_named_sites_and_naming_falls_with_distance():
    assert site_intensity(0, np.array([10.0, 500.0]), 0.01) == 0.0
    p = naming_probability(np.array([0.0, 500.0, 1000.0, 4000.0]), 0.2)
    assert p[0] == 1.0 and np.all(np.diff(p) < 0) and p[-1] < 0.01


def test_kernel_is_the_trend_seen_from_a_site():
    """One half at the distance where the trend reaches the threshold; falling outwards."""
    kernel = coverage_kernel(100.0, intercept=0.0, slope=40.0, sigma=6.0, threshold=-110.0)
    centre = kernel.shape[0] // 2
    radius_m = np.sqrt(10 ** (110 / 40 * 2) - 23.5**2)
    profile = kernel[centre, centre:]
    assert np.all(np.diff(profile) <= 0)
    half_at = np.interp(0.5, profile[::-1], np.arange(len(profile))[::-1] * 100.0)
    assert abs(half_at - radius_m) < 100.0


def _square_units(side_m: float = 20_000.0, halves: bool = True):
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.coverage.grid import grid_for, membership

    polygons = ([box(0, 0, side_m / 2, side_m), box(side_m / 2, 0, side_m, side_m)] if halves
                else [box(0, 0, side_m, side_m)])
    units = gpd.GeoDataFrame({"code": [str(i) for i in range(len(polygons))]},
                             geometry=polygons, crs="EPSG:9214")
    member = membership(grid_for(units, 200.0), units)
    return member, member.cells()


def test_unseen_coverage_grows_away_from_the_route():
    """A road along the middle of a 20 km square that named ten sites: the unseen sites add
    little coverage on the road, where they would have been named, and more away from it."""
    from phusong.coverage.unseen import unseen_sites

    member, cells = _square_units(halves=False)
    road = np.column_stack([np.linspace(0, 20_000, 400), np.full(400, 10_000.0)])
    named = np.column_stack([np.linspace(1000, 19_000, 10), np.full(10, 10_300.0)])
    unseen = unseen_sites(member, cells, road, named, intercept=0.4, slope=39.08, sigma=6.0,
                          threshold=-110.0)
    off_road = np.abs(member.grid.centres(cells)[:, 1] - 10_000.0)
    near, far = unseen.p_cover[off_road < 200].mean(), unseen.p_cover[off_road > 4000].mean()
    print(unseen.summary(), near, far)
    assert 0 < near < far < 1
    assert unseen.intensity_per_km2 > 0 and unseen.expected_unseen > 0


def test_interval_draws_reproduce_the_unseen_probability():
    """Over many realisations, the share of draws in which a cell is covered by an unseen
    site is the probability the model gives it (within sampling error)."""
    from phusong.coverage.uncertainty import OperatorPrediction, simulate_coverage
    from phusong.coverage.unseen import UnseenSites

    member, cells = _square_units()
    p = np.linspace(0.0, 0.8, len(cells))
    unseen = UnseenSites(0.1, 10_000, 100.0, p, radius_m=400.0)  # a sharp density
    silent = OperatorPrediction("452-04", np.full(len(cells), -150.0), np.full(len(cells), 0.1),
                                np.zeros(len(cells)), 300.0, unseen=unseen)
    covered = simulate_coverage(member, cells, [silent], -110.0, n_realisations=400,
                                model_std_db=0.0, global_std_db=0.0)
    frequency = covered.mean(axis=0)
    for low, high in ((0.0, 0.2), (0.3, 0.5), (0.6, 0.8)):
        band = (p >= low) & (p < high)
        assert abs(frequency[band].mean() - p[band].mean()) < 0.03


def test_only_sites_located_from_the_readings_leave_unseen_ones():
    """An operator given its site list knows its sites: no unseen ones are added for it, even
    when another operator's sites must be located (the estimate is then not 'everywhere')."""
    from phusong.coverage.interpolate import PathLossKriging
    from phusong.coverage.operators import _located_sites

    rng = np.random.default_rng(0)
    site = np.array([[1000.0, 1000.0]])
    X = rng.uniform(0, 2000, (300, 2))
    y = 0.4 - 39.08 * np.log10(np.hypot(np.hypot(*(X - site).T), 23.5)) + rng.normal(0, 6, 300)
    cells = np.full(300, "cell-1", dtype=object)
    located = PathLossKriging(calibrate=False).fit(X, y, cell_ids=cells)
    listed = PathLossKriging(sites=site, calibrate=False).fit(X, y, cell_ids=cells)
    assert _located_sites(located) is not None and len(_located_sites(located)) == 1
    assert _located_sites(listed) is None
