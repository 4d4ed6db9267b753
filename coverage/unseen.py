"""Sites no reading names: what the routes did not pass still covers places near them.

From the readings alone the trend knows only the sites whose cells the readings name.
A site a kilometre from every route serves no reading, yet covers the cells around it,
some of them close to the routes, where the estimate stands for its commune. On the
simulator, half the coverage 400–700 m from the routes came from such sites.

The sites are taken as a homogeneous Poisson process, the standard stochastic-geometry
model of a cellular network (Andrews, Baccelli & Ganti, IEEE Trans. Commun. 2011). A
site is named when it is the best server of some stretch of a route: when its Voronoi
cell meets the route. A line crosses ``4 √λ / π`` Poisson–Voronoi cells per unit length
(Okabe et al., *Spatial Tessellations*, 2000, §5.5), so a site ``d`` from the routes is
taken as named with probability ``exp(-c λ d²)``, ``c = π³/16``, the profile whose
integral across a route gives that count. The intensity ``λ`` is what makes the expected
number of named sites the number located: ``n = λ ∫ exp(-c λ d(x)²) dx``. A campaign
that names fewer sites than the geometry allows (readings too sparse to name a site
crossed briefly, signals below the attach level) makes ``λ`` too low: the correction
then falls short, it does not overshoot (0.64 of the true density on 20,000-reading
simulated campaigns, ``benchmarks/unseen_sites.py``). The sites not named have intensity
``λ (1 - exp(-c λ d²))``; one at distance ``r`` covers a place with the probability the
operator's fitted trend gives at ``r`` (its intercept, slope and spread), so the expected
number of unseen sites covering a place is that intensity convolved with the coverage
kernel, and a place is covered by none with probability ``exp(-Λ)``.

Sites go where people are, so each unit's own intensity departs from the operator's: the
sites named in a unit against the number its routes would name give it a Gamma-Poisson
posterior (its shape from how unevenly the named sites are spread over the units), whose
mean sets the unit's unseen sites and whose spread enters the interval draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.signal import fftconvolve
from scipy.special import ndtr

from .grid import Membership
from .sites import HEIGHT_OFFSET_M

NAMING_FACTOR = np.pi**3 / 16
# Distances to the readings are measured up to here; beyond, every site is unseen.
SEARCH_M = 4000.0
# The units' intensities are drawn at most this dispersed (Gamma shape).
MIN_UNIT_SHAPE = 0.5
# The coverage kernel stops where a site covers with less than this probability.
MIN_KERNEL_P = 1e-3
MAX_KERNEL_M = 5000.0


@dataclass(frozen=True)
class UnseenSites:
    """One operator's sites that no reading names, as a Poisson process.

    ``p_cover`` is, for each cell, the probability that at least one of them covers it;
    ``n_located`` the sites the readings named, on which the intensity rests.
    """

    intensity_per_km2: float
    n_located: int
    expected_unseen: float
    p_cover: np.ndarray
    radius_m: float = 500.0  # where one site's coverage probability falls to one half
    unit_shape: float = np.inf  # Gamma shape of the units' departures from the intensity
    unit_posterior_shape: np.ndarray | None = None  # each unit's, given the sites it named

    def summary(self) -> dict:
        return {"sites_per_km2": round(self.intensity_per_km2, 4),
                "sites_named_by_readings": self.n_located,
                "sites_unseen_expected": round(self.expected_unseen, 1),
                "units_gamma_shape": (round(self.unit_shape, 2) if np.isfinite(self.unit_shape)
                                      else None)}


def naming_probability(distance_m: np.ndarray, intensity_per_km2: float) -> np.ndarray:
    """P(a site ``distance_m`` from the routes is named): its Voronoi cell meets them."""
    d_km = np.asarray(distance_m, float) / 1000.0
    return np.exp(-NAMING_FACTOR * intensity_per_km2 * d_km * d_km)


def site_intensity(n_located: int, distance_m: np.ndarray, cell_km2: float) -> float:
    """The intensity (sites per km²) under which ``n_located`` sites are expected to be
    named, given each area cell's distance to the routes (``inf`` far from every one)."""
    near = distance_m[np.isfinite(distance_m)]
    if n_located <= 0 or near.size == 0:
        return 0.0
    area = NAMING_FACTOR * (near / 1000.0) ** 2

    def expected_named(lam: float) -> float:
        return lam * cell_km2 * float(np.exp(-lam * area).sum())

    # λ E(λ) rises to a peak and falls again; the root is on the rising side
    peak = 1.0 / max(float(np.average(area)), 1e-9)
    for _ in range(60):
        if expected_named(peak) >= n_located or peak > 1e6:
            break
        peak *= 2
    if expected_named(peak) < n_located:
        return peak
    return float(brentq(lambda lam: expected_named(lam) - n_located, 0.0, peak, xtol=1e-9))


