"""The import formats by name: each a parser of one file into readings, and the kind of
source it records (``phusong import FORMAT``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from phusong.errors import ConfigError

IMPORT_FORMATS = ("gnettrack", "networksurvey", "speedtest-cli", "ookla", "murakami", "iperf3",
                  "table", "declarations")


def parser_for(fmt: str, mapping: Path | None = None) -> tuple[Callable, str]:
    """The parser of ``fmt`` and its source kind; ``table`` needs a column ``mapping``."""
    from . import declarations, gnettrack, networksurvey, speed_logs, table

    if fmt == "table":
        if mapping is None:
            raise ConfigError("import table needs a column mapping (--mapping FILE.toml)")
        loaded = table.Mapping(mapping)
        return table.parse_with(loaded), loaded.kind
    parsers = {"gnettrack": gnettrack.parse, "networksurvey": networksurvey.parse,
               "speedtest-cli": speed_logs.parse_speedtest_cli,
               "ookla": speed_logs.parse_ookla, "murakami": speed_logs.parse_murakami,
               "iperf3": speed_logs.parse_iperf3, "declarations": declarations.parse}
    if fmt not in parsers:
        raise ConfigError(f"{fmt!r} is not valid; choose one of {', '.join(IMPORT_FORMATS)}")
    return parsers[fmt], fmt
