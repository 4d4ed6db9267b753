"""Self-contained HTML: Folium's CDN assets replaced by vendored copies.

Field staff open maps offline. Leaflet 1.9.4 (BSD-2-Clause, see
``assets/LEAFLET-LICENSE``) and Leaflet.markercluster 1.5.3 (MIT, see
``assets/MARKERCLUSTER-LICENSE``), both from the npm registry, are inlined; the other default Folium
assets (jQuery, Bootstrap, Font Awesome, awesome-markers) are not used by
phusong's maps and are removed.
"""
from __future__ import annotations

import re
from importlib.resources import files

_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')


def _asset(name: str) -> str:
    return files("phusong.maps").joinpath("assets", name).read_text(encoding="utf-8")


CLUSTER_STYLE = (".phusong-cluster{width:30px;height:30px;border-radius:15px;"
                 "border:1px solid #555;font:11px/30px sans-serif;text-align:center;"
                 "opacity:.85}")


def _script(name: str) -> str:
    return "<script>" + _asset(name).replace("</script", "<\\/script") + "</script>"


def inline_assets(html: str) -> str:
    """Inline Leaflet and Leaflet.markercluster, drop every other external script or
    stylesheet."""
    def script(match: re.Match) -> str:
        if match.group(1).endswith("/leaflet.js"):
            return _script("leaflet.js") + _script("leaflet.markercluster.js")
        return ""

    def link(match: re.Match) -> str:
        if match.group(1).endswith("/leaflet.css"):
            return ("<style>" + _asset("leaflet.css") + _asset("MarkerCluster.css")
                    + _asset("MarkerCluster.Default.css") + CLUSTER_STYLE + "</style>")
        return ""

    return _LINK.sub(link, _SCRIPT.sub(script, html))
