"""P(any operator) and the realisations: the union of correlated operators, realised shares."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("correlation", [0.0, 0.15, 0.6])
def test_union_of_correlated_operators_matches_a_monte_carlo(correlation):
    from phusong.coverage.union import p_any_covers

    rng = np.random.default_rng(int(correlation * 100))
    means = [rng.uniform(-120, -90, 50) for _ in range(3)]
    stds = [rng.uniform(2, 10, 50) for _ in range(3)]
    n = 200_000
    shared = rng.standard_normal((n, 1))
    hits = np.zeros((n, 50), bool)
    for mean, std in zip(means, stds):
        error = np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * rng.standard_normal((n, 50))
        hits |= mean + std * error >= -105
    assert np.allclose(p_any_covers(means, stds, -105, correlation), hits.mean(axis=0), atol=0.006)
    if correlation > 0:
        assert np.all(p_any_covers(means, stds, -105, correlation)
                      <= p_any_covers(means, stds, -105, 0.0) + 1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_union_quadrature_is_converged(seed, monkeypatch):
    """The default number of Gauss-Hermite nodes gives what four times as many give."""
    from phusong.coverage import union

    rng = np.random.default_rng(seed)
    means = [rng.uniform(-125, -85, 2000) for _ in range(3)]
    stds = [rng.uniform(0.5, 12, 2000) for _ in range(3)]
    default = {rho: union.p_any_covers(means, stds, -110, rho) for rho in (0.15, 0.3)}
    monkeypatch.setattr(union, "QUADRATURE_NODES", 4 * union.QUADRATURE_NODES)
    for rho, p in default.items():
        assert np.abs(union.p_any_covers(means, stds, -110, rho) - p).max() < 5e-6


def test_realised_shares_are_each_realisations_unit_means():
    """The shares of all realisations at once (one sparse product) are, realisation by
    realisation, the units' weighted means over their cells within (all cells where a unit
    has none within)."""
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.uncertainty import realised_shares

    units = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:9214", geometry=[
        box(0, 0, 5000, 8000), box(5000, 0, 9000, 8000), box(9000, 0, 9950, 950)])
    member = membership(grid_for(units, 100.0), units)
    cells = member.cells()
    rng = np.random.default_rng(4)
    covered = rng.random((7, len(cells))) < 0.4
    within = rng.random(member.grid.size) < 0.3
    within[member.cell[member.unit == 2]] = False
    people = rng.random(member.grid.size)
    shares = realised_shares(member, cells, covered, people, within)
    values = np.full(member.grid.size, np.nan)
    for r, row in enumerate(covered):
        values[cells] = row
        np.testing.assert_allclose(shares[r], 100 * member.mean_within(values, within, people),
                                   rtol=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_realisations_cover_each_cell_as_often_as_its_probability(seed):
    """The interval draws share each cell's predictive spread out between their
    components: a cell is covered in as many realisations as its P(covered) says, so the
    realised shares are centred on the expected share (adding the components on top
    pulled them towards 50 % and left the point at an end of its interval)."""
    import geopandas as gpd
    from scipy.special import ndtr
    from shapely.geometry import box

    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.uncertainty import (OperatorPrediction, ShareDistribution,
                                              realised_shares, simulate_coverage)

    units = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:9214", geometry=[
        box(0, 0, 4000, 4000), box(4000, 0, 8000, 4000)])
    member = membership(grid_for(units, 200.0), units)
    cells = member.cells()
    rng = np.random.default_rng(seed)
    for centre, spread in ((-110.0, 12.0), (-101.0, 2.0)):  # all kinds of cells; mostly covered
        mean = centre + spread * rng.standard_normal(len(cells))
        std = rng.uniform(3, 6, len(cells))
        op = OperatorPrediction("x", mean, std, ndtr((mean + 110) / std), 600.0)
        covered = simulate_coverage(member, cells, [op], -110.0, n_realisations=400,
                                    model_std_db=2.0, global_std_db=3.0, seed=seed)
        frequency = covered.mean(axis=0)
        assert abs(frequency.mean() - op.p_covered.mean()) < 0.02
        assert np.corrcoef(frequency, op.p_covered)[0, 1] > 0.9
    on_grid = np.full(member.grid.size, np.nan)
    on_grid[cells] = op.p_covered
    point = 100 * member.mean_within(on_grid, np.ones(member.grid.size, bool))
    draws = ShareDistribution.around(point, realised_shares(member, cells, covered))
    low, high = draws.interval()
    assert ((low < point - 0.5) & (point + 0.5 < high)).all()


def test_readings_projected_in_parts_land_where_one_transform_puts_them():
    from phusong.coverage.evidence import _projected, wgs84_to

    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(105.8, 106.9, 250_001), rng.uniform(21.0, 21.6, 250_001)
    x, y = _projected("EPSG:9214", lon, lat)
    expected_x, expected_y = wgs84_to("EPSG:9214").transform(lon, lat)
    assert np.array_equal(x, expected_x) and np.array_equal(y, expected_y)



@pytest.mark.parametrize("seed", [4, 5, 6])
def test_fields_on_coarse_cells_spread_unit_shares_as_fine_ones(seed, monkeypatch):
    """The interval draws' fields are drawn on cells up to 0.8 of their correlation length
    wide: the units' shares then spread as with fields drawn on the grid's own cells (a
    little more, never less: cells sharing one value are more alike than their distance
    says). Cells at the threshold, where a field moves their coverage most."""
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.coverage import uncertainty
    from phusong.coverage.grid import grid_for, membership
    from phusong.coverage.uncertainty import OperatorPrediction, realised_shares

    units = gpd.GeoDataFrame({"code": [f"u{i}" for i in range(16)]}, crs="EPSG:9214",
                             geometry=[box(x, y, x + 2000, y + 2000)
                                       for x in range(0, 8000, 2000)
                                       for y in range(0, 8000, 2000)])
    member = membership(grid_for(units, 100.0), units)
    cells = member.cells()
    op = OperatorPrediction("x", np.full(len(cells), -110.0), np.full(len(cells), 6.0),
                            np.full(len(cells), 0.5), 300.0)

    def unit_spread(cell_per_correlation: float) -> float:
        monkeypatch.setattr(uncertainty, "FIELD_CELL_PER_CORRELATION", cell_per_correlation)
        covered = uncertainty.simulate_coverage(member, cells, [op], -110.0,
                                                n_realisations=400, model_std_db=0.0,
                                                global_std_db=0.0, seed=seed)
        return float(realised_shares(member, cells, covered).std(axis=0).mean())

    coarse = uncertainty.FIELD_CELL_PER_CORRELATION
    assert int(coarse * op.correlation_m / 100.0) == 2  # the rule draws on 200 m cells here
    ratio = unit_spread(coarse) / unit_spread(0.01)
    assert 0.97 < ratio < 1.10
