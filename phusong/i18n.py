"""User-facing text in Vietnamese (default) and English.

The language comes from :func:`set_language` (the CLI's ``--lang``), else the
``PHUSONG_LANG`` environment variable, else Vietnamese.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from functools import lru_cache

from .errors import ConfigError

LANGUAGES = ("vi", "en")
_language: str | None = None
_technology = "nr"
# What "5G" in a label becomes when the figures are about another technology.
TECHNOLOGY_LABELS = {"lte": ("4G", "4G (LTE)")}

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "app.help": (
        "phusong: đo vùng phủ sóng di động và băng rộng, tính chỉ tiêu theo từng xã/phường.",
        "phusong: measure mobile and broadband coverage, report per-commune targets.",
    ),
    "step.load_boundaries": ("Đọc ranh giới xã/phường", "Loading commune boundaries"),
    "step.simulate": ("Mô phỏng chiến dịch đo", "Simulating a measurement campaign"),
    "step.store": ("Ghi kết quả đo vào kho", "Writing readings to the store"),
    "step.grid": ("Dựng lưới", "Building the grid"),
    "step.interpolate": ("Nội suy RSRP 5G", "Interpolating 5G RSRP"),
    "step.aggregate": ("Tổng hợp theo xã/phường", "Aggregating per commune"),
    "step.map": ("Vẽ bản đồ", "Drawing the map"),
    "step.evaluate": ("Kiểm định chéo để chọn phương pháp", "Cross-validating to choose the method"),
    "step.report": ("Ghi báo cáo", "Writing the report"),
    "done.simulate": ("Đã lưu kho dữ liệu mô phỏng: {store}", "Simulated store written: {store}"),
    "done.truth": ("Số liệu thực (ground truth): {path}", "Ground truth: {path}"),
    "done.estimate": ("Đã lưu bảng theo xã/phường: {path}", "Per-commune table written: {path}"),
    "done.map": ("Đã lưu bản đồ: {path}", "Map written: {path}"),
    "done.demo": ("Hoàn tất. Kết quả trong thư mục: {out}", "Done. Outputs are in: {out}"),
    "summary.province": (
        "Toàn tỉnh: vùng phủ 5G {share} (khoảng tin cậy 90 %: {interval}; chỉ tiêu ≥ {target} %): "
        "{status}. Xã/phường: {met} đạt, {not_met} chưa đạt, {uncertain} chưa chắc chắn, "
        "{insufficient} thiếu dữ liệu",
        "Province: 5G coverage {share} (90 % interval {interval}; target ≥ {target} %): "
        "{status}. Communes: {met} met, {not_met} not met, {uncertain} uncertain, "
        "{insufficient} insufficient data",
    ),
    "warning.prefix": ("Cảnh báo", "Warning"),
    "import.file": ("{file}: nhập {imported}, trùng {duplicates}, cách ly {quarantined}",
                    "{file}: {imported} imported, {duplicates} duplicates skipped, "
                    "{quarantined} quarantined"),
    "import.stored": ("  đã lưu: {signal} điểm đo tín hiệu ({technologies}), trong đó {nr} có giá trị "
                      "NR; {speed} phép đo tốc độ",
                      "  stored: {signal} signal readings ({technologies}), {nr} of them with an "
                      "NR value; {speed} speed tests"),
    "import.no_nr": ("{file}: {rows} dòng ghi 5G nhưng không lưu được giá trị NR nào: kiểm tra "
                     "các cột NR của tệp (Level/RSRP trên dòng 5G, SS_RSRP…)",
                     "{file}: {rows} rows say 5G but no NR value was stored: check the file's NR "
                     "columns (Level/RSRP on 5G rows, SS_RSRP…)"),
    "import.total": ("Tổng: nhập {imported}, trùng {duplicates}, cách ly {quarantined} vào {store}",
                     "Total: {imported} imported, {duplicates} duplicates skipped, "
                     "{quarantined} quarantined into {store}"),
    "merge.done": ("Đã gộp vào {into}: {signal} điểm đo tín hiệu, {speed} phép đo tốc độ, "
                   "{quarantine} dòng cách ly mới",
                   "Merged into {into}: {signal} signal readings, {speed} speed tests, "
                   "{quarantine} quarantined rows new"),
    "export.done": ("Đã xuất: {path}", "Exported: {path}"),
    "probe.speed": ("Tải xuống {down:.1f} Mbit/s, tải lên {up:.1f} Mbit/s, trễ {ping:.1f} ms ({kind})",
                    "Download {down:.1f} Mbit/s, upload {up:.1f} Mbit/s, latency {ping:.1f} ms ({kind})"),
    "probe.failed": ("Đo tốc độ không thành công, đã ghi lại lần thử: {reason}",
                     "The speed test failed; the attempt is stored: {reason}"),
    "probe.signal": ("Đã lưu {stored} điểm đo ({refused} bị cách ly); mới nhất: {technology}, RSRP {rsrp} dBm",
                     "Stored {stored} readings ({refused} quarantined); last: {technology}, RSRP {rsrp} dBm"),
    "store.copied": ("Đã chép {source} sang {target} (bản chép nhất quán, đã kiểm tra)",
                     "Copied {source} to {target} (a consistent copy, checked)"),
    "store.sound": ("{store} nguyên vẹn: {signal_readings} điểm đo tín hiệu, {speed_tests} phép "
                    "đo tốc độ, {quarantine} dòng cách ly",
                    "{store} is sound: {signal_readings} signal readings, {speed_tests} speed "
                    "tests, {quarantine} quarantined rows"),
    "store.damaged": ("{store} bị hỏng: {advice}", "{store} is damaged: {advice}"),
    "store.repaired": ("Đã khôi phục vào {out}: {copied} dòng; {lost} dòng không đọc được đã "
                       "ghi vào bảng cách ly",
                       "Recovered into {out}: {copied} rows; {lost} unreadable rows recorded in "
                       "its quarantine"),
    "probe.status": ("{time} | GPS {fix} | {technology} {rsrp} dBm | tốc độ {speeds} Mbit/s | "
                     "tín hiệu {signal} | đo tốc độ {speed} | lỗi {failed}",
                     "{time} | GPS {fix} | {technology} {rsrp} dBm | speeds {speeds} Mbit/s | "
                     "signal {signal} | tests {speed} | failed {failed}"),
    "probe.last_failure": ("lỗi gần nhất: {reason}", "last failure: {reason}"),
    "probe.stopped": ("Đã dừng: {signal} điểm đo tín hiệu, {speed} phép đo tốc độ, {failed} lần đo lỗi trong {store}",
                      "Stopped: {signal} signal readings, {speed} speed tests, {failed} failed attempts in {store}"),
    "probe.faults": ("{n} lần thiết bị lỗi (đã thử lại; chi tiết trong tệp nhật ký .probe.log):",
                     "{n} device faults (retried; details in the .probe.log file):"),
    "probe.unspooled": ("Đã ghi {n} kết quả đo còn chờ từ lần chạy trước",
                        "Wrote {n} test result(s) left waiting by the last run"),
    "summary.day": ("{signal} điểm đo tín hiệu ({fixed} có vị trí; {technologies}); {tests} phép đo "
                    "tốc độ, {failed} lần lỗi; {km:.1f} km; {hours:.1f} giờ đo ({first} – {last} UTC)",
                    "{signal} signal readings ({fixed} with a fix; {technologies}); {tests} speed "
                    "tests, {failed} failed; {km:.1f} km; {hours:.1f} hours measured "
                    "({first} – {last} UTC)"),
    "summary.test_failures": ("Đo tốc độ lỗi, theo lý do:", "Failed speed tests by reason:"),
    "summary.device_faults": ("Thiết bị lỗi, theo lý do:", "Device faults by reason:"),
    "check.modem_ok": ("Có modem: {detail}", "Modem found: {detail}"),
    "check.modem_missing": ("Không thấy modem ({detail}): cắm modem USB, hoặc ghi cổng trong tệp cấu hình ([modem] source)",
                            "No modem found ({detail}): plug in the USB modem, or set its port in the configuration ([modem] source)"),
    "check.modem_not_modem": ("Cổng {port} không phải modem: trả lời AT là {detail}; hãy chọn cổng AT của modem (chạy phusong probe init)",
                              "Port {port} is not a modem: it answered AT with {detail}; choose the modem's AT port (run phusong probe init)"),
    "probe.init_written": ("Đã ghi {path}: xem lại rồi chạy phusong probe check --config {path}",
                           "Wrote {path}: read it, then run phusong probe check --config {path}"),
    "serve.listening": ("Máy chủ thu thập: http://{host}:{port} (kho {store})",
                        "Collection server: http://{host}:{port} (store {store})"),
    "serve.token_added": ("Mã truy cập mới cho {name} (dòng cuối; chỉ hiện một lần):",
                          "New token for {name} (last line; shown once):"),
    "serve.token_revoked": ("Đã thu hồi mã truy cập của {name}", "Revoked the token of {name}"),
    "serve.no_token": ("{name} không có mã truy cập", "{name} has no token"),
    "error.server_extra": ("máy chủ thu thập cần thêm thư viện: pip install \"phusong[server]\"",
                           "the collection server needs its libraries: pip install \"phusong[server]\""),
    "error.no_store": ("cần --store, hoặc khoá store = \"….gpkg\" trong tệp cấu hình",
                       "give --store, or store = \"….gpkg\" in the configuration"),
    "error.no_server": ("tệp cấu hình thiếu mục [server] với url và token",
                        "the configuration lacks a [server] section with url and token"),
    "probe.synced": ("Đã gửi {sent} điểm đo: máy chủ lưu mới {inserted}, đã có {duplicates}, cách ly {quarantined}",
                     "Sent {sent} readings: the server stored {inserted} new, {duplicates} already there, {quarantined} quarantined"),
    "check.config_key": ("Tệp cấu hình: {detail}", "Configuration: {detail}"),
    "check.config_bad": ("Tệp cấu hình không dùng được: {detail}", "The configuration cannot be used: {detail}"),
    "check.network_unresolved": ("Không tìm được địa chỉ của {host} (DNS): kiểm tra mạng hoặc tên máy chủ ({detail})",
                                 "Cannot resolve {host} (DNS): check the network or the server's name ({detail})"),
    "error.no_modem_source": ("không thấy modem: cắm modem USB, hoặc chỉ rõ bằng --modem serial:COM5 (Linux: mmcli)",
                              "no modem found: plug in the USB modem, or name it with --modem serial:COM5 (Linux: mmcli)"),
    "check.server_bad": ("Máy chủ đo tốc độ {host} trả lời không đúng giao thức: {detail}",
                         "The speed-test server {host} does not answer as the protocol says: "
                         "{detail}"),
    "check.gps_ok": ("Có vị trí: {lat:.5f}, {lon:.5f} ({source})", "Position: {lat:.5f}, {lon:.5f} ({source})"),
    "check.gps_missing": ("Chưa có vị trí GPS: ra chỗ thoáng, kiểm tra gpsd/thiết bị GPS, hoặc ghi toạ độ điểm đo cố định",
                          "No GPS fix yet: move to open sky, check gpsd or the GPS device, or give a fixed site's coordinates"),
    "check.network_ok": ("Kết nối được máy chủ đo tốc độ {host}", "The speed-test server {host} is reachable"),
    "check.network_missing": ("Không kết nối được {host}: kiểm tra mạng hoặc địa chỉ máy chủ ({detail})",
                              "Cannot reach {host}: check the network or the server address ({detail})"),
    "check.disk_ok": ("Còn trống {free:.1f} GiB", "{free:.1f} GiB free"),
    "check.disk_low": ("Chỉ còn {free:.1f} GiB trống: giải phóng dung lượng trước khi đo",
                       "Only {free:.1f} GiB free: free some space before measuring"),
    "evaluate.title": (
        "Kiểm định chéo theo khối không gian ({block} m)",
        "Spatial-block cross-validation ({block} m blocks)",
    ),
    "evaluate.best": ("Phương pháp tốt nhất (điểm Brier): {method}",
                      "Best method (Brier score): {method}"),
    "error.prefix": ("Lỗi", "Error"),
    "error.lat_lon": ("cần cả --lat và --lon", "give both --lat and --lon"),
    "error.sites_needed": ("--site cần tệp --sites (id, lat, lon)", "--site needs a --sites file (id, lat, lon)"),
    "error.no_site": ("không có điểm {site} trong tệp --sites", "no site {site} in the --sites file"),
    "error.no_reading": ("không có câu trả lời servingcell nào trong tệp", "the file holds no servingcell answer"),
    "error.mapping_needed": ("import table cần tệp ánh xạ cột (--mapping FILE.toml)",
                             "import table needs a column mapping (--mapping FILE.toml)"),
    "error.bad_region": ("{value!r} không phải country, any hoặc W,S,E,N",
                         "{value!r} is not country, any or W,S,E,N"),
    "error.bad_date": ("{value!r} không phải ngày giờ dạng YYYY-MM-DD[THH:MM]",
                       "{value!r} is not a date or time as YYYY-MM-DD[THH:MM]"),
    "error.bad_choice": ("{value!r} không hợp lệ; chọn một trong: {choices}",
                         "{value!r} is not valid; choose one of {choices}"),
    "error.bad_value": ("giá trị không hợp lệ cho {option}: {detail}",
                        "invalid value for {option}: {detail}"),
    "error.missing_option": ("thiếu tùy chọn bắt buộc {option}",
                             "the option {option} is required"),
    "error.no_such_option": ("không có tùy chọn {option} (xem --help)",
                             "no such option {option} (see --help)"),
    "error.usage": ("cách dùng không đúng: {detail} (xem --help)",
                    "wrong usage: {detail} (see --help)"),
    "error.is_directory": ("{path} là một thư mục, cần một tệp", "{path} is a folder, not a file"),
    "error.permission": ("không có quyền truy cập {path} ({reason})",
                         "no permission to use {path} ({reason})"),
    "error.not_found": ("không tìm thấy {path}", "{path} not found"),
    "error.disk_full": ("đĩa đã đầy khi ghi {path}; giải phóng dung lượng rồi chạy lại",
                        "the disk is full writing {path}; free some space and run again"),
    "error.os": ("không đọc/ghi được {path}: {reason}", "cannot read or write {path}: {reason}"),
    "error.memory": ("không đủ bộ nhớ: chọn độ phân giải thô hơn (--resolution) hoặc ít dữ liệu hơn",
                     "out of memory: choose a coarser --resolution or less data"),
    "error.interrupted": ("đã dừng theo yêu cầu; kết quả cũ (nếu có) được giữ nguyên",
                          "stopped on request; any previous output is left as it was"),
    "error.internal": (
        "lỗi nội bộ của phusong ({kind}: {detail}); chi tiết trong {log}, xin gửi tệp này cho "
        "nhóm phát triển",
        "internal error in phusong ({kind}: {detail}); details in {log}, please send that file "
        "to the developers"),
    "status.met": ("Đạt", "Met"),
    "status.not_met": ("Chưa đạt", "Not met"),
    "status.insufficient_data": ("Thiếu dữ liệu", "Insufficient data"),
    "status.uncertain": ("Chưa chắc chắn", "Uncertain"),
    "map.field.p_target_met": ("Xác suất đạt chỉ tiêu", "Probability target met"),
    "map.title": ("Vùng phủ sóng 5G theo xã/phường", "5G coverage by commune"),
    "map.layer.share": ("Tỷ lệ phủ sóng 5G", "5G coverage share"),
    "map.layer.gaps": ("Xã/phường chưa đạt chỉ tiêu", "Communes below target"),
    "map.field.name": ("Tên", "Name"),
    "map.field.code": ("Mã", "Code"),
    "map.field.share": ("Phủ sóng 5G (dân số)", "5G coverage (population)"),
    "map.field.share_area": ("Phủ sóng 5G (diện tích)", "5G coverage (area)"),
    "map.field.readings": ("Số điểm đo", "Readings"),
    "map.field.status": ("Trạng thái", "Status"),
    "map.legend": ("Tỷ lệ (%)", "Share (%)"),
    "map.layer.gigabit": ("Hộ có thể dùng băng rộng cố định ≥ 1 Gb/s",
                          "Households able to get fixed broadband ≥ 1 Gb/s"),
    "map.field.interval": ("Khoảng tin cậy 90 %", "90 % interval"),
    "map.field.gigabit": ("Hộ có thể dùng ≥ 1 Gb/s", "Households with ≥ 1 Gb/s available"),
    "map.field.gigabit_check": ("Kiểm chứng bằng đo tốc độ", "Checked by speed tests"),
    "gigabit.verified": ("đã xác nhận", "verified"),
    "gigabit.unverified": ("chưa xác nhận", "unverified"),
    "gigabit.challenged": ("nghi vấn: đo thực tế thấp hơn nhiều", "challenged: tests far below"),
    "gigabit.no_declarations": ("không có khai báo", "no declarations"),
    "map.synthetic": ("DỮ LIỆU MÔ PHỎNG", "SYNTHETIC DATA"),
    "map.layer.basemap": ("Bản đồ nền OpenStreetMap (cần Internet)",
                          "OpenStreetMap basemap (needs the Internet)"),
    "map.layer.outline": ("Ranh giới tỉnh (ngoại tuyến)", "Province outline (offline)"),
    "map.layer.share_area": ("Tỷ lệ phủ sóng 5G theo diện tích", "5G coverage share by area"),
    "map.layer.operator": ("Phủ sóng 5G của nhà mạng {operator}", "5G coverage of operator {operator}"),
    "map.layer.people_uncovered": ("Số người chưa được phủ sóng 5G", "People without 5G coverage"),
    "map.layer.p_covered": ("Xác suất có sóng 5G (lưới)", "Probability of 5G coverage (grid)"),
    "map.layer.rsrp": ("Cường độ tín hiệu dự báo (RSRP)", "Predicted signal (RSRP)"),
    "map.layer.measurements": ("Điểm đo tín hiệu", "Signal measurements"),
    "map.layer.failed_tests": ("Đo tốc độ thất bại", "Failed speed tests"),
    "map.layer.challenged": ("Khai báo cáp quang ≥ 1 Gb/s bị nghi vấn",
                             "Challenged ≥ 1 Gb/s declarations"),
    "map.field.failed_test": ("Đo tốc độ thất bại", "Failed speed test"),
    "map.field.challenged": ("Khai báo bị nghi vấn: đo thực tế thấp hơn nhiều",
                             "Declaration challenged: tests far below"),
    "map.field.population": ("Dân số", "Population"),
    "map.field.people_uncovered": ("Số người chưa có sóng 5G", "People without 5G"),
    "map.search": ("Tìm xã/phường…", "Find a commune…"),
    "map.plan": ("Chỉ tiêu: phủ sóng 5G ≥ {target} %", "Target: 5G coverage ≥ {target} %"),
    "map.data_period": ("Dữ liệu đo", "Measured"),
    "report.title": ("Tỉnh {province}: báo cáo chỉ tiêu {plan} (5G ≥ {target} %, cáp quang ≥ 1 Gb/s ≥ {gigabit} %)",
                     "{province} province: report against {plan} (5G ≥ {target} %, fixed ≥ 1 Gb/s ≥ {gigabit} %)"),
    "report.date": ("Ngày lập", "Date"),
    "report.title_no_plan": ("Tỉnh {province}: báo cáo vùng phủ 5G (mức so sánh ≥ {target} %)",
                             "{province} province: 5G coverage report (against ≥ {target} %)"),
    "report.chart": ("Tỷ lệ phủ sóng 5G của các xã/phường so với chỉ tiêu", "Communes' 5G coverage against the target"),
    "report.trend": ("xu hướng", "trend"),
    "report.chart.target": ("Chỉ tiêu {target} %", "Target {target} %"),
    "report.chart.interval": ("Khoảng tin cậy 90 %", "90 % interval"),
    "report.sheet.province": ("Toàn tỉnh", "Province"),
    "report.sheet.communes": ("Xã, phường", "Communes"),
    "report.sheet.audit": ("Nguồn và phương pháp", "Audit trail"),
    "report.fig.5g": ("Vùng phủ 5G (theo {basis})", "5G coverage (by {basis})"),
    "report.fig.gigabit": ("Hộ có thể dùng băng rộng cố định ≥ 1 Gb/s", "Households able to get fixed broadband ≥ 1 Gb/s"),
    "report.col.figure": ("Chỉ tiêu", "Figure"),
    "report.col.interval": ("Khoảng tin cậy 90 %", "90 % interval"),
    "report.col.code": ("Mã", "Code"),
    "report.col.name": ("Tên", "Name"),
    "report.col.status": ("Trạng thái", "Status"),
    "report.col.share": ("Dân số có sóng 5G (%)", "Population with 5G (%)"),
    "report.col.low": ("Cận dưới 90 % (%)", "90 % low (%)"),
    "report.col.high": ("Cận trên 90 % (%)", "90 % high (%)"),
    "report.col.p_met": ("Xác suất đạt chỉ tiêu", "P(target met)"),
    "report.col.gap_pp": ("Còn thiếu so với chỉ tiêu (điểm %)", "Gap to the target (pp)"),
    "report.col.gap_people": ("Số người cần phủ thêm để đạt chỉ tiêu", "People to cover to reach the target"),
    "report.col.readings": ("Số điểm đo", "Readings"),
    "report.col.population": ("Dân số", "Population"),
    "report.col.gigabit": ("Hộ có ≥ 1 Gb/s (%)", "Households ≥ 1 Gb/s (%)"),
    "report.col.gigabit_status": ("Trạng thái ≥ 1 Gb/s", "Status ≥ 1 Gb/s"),
    "report.audit.readings": ("Số điểm đo dùng", "Readings used"),
    "report.audit.period": ("Thời gian đo (UTC)", "Measurement period (UTC)"),
    "report.audit.operators": ("Nhà mạng", "Operators"),
    "report.audit.method": ("Phương pháp", "Method"),
    "report.audit.cv": ("Kiểm định chéo theo ô 1 km (RMSE, điểm Brier, sai số tỷ lệ)",
                        "Cross-validation over 1 km blocks (RMSE, Brier score, share error)"),
    "report.audit.cv_none": ("không chạy (dùng phusong estimate --method auto hoặc phusong "
                             "evaluate)", "not run (use phusong estimate --method auto or "
                                          "phusong evaluate)"),
    "report.audit.calibration": ("Hiệu chỉnh xu hướng bằng kiểm định chéo (theo nhà mạng)",
                                 "Trend calibrated by cross-validation (per operator)"),
    "report.audit.threshold": ("Ngưỡng phủ sóng", "Coverage threshold"),
    "report.audit.resolution": ("Lưới và hệ toạ độ", "Grid and CRS"),
    "report.audit.boundaries": ("Bộ ranh giới", "Boundary set"),
    "report.audit.population": ("Cơ sở dân số", "Population basis"),
    "report.audit.statuses": ("Ngưỡng kết luận đạt / chưa đạt", "Met / not met when"),
    "report.audit.synthetic": ("Dữ liệu mô phỏng", "Synthetic data"),
    "report.audit.run": ("Mã lần chạy", "Run id"),
    "report.audit.version": ("Phiên bản phusong", "phusong version"),
    "report.audit.warnings": ("Số cảnh báo", "Warnings"),
    "report.basis.population": ("dân số", "population"),
    "report.basis.area": ("diện tích", "area"),
    "report.yes": ("có", "yes"),
    "report.no": ("không", "no"),
    "done.report": ("Đã lưu báo cáo: {path}", "Report written: {path}"),
    "map.no_data": ("không có dữ liệu", "no data"),
}


def set_language(lang: str | None) -> None:
    """Choose the language for messages; ``None`` falls back to ``PHUSONG_LANG``."""
    global _language
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _language = lang


@contextmanager
def technology_labels(technology: str | None):
    """Within the block, labels name ``technology`` (``nr``: 5G, ``lte``: 4G) where
    they say 5G: maps and reports of an LTE estimate are titled 4G."""
    global _technology
    previous, _technology = _technology, technology or "nr"
    try:
        yield
    finally:
        _technology = previous


def current_language() -> str:
    """The language in force: set explicitly, else ``PHUSONG_LANG``, else ``vi``."""
    if _language:
        return _language
    env = os.environ.get("PHUSONG_LANG", "").strip().lower()[:2]
    return env if env in LANGUAGES else "vi"


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The message ``key`` in the current (or given) language, formatted with ``values``."""
    vi, en = MESSAGES[key]
    english = (lang or current_language()) == "en"
    text = en if english else vi
    if _technology in TECHNOLOGY_LABELS:
        text = text.replace("5G", TECHNOLOGY_LABELS[_technology][english])
    return text.format(**values) if values else text


