"""The 5G coverage map: communes coloured by share, those below target outlined."""
from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from phusong.coverage.estimate_folder import COMMUNES_GPKG, P_COVERED_TIF, RSRP_TIF
from phusong.i18n import t, technology_labels

from .layers import (CHALLENGE_COLOUR, GAP_BREAKS, GAP_PALETTE, RSRP_PALETTE, add_measurements,
                     add_point_layer, add_script, add_search, challenged_points, colour_bar,
                     failed_tests, missing, people_uncovered, raster_overlay, ramp,
                     safe_json)
from .offline import inline_assets

# Classes 0–20–40–60–80–100 % with a break at the target (60 %): three warm classes below
# it, two blues above, from ColorBrewer's RdYlBu (Brewer & Harrower: colour-blind safe,
# print friendly), so "below target" reads at a glance in any colour vision.
PALETTE = ("#d73027", "#fc8d59", "#fee090", "#91bfdb", "#4575b4")
SHARE_BREAKS = (20, 40, 60, 80)
# Status patterns inside each commune (a fill, so they never bleed onto a neighbour):
# diagonal hatching for below target, dots for uncertain.
NOT_MET_FILL, UNCERTAIN_FILL = "url(#phusong-not-met)", "url(#phusong-uncertain)"
PATTERNS = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="phusong-not-met" width="7" height="7" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="7" stroke="#1a1a1a" '
    'stroke-width="2"/></pattern>'
    '<pattern id="phusong-uncertain" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<circle cx="4" cy="4" r="1.6" fill="#1a1a1a"/></pattern></defs></svg>')
# Commune names are drawn from this zoom on (where a commune is about 100 px across).
LABEL_ZOOM = 11
NO_DATA_COLOUR = "#bdbdbd"
GAP_COLOUR = "#d7191c"
# ColorBrewer Blues for the probability of coverage.
PROBABILITY_PALETTE = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
SIMPLIFY_TOLERANCE_M = 30.0


def share_colour(share_pct: float) -> str:
    """Fill colour for a coverage share in percent (grey when unknown)."""
    if missing(share_pct):
        return NO_DATA_COLOUR
    return PALETTE[int(np.searchsorted(SHARE_BREAKS, share_pct, side="right"))]


def _format_pct(value: float, lang: str | None) -> str:
    if missing(value):
        return t("map.no_data", lang)
    return f"{value:.1f} %"


def _tooltip_html(row, lang: str | None) -> str:
    """Tooltip text with every data value escaped (Folium inserts it as innerHTML)."""
    fields = [
        (t("map.field.name", lang), row["name"]),
        (t("map.field.code", lang), row["code"]),
        (t("map.field.share", lang), _format_pct(row["share_5g_pop_pct"], lang)),
        (t("map.field.share_area", lang), _format_pct(row["share_5g_area_pct"], lang)),
    ]
    if "share_5g_low_pct" in row:
        fields.append((t("map.field.interval", lang),
                       f"{_format_pct(row['share_5g_low_pct'], lang)} – "
                       f"{_format_pct(row['share_5g_high_pct'], lang)}"))
    if "population" in row and not missing(row["population"]):
        fields.append((t("map.field.population", lang), f"{row['population']:,.0f}".replace(",", ".")))
    if "people_uncovered" in row and not missing(row["people_uncovered"]):
        fields.append((t("map.field.people_uncovered", lang),
                       f"{row['people_uncovered']:,.0f}".replace(",", ".")))
    fields += [
        (t("map.field.readings", lang), f"{int(row['n_readings'])}"),
        (t("map.field.status", lang), t(f"status.{row['status']}", lang)),
    ]
    if "p_target_met" in row and not missing(row["p_target_met"]):
        fields.append((t("map.field.p_target_met", lang), f"{100 * row['p_target_met']:.0f} %"))
    if "gigabit_share_pct" in row:
        fields += [
            (t("map.field.gigabit", lang), _format_pct(row["gigabit_share_pct"], lang)),
            (t("map.field.gigabit_check", lang), t(f"gigabit.{row['gigabit_verification']}", lang)),
        ]
    return "<br>".join(f"<b>{html.escape(k)}</b>: {html.escape(str(v))}" for k, v in fields)


def _swatch(fill: str) -> str:
    return (f'<svg width="16" height="11" style="vertical-align:middle"><rect width="16" '
            f'height="11" fill="{fill}" stroke="#555" stroke-width="0.6"/></svg>')


