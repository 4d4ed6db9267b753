"""G-NetTrack logs keep every reading they hold: per-second throughput, hex identities,
NR legs and NSA anchors, per-field validation, states, anonymised operators."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from phusong.probes import SIGNAL_LAYER, SPEED_LAYER, ReadingStore, gnettrack
from phusong.probes.importing import ImportOptions, import_file, time_zone

from helpers import run_cli

CONSTRUCTED = Path(__file__).parent / "fixtures" / "constructed" / "gnettrack"
UCC = CONSTRUCTED / "uccmisl_5g_layout_constructed.csv"
SECOND_CELL = CONSTRUCTED / "secondcell_layout_constructed.csv"
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
    assert summary.nr_values == 20 == signal["nr_ss_rsrp_dbm"].notna().sum()
    assert summary.technologies == {"NR-SA": 20, "UMTS": 4, "LTE": 7}
    assert signal["dl_throughput_kbps"].iloc[0] == 52000
    assert signal["ul_throughput_kbps"].iloc[0] == 1200
    again, *_ = _import(UCC, tmp_path / "s.gpkg")
    assert again.imported == 0 and again.duplicates == rows - 1


def test_a_5g_rows_serving_values_are_its_nr_leg_and_neighbour_columns_are_not_nr(tmp_path):
    _, signal, _ = _import(UCC, tmp_path / "s.gpkg")
    source = pd.read_csv(UCC, dtype=str, keep_default_na=False).drop_duplicates()
    source = source[source["RSRP"] != "-250"].reset_index(drop=True)
    five_g = (source["NetworkMode"] == "5G").to_numpy()
    stored = signal.reset_index(drop=True)
    # RSRP/RSRQ/SNR of a 5G row are the NR cell's; NRxRSRP (a neighbour's) is stored nowhere
    assert (stored.loc[five_g, "nr_ss_rsrp_dbm"] == source.loc[five_g, "RSRP"].astype(float)).all()
    assert (stored.loc[five_g, "nr_ss_sinr_db"] == source.loc[five_g, "SNR"].astype(float)).all()
    assert stored.loc[five_g, "lte_rsrp_dbm"].isna().all()
    neighbours = set(source["NRxRSRP"].replace("-", None).dropna().astype(float))
    assert not neighbours & set(stored["nr_ss_rsrp_dbm"].dropna()) - set(
        source.loc[five_g, "RSRP"].astype(float))
    # a neighbour's value on a 3G row is no stale NR value either: nothing to name
    umts = stored[stored["technology"] == "UMTS"]
    assert umts["nr_ss_rsrp_dbm"].isna().all() and umts["nulled_fields"].isna().all()


def test_an_impossible_nr_value_loses_that_field_only(tmp_path):
    frame = pd.read_csv(UCC, dtype=str, keep_default_na=False)
    frame.loc[18, "RSRQ"] = "-204"  # edited in memory: a 5G row's NR RSRQ out of range
    path = tmp_path / "bad_rsrq.csv"
    frame.to_csv(path, index=False)
    _, signal, _ = _import(path, tmp_path / "s.gpkg")
    bad = signal[signal["nulled_fields"].fillna("").str.contains("nr_ss_rsrq_db -204")]
    assert len(bad) == 1 and bad["nr_ss_rsrp_dbm"].iloc[0] == -97
    assert pd.isna(bad["nr_ss_rsrq_db"].iloc[0]) and bad["nr_ss_sinr_db"].iloc[0] == 7


def test_second_cell_columns_are_the_nsa_anchor_of_a_5g_row(tmp_path):
    summary, signal, _ = _import(SECOND_CELL, tmp_path / "s.gpkg", ImportOptions())
    assert (summary.imported, summary.duplicates, summary.quarantined) == (16, 1, 0)
    assert summary.technologies == {"NR-NSA": 10, "LTE": 6} and summary.nr_values == 9
    source = pd.read_csv(SECOND_CELL, dtype=str, keep_default_na=False).drop_duplicates(
        subset=["Timestamp"]).reset_index(drop=True)
    stored = signal.reset_index(drop=True)
    five_g = (source["NetworkTech"] == "5G").to_numpy()
    level = pd.to_numeric(source["Level"], errors="coerce")
    anchor = pd.to_numeric(source["SecondCell_RSRP"], errors="coerce")
    pd.testing.assert_series_equal(stored.loc[five_g, "nr_ss_rsrp_dbm"], level[five_g],
                                   check_names=False)
    pd.testing.assert_series_equal(stored.loc[five_g, "lte_rsrp_dbm"], anchor[five_g],
                                   check_names=False)
    pd.testing.assert_series_equal(stored.loc[~five_g, "lte_rsrp_dbm"], level[~five_g],
                                   check_names=False)
    assert stored.loc[~five_g, "nr_ss_rsrp_dbm"].isna().all()
    # a 5G row without the NR cell's level is the anchor, NR leg not measured
    unmeasured = stored[(stored["technology"] == "NR-NSA") & stored["nr_ss_rsrp_dbm"].isna()]
    assert len(unmeasured) == 1 and unmeasured["lte_rsrp_dbm"].iloc[0] == -92
    assert stored["time_utc"].iloc[0] == "2025-10-01T01:00:00.000Z"  # a quoted line break
    assert stored["device_5g_capable"].all()


def test_rows_the_source_calls_nsa_or_sa_keep_that_name_and_their_legs(tmp_path):
    frame = pd.read_csv(SECOND_CELL, dtype=str, keep_default_na=False)
    frame.loc[0, "NetworkTech"], frame.loc[1, "NetworkTech"] = "5G NSA", "5G SA"  # edited
    path = tmp_path / "named.csv"
    frame.to_csv(path, index=False)
    _, signal, _ = _import(path, tmp_path / "s.gpkg", ImportOptions())
    nsa, sa = signal.iloc[0], signal.iloc[1]
    assert (nsa["technology"], nsa["nr_ss_rsrp_dbm"], nsa["lte_rsrp_dbm"]) == ("NR-NSA", -93, -80)
    assert (sa["technology"], sa["nr_ss_rsrp_dbm"]) == ("NR-SA", -94) and pd.isna(sa["lte_rsrp_dbm"])


def test_a_refused_record_is_located_by_the_line_it_starts_on(tmp_path):
    lines = SECOND_CELL.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("-94.0,-3.0", "strong,-3.0")  # edited in memory
    path = tmp_path / "bad_level.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, gnettrack.parse, path, "gnettrack", ImportOptions())
        quarantined = store.read_quarantine()
    assert summary.quarantined == 1 and summary.imported == 15
    assert quarantined["record_locator"].tolist() == ["line 4"]  # its quote opens on line 4
    assert "level 'strong' is not a number" in quarantined["reason"].iloc[0]


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
    assert "31 signal readings (NR-SA 20, LTE 7, UMTS 4), 20 of them with an NR value" in out
    assert "0 speed tests" in out


def test_a_file_whose_5g_rows_keep_no_nr_value_is_warned_of(tmp_path):
    frame = pd.read_csv(UCC, dtype=str, keep_default_na=False)
    frame.loc[frame["NetworkMode"] == "5G", "RSRP"] = "-"
    path = tmp_path / "no_nr.csv"
    frame.to_csv(path, index=False)
    out = run_cli("--lang", "en", "import", "gnettrack", str(path), "--store", str(tmp_path / "s.gpkg"),
                  "--region", "any", "--tz", "Europe/Dublin").stdout.decode()
    out = " ".join(out.split())
    assert "0 of them with an NR value" in out and "no NR value was stored" in out


def test_an_operator_given_on_import_goes_to_readings_that_name_none(tmp_path):
    store = tmp_path / "s.gpkg"
    run_cli("import", "gnettrack", str(SECOND_CELL), "--store", str(store), "--operator", "Viettel")
    run_cli("import", "gnettrack", str(UCC), "--store", str(store), "--operator", "452-04",
            "--region", "any", "--tz", "Europe/Dublin")
    with ReadingStore(store, readonly=True) as readings:
        signal = readings.read_table(SIGNAL_LAYER)
    from_second_cell = signal["source_file"] == SECOND_CELL.name
    assert (signal.loc[from_second_cell, "operator"] == "452-04").all()
    # anonymised operators ("A", "B") stay apart: not made the given one
    assert signal.loc[~from_second_cell, "operator"].isna().all()
    assert set(signal.loc[~from_second_cell, "operator_name"]) == {"A", "B"}


def test_an_unknown_operator_on_import_is_refused_before_anything_is_stored(tmp_path):
    store = tmp_path / "s.gpkg"
    done = run_cli("import", "gnettrack", str(SECOND_CELL), "--store", str(store),
                   "--operator", "Telco X", check=False)
    assert done.returncode == 2 and not store.exists()
    assert "Telco X" in " ".join(done.stderr.decode().split())


def test_a_5g_phone_s_file_without_5g_rows_says_where_5g_was_not_when_the_user_says_so(tmp_path):
    from phusong.coverage.evidence import NO_NR_DBM, nr_evidence

    frame = pd.read_csv(SECOND_CELL, dtype=str, keep_default_na=False)
    lte_only = tmp_path / "lte_only.csv"
    frame[frame["NetworkTech"] == "4G"].to_csv(lte_only, index=False)  # edited: no 5G row
    for flag, store in ((None, "default.gpkg"), ("--device-5g", "stated.gpkg"),
                        ("--device-4g", "four_g.gpkg")):
        source = SECOND_CELL if flag == "--device-4g" else lte_only
        out = run_cli("--lang", "en", "import", "gnettrack", str(source), "--store",
                      str(tmp_path / store), *([flag] if flag else [])).stdout.decode()
    with ReadingStore(tmp_path / "default.gpkg", readonly=True) as readings:
        default = readings.read_table(SIGNAL_LAYER)
    with ReadingStore(tmp_path / "stated.gpkg", readonly=True) as readings:
        stated = readings.read_table(SIGNAL_LAYER)
    with ReadingStore(tmp_path / "four_g.gpkg", readonly=True) as readings:
        four_g = readings.read_table(SIGNAL_LAYER)
    # a file alone cannot show that its phone could have had 5G: no evidence either way
    assert not default["device_5g_capable"].any() and nr_evidence(default).empty
    # stated 5G-capable: its LTE rows with data active are "no 5G here"
    absent = nr_evidence(stated)
    assert stated["device_5g_capable"].all()
    assert len(absent) == (stated["device_state"] == "data").sum() == 4
    assert (absent["value"] == NO_NR_DBM).all()
    assert not four_g["device_5g_capable"].any()
    assert "yet the device was said to be 4G-only" in " ".join(out.split())


def test_a_cut_file_loses_only_the_record_its_last_line_belongs_to(tmp_path):
    text = SECOND_CELL.read_text(encoding="utf-8")
    records = _data_rows(SECOND_CELL) // 2  # each record spans two lines
    for name, tail, imported, cut in (("quote.csv", '"', 16, []),  # a record never written
                                      ("cut.csv", '"\n2025.10.01_08.00.16",106.19', 16,
                                       [f"line {2 * records + 2}"])):
        path = tmp_path / name
        path.write_text(text + tail, encoding="utf-8")
        with ReadingStore(tmp_path / f"{name}.gpkg") as store:
            summary = import_file(store, gnettrack.parse, path, "gnettrack", ImportOptions())
            quarantined = store.read_quarantine()
        assert summary.imported == imported
        assert quarantined["record_locator"].tolist() == cut


def test_a_row_with_half_a_position_is_quarantined_with_its_reason(tmp_path):
    """Found by mutating the fixtures: a longitude without its latitude crashed the check of
    positions abroad."""
    log = tmp_path / "half.txt"
    log.write_text("Timestamp\tLongitude\tLatitude\tOperator\tNetworkTech\tLevel\tState\r\n"
                   "2025.10.01_08.00.00\t106.2\t-\t45204\t4G\t-95\tD\r\n"
                   "2025.10.01_08.00.01\t106.2\t21.3\t45204\t4G\t-96\tD\r\n", encoding="utf-8")
    with ReadingStore(tmp_path / "s.gpkg") as store:
        summary = import_file(store, gnettrack.parse, log, "gnettrack", ImportOptions())
        reasons = store.read_quarantine()["reason"].tolist()
    assert (summary.imported, summary.quarantined) == (1, 1)
    assert reasons == ["position has only one of lon/lat"]
