"""Unit: the dashboard's SVG charts and exports are pure, escaped, and free of inline styles."""

import io
from decimal import Decimal

import openpyxl

from marketplace.core import exports
from marketplace.projects import charts


def test_charts_escape_and_use_no_inline_style():
    svgs = [charts.bar_chart("榜单", [("<script>", 3), ("征集中", 0)]),
            charts.funnel_chart("漏斗", [("申报", 5, 1), ("运营", 1, 1)]),
            charts.paired_bar_chart("预算", [("区科委", Decimal("100.00"), Decimal("25.50"))])]
    for svg in svgs:
        assert svg.startswith("<svg") and "style=" not in svg and "<script>" not in svg
    assert "&lt;script&gt;" in svgs[0]
    assert "25.50 / 100.00" in svgs[2]
    assert charts.bar_chart("空", []).startswith("<svg")


def test_exports_keep_money_exact():
    table = {"title": "预算批复与支付（按领域）", "columns": ["领域", "批复（元）"], "rows": [["医疗", Decimal("1234567.89")]]}
    assert exports.csv_text(table["columns"], table["rows"]) == "\ufeff领域,批复（元）\r\n医疗,1234567.89\r\n"
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(table["title"], table["columns"], table["rows"]))).active
    assert [c.value for c in sheet[1]] == ["领域", "批复（元）"]
    assert sheet["B2"].value == 1234567.89 and sheet["B2"].number_format == "#,##0.00"
