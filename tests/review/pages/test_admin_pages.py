"""The admin's evaluation page: panels by hand and by draw, opening, progress without scores,
returning a sheet, closing, the results table and its CSV/XLSX exports."""

import csv
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.extensions import db
from marketplace.review.models import EvaluationRound, EvaluatorDomain, PanelMember
from tests import factories
from tests.review.pages.conftest import (
    alerts,
    audit,
    field_errors,
    form_errors,
    page,
    round_plan,
    submit,
    text,
    visible,
)


def _panel_ids(round_id):
    return sorted(db.session.scalars(sa.select(PanelMember.evaluator_id).where(PanelMember.round_id == round_id)))


def test_a_hand_picked_panel_with_an_insider_is_refused_with_a_chinese_409(world, flow):
    w = world(n_evaluators=4)
    f = flow(w)
    round_id = w.rounds[0].id
    body = page(f.admin, f.manage_url)
    for evaluator in w.evaluators:
        assert f'name="r{round_id}-evaluator_ids" value="{evaluator.id}"' in body
    assert f.set_panel(round_id, w.evaluators[:3]).status_code == 200
    assert _panel_ids(round_id) == sorted(e.id for e in w.evaluators[:3])

    insider = factories.create_user("evaluator", org=w.providers[1][0], name="内部专家甲")
    refused = f.set_panel(round_id, [w.evaluators[3], insider])
    assert refused.status_code == 409
    body = text(refused)
    # The reason at the panel form (not a bare 409 page), with the choice as ticked kept.
    assert "状态冲突" not in visible(body)
    assert "内部专家甲" in form_errors(body) and "回避" in form_errors(body)
    checked = set(re.findall(rf'name="r{round_id}-evaluator_ids" value="(\d+)" id="[^"]+" checked', body))
    assert checked == {str(w.evaluators[3].id), str(insider.id)}
    assert _panel_ids(round_id) == sorted(e.id for e in w.evaluators[:3])  # nothing changed
    assert len(audit("round.panel")) == 1

    nobody = submit(f.admin, f"/admin/rounds/{round_id}/panel", {}, page_url=f.manage_url)
    assert nobody.status_code == 422
    assert field_errors(text(nobody)) == {f"r{round_id}-evaluator_ids": "请至少选择一名评审专家"}
    assert _panel_ids(round_id) == sorted(e.id for e in w.evaluators[:3])


def test_a_seeded_draw_shows_its_seed_and_records_it(world, flow):
    w = world(n_evaluators=6)
    insider = factories.create_user("evaluator", org=w.providers[0][0], name="内部专家乙")
    db.session.add(EvaluatorDomain(user_id=insider.id, domain="医疗"))
    db.session.commit()
    f = flow(w)
    round_id = w.rounds[0].id
    body = page(f.admin, f.manage_url)
    assert f'name="d{round_id}-size"' in body and f'name="d{round_id}-seed"' in body
    assert f'for="d{round_id}-size"' in body and "抽取人数" in body  # labelled

    drawn = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "4", f"d{round_id}-seed": "20261122"},
                   page_url=f.manage_url)
    assert drawn.status_code == 200
    assert any(cat == "success" and "20261122" in msg and "4 名" in msg for cat, msg in alerts(text(drawn)))
    panel = _panel_ids(round_id)
    assert len(panel) == 4 and insider.id not in panel
    event = audit("round.panel_draw")[-1]
    assert event.after["seed"] == 20261122 and event.after["size"] == 4 and insider.id not in event.after["candidates"]

    # The same seed gives the same panel; no seed: one is chosen, shown and recorded.
    submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "4", f"d{round_id}-seed": "20261122",
                                                       f"d{round_id}-reason": "复核：按原种子重放"},
           page_url=f.manage_url)
    assert _panel_ids(round_id) == panel
    auto = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "3", f"d{round_id}-seed": "",
                                                              f"d{round_id}-reason": "一名专家临时无法参加"},
                  page_url=f.manage_url)
    seed = audit("round.panel_draw")[-1].after["seed"]
    assert any(f"随机种子 {seed}" in msg for _, msg in alerts(text(auto)))

    bad = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "x", f"d{round_id}-seed": "77",
                                                             f"d{round_id}-reason": "再抽一次"}, page_url=f.manage_url)
    assert bad.status_code == 422 and f"d{round_id}-size" in field_errors(text(bad))
    assert f'name="d{round_id}-seed" type="number" value="77"' in text(bad) or 'value="77"' in text(bad)
    assert "再抽一次" in text(bad)  # what was typed stays
    too_many = submit(f.admin, f"/admin/rounds/{round_id}/draw", {f"d{round_id}-size": "9", f"d{round_id}-seed": "4242",
                                                                  f"d{round_id}-reason": "扩大专家组"},
                      page_url=f.manage_url)
    assert too_many.status_code == 409 and "不足 9 名" in form_errors(text(too_many))
    assert 'value="9"' in text(too_many) and 'value="4242"' in text(too_many) and "扩大专家组" in text(too_many)


