"""CSV and XLSX exports, shared by every download the platform offers.

Everything in an export may come from a user (an organisation name, a solution title), and a
spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)`
leaks data or lures a click). `safe_cell` neutralises such text the way OWASP's "CSV injection"
advice says — a leading `'` — in one place, for CSV and XLSX alike. Numbers stay numbers (a
negative amount is a number, not text), so the spreadsheet can still sort and sum them.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Tab and CR too: some spreadsheets strip them and then see the `=` behind.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet may hold it: text that would start a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, never 1E+6
    return safe_cell(value)


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_csv_cell(v) for v in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()  # the BOM lets Excel read the Chinese as UTF-8


def xlsx_bytes(title: str, header: Sequence, rows: Iterable[Sequence], decimal_format="#,##0.00") -> bytes:
    """One sheet; Decimals are written as exact numbers shown with `decimal_format`."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):
        value = safe_cell(value)
        # openpyxl refuses control characters with an exception; the export must still work.
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    book = Workbook()
    sheet = book.active
    # Sheet names may not hold []:*?/\ and are at most 31 characters.
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31].replace("（", "(").replace("）", ")") or "Sheet1"
    sheet.append([cell(v) for v in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
        for c in sheet[sheet.max_row]:
            if isinstance(c.value, Decimal):
                c.number_format = decimal_format
            elif isinstance(c.value, str):
                c.data_type = "s"  # never a formula, whatever openpyxl guesses
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _attachment(filename):
    return {"Content-Disposition": f"attachment; filename={filename}"}


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> Response:
    # content_type, not mimetype: with mimetype Werkzeug appends a second "; charset=utf-8".
    return Response(csv_text(header, rows), content_type=CSV_CONTENT_TYPE, headers=_attachment(filename))


def xlsx_response(filename: str, title: str, header: Sequence, rows: Iterable[Sequence], **kwargs) -> Response:
    return Response(xlsx_bytes(title, header, rows, **kwargs), content_type=XLSX_CONTENT_TYPE,
                    headers=_attachment(filename))