def _legend_part(index: int, title: str, classes: list[tuple[str, str]], lang: str | None,
                 statuses: bool) -> str:
    """The legend of one indicator: its classes, no data, and its status patterns."""
    rows = [f"<div>{_swatch(c)} {html.escape(label)}</div>" for c, label in classes]
    rows.append(f"<div>{_swatch(NO_DATA_COLOUR)} "
                f"{html.escape(t('status.insufficient_data', lang))}</div>")
    if statuses:
        rows += [f"<div>{_swatch(NOT_MET_FILL)} {html.escape(t('map.layer.gaps', lang))}</div>",
                 f"<div>{_swatch(UNCERTAIN_FILL)} {html.escape(t('status.uncertain', lang))}"
                 "</div>"]
    hidden = "" if index == 0 else ' style="display:none"'
    return (f'<div class="phusong-legend-part" data-base="{index}"{hidden}>'
            f"<b>{html.escape(title)}</b>{''.join(rows)}</div>")


def _legend(lang: str | None, synthetic: bool, parts: str, bars: str = "") -> str:
    banner = (f'<div style="color:{GAP_COLOUR};font-weight:bold">'
              f'{html.escape(t("map.synthetic", lang))}</div>' if synthetic else "")
    return (
        '<div id="phusong-legend" style="position:fixed;bottom:56px;left:10px;z-index:1000;'
        'background:white;padding:8px 10px;border:1px solid #999;font:13px/1.5 sans-serif;'
        f'max-width:280px">{banner}{parts}{bars}</div>')


def share_classes() -> list[tuple[str, str]]:
    edges = [0, *SHARE_BREAKS, 100]
    return [(colour, f"{a}–{b} %") for colour, a, b in zip(PALETTE, edges, edges[1:])]


def people_breaks(values: pd.Series) -> tuple[float, ...]:
    """Class breaks at the quintiles of the people left uncovered (two significant digits),
    so the classes spread the communes; fewer where values repeat."""
    known = pd.to_numeric(values, errors="coerce").dropna().to_numpy(float)
    if not len(known):
        return GAP_BREAKS
    quantiles = np.quantile(known, [0.2, 0.4, 0.6, 0.8])
    rounded = [float(f"{q:.2g}") for q in quantiles if q > 0]
    return tuple(sorted(set(rounded))) or GAP_BREAKS


def people_classes(breaks: tuple[float, ...]) -> list[tuple[str, str]]:
    edges = [0, *breaks]
    labels = [f"{a:,.0f}–{b:,.0f}" for a, b in zip(edges, edges[1:])] + [f"≥ {breaks[-1]:,.0f}"]
    palette = GAP_PALETTE[-len(labels):]
    return [(c, label.replace(",", ".")) for c, label in zip(palette, labels)]


def _people_colour(people: float, breaks: tuple[float, ...]) -> str:
    if missing(people):
        return NO_DATA_COLOUR
    palette = GAP_PALETTE[-(len(breaks) + 1):]
    return palette[int(np.searchsorted(breaks, people, side="right"))]


def _commune_layers(fmap: folium.Map, control: folium.LayerControl, frame: gpd.GeoDataFrame,
                    layers: list[tuple[str, list[str], list[str]]]) -> str:
    """The indicators as base layers (radio buttons) drawn from one copy of the
    communes' geometry: each fills the communes with its colours, with the tooltip and
    popup, and fills those whose status is not met (hatched) or uncertain (dotted) with
    a pattern inside their own outline, so each indicator shows its own gaps and no
    commune looks failed for its neighbour's. Switching the indicator switches the legend;
    commune names appear from :data:`LABEL_ZOOM` on.

    ``layers``: (name, fill colour per commune, status per commune). Returns the JS
    name of the array of every layer's shapes (for the search).
    """
    labels = frame.to_crs("EPSG:4326").geometry.representative_point()
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                 "properties": {"code": str(code), "name": str(name), "tooltip": tip,
                                "label": [round(point.y, 5), round(point.x, 5)],
                                "fills": [fills[i] for _, fills, _ in layers],
                                "statuses": [statuses[i] for _, _, statuses in layers]}}
                for i, (code, name, tip, geom, point) in enumerate(
                    zip(frame["code"], frame["name"], frame["tooltip"], frame.geometry, labels))]
    data = {"communes": {"type": "FeatureCollection", "features": features},
            "names": [name for name, _, _ in layers],
            "patterns": {"not_met": NOT_MET_FILL, "uncertain": UNCERTAIN_FILL},
            "labelZoom": LABEL_ZOOM}
    add_script(fmap, _COMMUNES_JS.replace("DATA", safe_json(data))
               .replace("MAP", fmap.get_name()).replace("CONTROL", control.get_name()))
    return "phusong_communes"


