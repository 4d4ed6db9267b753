"""The planner's layers beyond the commune choropleths: people left uncovered, the
probability and signal rasters, the measurements, failed speed tests, challenged
declarations, and a search by commune name.

Every value from data reaches the page either escaped by :func:`html.escape` or as
JSON read by script that writes it with ``textContent``, never as markup.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from phusong.i18n import t

# ColorBrewer Reds (5 classes) for people left uncovered.
GAP_PALETTE = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
GAP_BREAKS = (1_000, 2_500, 5_000, 10_000)
# RSRP classes (dBm) as drive-test tools colour them, weakest first.
RSRP_BREAKS = (-115.0, -105.0, -95.0, -85.0)
RSRP_PALETTE = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
CHALLENGE_COLOUR = "#7b3294"
MAX_MEASUREMENTS = 300_000


def safe_json(value) -> str:
    """JSON that cannot close the ``<script>`` element it is written into."""
    return (json.dumps(value, ensure_ascii=False, allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def missing(value) -> bool:
    """Whether a table value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def people_uncovered(frame: pd.DataFrame) -> pd.Series:
    """People in each commune outside 5G coverage (NaN where the share is unknown)."""
    return frame["population"] * (1 - frame["share_5g_pop_pct"] / 100)


def rsrp_colour(values: np.ndarray) -> np.ndarray:
    """Index into :data:`RSRP_PALETTE` of each RSRP value."""
    return np.searchsorted(RSRP_BREAKS, values, side="right")


class _Script(MacroElement):
    """A script run after the map and its layer control exist."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "PhusongScript"
        self._template = Template("{% macro script(this, kwargs) %}" + code
                                  + "{% endmacro %}")


def add_script(fmap: folium.Map, code: str) -> None:
    _Script(code).add_to(fmap)


def add_measurements(fmap: folium.Map, control: folium.LayerControl,
                     readings: pd.DataFrame, lang: str | None) -> None:
    """Clustered readings coloured by RSRP (canvas-drawn, so 100,000+ stay fast).

    ``readings``: ``lat``, ``lon``, ``rsrp_dbm``, ``technology``, ``operator``, ``time_utc``.
    """
    if readings.empty:
        return
    if len(readings) > MAX_MEASUREMENTS:
        readings = readings.sample(MAX_MEASUREMENTS, random_state=0).sort_index()
    operators = sorted(readings["operator"].fillna("?").astype(str).unique())
    technologies = sorted(readings["technology"].fillna("?").astype(str).unique())
    # Columns of integers: positions as 1e-5 degree (about 1 m) steps from the south-west
    # corner, so 100,000 readings take about 2 MB.
    lat0, lon0 = float(readings["lat"].min()), float(readings["lon"].min())
    columns = {
        "lat": np.round((readings["lat"].to_numpy(float) - lat0) * 1e5).astype(int).tolist(),
        "lon": np.round((readings["lon"].to_numpy(float) - lon0) * 1e5).astype(int).tolist(),
        "rsrp": np.round(readings["rsrp_dbm"].to_numpy(float)).astype(int).tolist(),
        "op": readings["operator"].fillna("?").astype(str).map(operators.index).tolist(),
        "tech": readings["technology"].fillna("?").astype(str).map(technologies.index).tolist()}
    data = {"origin": [lat0, lon0], **columns,
            "operators": operators, "technologies": technologies,
            "palette": list(RSRP_PALETTE), "breaks": list(RSRP_BREAKS)}
    # The readings wait in a JSON block the browser does not run: they are parsed and drawn
    # only when the planner switches the layer on, so the communes are drawn at once.
    fmap.get_root().html.add_child(Element(
        f'<script type="application/json" id="phusong-measurements">{safe_json(data)}</script>'))
    add_script(fmap, f"""
