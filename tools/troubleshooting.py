"""Write the troubleshooting tables of the user guides from phusong's own message catalogues.

Every message a user can see (the CLI's errors and failed checks in :mod:`phusong.i18n`, and
the details of errors and warnings in :mod:`phusong.messages`) gets a row: the message as
it is printed (``…`` where it names a file, value or place) and what to do. A message that
carries its own remedy keeps it; the others take their section's advice. Run it after
adding a message; ``tests/test_docs.py`` fails while the guides are out of date.

    python tools/troubleshooting.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What to do, per section of phusong/messages.py: (Vietnamese, English).
SECTION_ADVICE = {
    "estimate": ("Sửa tuỳ chọn được nêu trong thông báo, hoặc đo thêm ở nơi được nêu, rồi chạy lại.",
                 "Correct the option the message names, or measure more where it says, and run "
                 "again."),
    "boundaries": ("Mở tệp ranh giới trong QGIS, sửa trường, hệ toạ độ hoặc vùng được nêu, rồi "
                   "chạy lại với --boundaries, --id-field, --name-field.",
                   "Open the boundary file in QGIS, correct the field, CRS or polygon named, and "
                   "run again with --boundaries, --id-field, --name-field."),
    "declarations and CSV inputs": ("Sửa dòng hoặc cột được nêu trong tệp CSV (lưu dạng CSV "
                                    "UTF-8), rồi chạy lại; các dòng bị loại có trong "
                                    "declarations_quarantine.csv.",
                                    "Correct the row or column named in the CSV file (saved as "
                                    "CSV UTF-8) and run again; refused rows are listed in "
                                    "declarations_quarantine.csv."),
    "estimate folders, rasters, outputs": ("Chạy lại phusong estimate vào một thư mục mới, rồi "
                                           "dùng thư mục đó.",
                                           "Run phusong estimate again into a new folder and use "
                                           "that folder."),
    "targets": ("Sửa tệp mục tiêu (TOML) theo mẫu data/targets.toml.",
                "Correct the targets file (TOML) after the model of data/targets.toml."),
    "outputs": ("Chọn tên tệp/thư mục khác, hoặc thêm --force nếu muốn thay thế.",
                "Choose another file or folder name, or add --force to replace it."),
    "importers": ("Kiểm tra đúng định dạng (FORMAT) và đúng tệp; các dòng lỗi nằm trong bảng "
                  "quarantine của kho cùng lý do.",
                  "Check the format (FORMAT) and the file; refused rows are in the store's "
                  "quarantine table with their reason."),
    "the readings store: writes refused": ("Chép kho bằng phusong store copy, hoặc kiểm tra bằng "
                                           "phusong store check; đừng ghi vào một kho đang được "
                                           "chương trình khác dùng.",
                                           "Copy the store with phusong store copy, or check it "
                                           "with phusong store check; do not write to a store "
                                           "another program is using."),
    "devices": ("Cắm lại modem/GPS, chạy phusong probe init để tìm lại cổng, rồi phusong probe "
                "check; lần chạy vẫn tiếp tục và thử lại thiết bị.",
                "Plug the modem or GPS in again, run phusong probe init to find its port, then "
                "phusong probe check; a run carries on and asks the device again."),
    "speed tests": ("Kiểm tra địa chỉ máy chủ đo tốc độ (server_url) và đường truyền; phép đo "
                    "lỗi vẫn được lưu cùng lý do.",
                    "Check the speed-test server's address (server_url) and the line; the failed "
                    "test is stored with its reason."),
    "the readings store and its records": ("Kiểm tra tệp kho (.gpkg) đúng là kho phusong; với "
                                           "dòng bị loại, sửa giá trị được nêu trong nguồn rồi "
                                           "nhập lại (không bị trùng).",
                                           "Check that the file is a phusong store (.gpkg); for "
                                           "a refused row, correct the value named at its source "
                                           "and import again (nothing is doubled)."),
    "probe configuration": ("Sửa khoá hoặc giá trị được nêu trong probe.toml, rồi chạy phusong "
                            "probe check --config probe.toml.",
                            "Correct the key or value named in probe.toml, then run phusong "
                            "probe check --config probe.toml."),
    "command line": ("Xem phusong LỆNH --help.", "See phusong COMMAND --help."),
}
REMEDY = re.compile(r"(?:[:;] |\()((?:give|add|check|plug|choose|run|set|free|move|use|convert|close|"
                    r"save|upgrade|see|hãy|cắm|chọn|chạy|kiểm tra|giải phóng|ra chỗ|xem|thêm|"
                    r"ghi|nâng cấp|lưu|dùng)\b.*)$", re.IGNORECASE)
# CLI messages without a remedy of their own: (Vietnamese, English).
CLI_ADVICE = {
    "check.config_key": ("Sửa tên khoá theo gợi ý; khoá sai chính tả bị bỏ qua.",
                         "Correct the key as suggested; a misspelt key is ignored."),
    "check.config_bad": SECTION_ADVICE["probe configuration"],
    "check.server_bad": ("Kiểm tra server_url: đó phải là địa chỉ máy chủ đo tốc độ (ví dụ "
                         "http://host/speedtest/upload.php), không phải một trang web.",
                         "Check server_url: it must be the speed-test server's address (e.g. "
                         "http://host/speedtest/upload.php), not a web page."),
    "error.lat_lon": ("Ghi cả --lat và --lon (độ thập phân, WGS 84).",
                      "Give both --lat and --lon (decimal degrees, WGS 84)."),
    "error.sites_needed": ("Thêm --sites TỆP.csv có các cột id, lat, lon.",
                           "Add --sites FILE.csv with columns id, lat, lon."),
    "error.no_site": ("Kiểm tra mã điểm đo trong cột id của tệp --sites.",
                      "Check the site's id in the id column of the --sites file."),
    "error.no_reading": ("Tệp phải là nhật ký lệnh AT của modem Quectel có câu trả lời "
                         "AT+QENG=\"servingcell\".",
                         "The file must be a log of a Quectel modem's AT answers holding "
                         "AT+QENG=\"servingcell\"."),
    "error.mapping_needed": ("Viết tệp ánh xạ cột (xem Nhập nhật ký), rồi thêm --mapping.",
                             "Write a column mapping (see Importing logs) and add --mapping."),
    "error.bad_region": ("Dùng country, any, hoặc bốn số W,S,E,N (độ).",
                         "Use country, any, or four numbers W,S,E,N (degrees)."),
    "error.bad_date": ("Ghi ngày dạng 2025-10-01 hoặc 2025-10-01T08:30.",
                       "Write the date as 2025-10-01 or 2025-10-01T08:30."),
    "error.bad_value": ("Sửa giá trị của tuỳ chọn được nêu (xem phusong LỆNH --help).",
                        "Correct the value of the option named (see phusong COMMAND --help)."),
    "error.missing_option": ("Thêm tuỳ chọn được nêu (xem phusong LỆNH --help).",
                             "Add the option named (see phusong COMMAND --help)."),
    "error.is_directory": ("Ghi tên một tệp, không phải thư mục.", "Give a file name, not a folder."),
    "error.permission": ("Chọn một thư mục bạn có quyền ghi, hoặc đóng chương trình đang mở tệp "
                         "(Excel, QGIS).",
                         "Choose a folder you may write to, or close the program holding the file "
                         "(Excel, QGIS)."),
    "error.not_found": ("Kiểm tra đường dẫn và tên tệp.", "Check the path and the file name."),
    "error.os": ("Kiểm tra ổ đĩa, đường dẫn và quyền ghi.", "Check the disk, the path and permissions."),
    "error.interrupted": ("Không cần làm gì; chạy lại khi sẵn sàng.",
                          "Nothing to do; run again when ready."),
}
HEADERS = {"vi": ("Thông báo", "Cách xử lý"), "en": ("Message", "What to do")}
TITLES = {"vi": "# Khắc phục sự cố", "en": "# Troubleshooting"}
INTRO = {
    "vi": "Mỗi thông báo lỗi hoặc cảnh báo phusong có thể in ra, và cách xử lý. `…` là chỗ "
          "thông báo nêu tên tệp, giá trị hoặc địa điểm. Bảng được sinh từ chính danh mục "
          "thông báo của chương trình (`python tools/troubleshooting.py`).",
    "en": "Every error or warning phusong can print, and what to do. `…` stands where the "
          "message names a file, value or place. The table is generated from the program's "
          "own message catalogues (`python tools/troubleshooting.py`).",
}
NOT_MESSAGES = {"report values (figures' descriptions, not errors)"}
SECTION_NAMES = {
    "estimate": ("Ước tính", "Estimate"), "boundaries": ("Ranh giới", "Boundaries"),
    "declarations and CSV inputs": ("Số liệu khai báo và tệp CSV", "Declarations and CSV inputs"),
    "estimate folders, rasters, outputs": ("Thư mục kết quả, ảnh raster", "Estimate folders, rasters"),
    "targets": ("Tệp mục tiêu", "Targets"), "outputs": ("Tệp kết quả", "Outputs"),
    "importers": ("Nhập nhật ký", "Importers"),
    "the readings store: writes refused": ("Kho số liệu: không ghi được", "The store: writes refused"),
    "devices": ("Thiết bị (modem, GPS)", "Devices (modem, GPS)"),
    "speed tests": ("Đo tốc độ", "Speed tests"),
    "the readings store and its records": ("Kho số liệu và các bản ghi", "The store and its records"),
    "probe configuration": ("Cấu hình đầu đo", "Probe configuration"),
}
SECTION_TITLES = {"command line": ("Dòng lệnh và kiểm tra đầu đo", "Command line and probe checks")}


def _shown(template: str) -> str:
    text = re.sub(r"\{[^}]*\}", "…", template)
    return text.replace("|", "\\|").replace("\n", " ")


def _remedy(text: str) -> str | None:
    match = REMEDY.search(text)
    if not match:
        return None
    remedy = match.group(1)
    return remedy[:-1] if remedy.count(")") > remedy.count("(") else remedy


def sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalogue of phusong.messages in its commented sections, in order."""
    import ast

    source = (ROOT / "phusong" / "messages.py").read_text(encoding="utf-8")
    marks = [(number, m.group(1)) for number, line in enumerate(source.splitlines(), 1)
             if (m := re.match(r"^    # (.+)$", line))]
    catalogue = next(node.value for node in ast.parse(source).body
                     if isinstance(node, ast.AnnAssign) and node.target.id == "VIETNAMESE")
    order: dict[str, list[tuple[str, str]]] = {}
    for element in catalogue.elts:
        english, vietnamese = ast.literal_eval(element)
        name = next((n for line, n in reversed(marks) if line < element.lineno), marks[0][1])
        if (english, vietnamese) not in order.setdefault(name, []):
            order[name].append((english, vietnamese))
    return list(order.items())