_COMMUNES_JS = """
var phusong_communes = (function() {
  var d = DATA, map = MAP, control = CONTROL, all = [], groups = [];
  d.names.forEach(function(name, i) {
    var group = L.featureGroup();
    var shapes = L.geoJSON(d.communes, {
      style: function(f) { return {fillColor: f.properties.fills[i], fillOpacity: 0.8,
                                   color: '#555555', weight: 0.6}; },
      onEachFeature: function(f, l) {
        l.bindTooltip(f.properties.tooltip, {sticky: true});
        l.bindPopup(f.properties.tooltip);
      }});
    group.addLayer(shapes);
    group.addLayer(L.geoJSON(d.communes, {interactive: false,
      filter: function(f) { return d.patterns[f.properties.statuses[i]] !== undefined; },
      style: function(f) { return {stroke: false, fillOpacity: 1,
                                   fillColor: d.patterns[f.properties.statuses[i]]}; }}));
    control.addBaseLayer(group, name);
    if (i === 0) group.addTo(map);
    all.push(shapes);
    groups.push(group);
  });
  map.on('baselayerchange', function(e) {
    var shown = groups.indexOf(e.layer);
    document.querySelectorAll('.phusong-legend-part').forEach(function(part) {
      part.style.display = Number(part.dataset.base) === shown ? '' : 'none';
    });
  });
  map.on('overlayadd overlayremove', function(e) {
    document.querySelectorAll('.phusong-legend-overlay').forEach(function(part) {
      if (part.dataset.overlay === e.name)
        part.style.display = e.type === 'overlayadd' ? '' : 'none';
    });
  });
  var names = L.layerGroup(d.communes.features.map(function(f) {
    var label = document.createElement('span');
    label.textContent = f.properties.name;
    return L.marker(f.properties.label, {interactive: false, keyboard: false,
      icon: L.divIcon({className: 'phusong-label', html: label.outerHTML,
                       iconSize: null})});
  }));
  function showNames() {
    if (map.getZoom() >= d.labelZoom) names.addTo(map); else names.remove();
  }
  map.on('zoomend', showNames);
  showNames();
  return all;
})();
"""


def _statuses(frame: pd.DataFrame, column: str | None) -> list[str]:
    if column is None or column not in frame:
        return [""] * len(frame)
    return frame[column].fillna("").astype(str).tolist()


def _title(lang: str | None, summary: dict, synthetic: bool) -> str:
    period = summary.get("readings_period_utc") or []
    dates = " – ".join(str(p)[:10] for p in period) if period else t("map.no_data", lang)
    target = summary.get("target_5g_pct")
    plan = t("map.plan", lang, target="—" if target is None else f"{target:g}")
    banner = (f' <span style="color:{GAP_COLOUR}">{html.escape(t("map.synthetic", lang))}</span>'
              if synthetic else "")
    return ('<div id="phusong-title" style="position:fixed;top:8px;left:60px;z-index:1000;'
            'background:white;padding:4px 10px;border:1px solid #999;font:13px sans-serif">'
            f'<b>{html.escape(t("map.title", lang))}</b>{banner}<br>{html.escape(plan)} · '
            f'{html.escape(t("map.data_period", lang))}: {html.escape(dates)}</div>')


BASEMAP_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _add_basemap_choice(fmap: folium.Map, lang: str | None) -> None:
    """OpenStreetMap tiles as an overlay a planner turns on when online: off by default,
    so an offline map requests nothing and logs no error."""
    folium.TileLayer(BASEMAP_URL, attr="&copy; OpenStreetMap contributors",
                     name=t("map.layer.basemap", lang), overlay=True, show=False,
                     control=True, max_zoom=19).add_to(fmap)


