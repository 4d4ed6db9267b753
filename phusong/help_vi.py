"""Vietnamese for the CLI's help: each command's and option's English help text, and the
strings Typer and Click print around them. :mod:`phusong.cli.language` applies it when the
language is Vietnamese. A help text missing here is shown in English, and
``tests/test_cli_help.py`` fails: add it."""
from __future__ import annotations

HELP_VI: dict[str, str] = {
    # the program and its global options
    "phusong: measure mobile and broadband coverage, report per-commune targets.":
        "phusong: đo vùng phủ sóng di động và băng rộng, báo cáo chỉ tiêu theo xã/phường.",
    "vi (default) or en; or set PHUSONG_LANG.":
        "vi (mặc định) hoặc en; hoặc đặt biến PHUSONG_LANG.",
    "Print the version and exit.": "In phiên bản rồi thoát.",
    "Show this message and exit.": "In hướng dẫn này rồi thoát.",
    # simulate
    "Simulate a synthetic measurement campaign with known ground truth.":
        "Mô phỏng một đợt đo tổng hợp, biết trước giá trị thực.",
    "Folder for campaign.gpkg and truth/.": "Thư mục chứa campaign.gpkg và truth/.",
    "Random seed (same seed, same campaign).":
        "Hạt giống ngẫu nhiên (cùng hạt giống, cùng đợt đo).",
    "Number of signal readings.": "Số điểm đo tín hiệu.",
    "What the estimator does not model: default, roads (drives along a road network), "
    "sectorised (three sectors per site), traffic (NR added only with traffic), hysteresis, "
    "device-offsets (3 dB per probe), or misspecified (all but sectors, plus 6 dB car loss: "
    "estimate it with --vehicle-loss-db 6).":
        "Điều mà bộ ước tính không mô hình hoá: default (mặc định), roads (đo dọc mạng lưới "
        "đường), sectorised (ba sector mỗi trạm), traffic (NR chỉ được thêm khi có lưu lượng), "
        "hysteresis (trễ), device-offsets (lệch 3 dB mỗi đầu đo), hoặc misspecified (tất cả "
        "trừ sector, thêm suy hao xe 6 dB: ước tính với --vehicle-loss-db 6).",
    "Replace an output folder that holds other files.":
        "Thay thế thư mục kết quả đang chứa các tệp khác.",
    # estimate
    "Estimate per-commune 5G coverage and gigabit availability from a readings store.":
        "Ước tính vùng phủ 5G và khả năng cung cấp băng rộng gigabit theo xã/phường từ kho số "
        "liệu đo.",
    "Readings store (.gpkg).": "Kho số liệu đo (.gpkg).",
    "Output folder.": "Thư mục kết quả.",
    "Boundary file (GeoPackage, GeoJSON, Shapefile…); the shipped 2025 Bắc Ninh communes by "
    "default.":
        "Tệp ranh giới (GeoPackage, GeoJSON, Shapefile…); mặc định là các xã/phường Bắc Ninh "
        "năm 2025 đi kèm chương trình.",
    "Field with each unit's code.": "Trường chứa mã của mỗi đơn vị.",
    "Field with each unit's name.": "Trường chứa tên của mỗi đơn vị.",
    "Field with each unit's population (default: population).":
        "Trường chứa dân số của mỗi đơn vị (mặc định: population).",
    "Text encoding of the boundary file's attributes when it does not declare one (e.g. "
    "cp1258 for an old Vietnamese shapefile without .cpg).":
        "Bảng mã ký tự của thuộc tính trong tệp ranh giới khi tệp không khai báo (ví dụ "
        "cp1258 cho shapefile tiếng Việt cũ không có tệp .cpg).",
    "Grid cell size in metres (5–5000).": "Kích thước ô lưới, mét (5–5000).",
    "NR SS-RSRP coverage threshold, −156…−31 dBm (default: the targets file's).":
        "Ngưỡng phủ sóng NR SS-RSRP, −156…−31 dBm (mặc định: theo tệp chỉ tiêu).",
    "Targets TOML (default: Plan 182-KH/TU).":
        "Tệp chỉ tiêu TOML (mặc định: Kế hoạch 182-KH/TU).",
    "Fixed-broadband availability declarations CSV (schema: phusong.coverage.gigabit).":
        "Tệp CSV khai báo khả năng cung cấp băng rộng cố định (cấu trúc: "
        "phusong.coverage.gigabit).",
    "Population-count raster (GeoTIFF, any CRS); default: uniform within each commune.":
        "Ảnh raster số dân (GeoTIFF, hệ toạ độ bất kỳ); mặc định: phân bố đều trong mỗi xã.",
    "Operators' base-station list CSV (operator, technology, lon, lat; NR rows are the 5G "
    "sites): the model then stands for every cell. (--sites: the former name.)":
        "Tệp CSV danh sách trạm gốc của nhà mạng (operator, technology, lon, lat; các dòng NR "
        "là trạm 5G): khi có, mô hình đại diện cho mọi ô lưới. (--sites: tên cũ.)",
    "CRS of the coordinates in the --site-list and --declarations CSVs when not WGS 84 "
    "longitude/latitude, e.g. EPSG:9214 (VN-2000 / TM-3 107-00).":
        "Hệ toạ độ của các toạ độ trong tệp CSV --site-list và --declarations khi không phải "
        "kinh độ/vĩ độ WGS 84, ví dụ EPSG:9214 (VN-2000 / TM-3 107-00).",
    "Use readings taken from this date or time (YYYY-MM-DD[THH:MM], Vietnam time unless an "
    "offset is given).":
        "Dùng các điểm đo từ ngày hoặc giờ này (YYYY-MM-DD[THH:MM], giờ Việt Nam nếu không "
        "ghi độ lệch).",
    "Use readings taken before this date or time.":
        "Dùng các điểm đo trước ngày hoặc giờ này.",
    "Leave out readings whose stated position error exceeds this (metres).":
        "Bỏ các điểm đo có sai số vị trí ghi nhận lớn hơn giá trị này (mét).",
    "Interpolator: pathloss (default), kriging, idw, gp, pykrige, or auto (best by "
    "spatial-block cross-validation).":
        "Phương pháp nội suy: pathloss (mặc định), kriging, idw, gp, pykrige, hoặc auto (tốt "
        "nhất theo kiểm định chéo khối không gian).",
    "nr (5G, the targets' figure) or lte (4G coverage).":
        "nr (5G, số liệu của chỉ tiêu) hoặc lte (vùng phủ 4G).",
    "Penetration loss of the vehicle the readings were taken in (0 with a roof antenna; "
    "about 9 dB for a phone or modem inside a car), added back to every reading.":
        "Suy hao xuyên qua xe khi đo (0 với ăng-ten trên nóc; khoảng 9 dB với điện thoại "
        "hoặc modem trong xe), được cộng trả lại cho mọi điểm đo.",
    "Where the boundaries and readings lie: country (Vietnam, default), any, or W,S,E,N in "
    "degrees.":
        "Vùng của ranh giới và điểm đo: country (Việt Nam, mặc định), any (bất kỳ), hoặc "
        "W,S,E,N tính bằng độ.",
    "Metric CRS to compute in (default: EPSG:9214 in Vietnam, the UTM zone of the data "
    "elsewhere).":
        "Hệ toạ độ mét dùng để tính (mặc định: EPSG:9214 ở Việt Nam, múi UTM của số liệu ở "
        "nơi khác).",
    "Without --site-list: locate the serving sites from the readings' cell ids and fit a "
    "path-loss trend from them (off by default: on real drives it predicted held-out drives "
    "worse).":
        "Khi không có --site-list: định vị các trạm phục vụ từ mã ô của điểm đo và khớp xu "
        "hướng suy hao đường truyền từ đó (tắt mặc định: trên số liệu đo thực tế, cách này "
        "dự báo các tuyến đo kiểm tra kém hơn).",
    "With --locate-sites: also model the sites no reading names (off by default: on real "
    "drives it claimed coverage the held-out drives did not find).":
        "Cùng --locate-sites: mô hình hoá cả các trạm không điểm đo nào nêu tên (tắt mặc "
        "định: trên số liệu đo thực tế, cách này báo có sóng ở nơi các tuyến đo kiểm tra "
        "không thấy).",
    # evaluate
    "Spatial-block cross-validation of the interpolators; names the best.":
        "Kiểm định chéo theo khối không gian các phương pháp nội suy; nêu phương pháp tốt "
        "nhất.",
    "Side of the held-out squares in metres.": "Cạnh của các ô vuông để kiểm tra, mét.",
    "Comma-separated: pathloss, kriging, idw, gp, pykrige.":
        "Phân cách bằng dấu phẩy: pathloss, kriging, idw, gp, pykrige.",
    "Number of folds.": "Số lượt kiểm định.",
    "Calibrate the default inside every fold, as estimate does (slower), instead of learning each fold's calibration from the other folds' held-out readings.":
        "Hiệu chỉnh phương pháp mặc định bên trong từng lượt, như lệnh estimate (chậm hơn), thay vì học hiệu chỉnh của mỗi lượt từ các số đo để riêng của các lượt khác.",
    "Coverage threshold for the covered/not-covered call.":
        "Ngưỡng phủ sóng để kết luận có sóng/không có sóng.",
    "Old name of --work-crs.": "Tên cũ của --work-crs.",
    "Also write the scores as JSON.": "Ghi thêm kết quả dạng JSON.",
    "Operators' base-station list CSV (operator, technology, lon, lat), given to the methods "
    "that take one. (--sites: the former name.)":
        "Tệp CSV danh sách trạm gốc của nhà mạng (operator, technology, lon, lat), dùng cho "
        "các phương pháp nhận danh sách này. (--sites: tên cũ.)",
    "nr (5G) or lte (4G).": "nr (5G) hoặc lte (4G).",
    # reaggregate
    "Summarise an estimate over another boundary set, with the same evidence rules,\n"
    "intervals and statuses.":
        "Tổng hợp một kết quả ước tính theo bộ ranh giới khác, với cùng quy tắc về số liệu, "
        "khoảng tin cậy và trạng thái.",
    "Folder written by phusong estimate.": "Thư mục do phusong estimate tạo ra.",
    "CSV file to write.": "Tệp CSV sẽ ghi.",
    "Replace an existing file this command did not write (never a readings store).":
        "Thay thế một tệp có sẵn không do lệnh này tạo ra (không bao giờ thay kho số liệu).",
    # demo
    "Simulate a campaign on the shipped province, estimate, map and report.":
        "Mô phỏng một đợt đo trên tỉnh đi kèm, rồi ước tính, vẽ bản đồ và lập báo cáo.",
    "Random seed of the simulated campaign.": "Hạt giống ngẫu nhiên của đợt đo mô phỏng.",
    "Number of simulated readings.": "Số điểm đo mô phỏng.",
    "Use the operators' simulated site list (sites_declared.csv), or locate the cells from "
    "the readings alone.":
        "Dùng danh sách trạm mô phỏng của nhà mạng (sites_declared.csv), hoặc chỉ định vị ô "
        "từ các điểm đo.",
    # map and report
    "Draw the coverage and gap map of an estimate.":
        "Vẽ bản đồ vùng phủ và vùng thiếu hụt của một kết quả ước tính.",
    "HTML file to write.": "Tệp HTML sẽ ghi.",
    "Readings store whose measurements and failed speed tests are drawn as layers.":
        "Kho số liệu có các điểm đo và các lần đo tốc độ thất bại được vẽ thành lớp bản đồ.",
    "The province's report against its targets (Excel, HTML printable on A4, CSV).":
        "Báo cáo của tỉnh so với chỉ tiêu (Excel, HTML in được khổ A4, CSV).",
    "Folder for the report files.": "Thư mục chứa các tệp báo cáo.",
    "Comma-separated: xlsx, html, csv.": "Phân cách bằng dấu phẩy: xlsx, html, csv.",
    # import, merge, export
    "Import measurement files into a store: each row a reading or quarantined with its\n"
    "reason; importing a file again adds nothing.":
        "Nhập tệp số liệu đo vào kho: mỗi dòng thành một điểm đo hoặc bị cách ly kèm lý do; "
        "nhập lại một tệp không thêm gì.",
    "gnettrack, networksurvey, speedtest-cli, ookla, murakami, iperf3, table or "
    "declarations.":
        "gnettrack, networksurvey, speedtest-cli, ookla, murakami, iperf3, table hoặc "
        "declarations.",
    "Files to import.": "Các tệp cần nhập.",
    "Readings store (.gpkg), created if needed.": "Kho số liệu đo (.gpkg), tạo mới nếu cần.",
    "Mapping file (TOML) for import table (schema: phusong.probes.table).":
        "Tệp ánh xạ cột (TOML) cho import table (cấu trúc: phusong.probes.table).",
    "Any refused row is an error that rolls back its whole file.":
        "Một dòng bị từ chối là lỗi, huỷ việc nhập cả tệp đó.",
    "Time zone of times written without one (default Asia/Ho_Chi_Minh).":
        "Múi giờ của các thời điểm ghi không kèm múi giờ (mặc định Asia/Ho_Chi_Minh).",
    "Name of the phone, app or probe the files come from.":
        "Tên điện thoại, ứng dụng hoặc đầu đo tạo ra các tệp.",
    "Operator of the readings whose files name none (a log without an operator column): "
    "MCC-MNC (452-04) or a name (Viettel).":
        "Nhà mạng của các kết quả đo mà tệp không ghi (nhật ký không có cột nhà mạng): mã "
        "MCC-MNC (452-04) hoặc tên (Viettel).",
    "The phone or modem is 5G-capable (its LTE rows with data active then say 5G was not "
    "there), or 4G-only; by default a G-NetTrack file is taken as from a 5G device when it "
    "holds a 5G row.":
        "Điện thoại hoặc modem hỗ trợ 5G (khi đó các dòng LTE lúc đang truyền dữ liệu cho biết "
        "không có 5G ở đó), hoặc chỉ 4G; mặc định một tệp G-NetTrack được coi là của thiết bị "
        "5G khi có ít nhất một dòng 5G.",
    "Where positions are valid: country (Vietnam, default), any, or W,S,E,N in degrees.":
        "Vùng có vị trí hợp lệ: country (Việt Nam, mặc định), any (bất kỳ), hoặc W,S,E,N "
        "tính bằng độ.",
    "Flag readings outside these units (kept, flagged outside_boundaries); the shipped "
    "communes with --flag-outside.":
        "Đánh dấu các điểm đo nằm ngoài các đơn vị này (vẫn giữ, đánh dấu "
        "outside_boundaries); với các xã đi kèm thì dùng --flag-outside.",
    "Flag readings outside the shipped 2025 communes.":
        "Đánh dấu các điểm đo nằm ngoài các xã/phường năm 2025 đi kèm.",
    "Merge stores into one; merging again adds nothing.":
        "Gộp các kho thành một; gộp lại lần nữa không thêm gì.",
    "Stores to merge (one per laptop).": "Các kho cần gộp (mỗi máy một kho).",
    "Store to merge into (created if needed).": "Kho đích để gộp vào (tạo mới nếu cần).",
    "Export a store with its column dictionary (COLUMNS.md).":
        "Xuất một kho kèm từ điển cột (COLUMNS.md).",
    "gpkg, csv or parquet (GeoParquet).": "gpkg, csv hoặc parquet (GeoParquet).",
    "File (gpkg) or folder (csv, parquet); beside the store by default.":
        "Tệp (gpkg) hoặc thư mục (csv, parquet); mặc định đặt cạnh kho.",
    # probe
    "Field probes: speed tests, signal readings, unattended runs.":
        "Đầu đo hiện trường: đo tốc độ, đo tín hiệu, đo tự động.",
    "Run one speed test (or record one failed attempt) and append it to the store.":
        "Đo tốc độ một lần (hoặc ghi một lần đo thất bại) và thêm vào kho.",
    "A self-hosted legacy speedtest server (URL of its upload.php or root).":
        "Máy chủ speedtest tự vận hành theo giao thức cũ (địa chỉ upload.php hoặc gốc của "
        "máy chủ).",
    "A speedtest.net server id.": "Mã máy chủ speedtest.net.",
    "Verify a line with iperf3 against HOST[:PORT] (download, -R) instead of speedtest-cli.":
        "Kiểm tra đường truyền bằng iperf3 với HOST[:PORT] (tải xuống, -R) thay cho "
        "speedtest-cli.",
    "The line's subscribed download rate, Mbit/s.":
        "Tốc độ tải xuống theo gói cước của đường truyền, Mbit/s.",
    "Also store the client's IP address (personal data).":
        "Lưu cả địa chỉ IP của máy đo (dữ liệu cá nhân).",
    "Latitude of a fixed site (WGS 84).": "Vĩ độ của điểm đo cố định (WGS 84).",
    "Longitude of a fixed site (WGS 84).": "Kinh độ của điểm đo cố định (WGS 84).",
    "Site id in the --sites file.": "Mã điểm đo trong tệp --sites.",
    "Sites CSV (id, lat, lon) for --site.": "Tệp CSV các điểm đo (id, lat, lon) cho --site.",
    "gpsd as HOST:PORT (e.g. 127.0.0.1:2947).": "gpsd dạng HOST:PORT (ví dụ 127.0.0.1:2947).",
    "NMEA file, or a serial GNSS device (COM4, /dev/ttyACM0).":
        "Tệp NMEA, hoặc thiết bị GNSS qua cổng nối tiếp (COM4, /dev/ttyACM0).",
    "Position from the modem's own GNSS (ModemManager, Linux).":
        "Lấy vị trí từ GNSS của chính modem (ModemManager, Linux).",
    "Probe configuration (TOML; see phusong.probes.probe.ProbeConfig).":
        "Tệp cấu hình đầu đo (TOML; xem phusong.probes.probe.ProbeConfig).",
    "Name of this probe (default: the config's, else 'probe').":
        "Tên đầu đo này (mặc định: theo tệp cấu hình, nếu không có thì 'probe').",
    "Take one signal reading (from a live modem or a saved answer) into the store.":
        "Đo tín hiệu một lần (từ modem đang cắm hoặc câu trả lời đã lưu) và ghi vào kho.",
    "Saved output of mmcli --signal-get -J.": "Kết quả đã lưu của mmcli --signal-get -J.",
    "Saved output of mmcli -m any -J (operator, technology).":
        "Kết quả đã lưu của mmcli -m any -J (nhà mạng, công nghệ).",
    "Saved answers of a Quectel modem (AT+QENG…); one reading per servingcell answer.":
        "Các câu trả lời đã lưu của modem Quectel (AT+QENG…); mỗi câu trả lời servingcell "
        "là một điểm đo.",
    "Live modem: mmcli or serial:PORT (default: the config's, else ModemManager on Linux or "
    "a USB modem's AT port).":
        "Modem đang cắm: mmcli hoặc serial:CỔNG (mặc định: theo tệp cấu hình, nếu không có "
        "thì ModemManager trên Linux hoặc cổng AT của modem USB).",
    "Measure unattended: signal at its interval, speed tests on their schedule beside it;\n"
    "device faults are logged (STORE.probe.log) and retried while the run goes on.":
        "Đo tự động: ghi tín hiệu theo chu kỳ, đo tốc độ theo lịch song song; lỗi thiết bị "
        "được ghi lại (KHO.probe.log) và thử lại trong khi vẫn tiếp tục đo.",
    "Readings store (.gpkg); a run resumes into it.":
        "Kho số liệu đo (.gpkg); lần chạy sau ghi tiếp vào kho.",
    "Probe configuration (TOML).": "Tệp cấu hình đầu đo (TOML).",
    "Stop after this many seconds (default: until Ctrl-C).":
        "Dừng sau từng này giây (mặc định: tới khi bấm Ctrl-C).",
    "The day in figures: readings, tests, failures by reason, distance and hours.":
        "Một ngày đo qua các con số: điểm đo, phép đo tốc độ, lỗi theo lý do, quãng đường và "
        "số giờ.",
    "Write a commented probe configuration for this laptop (its modem, GPS and interfaces).":
        "Viết tệp cấu hình đầu đo có chú thích cho máy này (modem, GPS và giao diện mạng).",
    "Configuration file to write.": "Tệp cấu hình sẽ ghi.",
    "Name of this probe.": "Tên đầu đo này.",
    "Replace a file this command did not write.":
        "Thay thế một tệp không do lệnh này tạo ra.",
    "Say, in plain words, what the probe found (modem, GPS, network, disk) and what to fix.":
        "Cho biết bằng lời dễ hiểu đầu đo tìm thấy gì (modem, GPS, mạng, ổ đĩa) và cần sửa "
        "gì.",
    # store
    "Readings stores: a safe copy, a check, a repair.":
        "Kho số liệu đo: chép an toàn, kiểm tra, sửa chữa.",
    "Copy a store consistently, even while a probe writes to it (for a USB stick).":
        "Chép kho một cách nhất quán, kể cả khi đầu đo đang ghi (để chép vào USB).",
    "New file for the copy.": "Tệp mới cho bản chép.",
    "Check a store in full (SQLite's integrity check); exit 1 when it is damaged.":
        "Kiểm tra toàn bộ kho (kiểm tra toàn vẹn của SQLite); thoát với mã 1 khi kho bị hỏng.",
    "Copy every row SQLite can still read into a new store; the rest is quarantined.":
        "Chép mọi dòng SQLite còn đọc được sang kho mới; phần còn lại được cách ly.",
    "Damaged readings store (.gpkg).": "Kho số liệu đo bị hỏng (.gpkg).",
    "New store for what can be recovered.": "Kho mới cho phần khôi phục được.",
    # serve, probe sync
    "The collection server: probes send their readings, planners read the latest estimate.":
        "Máy chủ thu thập: các đầu đo gửi số liệu đo, cán bộ quy hoạch xem kết quả ước tính "
        "mới nhất.",
    "Central readings store (.gpkg), created if needed.":
        "Kho số liệu trung tâm (.gpkg), tạo mới nếu cần.",
    "Central readings store (.gpkg).": "Kho số liệu trung tâm (.gpkg).",
    "Address to listen on (behind a TLS reverse proxy).":
        "Địa chỉ lắng nghe (đặt sau một reverse proxy có TLS).",
    "Port to listen on.": "Cổng lắng nghe.",
    "postgresql://… : store the readings in PostgreSQL/PostGIS (many writers); --store then "
    "names the tokens file.":
        "postgresql://… : lưu số liệu vào PostgreSQL/PostGIS (nhiều nơi ghi cùng lúc); khi "
        "đó --store chỉ đặt tên cho tệp mã truy cập.",
    "Estimate folder served to planners.":
        "Thư mục kết quả ước tính cung cấp cho cán bộ quy hoạch.",
    "Tokens of the probes and planners.": "Mã truy cập của các đầu đo và cán bộ quy hoạch.",
    "Issue a token (its last line); only its hash is kept. A new token replaces the old.":
        "Cấp một mã truy cập (ở dòng cuối); chỉ lưu giá trị băm của mã. Mã mới thay mã cũ.",
    "The probe's id (or a planner's name with --planner).":
        "Mã của đầu đo (hoặc tên cán bộ quy hoạch, với --planner).",
    "A read-only token for a planner.": "Mã chỉ được đọc, cho cán bộ quy hoạch.",
    "Revoke a token: the server refuses it at once.":
        "Thu hồi một mã truy cập: máy chủ từ chối mã đó ngay lập tức.",
    "The probe's id (or a planner's name).": "Mã của đầu đo (hoặc tên cán bộ quy hoạch).",
    "Send the readings the server has not acknowledged yet, each exactly once.":
        "Gửi các điểm đo máy chủ chưa xác nhận, mỗi điểm đúng một lần.",
    "Readings store (.gpkg) whose readings are sent (default: the configuration's store).":
        "Kho số liệu đo (.gpkg) cần gửi (mặc định: kho ghi trong tệp cấu hình).",
    "Probe configuration (TOML) with a [server] section.":
        "Tệp cấu hình đầu đo (TOML) có mục [server].",
    "Give up after this many seconds without the server (the readings wait for the next "
    "sync).":
        "Dừng sau từng này giây không kết nối được máy chủ (các điểm đo chờ lần gửi sau).",
}

# Typer's and Click's own words around the help texts.
FRAME_VI = {
    "ARGUMENTS_PANEL_TITLE": "Đối số",
    "OPTIONS_PANEL_TITLE": "Tuỳ chọn",
    "COMMANDS_PANEL_TITLE": "Lệnh",
    "ERRORS_PANEL_TITLE": "Lỗi",
    "DEFAULT_STRING": "[mặc định: {}]",
    "REQUIRED_LONG_STRING": "[bắt buộc]",
    "ENVVAR_STRING": "[biến môi trường: {}]",
    "DEPRECATED_STRING": "(không dùng nữa) ",
    "ABORTED_TEXT": "Đã dừng.",
}
USAGE_VI = "Cách dùng: "
OPTIONS_METAVAR_VI = "[TUỲ CHỌN]"
SUBCOMMAND_METAVAR_VI = "LỆNH [ĐỐI SỐ]..."
METAVARS_VI = {"STORE": "KHO", "STORE...": "KHO...", "FILE...": "TỆP...", "FORMAT": "ĐỊNH_DẠNG",
               "SRC": "NGUỒN", "DST": "ĐÍCH", "PROBE_ID": "MÃ_ĐẦU_ĐO"}
