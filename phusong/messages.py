"""Vietnamese for the details of errors and warnings.

Errors are raised with English text built from a template; this catalogue maps each
template (its ``{…}`` fields in order) to its Vietnamese form, as gettext maps a
message id to its translation. :func:`phusong.i18n.localise` applies it when the
message reaches the user. A template missing here is shown in English: add it.
"""
from __future__ import annotations

VIETNAMESE: tuple[tuple[str, str], ...] = (
    # estimate
    ("vehicle loss {a} dB is outside 0–30 dB", "suy hao do xe {a} dB nằm ngoài khoảng 0–30 dB"),
    ("no site list: the communes' shares rest on the cells near the measured roads, and sites "
     "that no reading names are not modelled (on simulated campaigns the province figure came "
     "out between 4 points below the truth and 2 above); give the operators' site list with "
     "--site-list",
     "không có danh sách trạm: tỷ lệ phủ sóng của các xã dựa trên các ô gần những tuyến đường "
     "đã đo, và các trạm không xuất hiện trong số liệu đo không được mô hình hoá (trên các đợt "
     "đo mô phỏng, số liệu toàn tỉnh thấp hơn thực tế tới 4 điểm phần trăm hoặc cao hơn tới 2 "
     "điểm); hãy cung cấp danh sách trạm của các nhà mạng bằng --site-list"),
    # boundaries
    ("boundary file not found: {a}", "không tìm thấy tệp ranh giới: {a}"),
    ("{a}: {b} names look wrongly decoded (e.g. {c}): give the file's encoding with --encoding "
     "(cp1258 for old Vietnamese shapefiles, or add a .cpg file)",
     "{a}: {b} tên có vẻ bị giải mã sai bảng mã (ví dụ {c}): hãy chỉ rõ bảng mã của tệp bằng "
     "--encoding (cp1258 với shapefile tiếng Việt cũ, hoặc thêm tệp .cpg)"),
    ("{a}: units overlap: {b}: each place must belong to one unit",
     "{a}: các đơn vị chồng lấn nhau: {b}: mỗi nơi chỉ được thuộc một đơn vị"),
    ("{a}: negative population for {b}", "{a}: dân số âm ở {b}"),
    ("{a}: population {b} of {c} is not a number", "{a}: dân số {b} của {c} không phải là số"),
    ("{a} has no field {b} (given by {c}); its fields are: {d}",
     "{a} không có trường {b} (chỉ định bởi {c}); các trường của tệp là: {d}"),
    ("{a} extends to lon {b}…{c}, lat {d}…{e}, outside Vietnam: is its CRS declared correctly? "
     "(boundaries abroad: --region any)",
     "{a} trải tới kinh độ {b}…{c}, vĩ độ {d}…{e}, ngoài lãnh thổ Việt Nam: hệ toạ độ (CRS) "
     "của tệp có khai báo đúng không? (ranh giới ở nước ngoài: --region any)"),
    ("{a} extends to lon {b}…{c}, lat {d}…{e}, outside the region {f}: is its CRS declared "
     "correctly? (boundaries abroad: --region any)",
     "{a} trải tới kinh độ {b}…{c}, vĩ độ {d}…{e}, ngoài vùng {f}: hệ toạ độ (CRS) của tệp có "
     "khai báo đúng không? (ranh giới ở nước ngoài: --region any)"),
    ("{a} readings name no operator and could not be given one: they are modelled as a "
     "separate network 'unknown'; set the operator on import (--operator, or --mapping for a "
     "table) if they belong to one",
     "{a} kết quả đo không ghi nhà mạng và không thể gán nhà mạng: chúng được mô hình hoá như "
     "một mạng riêng 'unknown'; hãy đặt nhà mạng khi nhập (--operator, hoặc --mapping với "
     "tệp bảng) nếu chúng thuộc một nhà mạng"),
    ("no readings of operator {a}; the store holds {b}",
     "không có kết quả đo nào của nhà mạng {a}; kho dữ liệu có {b}"),
    ("{a} holds no features", "{a} không có đối tượng nào"),
    ("{a} declares no CRS; add one (e.g. a .prj file) or convert it to GeoPackage",
     "{a} không khai báo hệ toạ độ (CRS); hãy thêm (ví dụ tệp .prj) hoặc chuyển sang GeoPackage"),
    ("{a}: some units have no {b}", "{a}: một số đơn vị không có {b}"),
    ("{a}: {b} repeats for {c}", "{a}: {b} bị trùng ở {c}"),
    ("{a}: units without a polygon: {b}", "{a}: đơn vị không có vùng ranh giới: {b}"),
    ("unknown encoding {a}", "bảng mã không xác định {a}"),
    ("cannot read boundary file {a}: {b}", "không đọc được tệp ranh giới {a}: {b}"),
    ("{a}: the polygon of unit {b} is invalid ({c}) and was repaired; its area changed by {d} %",
     "{a}: vùng ranh giới của đơn vị {b} không hợp lệ ({c}) và đã được sửa; diện tích thay "
     "đổi {d} %"),
    ("{a}: {b} pairs of units overlap slightly ({c} km² in all; the most, {d} and {e}, by {f} % "
     "of the smaller): readings there count for one of them",
     "{a}: {b} cặp đơn vị chồng lấn nhẹ (tổng {c} km²; nhiều nhất là {d} và {e}, {f} % diện "
     "tích đơn vị nhỏ hơn): điểm đo ở đó chỉ được tính cho một đơn vị"),
    ("{a}: {b} gaps between units ({c} km² in all; the largest near x={d}, y={e} in {f}) "
     "belong to no unit",
     "{a}: {b} khoảng hở giữa các đơn vị (tổng {c} km²; lớn nhất gần x={d}, y={e} theo {f}) "
     "không thuộc đơn vị nào"),
    ("{a}: no population for {b}", "{a}: không có dân số của {b}"),
    ("{a} has no population field {b}: figures by population and the province figure are not "
     "available (give --population-field)",
     "{a} không có trường dân số {b}: không tính được chỉ tiêu theo dân số và số liệu toàn "
     "tỉnh (dùng --population-field)"),
    # estimate
    ("threshold {a} dBm is outside the RSRP reporting range {b}…{c} dBm",
     "ngưỡng {a} dBm nằm ngoài dải báo cáo RSRP {b}…{c} dBm"),
    ("unknown technology {a}; choose nr or lte", "công nghệ không xác định {a}; chọn nr hoặc lte"),
    ("too few {a} readings to cross-validate", "quá ít điểm đo {a} để kiểm định chéo"),
    ("resolution {a} m is outside {b}…{c} m", "độ phân giải {a} m nằm ngoài khoảng {b}…{c} m"),
    ("a {a} m grid over these boundaries has {b} cells and needs about {c} GiB of memory; {d} "
     "GiB is free: choose a coarser resolution",
     "lưới {a} m trên vùng ranh giới này có {b} ô và cần khoảng {c} GiB bộ nhớ; chỉ còn {d} "
     "GiB: hãy chọn độ phân giải thô hơn"),
    ("--since {a} is not before --until {b}", "--since {a} không trước --until {b}"),
    ("{a}: no reading with a position is left by {b}",
     "{a}: không còn điểm đo nào có vị trí sau khi lọc theo {b}"),
    ("{a}: none of its {b} readings with a position tells whether 5G is present (NR readings, "
     "or readings from a 5G-capable device with data active; a 5G phone's log without a 5G "
     "row: import it with --device-5g)",
     "{a}: không điểm đo nào trong {b} điểm có vị trí cho biết có 5G hay không (cần điểm đo "
     "NR, hoặc điểm đo từ thiết bị hỗ trợ 5G đang truyền dữ liệu; nhật ký của điện thoại 5G "
     "không có dòng 5G nào: nhập với --device-5g)"),
    ("none of the {a} readings lies inside the boundaries: are these the right boundaries for "
     "this campaign?",
     "không điểm nào trong {a} điểm đo nằm trong ranh giới: ranh giới này có đúng cho đợt đo "
     "không?"),
    ("maximum position error {a} m must be > 0", "sai số vị trí tối đa {a} m phải > 0"),
    ("{a} of {b} readings lie outside every unit and count for none",
     "{a} trong {b} điểm đo nằm ngoài mọi đơn vị và không được tính"),
    ("site list, operator {a}: {b} sites heard in the readings are missing from it and {c} of "
     "its {d} NR sites were silent where routes passed: the list does not explain the "
     "readings; check its positions, CRS and date",
     "danh sách trạm, nhà mạng {a}: {b} trạm thu được trong kết quả đo không có trong danh "
     "sách và {c} trong {d} trạm NR của danh sách im lặng nơi xe đo đi qua: danh sách không "
     "giải thích được kết quả đo; hãy kiểm tra vị trí, hệ toạ độ và ngày cập nhật"),
    ("operator {a}: none of its {b} readings from active 5G-capable devices saw NR, so its 5G "
     "coverage is counted as 0 %",
     "nhà mạng {a}: không điểm nào trong {b} điểm đo từ thiết bị 5G đang truyền dữ liệu thấy "
     "NR, nên vùng phủ 5G của nhà mạng này được tính là 0 %"),
    ("operator {a}: its readings are too few or too close together to learn how far the "
     "estimate may be off; P(covered) takes a spread of at least {b} dB (the shadow fading of "
     "3GPP TR 38.901)",
     "nhà mạng {a}: các điểm đo quá ít hoặc quá gần nhau để biết ước lượng có thể sai lệch "
     "bao nhiêu; P(phủ sóng) dùng độ lệch chuẩn ít nhất {b} dB (mức che khuất theo 3GPP "
     "TR 38.901)"),
    ("too few NR readings to cross-validate", "quá ít điểm đo NR để kiểm định chéo"),
    ("unknown method {a}; choose from {b}", "phương pháp không xác định {a}; chọn một trong {b}"),
    ("unknown simulation variant {a}; choose from {b}",
     "biến thể mô phỏng không xác định {a}; chọn một trong {b}"),
    # declarations and CSV inputs
    ("{a} must be > 0, not {b}", "{a} phải > 0, không phải {b}"),
    ("operator is empty", "thiếu nhà mạng (operator)"),
    ("technology {a} is not one of {b}", "công nghệ {a} không thuộc {b}"),
    ("give either lon/lat or commune_code (exactly one)",
     "cần lon/lat hoặc commune_code (chỉ một trong hai)"),
    ("{a} lacks the column(s) {b}", "{a} thiếu cột {b}"),
    ("{a} has unknown column(s) {b}", "{a} có cột không xác định {b}"),
    ("{a} has {b} invalid row(s): {c}", "{a} có {b} dòng không hợp lệ: {c}"),
    ("{a} % of the declarations match no unit of the boundaries ({b}): are they for these "
     "boundaries, with the same commune codes?",
     "{a} % khai báo không khớp đơn vị nào của ranh giới ({b}): khai báo có dùng cùng bộ mã "
     "xã/phường với ranh giới không?"),
    ("{a} is not a number", "{a} không phải là số"),
    ("lon/lat ({a}, {b}) is outside Vietnam", "lon/lat ({a}, {b}) nằm ngoài Việt Nam"),
    ("households {a} is not an integer", "số hộ {a} không phải số nguyên"),
    ("households is required with commune_code", "cần số hộ (households) khi dùng commune_code"),
    ("declarations: {a} row(s) not counted ({b}), listed in declarations_quarantine.csv",
     "khai báo: {a} dòng không được tính ({b}), liệt kê trong declarations_quarantine.csv"),
    ("lon/lat ({a}, {b}) are not numbers", "lon/lat ({a}, {b}) không phải là số"),
    ("as_of {a} is not YYYY-MM-DD", "as_of {a} không có dạng YYYY-MM-DD"),
    ("declarations: {a} commune codes matched only after restoring their leading zeros",
     "khai báo: {a} mã xã/phường chỉ khớp sau khi bổ sung số 0 ở đầu"),
    ("unknown CRS {a}: give it as EPSG:NNNN", "hệ toạ độ không xác định {a}: ghi dạng EPSG:NNNN"),
    ("{a} is a folder, not a {b} CSV file", "{a} là thư mục, không phải tệp CSV {b}"),
    ("{a} has a header but no rows", "{a} chỉ có dòng tiêu đề, không có dữ liệu"),
    ("{a}: rows without a known operator (MCC-MNC or name) or a position in Vietnam at "
     "line(s) {b}",
     "{a}: các dòng không có nhà mạng hợp lệ (MCC-MNC hoặc tên) hoặc vị trí trong Việt Nam: "
     "dòng {b}"),
    ("{a} not found: {b}", "không tìm thấy {a}: {b}"),
    ("{a} is empty", "{a} rỗng"),
    ("{a} is not UTF-8: save it as CSV UTF-8", "{a} không dùng bảng mã UTF-8: hãy lưu dạng CSV UTF-8"),
    ("{a} is not a readable CSV: {b}", "{a} không đọc được như tệp CSV: {b}"),
    # estimate folders, rasters, outputs
    ("{a} is not a folder written by phusong estimate",
     "{a} không phải thư mục do phusong estimate tạo ra"),
    ("{a} holds no complete estimate (no .phusong-run marker): run phusong estimate again",
     "{a} không chứa kết quả ước tính hoàn chỉnh (thiếu tệp .phusong-run): hãy chạy lại "
     "phusong estimate"),
    ("{a} lacks {b}: run phusong estimate again", "{a} thiếu {b}: hãy chạy lại phusong estimate"),
    ("{a} mixes runs: {b}, the folder from run {c}: run phusong estimate again",
     "{a} trộn kết quả của nhiều lần chạy: {b}, còn thư mục thuộc lần chạy {c}: hãy chạy lại "
     "phusong estimate"),
    ("{a} is damaged: {b}", "{a} bị hỏng: {b}"),
    ("cannot read population raster {a}: {b}", "không đọc được raster dân số {a}: {b}"),
    ("{a} has no CRS", "{a} không có hệ toạ độ (CRS)"),
    ("{a} holds no value (every cell is nodata): it may be damaged or half-written",
     "{a} không có giá trị nào (mọi ô đều trống): tệp có thể bị hỏng hoặc ghi dở"),
    ("cannot read raster {a}: {b}", "không đọc được raster {a}: {b}"),
    ("{a} is not a north-up raster with square cells",
     "{a} không phải raster hướng bắc với ô vuông"),
    ("{a}: {b} and {c} are on different grids: run phusong estimate again",
     "{a}: {b} và {c} không cùng lưới: hãy chạy lại phusong estimate"),
    ("{a} already holds a campaign ({b}): a second one would mix with it while truth/ "
     "describes only the last",
     "{a} đã có một đợt đo ({b}): đợt thứ hai sẽ trộn lẫn trong khi truth/ chỉ mô tả đợt cuối"),
    ("{a} is a file, not a folder", "{a} là tệp, không phải thư mục"),
    ("{a} already holds other files: choose a new or empty folder, or add --force to replace it",
     "{a} đã có các tệp khác: hãy chọn thư mục mới hoặc trống, hoặc thêm --force để ghi đè"),
    ("{a} is a folder; give a file name", "{a} là thư mục; hãy cho tên tệp"),
    ("cannot write in {a}: permission denied", "không ghi được vào {a}: không có quyền"),
    # targets
    ("{a}.{b} is missing", "thiếu {a}.{b}"),
    ("{a}.{b} must be a number, not {c}", "{a}.{b} phải là số, không phải {c}"),
    ("{a}.{b} = {c} outside [{d}, {e}]", "{a}.{b} = {c} nằm ngoài [{d}, {e}]"),
    ("{a} is a folder, not a targets TOML file", "{a} là thư mục, không phải tệp chỉ tiêu TOML"),
    ("{a} needs [targets.coverage_5g] and [targets.gigabit_fixed]",
     "{a} cần có [targets.coverage_5g] và [targets.gigabit_fixed]"),
    ("targets.coverage_5g.basis must be one of {a}, not {b}",
     "targets.coverage_5g.basis phải là một trong {a}, không phải {b}"),
    ("targets file not found: {a}", "không tìm thấy tệp chỉ tiêu: {a}"),
    ("{a} is not UTF-8: save it as UTF-8", "{a} không dùng bảng mã UTF-8: hãy lưu dạng UTF-8"),
    ("{a} is not valid TOML: {b}", "{a} không phải TOML hợp lệ: {b}"),
    ("unknown language {a}; choose one of {b}", "ngôn ngữ không xác định {a}; chọn một trong {b}"),
    # outputs
    ("cannot replace {a}: it, or a file in it, is open in another program (Excel, QGIS…) or "
     "not yours to change; close it and run again (nothing was changed)",
     "không thay được {a}: tệp này, hoặc một tệp trong đó, đang mở trong chương trình khác "
     "(Excel, QGIS…) hoặc bạn không có quyền sửa; hãy đóng lại rồi chạy lại (chưa có gì bị "
     "thay đổi)"),
    ("{a} is a readings store: phusong never writes over one; give another file name",
     "{a} là một kho số liệu đo: phusong không bao giờ ghi đè lên kho số liệu; hãy chọn tên tệp "
     "khác"),
    ("{a} already exists and was not written by this command: give another file name, or add "
     "--force to replace it",
     "{a} đã tồn tại và không phải do lệnh này tạo ra: hãy chọn tên tệp khác, hoặc thêm --force "
     "để ghi đè"),
    # importers
    ("technology {a} is not known (2G/3G/4G/5G, GSM, UMTS, LTE, NR…)",
     "công nghệ {a} không xác định (2G/3G/4G/5G, GSM, UMTS, LTE, NR…)"),
    ("MCC {a} and MNC {b} are not an operator code", "MCC {a} và MNC {b} không phải mã nhà mạng"),
    ("operator {a} is neither MCC-MNC nor a known operator name",
     "nhà mạng {a} không phải mã MCC-MNC cũng không phải tên nhà mạng đã biết"),
    ("{a}: {b} rows are on 5G, yet the device was said to be 4G-only (--device-4g): is it the "
     "right file or device?",
     "{a}: {b} dòng ở mạng 5G, trong khi thiết bị được khai là chỉ 4G (--device-4g): tệp hoặc "
     "thiết bị có đúng không?"),
    ("this is not the JSON output of {a}: {b}", "đây không phải đầu ra JSON của {a}: {b}"),
    ("expected a JSON object, found {a}", "cần một đối tượng JSON, nhưng gặp {a}"),
    ("the last line has no line end: the file looks cut short (an interrupted copy or "
     "download); if that line is complete, add a line end and import the file again",
     "dòng cuối không có ký tự xuống dòng: tệp có vẻ bị cắt cụt (chép hoặc tải về bị ngắt); nếu "
     "dòng đó đầy đủ, hãy thêm ký tự xuống dòng rồi nhập lại tệp"),
    ("a speed test without any figure (download, upload or latency): a failed test says why in "
     "failure_reason",
     "phép đo tốc độ không có số liệu nào (tải xuống, tải lên hay độ trễ): phép đo lỗi phải nêu "
     "lý do trong failure_reason"),
    ("as_of {a} is in the future: a declaration is dated when it was made",
     "as_of {a} nằm ở tương lai: bản kê khai phải ghi ngày lập"),
    ("{a} is not JSON output (no document found after reading it {b} times over)",
     "{a} không phải kết quả JSON (đọc lại {b} lần vẫn không thấy tài liệu nào)"),
    ("{a} holds no JSON result: is it the right format?",
     "{a} không có kết quả JSON nào: có đúng định dạng không?"),
    ("{a} holds no iperf3 JSON (iperf3 -J): is it the right format?",
     "{a} không có JSON của iperf3 (iperf3 -J): có đúng định dạng không?"),
    ("{a} is damaged ({b}): it may be a copy made while a probe or an import was writing; copy "
     "stores with 'phusong store copy SRC DST' (safe while a probe writes), or recover what "
     "SQLite can with 'phusong store repair {c} --out NEW.gpkg'",
     "{a} bị hỏng ({b}): có thể đây là bản chép trong lúc máy đo hoặc lệnh nhập đang ghi; hãy "
     "chép kho bằng 'phusong store copy NGUỒN ĐÍCH' (an toàn cả khi máy đo đang ghi), hoặc khôi "
     "phục phần SQLite còn đọc được bằng 'phusong store repair {c} --out MỚI.gpkg'"),
    ("{a} has an unfinished write ({b}) in a read-only folder: copy both files to a writable "
     "folder and open them there",
     "{a} có một lần ghi dở dang ({b}) trong thư mục chỉ đọc: hãy chép cả hai tệp sang thư mục "
     "ghi được rồi mở ở đó"),
    ("{a} already exists: copy to a new file name", "{a} đã tồn tại: hãy chép sang tên tệp mới"),
    ("{a} already exists: repair into a new file name",
     "{a} đã tồn tại: hãy khôi phục vào tên tệp mới"),
    ("the copy of {a} is not sound ({b}); nothing was written",
     "bản chép của {a} không nguyên vẹn ({b}); không ghi gì cả"),
    ("{a} is the store being merged into: merge other stores into it, or choose another --into",
     "{a} chính là kho đang được gộp vào: hãy gộp các kho khác vào nó, hoặc chọn --into khác"),
    ("{a}: source.gnb_id_bits must be a whole number from 22 to 32, not {b}",
     "{a}: source.gnb_id_bits phải là số nguyên từ 22 đến 32, không phải {b}"),
    ("the disk holding {a} is full: nothing was written; free some space and run again",
     "ổ đĩa chứa {a} đã đầy: không ghi gì cả; hãy giải phóng dung lượng rồi chạy lại"),
    # the readings store: writes refused
    ("the disk holding {a} is full: nothing of this write was stored; free some space and run "
     "again",
     "ổ đĩa chứa {a} đã đầy: lần ghi này không lưu được gì; hãy giải phóng dung lượng rồi chạy lại"),
    ("{a} is read-only: copy it to a writable folder, or give another --store",
     "{a} chỉ cho phép đọc: hãy chép nó sang một thư mục ghi được, hoặc chỉ định --store khác"),
    ("{a} is being written by another program: wait for it to finish and run again",
     "{a} đang được một chương trình khác ghi: hãy chờ chương trình đó xong rồi chạy lại"),
    ("cannot write to {a}: {b}", "không ghi được vào {a}: {b}"),
    # devices
    ("serial port {a} is not available ({b})", "cổng nối tiếp {a} không sẵn sàng ({b})"),
    ("modem port {a} failed ({b})", "cổng modem {a} bị lỗi ({b})"),
    ("the modem did not answer {a} within {b} s", "modem không trả lời lệnh {a} trong {b} giây"),
    ("the modem answered {a} to {b}", "modem trả lời {a} cho lệnh {b}"),
    ("the modem answered {a}", "modem trả lời {a}"),
    ("the modem's answer held no serving cell", "câu trả lời của modem không có ô phục vụ nào"),
    ("mmcli failed ({a})", "mmcli bị lỗi ({a})"),
    ("mmcli (ModemManager) is not installed: on Windows use source = \"serial:COM5\"",
     "chưa cài mmcli (ModemManager): trên Windows hãy dùng source = \"serial:COM5\""),
    ("modem capture not found: {a}", "không tìm thấy tệp ghi câu trả lời của modem: {a}"),
    ("{a} holds no modem answer to replay", "{a} không có câu trả lời nào của modem để phát lại"),
    ("gpsd at {a} is not answering ({b})", "gpsd tại {a} không trả lời ({b})"),
    ("the modem's GNSS is not answering ({a})", "GNSS của modem không trả lời ({a})"),
    ("GNSS port {a} failed ({b})", "cổng GNSS {a} bị lỗi ({b})"),
    ("the GNSS receiver on {a} sent nothing for 1 s",
     "bộ thu GNSS ở {a} không gửi gì trong 1 giây"),
    ("the last GNSS fix is {a} s old: not a live position",
     "vị trí GNSS gần nhất đã cũ {a} giây: không phải vị trí hiện tại"),
    # speed tests
    ("speed-test server {a} is not an http:// or https:// URL (e.g. "
     "http://speedtest.example.vn/speedtest/upload.php)",
     "máy chủ đo tốc độ {a} không phải địa chỉ http:// hoặc https:// (ví dụ "
     "http://speedtest.example.vn/speedtest/upload.php)"),
    ("speed-test server {a}: give the server's root or its .../speedtest/upload.php, not "
     "another file",
     "máy chủ đo tốc độ {a}: hãy cho địa chỉ gốc của máy chủ hoặc .../speedtest/upload.php, "
     "không phải một tệp khác"),
    ("the server acknowledged {a} of the {b} bytes of an upload: its upload rate would be false",
     "máy chủ chỉ xác nhận {a} trong {b} byte tải lên: tốc độ tải lên sẽ sai"),
    ("the server answered HTTP {a} for {b}", "máy chủ trả lời HTTP {a} cho {b}"),
    ("the server answered a web page, not the test file, for {a}: it does not speak the "
     "speedtest protocol (is the URL the speed-test server's?)",
     "máy chủ trả về một trang web thay cho tệp đo ở {a}: máy chủ không dùng giao thức "
     "speedtest (địa chỉ có đúng là của máy chủ đo tốc độ không?)"),
    ("the server answered {a} bytes for {b}, not the test file (about {c} bytes): it does not "
     "speak the speedtest protocol",
     "máy chủ trả về {a} byte cho {b}, không phải tệp đo (khoảng {c} byte): máy chủ không dùng "
     "giao thức speedtest"),
    ("{a} ended after {b} of its {c} bytes", "{a} bị ngắt sau {b} trong {c} byte"),
    ("stalled transfer: no data for {a} s (the socket timeout) during the download",
     "truyền dữ liệu bị treo: không nhận được dữ liệu trong {a} giây khi tải xuống"),
    ("stalled transfer: no data for {a} s after {b} s of the download",
     "truyền dữ liệu bị treo: không nhận được dữ liệu trong {a} giây, sau {b} giây tải xuống"),
    ("the download received {a} bytes, less than one test file: nothing was measured",
     "chỉ tải xuống được {a} byte, chưa đủ một tệp đo: không đo được gì"),
    # the readings store and its records
    ("{a}: {b} readings lie outside Vietnam, but their local times were read as {c}: give the "
     "log's time zone with --tz (e.g. --tz Europe/Dublin) or the times are shifted",
     "{a}: {b} điểm đo nằm ngoài Việt Nam nhưng giờ địa phương của chúng được đọc theo múi giờ "
     "{c}: hãy cho biết múi giờ của nhật ký bằng --tz (ví dụ --tz Europe/Dublin), nếu không "
     "thời gian sẽ bị lệch"),
    ("{a} is a folder, not a readings store (.gpkg file)",
     "{a} là thư mục, không phải kho dữ liệu đo (tệp .gpkg)"),
    ("{a} is not a GeoPackage (not an SQLite file)", "{a} không phải GeoPackage (không phải tệp SQLite)"),
    ("{a} has an unmerged log ({b}-wal) from a writer that did not close, in a read-only folder: "
     "copy both files to a writable folder and open them there",
     "{a} còn nhật ký chưa gộp ({b}-wal) do chương trình ghi chưa đóng, trong thư mục chỉ đọc: "
     "hãy chép cả hai tệp sang thư mục ghi được rồi mở ở đó"),
    ("{a} has schema version {b}; this phusong reads up to {c}: upgrade phusong",
     "{a} có phiên bản cấu trúc {b}; phusong này chỉ đọc tới {c}: hãy nâng cấp phusong"),
    ("{a} has schema version {b}; open it once with this phusong to upgrade it before merging",
     "{a} có phiên bản cấu trúc {b}; hãy mở một lần bằng phusong này để nâng cấp trước khi gộp"),
    ("{a} was opened read-only", "{a} được mở ở chế độ chỉ đọc"),
    ("cannot write to {a} ({b}): the store or its folder is read-only, or the disk is full",
     "không ghi được vào {a} ({b}): kho dữ liệu hoặc thư mục chỉ đọc, hoặc đĩa đã đầy"),
    ("only {a} MiB free beside {b}: free some space before measuring",
     "chỉ còn {a} MiB trống cạnh {b}: hãy giải phóng dung lượng trước khi đo"),
    ("unknown modem source {a}: mmcli, serial:PORT or replay:FILE",
     "nguồn modem không xác định {a}: mmcli, serial:CỔNG hoặc replay:TỆP"),
    ("probe configuration not found: {a}", "không tìm thấy tệp cấu hình đầu đo: {a}"),
    ("no readings store at {a}", "không có kho dữ liệu đo tại {a}"),
    ("cannot read {a}: {b}", "không đọc được {a}: {b}"),
    ("{a} is an empty file, not a readings store", "{a} là tệp rỗng, không phải kho dữ liệu đo"),
    ("{a} is not a readable GeoPackage: {b}", "{a} không phải GeoPackage đọc được: {b}"),
    ("{a} is a GeoPackage but not a phusong store",
     "{a} là GeoPackage nhưng không phải kho dữ liệu của phusong"),
    ("cannot read {a} from {b}: {c}", "không đọc được {a} từ {b}: {c}"),
    ("{a}: a damaged geometry in {b} ({c}); repair or remove that row (e.g. in QGIS)",
     "{a}: một hình học bị hỏng trong {b} ({c}); hãy sửa hoặc xoá dòng đó (ví dụ bằng QGIS)"),
    ("time_utc is missing", "thiếu time_utc"),
    ("unknown field(s) {a}", "trường không xác định {a}"),
    ("{a}: column(s) {b} named in the mapping are not in the file: read as empty",
     "{a}: các cột {b} có trong tệp ánh xạ nhưng không có trong tệp: coi như trống"),
    ("{a} has no column {b} (time_utc in the mapping)",
     "{a} không có cột {b} (time_utc trong tệp ánh xạ)"),
    ("{a} holds no row to import", "{a} không có dòng nào để nhập"),
    ("{a} is a folder, not a file to import", "{a} là thư mục, không phải tệp để nhập"),
    ("file not found: {a}", "không tìm thấy tệp: {a}"),
    ("{a} is not a G-NetTrack measurement log: its header lacks Timestamp, Longitude or "
     "Latitude",
     "{a} không phải nhật ký đo của G-NetTrack: dòng tiêu đề thiếu Timestamp, Longitude hoặc "
     "Latitude"),
    ("{a} row(s) refused ({b}): nothing was imported (--strict)",
     "{a} dòng bị từ chối ({b}): không nhập gì (--strict)"),
    ("conflict: reading_id {a} is already stored with other values",
     "xung đột: reading_id {a} đã có trong kho với giá trị khác"),
    ("timestamp has no time zone; give UTC or an offset",
     "thời điểm không có múi giờ; hãy ghi UTC hoặc độ lệch giờ"),
    ("time_utc {a} is before {b}: check the device clock",
     "time_utc {a} trước {b}: hãy kiểm tra đồng hồ thiết bị"),
    ("time_utc {a} is in the future: check the device clock",
     "time_utc {a} ở tương lai: hãy kiểm tra đồng hồ thiết bị"),
    ("position has only one of lon/lat", "vị trí chỉ có một trong lon/lat"),
    ("position (0, 0) is a receiver's placeholder, not a fix",
     "vị trí (0, 0) là giá trị giữ chỗ của máy thu, không phải vị trí thật"),
    ("position ({a}, {b}) is outside the country (lon {c}…{d}, lat {e}…{f})",
     "vị trí ({a}, {b}) nằm ngoài lãnh thổ (kinh độ {c}…{d}, vĩ độ {e}…{f})"),
    ("position ({a}, {b}) is not a longitude/latitude", "vị trí ({a}, {b}) không phải kinh độ/vĩ độ"),
    ("position ({a}, {b}) is not numeric", "vị trí ({a}, {b}) không phải là số"),
    ("operator {a} is not MCC-MNC such as 452-04", "nhà mạng {a} không có dạng MCC-MNC như 452-04"),
    ("{a} outside the valid range [{b}, {c}]", "{a} nằm ngoài khoảng hợp lệ [{b}, {c}]"),
    ("{a} is not ISO 8601", "{a} không theo chuẩn ISO 8601"),
    ("{a} is not an integer", "{a} không phải số nguyên"),
    ("{a} is not a boolean", "{a} không phải giá trị đúng/sai"),
    ("{a} is not finite", "{a} không hữu hạn"),
    ("{a} is not one of {b}", "{a} không thuộc {b}"),
    ("{a} is missing", "thiếu {a}"),
    # probe configuration
    ("unknown key {a}: did you mean {b}?", "khoá không xác định {a}: có phải ý bạn là {b}?"),
    ("unknown key {a}: known keys are {b}", "khoá không xác định {a}: các khoá hợp lệ là {b}"),
    ("[{a}] {b} = {c} is not a number", "[{a}] {b} = {c} không phải là số"),
    ("[{a}] must be a table of keys, not {b}", "[{a}] phải là một bảng khoá, không phải {b}"),
    ("probe configuration not found: {a}", "không tìm thấy tệp cấu hình đầu đo: {a}"),
    ("{a} is not a valid UTF-8 TOML file: {b}", "{a} không phải tệp TOML UTF-8 hợp lệ: {b}"),
    ("no USB modem found", "không thấy modem USB"),
    ("ModemManager (mmcli) not installed", "chưa cài ModemManager (mmcli)"),
    ("mmcli -L: none", "mmcli -L: không có modem"),
    ("a GNSS receiver (NMEA sentences)", "một máy thu GNSS (câu NMEA)"),
    ("nothing", "không có gì"),
    ("{a} is not valid; choose one of {b}", "{a} không hợp lệ; chọn một trong: {b}"),
    # report values (figures' descriptions, not errors)
    ("uniform within each commune", "phân bố đều trong mỗi xã"),
    ("raster {a}", "ảnh raster {a}"),
    ("site list: the model over every cell", "danh sách trạm: mô hình trên mọi ô lưới"),
    ("cells within {a} m of a reading, extrapolated to the commune",
     "các ô lưới trong bán kính {a} m quanh một điểm đo, ngoại suy cho cả xã"),
    # the command line (Click's own messages)
    ("No such command {a}. Did you mean {b}?", "Không có lệnh {a}. Có phải ý bạn là {b}?"),
    ("No such command {a}.", "Không có lệnh {a}."),
    ("Missing argument {a}.", "Thiếu đối số {a}."),
    ("Got unexpected extra argument ({a})", "Thừa đối số ({a})"),
    ("Got unexpected extra arguments ({a})", "Thừa các đối số ({a})"),
    ("Option {a} requires an argument.", "Tuỳ chọn {a} cần một giá trị."),
    ("Option {a} does not take a value.", "Tuỳ chọn {a} không nhận giá trị."),
    ("Missing command.", "Thiếu lệnh."),
)