def display_geometry(communes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The communes' outlines for display, in WGS 84: simplified as one coverage
    (:data:`SIMPLIFY_TOLERANCE_M`, shared edges stay shared) and rounded to 1e-5 degrees
    (about 1 m; shared vertices snap alike). Figures are never computed from these."""
    geometry = communes.geometry
    if communes.crs is not None and communes.crs.is_projected:
        geometry = gpd.GeoSeries(shapely.coverage_simplify(geometry.to_numpy(),
                                                           SIMPLIFY_TOLERANCE_M),
                                 index=communes.index, crs=communes.crs)
    geometry = geometry.to_crs("EPSG:4326")
    return gpd.GeoSeries(shapely.set_precision(geometry.to_numpy(), 1e-5),
                         index=communes.index, crs="EPSG:4326")


def coverage_map(communes: gpd.GeoDataFrame, lang: str | None = None,
                 synthetic: bool = False, estimates_dir: str | Path | None = None,
                 readings: pd.DataFrame | None = None, speed: pd.DataFrame | None = None,
                 summary: dict | None = None) -> folium.Map:
    """The planner's map: communes by 5G share (population and area basis, each
    operator), by gigabit share and by people left uncovered, each with its gaps
    outlined; the probability-of-coverage and signal rasters; the measurements, failed
    speed tests and challenged declarations; a search by commune name.

    Parameters
    ----------
    communes
        The estimate's commune table with geometry (any CRS).
    lang
        ``vi`` or ``en``; the current language when omitted.
    synthetic
        Label the map as made from synthetic data.
    estimates_dir
        The estimate's folder, for its rasters (left out when omitted).
    readings, speed
        Signal readings (``lat``, ``lon``, ``rsrp_dbm``, ``technology``, ``operator``,
        ``time_utc``) and speed tests from a store, for the measurement layers.
    summary
        The estimate's ``summary.json``, for the title (plan and data period).
    """
    frame = communes.copy()
    frame["geometry"] = display_geometry(communes)
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    if "population" in frame:
        frame["people_uncovered"] = people_uncovered(frame)
    frame["tooltip"] = [_tooltip_html(row, lang) for _, row in frame.iterrows()]
    west, south, east, north = frame.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                      zoom_start=10, max_zoom=18, control_scale=True, prefer_canvas=False)
    layers, legends = _indicator_layers(frame, lang)
    _add_basemap_choice(fmap, lang)
    _add_province_outline(fmap, frame, lang)
    bars = _add_rasters(fmap, estimates_dir, lang)
    control = folium.LayerControl(collapsed=False).add_to(fmap)
    main = _commune_layers(fmap, control, frame, layers)
    if readings is not None:
        add_measurements(fmap, control, readings, lang)
    if speed is not None:
        add_point_layer(fmap, control, failed_tests(speed, lang),
                        t("map.layer.failed_tests", lang), GAP_COLOUR)
    add_point_layer(fmap, control, challenged_points(frame, lang),
                    t("map.layer.challenged", lang), CHALLENGE_COLOUR)
    add_search(fmap, main, lang)
    parts = "".join(_legend_part(i, title, classes, lang, has_statuses)
                    for i, (title, classes, has_statuses) in enumerate(legends))
    fmap.get_root().html.add_child(Element(PATTERNS + LABEL_STYLE))
    fmap.get_root().html.add_child(Element(_legend(lang, synthetic, parts, bars)))
    fmap.get_root().html.add_child(Element(_title(lang, summary or {}, synthetic)))
    fmap.get_root().header.add_child(Element(
        f"<title>{html.escape(t('map.title', lang))}</title>"))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


LABEL_STYLE = ("<style>.phusong-label span{font:600 11px sans-serif;color:#1a1a1a;"
               "white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;"
               "display:inline-block;transform:translate(-50%,-50%)}</style>")


def _indicator_layers(frame: gpd.GeoDataFrame, lang: str | None):
    """Each indicator's (name, fills, statuses) and its legend's (title, classes, whether
    it shows statuses)."""
    layers, legends, shares = [], [], share_classes()

    def add(name: str, fills: list[str], statuses: list[str], classes) -> None:
        layers.append((name, fills, statuses))
        legends.append((name, classes, any(statuses)))

    add(t("map.layer.share", lang), [share_colour(v) for v in frame["share_5g_pop_pct"]],
        _statuses(frame, "status"), shares)
    if "share_5g_area_pct" in frame:
        add(t("map.layer.share_area", lang), [share_colour(v) for v in frame["share_5g_area_pct"]],
            _statuses(frame, "status"), shares)
    for column in sorted(c for c in frame.columns
                         if c.startswith("share_5g_4") and c.endswith("_pct")):
        operator = column[len("share_5g_"):-len("_pct")]
        add(t("map.layer.operator", lang, operator=operator),
            [share_colour(v) for v in frame[column]], _statuses(frame, None), shares)
    if "gigabit_share_pct" in frame and frame["gigabit_share_pct"].notna().any():
        add(t("map.layer.gigabit", lang), [share_colour(v) for v in frame["gigabit_share_pct"]],
            _statuses(frame, "gigabit_status"), shares)
    if "people_uncovered" in frame:
        breaks = people_breaks(frame["people_uncovered"])
        add(t("map.layer.people_uncovered", lang),
            [_people_colour(v, breaks) for v in frame["people_uncovered"]],
            _statuses(frame, "status"), people_classes(breaks))
    return layers, legends


def _add_province_outline(fmap: folium.Map, frame: gpd.GeoDataFrame, lang: str | None) -> None:
    """The province's outline from the shipped boundaries: context that needs no network."""
    outline = shapely.union_all(frame.geometry.to_numpy()).boundary
    folium.GeoJson(shapely.geometry.mapping(outline), name=t("map.layer.outline", lang),
                   style_function=lambda _: {"color": "#222222", "weight": 2.5},
                   interactive=False, control=True, show=True).add_to(fmap)


