"""The province's report against its targets, from an estimate folder.

Excel (openpyxl: number formats, frozen header), HTML (a chart of the communes' shares
against the target line, printable on A4) and CSV. A header (province, plan and target,
date, data period); the province's figures (5G by area and by population, gigabit), each
with its interval and status; the communes with status, gap in points and in people and
interval, sorted by gap; and the audit trail. Every figure is read from the estimate's
``summary.json`` and ``communes.csv``, never recomputed, so the report says what they say.
"""
from __future__ import annotations

import csv
import html
import json
from datetime import date
from pathlib import Path

import pandas as pd

from phusong.coverage.estimate_folder import COMMUNES_CSV, SUMMARY_JSON
from phusong.i18n import localise, t, technology_labels
from phusong.outputs import spreadsheet_read, spreadsheet_safe, spreadsheet_text, text_cells

from .layers import missing

PROVINCE = "Bắc Ninh"
FORMATS = ("xlsx", "html", "csv")
# (column in communes.csv, message key of its header, Excel number format)
COMMUNE_COLUMNS = (
    ("code", "report.col.code", "@"),
    ("name", "report.col.name", "@"),
    ("status_label", "report.col.status", "@"),
    ("share_5g_pop_pct", "report.col.share", "0.0"),
    ("share_5g_low_pct", "report.col.low", "0.0"),
    ("share_5g_high_pct", "report.col.high", "0.0"),
    ("p_target_met", "report.col.p_met", "0%"),
    ("gap_pp", "report.col.gap_pp", "0.0"),
    ("gap_people", "report.col.gap_people", "#,##0"),
    ("n_readings", "report.col.readings", "#,##0"),
    ("population", "report.col.population", "#,##0"),
    ("gigabit_share_pct", "report.col.gigabit", "0.0"),
    ("gigabit_status_label", "report.col.gigabit_status", "@"),
)


def read_report_data(estimates: Path) -> tuple[dict, pd.DataFrame]:
    """The estimate's summary and its communes sorted by gap (largest first), then share."""
    from phusong.coverage.estimate_folder import internal_names

    summary = internal_names(json.loads((estimates / SUMMARY_JSON).read_text(
        encoding="utf-8")))
    communes = internal_names(spreadsheet_read(pd.read_csv(
        estimates / COMMUNES_CSV, dtype={"code": str}, encoding="utf-8")))
    communes = communes.sort_values(["gap_pp", "share_5g_pop_pct"], ascending=[False, True],
                                    na_position="last").reset_index(drop=True)
    return summary, communes


def province_rows(summary: dict, lang: str | None) -> list[tuple[str, object, object, object,
                                                               str]]:
    """(figure, value, low, high, status label) of the province's figures."""
    def label(code):
        return t(f"status.{code}", lang) if code else "—"
    basis = summary.get("target_basis", "population")
    return [
        (t("report.fig.5g", lang, basis=t(f"report.basis.{basis}", lang)),
         summary.get("province_share_5g_pct"), summary.get("province_share_5g_low_pct"),
         summary.get("province_share_5g_high_pct"), label(summary.get("province_5g_status"))),
        (t("report.fig.gigabit", lang), summary.get("province_gigabit_share_pct"),
         summary.get("province_gigabit_low_pct"), summary.get("province_gigabit_high_pct"),
         label(summary.get("province_gigabit_status"))),
    ]


def _cross_validation(summary: dict, lang: str | None) -> str:
    """The methods' spatial-block scores when the estimate chose its method by them."""
    cv = summary.get("cross_validation")
    if not cv:
        return t("report.audit.cv_none", lang)
    return "; ".join(f"{s['method']}: RMSE {s['rmse_db']:.2f} dB, Brier {s['brier']:.3f}, "
                     f"{s['share_error_pp']:+.1f} pp" for s in cv["scores"])


def _trend_calibration(summary: dict, lang: str | None = None) -> str:
    """Each operator's trend weight and spread, and their recalibration at the threshold,
    as the model's own cross-validation set them."""
    calibration = summary.get("trend_calibration") or {}
    trend = t("report.trend", lang)
    return "; ".join(f"{op}: {c['trend_weight']:.2f} × {trend}, {c['offset_db']:+.1f} dB, "
                     f"σ × {c['spread_factor']:.2f} ⊕ {c['spread_floor_db']:.1f} dB"
                     f"{_at_threshold(c)} ({c['held_out_readings']})"
                     for op, c in calibration.items()) or "—"


