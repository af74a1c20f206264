"""The admin's evaluation template library pages (issue 13): list, create, edit as a new version."""

from marketplace.extensions import db
from marketplace.review import templates
from marketplace.review.models import EvaluationTemplate
from tests import factories
from tests.challenges.pages.conftest import browser_for, field_errors, page, submit, visible  # noqa: F401,F811  (fixture)
from tests.review.conftest import world  # noqa: F401  (fixture)


def _template_form(**overrides):
    data = {"name": "专项评审", "description": "简单的两项评审",
            "rounds-0-name": "方案评审", "rounds-0-aggregation": "mean", "rounds-0-min_panel": "3",
            "rounds-0-tie_break": "",
            "rounds-0-criteria-0-name": "技术方案", "rounds-0-criteria-0-weight": "60",
            "rounds-0-criteria-0-max_points": "100", "rounds-0-criteria-0-kind": "judged",
            "rounds-0-criteria-0-guidance": "90–100：方案完整\n0–59：方案缺项",
            "rounds-0-criteria-1-name": "设计 PUE", "rounds-0-criteria-1-weight": "40",
            "rounds-0-criteria-1-max_points": "20", "rounds-0-criteria-1-kind": "metric",
            "rounds-0-criteria-1-formula": '{"type": "linear", "best": "1.2", "worst": "1.5", "unit": "PUE"}'}
    data.update(overrides)
    return data


def test_admin_creates_and_edits_a_template(browser_for, admin):  # noqa: F811
    templates.seed_templates()
    db.session.commit()
    web = browser_for(admin)
    listing = visible(page(web, "/admin/evaluation-templates"))
    assert "综合评分法（标准）" in listing and "数据中心能效评价" in listing and "（指标自动计算）" in listing

    bad = submit(web, "/admin/evaluation-templates/new",
                 _template_form(**{"rounds-0-criteria-1-formula": '{"type": "eval", "code": "1"}'}))
    assert bad.status_code == 422
    assert "type 应为 thresholds 或 linear" in field_errors(bad.get_data(as_text=True))["rounds-0-criteria-1-formula"][0]

    created = submit(web, "/admin/evaluation-templates/new", _template_form())
    assert created.status_code == 302
    template = db.session.query(EvaluationTemplate).filter_by(name="专项评审").one()
    criteria = template.rounds[0]["criteria"]
    assert criteria[0]["guidance"] == [{"band": "90–100", "text": "方案完整"}, {"band": "0–59", "text": "方案缺项"}]
    assert criteria[1]["formula"] == {"type": "linear", "best": "1.2", "worst": "1.5", "unit": "PUE"}

    edit_url = f"/admin/evaluation-templates/{template.family_id}/edit"
    form = page(web, edit_url)
    assert "保存后生成第 2 版" in form and "90–100：方案完整" in form
    saved = submit(web, edit_url, _template_form(name="专项评审（修订）"))
    assert saved.status_code == 302
    rows = db.session.query(EvaluationTemplate).filter_by(family_id=template.family_id).order_by("version").all()
    assert [(r.version, r.current, r.name) for r in rows] == [(1, False, "专项评审"), (2, True, "专项评审（修订）")]


def test_template_pages_are_for_admins_only(browser_for):  # noqa: F811
    department = factories.create_user("department")
    web = browser_for(department)
    assert web.get("/admin/evaluation-templates").status_code in (403, 404)
    assert web.get("/admin/evaluation-templates/new").status_code in (403, 404)


def test_sheet_results_and_report_show_the_price_score(world, browser_for):  # noqa: F811
    from decimal import Decimal

    from marketplace.review import operations as review_ops
    from tests.review.conftest import round_plan

    criteria = [{"name": "技术方案", "description": "", "weight": 70, "max_points": 100},
                {"name": "报价", "description": "", "weight": 30, "max_points": 30, "kind": "price"}]
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan(criteria=criteria, min_panel=3)],
              prices=["1000000.00", "800000.00"])
    round_ = w.rounds[0]
    review_ops.set_panel(w.admin, round_, [e.id for e in w.evaluators])
    review_ops.open_round(w.admin, round_)
    db.session.commit()
    technical = round_.criteria[0]
    for evaluator in w.evaluators:
        review_ops.sign_declaration(evaluator, round_, conflict_provider_ids=[])
        review_ops.save_sheet(evaluator, round_, [
            {"submission_id": s.id, "criterion_id": technical.id, "points": "80", "comment": ""} for s in w.submissions])
    db.session.commit()
    sheet = page(browser_for(w.evaluators[0]), f"/review/rounds/{round_.id}")
    assert "按报价自动计算，专家无需评分" in sheet
    assert f'name="p-{w.submissions[0].id}-{round_.criteria[1].id}"' not in sheet  # nothing to type
    assert f'>{Decimal("24.00")}</output>' in sheet  # filled in: 800000 / 1000000 × 30
    for evaluator in w.evaluators:
        review_ops.submit_sheet(evaluator, round_)
    review_ops.close_round(w.admin, round_)
    db.session.commit()
    results = visible(page(browser_for(w.admin), f"/rounds/{round_.id}/results"))
    assert "评标基准价 = 最低有效报价 800000.00 元" in results
    assert "报价得分 = 评标基准价（最低有效报价 800000.00 元）÷ 投标报价 × 30" in results
    report = visible(page(browser_for(w.evaluators[0]), f"/review/rounds/{round_.id}/report"))
    assert "评标基准价 = 最低有效报价 800000.00 元" in report
