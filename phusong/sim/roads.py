"""Drive routes along a synthetic road network.

Field teams drive roads: their readings line up along shared corridors, several
probes pass the same stretches, and the land between roads is never measured.
The network is random but road-like: junctions spread over the province, joined
by the Delaunay triangulation's minimum spanning tree (every junction reachable)
plus a share of its other short edges (loops, as real networks have). A route
starts at a junction of its commune and at each junction takes a random road
other than the one it came by; positions are laid every step along it, across
commune borders as roads run.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay


def points_in(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``polygon`` (rejection sampling)."""
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        xy = rng.uniform((x0, y0), (x1, y1), size=(max(2 * (n - have), 16), 2))
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(xy)
        have += len(xy)
    return np.concatenate(found)[:n]


@dataclass
class RoadNetwork:
    """Junctions (m) and, for each, the junctions a road leads to."""

    nodes: np.ndarray
    neighbours: list[np.ndarray]

    def route(self, start: int, length_m: float, step_m: float,
              rng: np.random.Generator) -> np.ndarray:
        """Positions every ``step_m`` along a random drive of ``length_m`` from ``start``."""
        points, node, previous, carried = [], start, -1, 0.0
        travelled = 0.0
        while travelled < length_m:
            options = self.neighbours[node]
            if len(options) == 0:
                break
            if len(options) > 1:
                options = options[options != previous]
            nxt = int(rng.choice(options))
            a, b = self.nodes[node], self.nodes[nxt]
            edge = float(np.hypot(*(b - a)))
            offsets = np.arange(carried, edge, step_m)
            points.append(a + (b - a) * (offsets / max(edge, 1e-9))[:, None])
            carried = offsets[-1] + step_m - edge if len(offsets) else carried - edge
            travelled += edge
            previous, node = node, nxt
        return np.concatenate(points) if points else self.nodes[[start]]


def road_network(units: gpd.GeoDataFrame, km2_per_junction: float, loop_share: float,
                 rng: np.random.Generator) -> RoadNetwork:
    """A random network over ``units``: about one junction per ``km2_per_junction``,
    the spanning tree of their triangulation and ``loop_share`` of its other edges,
    the shorter ones first."""
    area = units.geometry.union_all()
    n = max(int(area.area / 1e6 / km2_per_junction), 4)
    nodes = points_in(area, n, rng)
    triangles = Delaunay(nodes).simplices
    edges = np.unique(np.sort(np.concatenate(
        [triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]]), axis=1), axis=0)
    middle = (nodes[edges[:, 0]] + nodes[edges[:, 1]]) / 2
    edges = edges[shapely.contains_xy(area, middle[:, 0], middle[:, 1])]  # not across a bay
    length = np.hypot(*(nodes[edges[:, 0]] - nodes[edges[:, 1]]).T)
    graph = coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n))
    tree = minimum_spanning_tree(graph).tocoo()
    in_tree = pd.MultiIndex.from_arrays([np.minimum(tree.row, tree.col),
                                         np.maximum(tree.row, tree.col)])
    others = ~pd.MultiIndex.from_arrays([edges[:, 0], edges[:, 1]]).isin(in_tree)
    shorter = length <= (np.median(length[others]) if others.any() else 0.0)
    loops = others & shorter & (rng.random(len(edges)) < 2 * loop_share)
    kept = edges[~others | loops]
    both = np.concatenate([kept, kept[:, ::-1]])
    order = np.argsort(both[:, 0], kind="stable")
    split = np.searchsorted(both[order, 0], np.arange(1, n))
    return RoadNetwork(nodes, np.split(both[order, 1], split))


def road_routes(units: gpd.GeoDataFrame, steps_per_unit: np.ndarray, network: RoadNetwork,
                walk_length: int, step_m: float, rng: np.random.Generator,
                unit_of_nodes: np.ndarray) -> pd.DataFrame:
    """Routes of ``walk_length`` positions starting in each unit, ``steps_per_unit``
    positions in all, as :func:`~phusong.sim.campaign._walks` lays them out."""
    frames = []
    for unit in np.flatnonzero(steps_per_unit):
        n_walks = int(np.ceil(steps_per_unit[unit] / walk_length))
        starts = np.flatnonzero(unit_of_nodes == unit)
        if len(starts) == 0:
            centre = np.array(units.geometry.iloc[unit].representative_point().coords[0])
            starts = np.array([int(np.argmin(np.hypot(*(network.nodes - centre).T)))])
        rows = []
        for walk in range(n_walks):
            path = network.route(int(rng.choice(starts)), walk_length * step_m, step_m,
                                 rng)[:walk_length]
            rows.append(pd.DataFrame({"unit": unit, "walk": walk, "step": np.arange(len(path)),
                                      "x": path[:, 0], "y": path[:, 1]}))
        frames.append(pd.concat(rows, ignore_index=True).head(steps_per_unit[unit]))
    return pd.concat(frames, ignore_index=True)