(function() {{
  var map = {fmap.get_name()}, control = {control.get_name()}, built = false;
  if (!map.options.maxZoom) map.setMaxZoom(18);
  var group = L.markerClusterGroup({{chunkedLoading: true, maxClusterRadius: 45,
    iconCreateFunction: function(cluster) {{
      var ms = cluster.getAllChildMarkers(), s = 0;
      for (var k = 0; k < ms.length; k++) s += ms[k].options.rsrp;
      var div = document.createElement('div');
      div.style.background = group.phusongColour(s / ms.length);
      div.className = 'phusong-cluster';
      div.textContent = ms.length;
      return L.divIcon({{html: div.outerHTML, className: '', iconSize: [30, 30]}});
    }}}});
  function build() {{
    if (built) return;
    built = true;
    var d = JSON.parse(document.getElementById('phusong-measurements').textContent);
    var renderer = L.canvas({{padding: 0.5}});
    group.phusongColour = function(v) {{
      var i = 0; while (i < d.breaks.length && v >= d.breaks[i]) i++; return d.palette[i];
    }};
    var markers = [];
    d.rsrp.forEach(function(v, i) {{
      var m = L.circleMarker([d.origin[0] + d.lat[i] / 1e5, d.origin[1] + d.lon[i] / 1e5], {{
        renderer: renderer, radius: 4, weight: 0, fillOpacity: 0.85,
        fillColor: group.phusongColour(v), rsrp: v}});
      m.bindTooltip(function() {{
        var e = document.createElement('span');
        e.textContent = d.technologies[d.tech[i]] + ' ' + d.operators[d.op[i]] + ': ' + v +
          ' dBm';
        return e;
      }});
      markers.push(m);
    }});
    group.addLayers(markers);
  }}
  group.on('add', build);
  control.addOverlay(group, {safe_json(t("map.layer.measurements", lang))});
}})();
""")


def add_point_layer(fmap: folium.Map, control: folium.LayerControl, points: pd.DataFrame,
                    name: str, colour: str) -> None:
    """A small layer of marked points with popups written as text (``lat``, ``lon``,
    ``text``); listed even when empty, so its absence is seen as none."""
    data = {"rows": [[round(float(a), 6), round(float(b), 6), str(c)]
                     for a, b, c in zip(points["lat"], points["lon"], points["text"])],
            "name": name, "colour": colour}
    add_script(fmap, f"""
