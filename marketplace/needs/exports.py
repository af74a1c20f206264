"""The 场景需求清单 as an XLSX workbook: public fields only (no feedback, no triage notes)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from marketplace.core.exports import safe_cell

COLUMNS = ["序号", "需求编号", "需求名称", "场景领域", "提出单位", "责任单位", "要解决的问题", "应用场景",
           "受益对象", "预期成效", "可提供的数据", "关键词", "预算（元）", "资金来源", "状态"]


def batch_rows(batch):
    rows = []
    for position, need in enumerate((n for n in batch.needs if n.is_public or not batch.is_published), start=1):
        rows.append([position, need.id, need.title, need.domain, need.submitter.name,
                     need.assignee.name if need.assignee else "", need.problem, need.scenario,
                     need.beneficiaries, need.expected_outcomes, need.data_available, "、".join(need.keyword_list),
                     need.budget_yuan, need.budget_source, need.state.label])
    return rows


def batch_xlsx(batch) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"第{batch.number}批"
    sheet.append([safe_cell(batch.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in batch_rows(batch):
        sheet.append([safe_cell(v) for v in row])
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.column == 13 and cell.value is not None:
                cell.number_format = "#,##0.00"
    for letter, width in zip("ABCDEFGHIJKLMNO", (6, 9, 30, 10, 16, 16, 40, 40, 24, 40, 30, 20, 14, 16, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