def cli_rows() -> list[tuple[str, str]]:
    from phusong.i18n import MESSAGES

    return [(*MESSAGES[key], key) for key in MESSAGES
            if key.startswith("error.") and key != "error.prefix"
            or key.startswith("check.") and not key.endswith("_ok")]


def page(lang: str) -> str:
    i = 0 if lang == "vi" else 1
    lines = [TITLES[lang], "", INTRO[lang], ""]

    def table(title: str, rows: list[tuple[str, str]], advice: str) -> None:
        lines.extend([f"## {title}", "", f"| {HEADERS[lang][0]} | {HEADERS[lang][1]} |",
                      "|---|---|"])
        for row in rows:
            text = row[i]
            own = CLI_ADVICE.get(row[2])[i] if len(row) > 2 and row[2] in CLI_ADVICE else None
            lines.append(f"| {_shown(text)} | {_shown(own or _remedy(text) or advice)} |")
        lines.append("")

    table(SECTION_TITLES["command line"][i], cli_rows(), SECTION_ADVICE["command line"][i])
    for name, rows in sections():
        if name in NOT_MESSAGES:
            continue
        vi_rows = [(vi, en) for en, vi in rows]
        table(SECTION_NAMES.get(name, (name, name))[i], vi_rows, SECTION_ADVICE.get(
            name, SECTION_ADVICE["estimate"])[i])
    return "\n".join(lines)


def main() -> None:
    for lang in ("vi", "en"):
        path = ROOT / "docs" / lang / "troubleshooting.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(lang), encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
