"""Self-contained HTML: Folium's CDN assets replaced by vendored copies.

Field staff open maps offline. Leaflet 1.9.4 (BSD-2-Clause, from the npm
registry, see ``assets/LEAFLET-LICENSE``) is inlined; the other default Folium
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


def inline_assets(html: str) -> str:
    """Inline Leaflet and drop every other external script or stylesheet."""
    def script(match: re.Match) -> str:
        if match.group(1).endswith("/leaflet.js"):
            return "<script>" + _asset("leaflet.js").replace("</script", "<\\/script") + "</script>"
        return ""

    def link(match: re.Match) -> str:
        if match.group(1).endswith("/leaflet.css"):
            return "<style>" + _asset("leaflet.css") + "</style>"
        return ""

    return _LINK.sub(link, _SCRIPT.sub(script, html))