def _at_threshold(calibration: dict) -> str:
    if "threshold_shift_db" not in calibration:
        return ""
    return (f"; P: {calibration['threshold_shift_db']:+.1f} dB, "
            f"σ × {calibration['threshold_spread_factor']:.2f}")


def audit_rows(summary: dict, lang: str | None) -> list[tuple[str, object]]:
    period = summary.get("readings_period_utc") or ["—", "—"]
    from phusong import __version__

    return [
        (t("report.audit.readings", lang), summary.get("n_evidence_readings")),
        (t("report.audit.period", lang), f"{period[0]} – {period[1]}"),
        (t("report.audit.operators", lang), ", ".join(summary.get("operators", [])) or "—"),
        (t("report.audit.method", lang), f"{summary.get('method')} "
         f"({localise(str(summary.get('share_basis')), lang)})"),
        (t("report.audit.cv", lang), _cross_validation(summary, lang)),
        (t("report.audit.calibration", lang), _trend_calibration(summary, lang)),
        (t("report.audit.threshold", lang), f"{summary.get('threshold_dbm')} dBm "
         f"({summary.get('technology', 'nr').upper()})"),
        (t("report.audit.resolution", lang), f"{summary.get('resolution_m')} m, "
         f"{summary.get('crs', '—')}"),
        (t("report.audit.boundaries", lang), summary.get("boundaries", "—")),
        (t("report.audit.population", lang),
         localise(str(summary.get("population_basis")), lang)),
        (t("report.audit.statuses", lang), f"P ≥ {summary.get('p_met_threshold')} / "
         f"≤ {summary.get('p_not_met_threshold')}"),
        (t("report.audit.synthetic", lang), t("report.yes" if summary.get("synthetic")
                                              else "report.no", lang)),
        (t("report.audit.run", lang), summary.get("run_id")),
        (t("report.audit.version", lang), __version__),
        (t("report.audit.warnings", lang), len(summary.get("warnings", []))),
    ]


def write_report(estimates: str | Path, out: str | Path, formats=FORMATS,
                 lang: str | None = None) -> list[Path]:
    """Write the report into the folder ``out`` in each of ``formats``; the paths."""
    estimates, out = Path(estimates), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary, communes = read_report_data(estimates)
    writers = {"xlsx": _xlsx, "html": _html, "csv": _csv}
    with technology_labels(summary.get("technology")):
        return [writers[f](summary, communes, out, lang) for f in formats]


def _title(summary: dict, lang: str | None) -> str:
    if not summary.get("plan"):
        return t("report.title_no_plan", lang, province=PROVINCE,
                 target=summary.get("target_5g_pct"))
    return t("report.title", lang, province=PROVINCE, plan=summary.get("plan", ""),
             target=summary.get("target_5g_pct"), gigabit=summary.get("target_gigabit_pct"))