def _add_rasters(fmap: folium.Map, estimates_dir: str | Path | None, lang: str | None) -> str:
    """The probability-of-coverage and predicted-signal overlays; their colour bars."""
    if estimates_dir is None:
        return ""
    folder = Path(estimates_dir)
    bars = ""
    for name, low, high, palette, title, ends in (
            (P_COVERED_TIF, 0.0, 1.0, PROBABILITY_PALETTE, "map.layer.p_covered",
             ("0 %", "100 %")),
            (RSRP_TIF, -130.0, -70.0, RSRP_PALETTE, "map.layer.rsrp",
             ("−130 dBm", "−70 dBm"))):
        overlay = raster_overlay(folder / name, ramp(low, high, palette), t(title, lang))
        if overlay is not None:
            overlay.add_to(fmap)
            bars += (f'<div class="phusong-legend-overlay" data-overlay="'
                     f'{html.escape(t(title, lang))}" style="display:none">'
                     f'{colour_bar(t(title, lang), *ends, palette)}</div>')
    return bars


def write_map(communes: gpd.GeoDataFrame, out: str | Path, lang: str | None = None,
              synthetic: bool = False, run_id: str | None = None,
              estimates_dir: str | Path | None = None, readings: pd.DataFrame | None = None,
              speed: pd.DataFrame | None = None, summary: dict | None = None) -> Path:
    """Write the map (:func:`coverage_map`) as one self-contained HTML file that works
    offline, carrying the estimate's run id."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with technology_labels((summary or {}).get("technology")):
        fmap = coverage_map(communes, lang, synthetic, estimates_dir, readings, speed, summary)
    if run_id:
        fmap.get_root().header.add_child(Element(
            f'<meta name="phusong-run-id" content="{html.escape(run_id)}">'))
    page = fmap.get_root().render()
    out.write_text(inline_assets(page), encoding="utf-8")
    return out


def read_store_layers(store: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Signal readings (with the RSRP of their technology) and speed tests of a store,
    for the measurement layers."""
    from phusong.store import ReadingStore
    from phusong.store.schema import SIGNAL_LAYER, SPEED_LAYER

    with ReadingStore(store, readonly=True) as opened:
        signal = opened.read_table(SIGNAL_LAYER, columns=(
            "time_utc", "technology", "operator", "nr_ss_rsrp_dbm", "lte_rsrp_dbm"))
        speed = opened.read_table(SPEED_LAYER, columns=("time_utc", "status", "failure_reason"))
    signal["rsrp_dbm"] = signal["nr_ss_rsrp_dbm"].fillna(signal["lte_rsrp_dbm"])
    signal = signal[signal["lat"].notna() & signal["rsrp_dbm"].notna()]
    return signal, speed


def read_estimates(estimates_dir: str | Path) -> gpd.GeoDataFrame:
    """The commune layer written by ``phusong estimate``."""
    from phusong.coverage.estimate_folder import internal_names

    frame = internal_names(gpd.read_file(Path(estimates_dir) / COMMUNES_GPKG,
                                         layer="communes"))
    frame["code"] = frame["code"].astype(str)
    return frame