(function() {{
  var d = {safe_json(data)};
  var group = L.featureGroup();
  d.rows.forEach(function(r) {{
    var m = L.circleMarker([r[0], r[1]], {{radius: 7, color: d.colour, weight: 2,
      fillColor: d.colour, fillOpacity: 0.5}});
    m.bindPopup(function() {{
      var e = document.createElement('div'); e.style.whiteSpace = 'pre-line';
      e.textContent = r[2]; return e;
    }});
    group.addLayer(m);
  }});
  {control.get_name()}.addOverlay(group, d.name);
}})();
""")


def add_search(fmap: folium.Map, layer: str, lang: str | None) -> None:
    """A search box: type a commune's name, with or without diacritics, to zoom to it
    and open its popup in the indicator shown (``layer``: the JS name of the array of
    the indicators' commune shapes)."""
    labels = {"placeholder": t("map.search", lang)}
    add_script(fmap, f"""
(function() {{
  var map = {fmap.get_name()}, layers = {layer}, labels = {safe_json(labels)};
  function plain(s) {{
    return String(s).normalize('NFD').replace(/[\\u0300-\\u036f]/g, '')
      .replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().trim();
  }}
  var entries = [];
  layers[0].eachLayer(function(l) {{
    entries.push({{key: plain(l.feature.properties.name), name: l.feature.properties.name,
                   code: l.feature.properties.code}});
  }});
  function shown(code) {{
    var found = null;
    layers.forEach(function(shapes) {{
      if (!map.hasLayer(shapes)) return;
      shapes.eachLayer(function(l) {{ if (l.feature.properties.code === code) found = l; }});
    }});
    return found;
  }}
  var Search = L.Control.extend({{options: {{position: 'topleft'}}, onAdd: function() {{
    var box = L.DomUtil.create('div', 'leaflet-bar phusong-search');
    box.style.background = 'white'; box.style.padding = '4px';
    var input = L.DomUtil.create('input', '', box);
    input.type = 'search'; input.id = 'phusong-search'; input.placeholder = labels.placeholder;
    var list = L.DomUtil.create('div', '', box); list.id = 'phusong-search-results';
    L.DomEvent.disableClickPropagation(box);
    function go(entry) {{
      var l = shown(entry.code);
      list.textContent = '';
      if (!l) return;
      map.fitBounds(l.getBounds());
      l.openPopup(l.getBounds().getCenter());
    }}
    input.addEventListener('input', function() {{
      list.textContent = '';
      var q = plain(input.value); if (!q) return;
      entries.filter(function(e) {{ return e.key.indexOf(q) >= 0; }}).slice(0, 8)
        .forEach(function(e) {{
          var b = document.createElement('div'); b.className = 'phusong-search-hit';
          b.style.cursor = 'pointer'; b.textContent = e.name;
          b.addEventListener('click', function(ev) {{ L.DomEvent.stop(ev); go(e); }});
          list.appendChild(b);
        }});
    }});
    input.addEventListener('keydown', function(ev) {{
      if (ev.key !== 'Enter') return;
      var q = plain(input.value);
      var hit = entries.find(function(e) {{ return e.key === q; }}) ||
                entries.find(function(e) {{ return e.key.indexOf(q) >= 0; }});
      if (hit) go(hit);
    }});
    return box;
  }}}});
  new Search().addTo(map);
}})();
""")


def raster_overlay(path: Path, colours: "callable", name: str,
                   opacity: float = 0.7) -> folium.raster_layers.ImageOverlay | None:
    """A GeoTIFF of the estimate warped to Web Mercator and coloured, as an image
    overlay (embedded as PNG, so it works offline); ``None`` when the file is absent."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    if not path.exists():
        return None
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
        values = np.full((height, width), np.nan, dtype="float32")
        reproject(rasterio.band(src, 1), values, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs="EPSG:3857", dst_nodata=np.nan,
                  src_nodata=src.nodata, resampling=Resampling.nearest)
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    lon0, lat0, lon1, lat1 = transform_bounds("EPSG:3857", "EPSG:4326", west, south, east, north)
    rgba = colours(values)
    return folium.raster_layers.ImageOverlay(
        rgba, bounds=[[lat0, lon0], [lat1, lon1]], opacity=opacity, name=name,
        mercator_project=False, show=False, overlay=True, interactive=False)


def ramp(low: float, high: float, palette: tuple[str, ...]) -> "callable":
    """A function colouring values from ``low`` to ``high`` along ``palette`` (RGBA,
    transparent where NaN)."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in palette], float)

    def colours(values: np.ndarray) -> np.ndarray:
        position = np.clip((values - low) / (high - low), 0, 1) * (len(palette) - 1)
        position = np.nan_to_num(position)
        base = np.minimum(position.astype(int), len(palette) - 2)
        frac = (position - base)[..., None]
        rgb = stops[base] * (1 - frac) + stops[base + 1] * frac
        alpha = np.where(np.isnan(values), 0, 255)[..., None]
        return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)

    return colours


def colour_bar(title: str, low: str, high: str, palette: tuple[str, ...]) -> str:
    """A legend row for a continuous raster: a gradient between its end labels."""
    gradient = ", ".join(palette)
    return (f'<div style="margin-top:6px"><b>{html.escape(title)}</b>'
            f'<div style="height:10px;width:160px;background:linear-gradient(to right, '
            f'{gradient})"></div><span>{html.escape(low)}</span>'
            f'<span style="float:right">{html.escape(high)}</span></div>')


def failed_tests(speed: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """Failed speed tests with a position, as points with their reason and time."""
    if speed.empty or "status" not in speed:
        return pd.DataFrame(columns=["lat", "lon", "text"])
    failed = speed[(speed["status"] == "failed") & speed["lat"].notna()]
    text = [f"{t('map.field.failed_test', lang)}\n{r.time_utc}\n{r.failure_reason or ''}"
            for r in failed.itertuples()]
    return pd.DataFrame({"lat": failed["lat"], "lon": failed["lon"], "text": text})


def challenged_points(frame: gpd.GeoDataFrame, lang: str | None) -> pd.DataFrame:
    """Communes whose gigabit declarations the speed tests challenge, at a point inside."""
    if "gigabit_verification" not in frame:
        return pd.DataFrame(columns=["lat", "lon", "text"])
    part = frame[frame["gigabit_verification"] == "challenged"]
    inside = part.geometry.representative_point()
    text = [f"{t('map.field.challenged', lang)}\n{name} ({code})\n"
            f"{t('map.field.gigabit', lang)}: {share:.1f} %"
            for name, code, share in zip(part["name"], part["code"], part["gigabit_share_pct"])]
    return pd.DataFrame({"lat": inside.y, "lon": inside.x, "text": text})