def _csv(summary: dict, communes: pd.DataFrame, out: Path, lang: str | None) -> Path:
    path = out / "report_communes.csv"
    table = communes[[c for c, _, _ in COMMUNE_COLUMNS if c in communes]]
    spreadsheet_safe(table).to_csv(path, index=False, float_format="%.2f", encoding="utf-8")
    with open(out / "report_province.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["figure", "value_pct", "low_pct", "high_pct", "status"])
        writer.writerows([spreadsheet_text(v) for v in row]
                         for row in province_rows(summary, lang))
    return path


def _xlsx(summary: dict, communes: pd.DataFrame, out: Path, lang: str | None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    banner = t("map.synthetic", lang) if summary.get("synthetic") else None
    _province_sheet(book.active, summary, lang, banner)
    _communes_sheet(book.create_sheet(t("report.sheet.communes", lang)), communes, lang, banner)
    audit = book.create_sheet(t("report.sheet.audit", lang))
    start = _banner(audit, banner)
    for row in audit_rows(summary, lang):
        audit.append([row[0], localise(row[1], lang) if isinstance(row[1], str) else row[1]])
    for warning in summary.get("warnings", []):
        audit.append([t("warning.prefix", lang), localise(warning, lang)])
    _finish(audit, header_row=start, widths={"A": 45, "B": 90}, table=False)
    for page in book.worksheets:
        text_cells(page)
    path = out / "report.xlsx"
    book.save(path)
    return path


def _banner(sheet, banner: str | None) -> int:
    """The synthetic-data banner as the sheet's first row; the row after it."""
    from openpyxl.styles import Font

    if not banner:
        return 1
    sheet.append([banner])
    sheet["A1"].font = Font(bold=True, color="D7191C")
    return 2


def _province_sheet(sheet, summary: dict, lang: str | None, banner: str | None) -> None:
    from openpyxl.styles import Font

    sheet.title = t("report.sheet.province", lang)
    first = _banner(sheet, banner)
    sheet.append([_title(summary, lang)])
    sheet.cell(first, 1).font = Font(bold=True, size=13)
    sheet.append([t("report.date", lang), date.today()])
    sheet.cell(first + 1, 2).number_format = "yyyy-mm-dd"
    sheet.append([])
    header = first + 3
    sheet.append([t("report.col.figure", lang), t("report.col.share", lang),
                  t("report.col.low", lang), t("report.col.high", lang),
                  t("report.col.status", lang)])
    for row in province_rows(summary, lang):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row][1:4]:
            cell.number_format = "0.0"
    _finish(sheet, header_row=header, widths={"A": 48, "B": 16, "C": 14, "D": 14, "E": 20})


def _communes_sheet(sheet, communes: pd.DataFrame, lang: str | None, banner: str | None) -> None:
    header = _banner(sheet, banner)
    present = [c for c in COMMUNE_COLUMNS if c[0] in communes]
    sheet.append([t(key, lang) for _, key, _ in present])
    for record in communes[[c for c, _, _ in present]].itertuples(index=False):
        sheet.append([None if missing(v) else v for v in record])
    for index, (_, _, number_format) in enumerate(present, start=1):
        for cell in sheet.iter_rows(min_row=header + 1, min_col=index, max_col=index):
            cell[0].number_format = number_format
    sheet.freeze_panes = sheet.cell(header + 1, 3)
    widths = {column: 30 if name == "name" else 14
              for column, (name, _, _) in zip(_letters(len(present)), present)}
    _finish(sheet, header_row=header, widths=widths)


def _letters(n: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(i) for i in range(1, n + 1)]


def _finish(sheet, header_row: int, widths: dict[str, float], table: bool = True) -> None:
    """Column widths, a bold wrapped header with an autofilter, the header repeated on every
    printed page, A4 landscape fitted to the page width."""
    from openpyxl.styles import Alignment, Font

    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=header_row):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if table and sheet.max_row > header_row:
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        sheet.auto_filter.ref = f"A{header_row}:{_letters(sheet.max_column)[-1]}{sheet.max_row}"
        sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _html(summary: dict, communes: pd.DataFrame, out: Path, lang: str | None) -> Path:
    esc = lambda v: "—" if missing(v) else html.escape(  # noqa: E731
        f"{v:.1f}" if isinstance(v, float) else str(v))
    province = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{esc(c)} – {esc(d)}</td>"
                       f"<td>{esc(e)}</td></tr>" for a, b, c, d, e in province_rows(summary, lang))
    present = [c for c in COMMUNE_COLUMNS if c[0] in communes]
    head = "".join(f"<th>{html.escape(t(key, lang))}</th>" for _, key, _ in present)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v, fmt)}</td>" for v, (_, _, fmt) in
                                    zip(record, present)) + "</tr>"
                   for record in communes[[c for c, _, _ in present]].itertuples(index=False))
    audit = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                    for k, v in audit_rows(summary, lang))
    page = f"""<!DOCTYPE html><html lang="{lang or 'vi'}"><head><meta charset="utf-8">
<meta name="phusong-run-id" content="{esc(summary.get('run_id'))}">
<title>{esc(_title(summary, lang))}</title><style>
@page {{ size: A4 landscape; margin: 12mm; }} body {{ font: 10pt sans-serif; }}
svg {{ max-width: 100%; height: auto; }} h2 {{ break-after: avoid; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border: 1px solid #999;
padding: 2px 4px; }} thead {{ display: table-header-group; }} tr {{ break-inside: avoid; }}
.banner {{ color: #d7191c; font-weight: bold; }}</style></head><body>
<h1>{esc(_title(summary, lang))}</h1>
{f'<p class="banner">{esc(t("map.synthetic", lang))}</p>' if summary.get("synthetic") else ""}
<p>{esc(t("report.date", lang))}: {date.today().isoformat()}</p>
<h2>{esc(t("report.sheet.province", lang))}</h2><table><tr><th>{esc(t("report.col.figure", lang))}
</th><th>%</th><th>{esc(t("report.col.interval", lang))}</th><th>{esc(t("report.col.status", lang))}
</th></tr>{province}</table>
<h2>{esc(t("report.chart", lang))}</h2>{_chart(communes, summary, lang)}
<h2>{esc(t("report.sheet.communes", lang))}</h2><table><thead><tr>{head}</tr></thead>{body}</table>
<h2>{esc(t("report.sheet.audit", lang))}</h2><table>{audit}</table></body></html>"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _cell(value, number_format: str) -> str:
    """A table cell as the Excel sheet shows it (counts without decimals, P as percent)."""
    if missing(value):
        return "—"
    if number_format == "#,##0":
        return f"{value:,.0f}"
    if number_format == "0%":
        return f"{100 * value:.0f} %"
    if number_format == "0.0":
        return f"{value:.1f}"
    return html.escape(str(value))


STATUS_COLOURS = (("met", "#4575b4"), ("uncertain", "#fee090"), ("not_met", "#d73027"),
                  ("insufficient_data", "#bdbdbd"))


def _chart(communes: pd.DataFrame, summary: dict, lang: str | None = None) -> str:
    """An SVG bar chart of every commune's share with its 90 % interval, sorted, named,
    against the target line, with a key of the statuses' colours."""
    shares = communes["share_5g_model_pct"] if "share_5g_model_pct" in communes \
        else communes["share_5g_pop_pct"]
    order = shares.fillna(-1).sort_values(ascending=False, kind="stable").index
    target = float(summary.get("target_5g_pct", 60))
    label_w, plot_w, bar, top = 170, 480, 13, 34
    height = top + bar * len(order) + 24
    scale = plot_w / 100
    colours = dict(STATUS_COLOURS)
    parts = [_chart_key(lang, label_w)]
    for row, i in enumerate(order):
        y = top + row * bar
        share, status = shares[i], communes.at[i, "status"]
        parts.append(f'<text x="{label_w - 4}" y="{y + bar - 3}" font-size="9" '
                     f'text-anchor="end">{html.escape(str(communes.at[i, "name"]))}</text>')
        if missing(share):
            continue
        parts.append(f'<rect x="{label_w}" y="{y + 1}" width="{share * scale:.1f}" '
                     f'height="{bar - 3}" fill="{colours.get(status, "#bdbdbd")}"/>')
        low, high = communes.at[i, "share_5g_low_pct"], communes.at[i, "share_5g_high_pct"]
        if not missing(low) and not missing(high):
            parts.append(f'<line x1="{label_w + low * scale:.1f}" x2="{label_w + high * scale:.1f}"'
                         f' y1="{y + bar / 2}" y2="{y + bar / 2}" stroke="#333"/>')
    x = label_w + target * scale
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 16}" '
                 f'stroke="#000" stroke-dasharray="4 2"/>')
    parts.append(f'<text x="{x + 3:.1f}" y="{top - 6}" font-size="9">'
                 f'{html.escape(t("report.chart.target", lang, target=f"{target:g}"))}</text>')
    parts += [f'<text x="{label_w + v * scale:.0f}" y="{height - 4}" font-size="9" '
              f'text-anchor="middle">{v} %</text>' for v in range(0, 101, 20)]
    width = label_w + plot_w + 40
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="{html.escape(t("report.chart", lang))}">'
            + "".join(parts) + "</svg>")


def _chart_key(lang: str | None, x0: int) -> str:
    """The key: each status's colour, and the interval's whisker."""
    items, x = [], x0
    for status, colour in STATUS_COLOURS:
        label = html.escape(t(f"status.{status}", lang))
        items.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="13" font-size="9">{label}</text>')
        x += 24 + 6 * len(label)
    items.append(f'<line x1="{x}" x2="{x + 16}" y1="9" y2="9" stroke="#333"/>'
                 f'<text x="{x + 20}" y="13" font-size="9">'
                 f'{html.escape(t("report.chart.interval", lang))}</text>')
    return "".join(items)
