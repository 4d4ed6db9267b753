"""The 5G coverage map: communes coloured by share, those below target outlined."""
from __future__ import annotations

import html
import math
from pathlib import Path

import folium
import geopandas as gpd
import shapely
from branca.element import Element

from phusong.i18n import t

from .offline import inline_assets

# Sequential palette (ColorBrewer YlGnBu, 5 classes) for 0–20–40–60–80–100 %.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA_COLOUR = "#bdbdbd"
GAP_COLOUR = "#d7191c"
SIMPLIFY_TOLERANCE_M = 30.0


def share_colour(share_pct: float) -> str:
    """Fill colour for a coverage share in percent (grey when unknown)."""
    if share_pct is None or (isinstance(share_pct, float) and math.isnan(share_pct)):
        return NO_DATA_COLOUR
    return PALETTE[min(int(share_pct // 20), len(PALETTE) - 1)]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _format_pct(value: float, lang: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
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
    fields += [
        (t("map.field.readings", lang), f"{int(row['n_readings'])}"),
        (t("map.field.status", lang), t(f"status.{row['status']}", lang)),
    ]
    if "p_target_met" in row and not _missing(row["p_target_met"]):
        fields.append((t("map.field.p_target_met", lang), f"{100 * row['p_target_met']:.0f} %"))
    if "gigabit_share_pct" in row:
        fields += [
            (t("map.field.gigabit", lang), _format_pct(row["gigabit_share_pct"], lang)),
            (t("map.field.gigabit_check", lang), t(f"gigabit.{row['gigabit_verification']}", lang)),
        ]
    return "<br>".join(f"<b>{html.escape(k)}</b>: {html.escape(str(v))}" for k, v in fields)


def _legend(lang: str | None, synthetic: bool) -> str:
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
        f'height:8px"></span> {html.escape(t("status.uncertain", lang))}</div></div>'
    )


def _add_share_layer(fmap: folium.Map, frame: gpd.GeoDataFrame, share: str, status: str,
                     name: str, show: bool) -> None:
    """One indicator as a base layer (a radio button): the choropleth of ``share`` with
    the units whose ``status`` is not met outlined, so each indicator shows its own gaps."""
    group = folium.FeatureGroup(name=name, overlay=False, show=show)
    layer = frame[["code", "tooltip", "geometry"]].copy()
    layer["fill"] = [share_colour(v) for v in frame[share]]
    folium.GeoJson(
        layer,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.75,
                                  "color": "#555555", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(group)
    for value, dash in (("not_met", None), ("uncertain", "6 4")):
        gaps = frame[frame[status] == value]
        if len(gaps):
            folium.GeoJson(
                gaps[["code", "geometry"]], interactive=False,
                style_function=lambda f, dash=dash: {"fill": False, "color": GAP_COLOUR,
                                                     "weight": 3, "dashArray": dash},
            ).add_to(group)
    group.add_to(fmap)


def coverage_map(communes: gpd.GeoDataFrame, lang: str | None = None,
                 synthetic: bool = False) -> folium.Map:
    """A Folium map of per-commune 5G shares with the communes below target outlined,
    and, when the estimate has them, the gigabit shares and their gaps as the other
    choice of a radio button.

    Parameters
    ----------
    communes
        The estimate's commune table with geometry (any CRS).
    lang
        ``vi`` or ``en``; the current language when omitted.
    synthetic
        Label the map as made from synthetic data.
    """
    frame = communes.copy()
    frame["geometry"] = shapely.coverage_simplify(
        frame.geometry.to_numpy(), SIMPLIFY_TOLERANCE_M) if frame.crs.is_projected else frame.geometry
    frame = frame.to_crs("EPSG:4326")
    frame["tooltip"] = [_tooltip_html(row, lang) for _, row in frame.iterrows()]
    west, south, east, north = frame.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                      zoom_start=10, max_zoom=18, control_scale=True)
    _add_share_layer(fmap, frame, "share_5g_pop_pct", "status", t("map.layer.share", lang),
                     show=True)
    if "gigabit_share_pct" in frame and frame["gigabit_share_pct"].notna().any():
        _add_share_layer(fmap, frame, "gigabit_share_pct", "gigabit_status",
                         t("map.layer.gigabit", lang), show=False)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(Element(_legend(lang, synthetic)))
    fmap.get_root().header.add_child(Element(
        f"<title>{html.escape(t('map.title', lang))}</title>"))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def write_map(communes: gpd.GeoDataFrame, out: str | Path, lang: str | None = None,
              synthetic: bool = False, run_id: str | None = None) -> Path:
    """Write the coverage map as one self-contained HTML file that works offline,
    carrying the estimate's run id."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fmap = coverage_map(communes, lang, synthetic)
    if run_id:
        fmap.get_root().header.add_child(Element(
            f'<meta name="phusong-run-id" content="{html.escape(run_id)}">'))
    page = fmap.get_root().render()
    out.write_text(inline_assets(page), encoding="utf-8")
    return out


def read_estimates(estimates_dir: str | Path) -> gpd.GeoDataFrame:
    """The commune layer written by ``phusong estimate``."""
    frame = gpd.read_file(Path(estimates_dir) / "communes.gpkg", layer="communes")
    frame["code"] = frame["code"].astype(str)
    return frame
