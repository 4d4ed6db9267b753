"""G-NetTrack logs keep every reading they hold: per-second throughput, hex identities,
stale and missing NR legs, per-field validation, states, anonymised operators."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from phusong.probes import SIGNAL_LAYER, SPEED_LAYER, ReadingStore, gnettrack
from phusong.probes.importing import ImportOptions, import_file, time_zone

from helpers import run_cli

CONSTRUCTED = Path(__file__).parent / "fixtures" / "constructed" / "gnettrack"
UCC = CONSTRUCTED / "uccmisl_5g_layout_constructed.csv"
MAIN = CONSTRUCTED / "main_log_with_datatest_constructed.txt"
DUBLIN = ImportOptions(time_zone=time_zone("Europe/Dublin"), time_zone_given=True)


def _import(path: Path, store_path: Path, options: ImportOptions = DUBLIN):
    with ReadingStore(store_path, region=None) as store:
        summary = import_file(store, gnettrack.parse, path, "gnettrack", options)
        return summary, store.read_table(SIGNAL_LAYER), store.read_table(SPEED_LAYER)


def _data_rows(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def test_a_5g_drive_with_bitrate_columns_imports_as_signal_readings(tmp_path):
    summary, signal, speed = _import(UCC, tmp_path / "s.gpkg")
    rows = _data_rows(UCC)
    # one row is logged twice and one has an impossible RSRP: every other row is a reading
    assert (summary.imported, summary.duplicates, summary.quarantined) == (rows - 2, 1, 1)
    assert (summary.imported + summary.duplicates) / rows >= 0.95 and len(speed) == 0
    assert summary.nr_values == 14 == signal["nr_ss_rsrp_dbm"].notna().sum()
    assert summary.technologies == {"NR-NSA": 20, "UMTS": 4, "LTE": 7}
    assert signal["dl_throughput_kbps"].iloc[0] == 52000
    assert signal["ul_throughput_kbps"].iloc[0] == 1200
    again, *_ = _import(UCC, tmp_path / "s.gpkg")
    assert again.imported == 0 and again.duplicates == rows - 1


def test_nr_legs_stale_missing_and_impossible(tmp_path):
    _, signal, _ = _import(UCC, tmp_path / "s.gpkg")
    five_g = signal[signal["technology"] == "NR-NSA"]
    anchor_only = five_g[five_g["nr_ss_rsrp_dbm"].isna()]
    # a 5G row without an NR value is the NSA anchor: LTE values, no NR value
    assert len(anchor_only) == 6 and (anchor_only["lte_rsrp_dbm"] == -99).all()
    # an out-of-range NR RSRQ loses that field only
    bad_rsrq = five_g[five_g["nulled_fields"].fillna("").str.contains("nr_ss_rsrq_db -204")]
    assert len(bad_rsrq) == 1 and bad_rsrq["nr_ss_rsrp_dbm"].iloc[0] == -92
    # NR values on a 3G row are stale: not stored as NR, named in nulled_fields
    umts = signal[signal["technology"] == "UMTS"]
    assert umts["nr_ss_rsrp_dbm"].isna().all()
    assert umts["nulled_fields"].str.contains("stale NR values on a UMTS row").all()


def test_hex_identities_states_and_anonymised_operators(tmp_path):
    _, signal, _ = _import(UCC, tmp_path / "s.gpkg")
    first = signal.iloc[0]
    assert first["eci"] == 0x1A2B3 * 256 + 0x0C and first["enb_id"] == 0x1A2B3
    assert first["tac"] == 0x2F1 and first["cell_id"] == f"{0x1A2B3}-12"
    assert pd.isna(first["operator"]) and first["operator_name"] == "A"
    assert set(signal["operator_name"]) == {"A", "B"}
    assert first["site_id"] == f"A:LTE:{0x1A2B3}"
    lte = signal[signal["technology"] == "LTE"]
    assert lte["device_state"].tolist()[:5] == ["idle", "idle", "voice", "data", "data"]
    assert signal["device_5g_capable"].all()
    assert first["time_utc"] == "2019-12-16T11:00:00.000Z"  # Dublin is UTC+0 in December


def test_a_main_log_gives_each_data_test_once_and_every_second_as_a_reading(tmp_path):
    summary, signal, speed = _import(MAIN, tmp_path / "s.gpkg", ImportOptions())
    assert len(signal) == _data_rows(MAIN) == 20
    # rows 4–9 and 14–16 ran a data test: two tests, each its last row's result
    assert len(speed) == 2
    assert speed["download_bps"].tolist() == [(41000 + 9 * 500) * 1000, (41000 + 16 * 500) * 1000]
    assert speed["time_utc"].tolist() == ["2026-03-05T02:30:04.000Z", "2026-03-05T02:30:14.000Z"]
    assert speed["end_utc"].tolist() == ["2026-03-05T02:30:09.000Z", "2026-03-05T02:30:16.000Z"]
    assert set(speed["status"]) == {"ok"} and set(speed["operator"]) == {"452-04"}
    # the per-second bitrate is a throughput sample on the reading, not a speed test
    assert signal["dl_throughput_kbps"].iloc[0] == 120
    assert summary.stored == {SIGNAL_LAYER: 20, SPEED_LAYER: 2}


def test_times_read_in_the_default_zone_abroad_are_warned_of(tmp_path):
    summary, *_ = _import(UCC, tmp_path / "s.gpkg", ImportOptions())
    assert any("outside Vietnam" in note and "--tz" in note for note in summary.notes)
    named, *_ = _import(UCC, tmp_path / "t.gpkg")
    assert not named.notes


def test_import_prints_what_it_stored_per_technology(tmp_path):
    out = run_cli("--lang", "en", "import", "gnettrack", str(UCC), "--store", str(tmp_path / "s.gpkg"),
                  "--region", "any", "--tz", "Europe/Dublin"
                  ).stdout.decode()
    out = " ".join(out.split())  # the console wraps long lines
    assert "31 signal readings (NR-NSA 20, LTE 7, UMTS 4), 14 of them with an NR value" in out
    assert "0 speed tests" in out


def test_a_file_whose_5g_rows_keep_no_nr_value_is_warned_of(tmp_path):
    frame = pd.read_csv(UCC, dtype=str, keep_default_na=False)
    frame["NRxRSRP"] = "-"
    path = tmp_path / "no_nr.csv"
    frame.to_csv(path, index=False)
    out = run_cli("--lang", "en", "import", "gnettrack", str(path), "--store", str(tmp_path / "s.gpkg"),
                  "--region", "any", "--tz", "Europe/Dublin").stdout.decode()
    out = " ".join(out.split())
    assert "0 of them with an NR value" in out and "no NR value was stored" in out