def unit_heterogeneity(member: Membership, distance_m: np.ndarray, located_xy: np.ndarray,
                       intensity_per_km2: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Gamma shape ``k`` of the units' own intensities about the operator's (sites go
    where people are): from the overdispersion of the sites named in each unit about the
    number its routes would name at the common intensity, ``E[(n − μ)² − n] = μ²/k``
    (method of moments; ``inf`` when the counts are no more dispersed than Poisson)."""
    unit = member.dominant_unit()
    inside = unit >= 0
    cell_km2 = member.grid.cell_area / 1e6
    expected = intensity_per_km2 * np.bincount(
        unit[inside], naming_probability(distance_m[inside], intensity_per_km2) * cell_km2,
        minlength=member.n_units)
    site_unit = member.unit_of(np.asarray(located_xy, float).reshape(-1, 2))
    named = np.bincount(site_unit[site_unit >= 0], minlength=member.n_units)
    excess = float(((named - expected) ** 2 - named).sum())
    shape = np.inf if excess <= 0 else float(
        np.clip((expected**2).sum() / excess, MIN_UNIT_SHAPE, np.inf))
    return shape, named, expected


def coverage_kernel(resolution_m: float, intercept: float, slope: float, sigma: float,
                    threshold: float) -> np.ndarray:
    """P(a site covers a cell) at each offset of a square of grid cells around it."""
    radius = int(np.ceil(MAX_KERNEL_M / resolution_m))
    offsets = np.arange(-radius, radius + 1) * resolution_m
    r = np.hypot(offsets[:, None], offsets[None, :])
    level = intercept - slope * np.log10(np.hypot(r, HEIGHT_OFFSET_M))
    p = ndtr((level - threshold) / max(sigma, 1e-6))
    keep = np.flatnonzero((p >= MIN_KERNEL_P).any(axis=0))
    if keep.size == 0:
        return np.zeros((1, 1))
    half = max(radius - int(keep[0]), 0)
    return p[radius - half: radius + half + 1, radius - half: radius + half + 1]


def unseen_sites(member: Membership, cells: np.ndarray, readings_xy: np.ndarray,
                 located_xy: np.ndarray, intercept: float, slope: float, sigma: float,
                 threshold: float) -> UnseenSites:
    """The probability that a site no reading names covers each of ``cells``.

    Parameters
    ----------
    readings_xy
        Where the operator's readings were taken (its routes).
    located_xy
        The sites its readings named.
    intercept, slope, sigma
        The operator's fitted path-loss trend (:class:`~phusong.coverage.pathloss.LogDistanceFit`).
    """
    grid = member.grid
    cell_km2 = grid.cell_area / 1e6
    distance = member.distance_to(readings_xy, SEARCH_M, cells)
    inside = np.zeros(grid.size, bool)
    inside[cells] = True
    lam = site_intensity(len(located_xy), distance[inside], cell_km2)
    if lam <= 0:
        return UnseenSites(0.0, len(located_xy), 0.0, np.zeros(len(cells)))
    shape, named, expected_named = unit_heterogeneity(member, distance, located_xy, lam)
    ratio, posterior_shape = unit_posteriors(shape, named, expected_named)
    local = lam * np.append(ratio, 1.0)[member.dominant_unit()]  # -1: outside every unit
    unseen = np.where(inside, local * (1 - naming_probability(distance, lam)), 0.0) * cell_km2
    kernel = coverage_kernel(grid.resolution, intercept, slope, sigma, threshold)
    expected = fftconvolve(unseen.reshape(grid.shape), kernel, mode="same").ravel()
    p_cover = -np.expm1(-np.clip(expected[cells], 0, None))
    radius = float(np.sqrt(max(10 ** (2 * (intercept - threshold) / slope)
                               - HEIGHT_OFFSET_M**2, 0.0)))
    return UnseenSites(lam, len(located_xy), float(unseen.sum()), p_cover,
                       max(radius, grid.resolution), shape, posterior_shape)


def unit_posteriors(shape: float, named: np.ndarray, expected_named: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's intensity over the operator's (Gamma-Poisson posterior mean given the
    sites it named against the number expected) and the posterior's shape."""
    if not np.isfinite(shape):
        return np.ones(len(named)), np.full(len(named), np.inf)
    return (named + shape) / (expected_named + shape), named + shape


def with_unseen(p_covered: np.ndarray, p_unseen: np.ndarray) -> np.ndarray:
    """P(covered by the model's sites or by an unseen one), the two taken as independent."""
    return 1 - (1 - p_covered) * (1 - p_unseen)


def add_unseen_sites(per_operator: list, member: Membership, cells: np.ndarray,
                     evidence, threshold: float, p_any: np.ndarray) -> np.ndarray:
    """Give each operator prediction whose sites were located from the readings its
    :class:`UnseenSites` (and the coverage they add to its ``p_covered``); the union
    ``p_any`` with them."""
    none = np.ones(len(cells))
    operator_of = evidence["operator"].fillna("unknown").astype(str)
    for op in per_operator:
        if op.sites_xy is None or op.trend is None:
            continue
        routes = evidence.loc[operator_of == op.operator, ["x", "y"]].to_numpy()
        op.unseen = unseen_sites(member, cells, routes, op.sites_xy, op.trend.intercept,
                                 op.trend.slope, op.trend.sigma, threshold)
        op.p_covered = with_unseen(op.p_covered, op.unseen.p_cover)
        none *= 1 - op.unseen.p_cover
    return with_unseen(p_any, 1 - none)