@lru_cache(maxsize=1)
def _vietnamese_patterns() -> list[tuple[re.Pattern, str]]:
    from .messages import VIETNAMESE

    patterns = []
    for english, vietnamese in VIETNAMESE:
        parts = re.split(r"(\{[a-z]\})", english)
        regex = "".join(f"(?P<{p[1]}>.+?)" if re.fullmatch(r"\{[a-z]\}", p) else re.escape(p)
                        for p in parts)
        patterns.append((re.compile(f"^{regex}$", re.DOTALL), vietnamese))
    return patterns


def localise(message: str, lang: str | None = None) -> str:
    """An error or warning detail in the current (or given) language (see
    :mod:`phusong.messages`); unchanged in English or when no template matches."""
    if (lang or current_language()) == "en":
        return message
    for pattern, vietnamese in _vietnamese_patterns():
        match = pattern.match(message)
        if match:
            return vietnamese.format(**{name: _localise_parts(value)
                                        for name, value in match.groupdict().items()})
    return message


def _localise_parts(value: str) -> str:
    """A template's value in Vietnamese where it is itself a list of messages, each perhaps
    after a place ("line 12: … outside the valid range …; line 40: …"); else unchanged."""
    parts = value.split("; ")
    done = []
    for part in parts:
        place, colon, detail = part.partition(": ") if ": " in part else ("", "", part)
        localised = localise(detail, "vi")
        if localised == detail:
            done.append(part)
            continue
        place = re.sub(r"^line (\d+)$", r"dòng \1", place)
        done.append(f"{place}{colon}{localised}")
    return "; ".join(done)
