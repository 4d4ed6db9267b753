"""Every reader of outside data, fed its fixtures with bytes inserted, cut and deleted as a
noisy serial line, an interrupted copy or a hand edit would: each mutated input is read,
refused with phusong's error, or has its bad rows quarantined; nothing else escapes.

A short, seeded version of the mutation runs that found the crashes fixed on 2026-12-03
(a longitude without a latitude, an MCC of 1e309, a byte count beyond SQLite's integers,
a cut mmcli JSON, a garbled RMC sentence)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from phusong.errors import PhusongError
from phusong.probes import ReadingStore
from phusong.probes.formats import parser_for
from phusong.probes.importing import ImportOptions, import_file
from phusong.probes.modem import parse_at_log, parse_mmcli
from phusong.probes.position import nmea_fixes

from helpers import TABLE_MAPPING

FIXTURES = Path(__file__).parent / "fixtures"
MUTATIONS = 60
JUNK = ('"', ",", "\t", "-", "", "NaN", "1e309", "-32768", "\x00", "é", '"\n', "{", "}", "*",
        "99999999999999999999", "2025.13.40_25.61.61", "5G NSA", "$GPRMC", "+QENG: ")
IMPORTS = [
    ("gnettrack", "constructed/gnettrack/secondcell_layout_constructed.csv"),
    ("gnettrack", "constructed/gnettrack/uccmisl_5g_layout_constructed.csv"),
    ("gnettrack", "constructed/gnettrack/main_log_with_datatest_constructed.txt"),
    ("gnettrack", "real/gnettrack/Orange_log.head41.txt"),
    ("gnettrack", "real/gnettrack/Orange_log_datatest.txt"),
    ("networksurvey", "constructed/networksurvey/nr_constructed.csv"),
    ("speedtest-cli", "real/speedtests/loopback_cli_json.json"),
    ("speedtest-cli", "real/speedtests/loopback_cli.csv"),
    ("murakami", "real/speedtests/ndt7-example.jsonl"),
    ("iperf3", "real/speedtests/iperf3_tcp_loopback.json"),
]


TABLE = ("when,network,rat,rsrp_centi,ecgi,x_deg,y_deg\n"
         "01/10/2025 08:00:00,Viettel,4G LTE,-9550,25600257,106.19,21.27\n"
         "01/10/2025 08:00:01,45204,LTE,-9600,25600257,106.19,21.27\n"
         "01/10/2025 08:00:03,Viettel,5G,-9600,25600257,106.2,21.3\n")
DECLARATIONS = ("operator,technology,max_down_mbps,max_up_mbps,commune_code,households,as_of\n"
                "Viettel,XGS-PON,1000,1000,07210,29300,2025-10-01\n"
                "VinaPhone,GPON,300,300,07210,17465,2025-10-01\n"
                "MobiFone,GPON,1000,1000,07228,6164,2025-10-01\n")


def mutated(text: str, rng: random.Random) -> str:
    """``text`` with one to six insertions of junk, deletions or a cut."""
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        if not chars:
            break
        at, kind = rng.randrange(len(chars)), rng.random()
        if kind < 0.45:
            chars[at:at] = rng.choice(JUNK)
        elif kind < 0.8:
            del chars[at:at + rng.randint(1, 20)]
        else:
            del chars[at:]
    return "".join(chars)


@pytest.mark.parametrize("fmt, name", IMPORTS, ids=[Path(n).name for _, n in IMPORTS])
def test_a_mutated_file_is_imported_refused_or_quarantined(tmp_path, fmt, name):
    source = FIXTURES / name
    text = source.read_text(encoding="utf-8")
    parser, kind = parser_for(fmt)
    rng = random.Random(name)
    for i in range(MUTATIONS):
        path = tmp_path / f"{i}{source.suffix}"
        path.write_text(mutated(text, rng), encoding="utf-8")
        try:
            with ReadingStore(tmp_path / f"{i}.gpkg", region=None) as store:
                summary = import_file(store, parser, path, kind, ImportOptions())
        except PhusongError:
            continue
        assert summary.imported + summary.duplicates + summary.quarantined > 0, path.read_text()


@pytest.mark.parametrize("fmt", ["table", "declarations"])
def test_a_mutated_table_is_imported_refused_or_quarantined(tmp_path, fmt):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(TABLE_MAPPING, encoding="utf-8")
    parser, kind = parser_for(fmt, mapping if fmt == "table" else None)
    text, rng = (TABLE if fmt == "table" else DECLARATIONS), random.Random(fmt)
    for i in range(MUTATIONS):
        path = tmp_path / f"{i}.csv"
        path.write_text(mutated(text, rng), encoding="utf-8")
        try:
            with ReadingStore(tmp_path / f"{i}.gpkg", region=None) as store:
                import_file(store, parser, path, kind, ImportOptions())
        except PhusongError:
            continue


@pytest.mark.parametrize("name", [
    "quectel_nsa_qnwinfo_qcainfo_qeng_qspn__3ginfo_issue56.txt",
    "quectel_rm520n_nsa_servingcell_neighbourcell_qcainfo__quectel_5g_tools.txt",
    "quectel_rm520n_sa_qeng__sionna_rk_issue18.txt",
    "mm_signal_openwrt_ubus_dump__openwisp_monitoring_issue779.json"])
def test_a_mutated_modem_answer_is_read_or_refused(name):
    text = (FIXTURES / "real" / "modem" / name).read_text(encoding="utf-8")
    parse = parse_mmcli if name.endswith(".json") else parse_at_log
    rng = random.Random(name)
    for _ in range(MUTATIONS * 4):
        try:
            parse(mutated(text, rng))
        except PhusongError:
            continue


@pytest.mark.parametrize("name", ["bu353s4.log", "quectel-eg25-g-2.log"])
def test_mutated_nmea_gives_fixes_on_the_globe(name):
    text = (FIXTURES / "real" / "gpsd" / name).read_text(encoding="utf-8", errors="replace")
    rng = random.Random(name)
    for _ in range(MUTATIONS):
        for fix in nmea_fixes(mutated(text, rng).splitlines()):
            assert abs(fix.lon) <= 180 and abs(fix.lat) <= 90 and fix.time_utc.tzinfo is not None