def test_open_needs_the_minimum_panel(world, flow):
    w = world(n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.set_panel(round_id, w.evaluators[:2])
    refused = submit(f.admin, f"/admin/rounds/{round_id}/open", page_url=f.manage_url)
    assert refused.status_code == 409 and "至少需要 3 人" in visible(text(refused))
    assert db.session.get(EvaluationRound, round_id).status.value == "setup"
    f.open(round_id)
    assert db.session.get(EvaluationRound, round_id).status.value == "open"
    body = page(f.admin, f.manage_url)
    assert "结束评分，结果待确认" in body and "保存专家组" not in body  # the panel is fixed once open


def test_progress_without_scores_return_a_sheet_and_close_with_an_outstanding_sheet(world, flow, browser):
    w = world(n_providers=2, n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    # Distinctive points, so that any of them leaking into the admin's page would show.
    f.score(w.evaluators[0], round_id, lambda sid, c: Decimal(c.max_points) * Decimal("0.7377"), action="submit")
    f.score(w.evaluators[1], round_id, lambda sid, c: Decimal(c.max_points) * Decimal("0.6133"), action="save")
    body = page(f.admin, f.manage_url)
    shown = visible(body)
    for value in ("73.77", "7.38", "61.33", "6.13", "理由充分"):
        assert value not in body, f"a score ({value}) leaks into the admin's progress page before close"
    rows = {name: " ".join(shown.split(name, 1)[1].split()[:3]) for name in (e.name for e in w.evaluators)}
    assert rows[w.evaluators[0].name].startswith("已签署 已提交")
    assert rows[w.evaluators[1].name].startswith("已签署 草稿")
    assert rows[w.evaluators[2].name].startswith("未签署 未开始")
    # The results page says it is not ready and shows no numbers.
    early = page(f.admin, f"/rounds/{round_id}/results")
    assert "尚未结束" in early and "73.77" not in early and "导出" not in early
    assert f.admin.get(f"/rounds/{round_id}/results.csv").status_code == 404

    # Return the submitted sheet: a reason is required.
    first = w.evaluators[0]
    url = f"/admin/rounds/{round_id}/sheets/{first.id}/return"
    assert f'action="{url}"' in body and f'for="ret-{round_id}-{first.id}"' in body
    no_reason = submit(f.admin, url, {"reason": ""}, page_url=f.manage_url)
    assert no_reason.status_code == 422 and "退回理由" in field_errors(text(no_reason))["reason"]
    returned = submit(f.admin, url, {"reason": "报价分请复核"}, page_url=f.manage_url)
    assert any("评分表已退回" in msg for _, msg in alerts(text(returned)))
    assert audit("round.sheet_return")[-1].after["reason"] == "报价分请复核"
    evaluator_page = page(browser(first), f"/review/rounds/{round_id}")
    assert "评分表被退回：报价分请复核" in evaluator_page and 'value="submit"' in evaluator_page
    assert 'value="73.77"' in evaluator_page  # their own draft values are kept
    assert "被退回" in page(browser(first), "/review")

    refused = f.close(round_id)
    assert refused.status_code == 409
    message = visible(text(refused))
    assert "尚有 3 名专家未提交评分表" in message
    for evaluator in w.evaluators:
        assert evaluator.name in message
    assert db.session.get(EvaluationRound, round_id).status.value == "open"


def _closed_round(world, flow, *, aggregation="trimmed_mean", n_evaluators=4):
    """Two providers, four evaluators; evaluator 0 declares a conflict with provider 0 and
    scores provider 1 far above the others (a deviation)."""
    w = world(n_providers=2, n_evaluators=n_evaluators, rounds=[round_plan(aggregation=aggregation)])
    f = flow(w)
    round_id = w.rounds[0].id
    f.open(round_id)
    second = w.submissions[1].id
    f.score(w.evaluators[0], round_id, lambda sid, c: c.max_points, conflicts=[w.providers[0][0].id])
    for i, evaluator in enumerate(w.evaluators[1:]):
        f.score(evaluator, round_id, lambda sid, c, i=i: Decimal(c.max_points) * (
            Decimal("0.4") if sid == second else Decimal("0.8") - Decimal("0.1") * i))
    closed = f.close(round_id)
    return w, f, round_id, closed


def test_close_then_results_page_with_aggregate_rank_totals_spread_flags_conflicts_and_note(world, flow):
    w, f, round_id, closed = _closed_round(world, flow)
    assert closed.status_code == 200 and closed.request.path == f"/rounds/{round_id}/results"
    body = text(closed)
    assert "评分已结束，结果待确认" in body
    assert "少于 5 个" in body  # trimmed mean with fewer than five totals falls back to the mean and says so
    table = body.split('data-testid="results"', 1)[1].split("</table>", 1)[0]
    rows = [visible(r) for r in re.split(r"<tr[^>]*>", table)[2:]]
    assert len(rows) == 2
    first, second = (" ".join(r.split()) for r in rows)
    p0, p1 = w.providers[0][0].name, w.providers[1][0].name
    # Provider 0: evaluators 1–3 gave 80, 70, 60 → mean 70.00; evaluator 0 stood aside.
    assert first.startswith(f"1 A {p0} 70.00") or first.startswith(f"1 B {p0} 70.00"), first
    e = w.evaluators
    assert f"{e[1].name}：80.00" in first and f"{e[2].name}：70.00" in first and f"{e[3].name}：60.00" in first
    assert f"回避： {e[0].name}" in first or f"回避：{e[0].name}" in first
    assert "8.16" in first  # population standard deviation of 80, 70, 60
    assert "拟挂帅" in first
    # Provider 1: 100, 40, 40, 40 → mean 55.00, spread 25.98; evaluator 0 is 45 away: flagged.
    assert second.split()[0] == "2" and p1 in second and "55.00" in second and "25.98" in second
    assert f"{e[0].name}：100.00" in second and f"评分偏离：{e[0].name}" in second and "未晋级" in second
    assert "评分偏离：专家 " not in body  # the flag names the evaluator, not a database id
    flagged_row = table.split("<tr")[3]  # the second body row
    assert 'class="table-warning"' in flagged_row
    assert audit("round.close")[-1].after["note"]
    # Managing page now links to the results; the progress is still score-free there.
    manage = page(f.admin, f.manage_url)
    assert f'href="/rounds/{round_id}/results"' in manage


def test_results_exports_csv_with_bom_and_xlsx(world, flow):
    w, f, round_id, _ = _closed_round(world, flow)
    response = f.admin.get(f"/rounds/{round_id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and f"round-{round_id}-results.csv" in disposition
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["排名", "方案", "服务商", "得分", "是否晋级", "评分标准差", "评分偏离", "回避专家", "各专家总分"]
    assert len(rows) == 1 + len(w.submissions)
    by_provider = {r[2]: r for r in rows[1:]}
    first = by_provider[w.providers[0][0].name]
    assert first[0] == "1" and first[3] == "70.00" and first[4] == "是" and first[5] == "8.16"
    assert first[7] == w.evaluators[0].name and f"{w.evaluators[1].name}：80.00" in first[8]
    second = by_provider[w.providers[1][0].name]
    assert second[0] == "2" and second[3] == "55.00" and second[4] == "否" and second[6] == f"评分偏离：{w.evaluators[0].name}"

    xlsx = f.admin.get(f"/rounds/{round_id}/results.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"round-{round_id}-results.xlsx" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet.title == "评审结果"
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0] and len(cells) == 1 + len(w.submissions)
    xlsx_first = next(r for r in cells[1:] if r[2] == w.providers[0][0].name)
    # Scores are numbers in the spreadsheet (it sorts and sums them), shown with two decimals.
    assert xlsx_first[0] == 1 and xlsx_first[3] == 70 and xlsx_first[4] == "是"
    assert xlsx_first[5] == pytest.approx(8.16)
    assert next(row for row in sheet.iter_rows(min_row=2) if row[2].value == w.providers[0][0].name)[3].number_format == "0.00"
    assert xlsx_first[7] == w.evaluators[0].name


def test_results_pages_for_the_department_and_others(world, flow, browser, create_user):
    w, f, round_id, _ = _closed_round(world, flow)
    department = browser(w.department)
    body = page(department, f"/rounds/{round_id}/results")
    assert w.providers[0][0].name in body and "70.00" in body
    assert department.get(f"/rounds/{round_id}/results.csv").status_code == 200
    other = browser(create_user("department"))
    for suffix in ("", ".csv", ".xlsx"):
        assert other.get(f"/rounds/{round_id}/results{suffix}").status_code == 404
    for person in (w.providers[0][1], w.evaluators[1]):
        for suffix in ("", ".csv", ".xlsx"):
            response = browser(person).get(f"/rounds/{round_id}/results{suffix}")
            assert response.status_code == 404 and "70.00" not in text(response)
    assert department.get("/rounds/999999/results").status_code == 404


def test_the_expert_pool_page_and_chinese_messages_for_odd_input(world, flow):
    w = world(n_evaluators=3)
    f = flow(w)
    round_id = w.rounds[0].id
    body = page(f.admin, "/admin/experts")
    evaluator = w.evaluators[0]
    assert evaluator.name in body and f'for="exp-{evaluator.id}-1"' in body
    saved = submit(f.admin, "/admin/experts", {"user_id": str(evaluator.id), "domains": ["医疗", "养老"]},
                   page_url="/admin/experts")
    assert ("success", f"已更新 {evaluator.name} 的专业领域") in alerts(text(saved))
    assert sorted(db.session.scalars(sa.select(EvaluatorDomain.domain).where(EvaluatorDomain.user_id == evaluator.id))) \
        == ["养老", "医疗"]
    assert audit("user.expert_domains")
    # Hand-made input: every message is Chinese, nothing changes.
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for data in ({f"r{round_id}-evaluator_ids": [str(w.department.id)]},
                 {f"r{round_id}-evaluator_ids": ["abc"]}):
        response = submit(f.admin, f"/admin/rounds/{round_id}/panel", data, page_url=f.manage_url)
        # At the form now (the field or the form's top), no longer a banner.
        messages = [m for m in (*field_errors(text(response)).values(), form_errors(text(response))) if m]
        assert response.status_code == 422 and not alerts(text(response))
        assert messages and all(cjk.search(m) and not re.search(r"[A-Za-z]{3,}", m) for m in messages), messages
    for data in ({f"d{round_id}-size": "0"}, {f"d{round_id}-size": "3", f"d{round_id}-seed": "-5"},
                 {f"d{round_id}-size": ""}):
        response = submit(f.admin, f"/admin/rounds/{round_id}/draw", data, page_url=f.manage_url)
        # At the form now (the field or the form's top), no longer a banner.
        messages = [m for m in (*field_errors(text(response)).values(), form_errors(text(response))) if m]
        assert response.status_code == 422 and not alerts(text(response))
        assert messages and all(cjk.search(m) and not re.search(r"[A-Za-z]{3,}", m) for m in messages), messages
    assert _panel_ids(round_id) == []
    missing = submit(f.admin, f"/admin/rounds/{round_id}/sheets/{evaluator.id}/return", {"reason": "x"},
                     page_url=f.manage_url, follow=False)
    assert missing.status_code == 409 and cjk.search(visible(text(missing)))  # the round is not open
    assert any(c == "danger" for c, _ in alerts(text(missing)))  # no row for that evaluator: said at the top
    assert f.admin.get("/admin/challenges/999999/evaluation").status_code == 404
    assert submit(f.admin, "/admin/rounds/999999/open", page_url=f.manage_url, follow=False).status_code == 404
