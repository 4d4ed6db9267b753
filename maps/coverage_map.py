"""The 5G coverage map: communes coloured by share, those below target outlined."""
from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Element

from phusong.i18n import t, technology_labels

from .layers import (CHALLENGE_COLOUR, GAP_PALETTE, GAP_BREAKS, RSRP_PALETTE, add_measurements,
                     add_point_layer, add_script, add_search, challenged_points, colour_bar,
                     failed_tests, gap_colour, missing, people_uncovered, raster_overlay, ramp,
                     safe_json)
from .offline import inline_assets

# Sequential palette (ColorBrewer YlGnBu, 5 classes) for 0–20–40–60–80–100 %.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_COLOUR = "#bdbdbd"
GAP_COLOUR = "#d7191c"
# ColorBrewer Blues for the probability of coverage.
PROBABILITY_PALETTE = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
SIMPLIFY_TOLERANCE_M = 30.0


def share_colour(share_pct: float) -> str:
    """Fill colour for a coverage share in percent (grey when unknown)."""
    if missing(share_pct):
        return NO_DATA_COLOUR
    return PALETTE[min(int(share_pct // 20), len(PALETTE) - 1)]


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


def _legend(lang: str | None, synthetic: bool, bars: str = "") -> str:
    rows = "".join(
        f'<div><span style="background:{c};display:inline-block;width:14px;height:10px"></span>'
        f" {20 * i}–{20 * (i + 1)}</div>" for i, c in enumerate(PALETTE)
    )
    banner = (f'<div style="color:{GAP_COLOUR};font-weight:bold">'
              f'{html.escape(t("map.synthetic", lang))}</div>' if synthetic else "")
    return (
        '<div id="phusong-legend" style="position:fixed;bottom:50px;left:10px;z-index:1000;'
        'background:white;padding:8px;border:1px solid #999;font:12px sans-serif">'
        f"{banner}<b>{html.escape(t('map.legend', lang))}</b>{rows}"
        f'<div><span style="background:{NO_DATA_COLOUR};display:inline-block;width:14px;'
        f'height:10px"></span> {html.escape(t("status.insufficient_data", lang))}</div>'
        f'<div><span style="border:2px solid {GAP_COLOUR};display:inline-block;width:10px;'
        f'height:8px"></span> {html.escape(t("map.layer.gaps", lang))}</div>'
        f'<div><span style="border:2px dashed {GAP_COLOUR};display:inline-block;width:10px;'
        f'height:8px"></span> {html.escape(t("status.uncertain", lang))}</div>'
        f'<div style="margin-top:6px"><b>{html.escape(t("map.layer.people_uncovered", lang))}'
        f'</b></div>' + "".join(
            f'<div><span style="background:{c};display:inline-block;width:14px;height:10px">'
            f'</span> {label}</div>' for c, label in zip(GAP_PALETTE, _gap_labels()))
        + f"{bars}</div>"
    )


def _gap_labels() -> list[str]:
    edges = [0, *GAP_BREAKS]
    return [f"{a:,}–{b:,}".replace(",", ".") for a, b in zip(edges, edges[1:])] + [
        f"≥ {GAP_BREAKS[-1]:,}".replace(",", ".")]


def _commune_layers(fmap: folium.Map, control: folium.LayerControl, frame: gpd.GeoDataFrame,
                    layers: list[tuple[str, list[str], list[str]]]) -> str:
    """The indicators as base layers (radio buttons) drawn from one copy of the
    communes' geometry: each fills the communes with its colours, with the tooltip and
    popup, and outlines those whose status is not met (solid) or uncertain (dashed), so
    each indicator shows its own gaps.

    ``layers``: (name, fill colour per commune, status per commune). Returns the JS
    name of the array of every layer's shapes (for the search).
    """
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                 "properties": {"code": str(code), "name": str(name), "tooltip": tip,
                                "fills": [fills[i] for _, fills, _ in layers],
                                "statuses": [statuses[i] for _, _, statuses in layers]}}
                for i, (code, name, tip, geom) in enumerate(
                    zip(frame["code"], frame["name"], frame["tooltip"], frame.geometry))]
    data = {"communes": {"type": "FeatureCollection", "features": features},
            "names": [name for name, _, _ in layers], "gap": GAP_COLOUR}
    add_script(fmap, f"""
var phusong_communes = (function() {{
  var d = {safe_json(data)}, map = {fmap.get_name()}, control = {control.get_name()}, all = [];
  d.names.forEach(function(name, i) {{
    var group = L.featureGroup();
    var shapes = L.geoJSON(d.communes, {{
      style: function(f) {{ return {{fillColor: f.properties.fills[i], fillOpacity: 0.75,
                                     color: '#555555', weight: 0.6}}; }},
      onEachFeature: function(f, l) {{
        l.bindTooltip(f.properties.tooltip, {{sticky: true}});
        l.bindPopup(f.properties.tooltip);
      }}}});
    group.addLayer(shapes);
    group.addLayer(L.geoJSON(d.communes, {{interactive: false,
      filter: function(f) {{ var s = f.properties.statuses[i];
                             return s === 'not_met' || s === 'uncertain'; }},
      style: function(f) {{ return {{fill: false, color: d.gap, weight: 3,
        dashArray: f.properties.statuses[i] === 'uncertain' ? '6 4' : null}}; }}}}));
    control.addBaseLayer(group, name);
    if (i === 0) group.addTo(map);
    all.push(shapes);
  }});
  return all;
}})();
""")
    return "phusong_communes"


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
    layers = [(t("map.layer.share", lang), [share_colour(v) for v in frame["share_5g_pop_pct"]],
               _statuses(frame, "status"))]
    if "share_5g_area_pct" in frame:
        layers.append((t("map.layer.share_area", lang),
                       [share_colour(v) for v in frame["share_5g_area_pct"]],
                       _statuses(frame, "status")))
    for column in sorted(c for c in frame.columns
                         if c.startswith("share_5g_4") and c.endswith("_pct")):
        operator = column[len("share_5g_"):-len("_pct")]
        layers.append((t("map.layer.operator", lang, operator=operator),
                       [share_colour(v) for v in frame[column]], _statuses(frame, None)))
    if "gigabit_share_pct" in frame and frame["gigabit_share_pct"].notna().any():
        layers.append((t("map.layer.gigabit", lang),
                       [share_colour(v) for v in frame["gigabit_share_pct"]],
                       _statuses(frame, "gigabit_status")))
    if "people_uncovered" in frame:
        layers.append((t("map.layer.people_uncovered", lang),
                       [gap_colour(v) for v in frame["people_uncovered"]],
                       _statuses(frame, "status")))
    _add_basemap_choice(fmap, lang)
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
    fmap.get_root().html.add_child(Element(_legend(lang, synthetic, bars)))
    fmap.get_root().html.add_child(Element(_title(lang, summary or {}, synthetic)))
    fmap.get_root().header.add_child(Element(
        f"<title>{html.escape(t('map.title', lang))}</title>"))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _add_rasters(fmap: folium.Map, estimates_dir: str | Path | None, lang: str | None) -> str:
    """The probability-of-coverage and predicted-signal overlays; their colour bars."""
    if estimates_dir is None:
        return ""
    folder = Path(estimates_dir)
    bars = ""
    for name, low, high, palette, title, ends in (
            ("p_covered.tif", 0.0, 1.0, PROBABILITY_PALETTE, "map.layer.p_covered",
             ("0 %", "100 %")),
            ("rsrp.tif", -130.0, -70.0, RSRP_PALETTE, "map.layer.rsrp",
             ("−130 dBm", "−70 dBm"))):
        overlay = raster_overlay(folder / name, ramp(low, high, palette), t(title, lang))
        if overlay is not None:
            overlay.add_to(fmap)
            bars += colour_bar(t(title, lang), *ends, palette)
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
    from phusong.coverage.outputs import internal_names

    frame = internal_names(gpd.read_file(Path(estimates_dir) / "communes.gpkg",
                                         layer="communes"))
    frame["code"] = frame["code"].astype(str)
    return frame
