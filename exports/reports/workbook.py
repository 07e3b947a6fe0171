"""A report as a workbook: one sheet per table, numbers typed, a native Excel chart beside each table."""

import io
from datetime import datetime
from decimal import Decimal

import xlsxwriter
from flask_babel import gettext

from exports.tabular import Conventions, Kind

from .report import Report

SHADES = {"minor": "#FFF3CD", "significant": "#FFD8A8", "severe": "#F8D7DA", "past": "#F5C2C7"}
TITLE_ROWS = 3  # report title, period, table title; then a blank row and the header


def _sheet_names(report: Report) -> list[str]:
    names, seen = [], set()
    for n, table in enumerate(report.tables, start=1):
        base = "".join("_" if c in "[]:*?/\\" else c for c in table.title)[:28].strip() or f"Tabel {n}"
        name = base
        while name.lower() in seen:
            name = f"{base[:25]} {n}"
        seen.add(name.lower())
        names.append(name)
    return names


def write_report(report: Report, conventions: Conventions, exported_by: str = "") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    title = book.add_format({"bold": True, "font_size": 14})
    note = book.add_format({"italic": True, "font_color": "#555555"})
    header = book.add_format({"bold": True, "bg_color": "#E9ECEF", "bottom": 1, "text_wrap": True, "valign": "top"})
    number = {"num_format": "#,##0.##"}
    money = {"num_format": conventions.excel_money}
    shade_formats = {
        (shade, kind): book.add_format({**(money if kind == Kind.MONEY else number), "bg_color": colour})
        for shade, colour in SHADES.items()
        for kind in (Kind.NUMBER, Kind.MONEY)
    }
    plain_formats = {Kind.NUMBER: book.add_format(number), Kind.MONEY: book.add_format(money)}
    period = gettext("Period %(start)s–%(end)s", start=f"{report.start:%d.%m.%Y}", end=f"{report.end:%d.%m.%Y}")
    stamp = gettext("Made by %(who)s on %(when)s", who=exported_by, when=f"{datetime.now():%d.%m.%Y %H:%M}")
    for table, name in zip(report.tables, _sheet_names(report), strict=True):
        ws = book.add_worksheet(name)
        ws.write_string(0, 0, report.title, title)
        ws.write_string(1, 0, f"{period} · {stamp}" if exported_by else period, note)
        ws.write_string(2, 0, table.title, book.add_format({"bold": True}))
        head = TITLE_ROWS + 1
        for col, column in enumerate(table.columns):
            ws.write_string(head, col, column.label, header)
        for r, row in enumerate(table.rows, start=head + 1):
            for c, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                shade = table.shades[r - head - 1][c] if table.shades else None
                if value is None:
                    if shade:
                        ws.write_blank(r, c, None, shade_formats[(shade, Kind.NUMBER)])
                    continue
                if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    kind = Kind.MONEY if column.kind == Kind.MONEY else Kind.NUMBER
                    fmt = shade_formats[(shade, kind)] if shade else plain_formats[kind]
                    ws.write_number(r, c, value, fmt)
                else:
                    ws.write_string(r, c, str(value))
        last = head + len(table.rows)
        ws.set_column(
            0,
            0,
            max([len(column.label) for column in table.columns[:1]] + [len(str(r[0])) for r in table.rows] + [12]) + 2,
        )
        for c, column in enumerate(table.columns[1:], start=1):
            ws.set_column(c, c, min(max(len(column.label), 8) + 2, 24))
        ws.freeze_panes(head + 1, 1)
        if table.rows:
            ws.autofilter(head, 0, last, len(table.columns) - 1)
        if table.note:
            ws.write_string(last + 2, 0, table.note, note)
        if table.chart and table.rows:
            chart = table.chart
            subtype = {"subtype": "stacked"} if chart.stacked else {}
            graph = book.add_chart({"type": chart.kind, **subtype})
            for value_col in chart.values:
                graph.add_series(
                    {
                        "name": [name, head, value_col],
                        "categories": [name, head + 1, chart.category, last, chart.category],
                        "values": [name, head + 1, value_col, last, value_col],
                    }
                )
            graph.set_title({"name": table.title})
            graph.set_legend({"position": "bottom" if len(chart.values) > 1 else "none"})
            graph.set_size({"width": 640, "height": max(320, 28 * len(table.rows) + 120)})
            ws.insert_chart(head, len(table.columns) + 1, graph)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()
