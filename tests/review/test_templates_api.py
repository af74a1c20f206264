"""Evaluation templates and computed criteria through the API (issue 13): the template library,
versions, a challenge from a template, the price score deciding a ranking, metric criteria,
normalisation, and criteria frozen once scoring has started."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.db import utcnow
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.forms import validate_json
from marketplace.extensions import db
from marketplace.review import operations as review_ops
from marketplace.review import templates
from marketplace.review.forms import TemplateForm
from marketplace.review.models import EvaluationRound, RoundEntry
from marketplace.submissions.models import Submission
from tests import factories
from tests.review.conftest import round_plan

PRICE_PLAN = [
    {"name": "技术方案", "description": "", "weight": 70, "max_points": 100},
    {"name": "报价", "description": "", "weight": 30, "max_points": 30, "kind": "price"},
]
PUE = {"type": "thresholds", "unit": "PUE", "otherwise": "0",
       "thresholds": [{"at_most": "1.25", "points": "20"}, {"at_most": "1.4", "points": "10"}]}


def _challenge_body(**extra):
    deadline = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"title": "医院智能分诊", "domain": "医疗", "description": "场景描述", "outcomes": "候诊缩短",
            "budget_yuan": "500000", "deadline": deadline, "required_domains": ["医疗"], "race_slots": 1,
            "min_submissions": 1, "notice_days": 5, **extra}


@pytest.fixture
def seeded(db):
    assert templates.seed_templates() == 3
    assert templates.seed_templates() == 0  # idempotent
    db.session.commit()
    return {t.key: t for t in templates.current_templates()}


def test_shipped_templates_pass_the_plan_checks(app, seeded):
    from marketplace.api.templates import template_payload

    with app.test_request_context():
        for template in seeded.values():
            form = validate_json(TemplateForm, template_payload(templates.template_json(template)))
            assert templates.plan_json(form.plan()) == template.rounds
    kinds = [c["kind"] for c in seeded["zonghe-standard"].rounds[0]["criteria"]]
    assert kinds == ["judged", "judged", "judged", "judged", "price"]
    dc = seeded["datacenter-efficiency"].rounds[0]["criteria"]
    assert [c["kind"] for c in dc].count("metric") == 3 and "judged" in [c["kind"] for c in dc]


def test_template_library_roles(api, seeded, admin):
    department = factories.create_user("department")
    provider_user = factories.create_user("provider")
    listed = api(department).get("/evaluation-templates")
    assert listed.status_code == 200
    assert {t["name"] for t in listed.json["items"]} == {"综合评分法（标准）", "创新大赛", "数据中心能效评价"}
    assert api(provider_user).get("/evaluation-templates").status_code == 403
    body = {"name": "简易评审", "description": "", "rounds": [round_plan()]}
    assert api(department).post("/evaluation-templates", json=body).status_code == 403
    created = api(admin).post("/evaluation-templates", json=body)
    assert created.status_code == 201, created.json
    assert created.json["version"] == 1 and created.json["rounds"][0]["criteria"][0]["name"] == "技术方案"


@pytest.mark.parametrize(("criterion", "field"), [
    ({"name": "PUE", "weight": 100, "max_points": 20, "kind": "metric"}, "rounds.0.criteria.0.formula"),
    ({"name": "PUE", "weight": 100, "max_points": 20, "kind": "metric",
      "formula": {"type": "python", "code": "__import__('os')"}}, "rounds.0.criteria.0.formula"),
    ({"name": "PUE", "weight": 100, "max_points": 20, "kind": "metric",
      "formula": {"type": "linear", "best": "1.2", "worst": "1.2"}}, "rounds.0.criteria.0.formula"),
    ({"name": "PUE", "weight": 100, "max_points": 20, "kind": "metric", "formula": "[" * 1500},
     "rounds.0.criteria.0.formula"),
])
def test_bad_metric_formulas_are_field_errors(api, admin, criterion, field):
    body = {"name": "坏模板", "rounds": [{"name": "评审", "criteria": [criterion]}]}
    response = api(admin).post("/evaluation-templates", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_two_price_criteria_in_a_round_are_refused(api, admin):
    body = {"name": "两个报价", "rounds": [{"name": "评审", "criteria": [
        {"name": "报价一", "weight": 50, "max_points": 10, "kind": "price"},
        {"name": "报价二", "weight": 50, "max_points": 10, "kind": "price"}]}]}
    response = api(admin).post("/evaluation-templates", json=body)
    assert response.status_code == 422
    assert "最多一个报价得分项" in str(response.json["error"]["fields"])


def test_challenge_from_template_copies_a_version_and_edits_do_not_reach_it(api, seeded, admin):
    department = factories.create_user("department")
    family = seeded["zonghe-standard"].family_id
    both = api(department).post("/challenges", json=_challenge_body(template_id=family, rounds=[round_plan()]))
    assert both.status_code == 422 and "template_id" in both.json["error"]["fields"]
    missing = api(department).post("/challenges", json=_challenge_body(template_id=9999))
    assert missing.status_code == 422 and "template_id" in missing.json["error"]["fields"]
    created = api(department).post("/challenges", json=_challenge_body(template_id=family))
    assert created.status_code == 201, created.json
    challenge_id = created.json["id"]
    rounds = api(department).get(f"/challenges/{challenge_id}/rounds").json["items"]
    assert [c["name"] for c in rounds[0]["criteria"]] == ["技术方案", "实施能力", "团队", "业绩案例", "报价"]
    assert rounds[0]["criteria"][-1]["kind"] == "price"
    assert rounds[0]["template_version_id"] == seeded["zonghe-standard"].id
    assert rounds[0]["tie_break"] == "技术方案"

    edited = api(admin).put(f"/evaluation-templates/{family}", json={
        "name": "综合评分法（2027 版）", "description": "", "rounds": [round_plan(criteria=PRICE_PLAN)]})
    assert edited.status_code == 200, edited.json
    assert edited.json["version"] == 2 and edited.json["id"] == family
    assert api(admin).get(f"/evaluation-templates/{family}").json["versions"] == [2, 1]
    again = api(department).get(f"/challenges/{challenge_id}/rounds").json["items"]
    assert [c["name"] for c in again[0]["criteria"]] == ["技术方案", "实施能力", "团队", "业绩案例", "报价"]
    newer = api(department).post("/challenges", json=_challenge_body(template_id=family))
    newer_rounds = api(department).get(f"/challenges/{newer.json['id']}/rounds").json["items"]
    assert [c["name"] for c in newer_rounds[0]["criteria"]] == ["技术方案", "报价"]


def _panel_and_open(as_user, w, round_id):
    assert as_user(w.admin).post(f"/rounds/{round_id}/panel",
                                 json={"evaluator_ids": [e.id for e in w.evaluators]}).status_code == 200
    opened = as_user(w.admin).post(f"/rounds/{round_id}/open")
    assert opened.status_code == 200, opened.json


def _score_judged(as_user, round_id, evaluator, points):
    client = as_user(evaluator)
    assert client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    entries = client.get(f"/rounds/{round_id}/entries").json["items"]
    all_criteria = client.get(f"/rounds/{round_id}").json["criteria"]
    criteria = [c for c in all_criteria if c["kind"] == "judged"]
    scores = [{"submission_id": e["id"], "criterion_id": c["id"], "points": str(points(e, c)), "comment": "理由"}
              for e in entries for c in criteria]
    # Metric criteria are computed; the evaluator confirms each declared value is plausible.
    checks = [{"submission_id": e["id"], "criterion_id": c["id"], "verdict": "plausible"}
              for e in entries for c in all_criteria if c["kind"] == "metric"]
    saved = client.put(f"/rounds/{round_id}/sheet", json={"scores": scores, "metric_checks": checks})
    assert saved.status_code == 200, saved.json
    submitted = client.post(f"/rounds/{round_id}/sheet/submit")
    assert submitted.status_code == 200, submitted.json


def test_price_score_decides_the_ranking(world, as_user):
    w = world(n_providers=3, n_evaluators=3, rounds=[round_plan(criteria=PRICE_PLAN, min_panel=3)],
              prices=["1000000.00", "800000.00", "1200000.00"])
    round_id = w.rounds[0].id
    _panel_and_open(as_user, w, round_id)
    price = next(c for c in as_user(w.admin).get(f"/rounds/{round_id}").json["criteria"] if c["kind"] == "price")
    # An evaluator cannot type the price score.
    client = as_user(w.evaluators[0])
    assert client.post(f"/rounds/{round_id}/declaration", json={"conflict_provider_ids": []}).status_code == 200
    typed = client.put(f"/rounds/{round_id}/sheet", json={"scores": [
        {"submission_id": w.submissions[0].id, "criterion_id": price["id"], "points": "30"}]})
    assert typed.status_code == 422
    assert "按报价自动计算" in str(typed.json["error"]["fields"])
    for evaluator in w.evaluators:
        if evaluator is w.evaluators[0]:
            entries = client.get(f"/rounds/{round_id}/entries").json["items"]
            judged = [c for c in client.get(f"/rounds/{round_id}").json["criteria"] if c["kind"] == "judged"]
            client.put(f"/rounds/{round_id}/sheet", json={"scores": [
                {"submission_id": e["id"], "criterion_id": c["id"], "points": "80", "comment": ""}
                for e in entries for c in judged]})
            assert client.post(f"/rounds/{round_id}/sheet/submit").status_code == 200
        else:
            _score_judged(as_user, round_id, evaluator, lambda e, c: 80)
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200, closed.json
    results = closed.json["results"]
    by_submission = {e["submission_id"]: e for e in results["entries"]}
    cheapest, middle, dearest = w.submissions[1].id, w.submissions[0].id, w.submissions[2].id
    assert [e["submission_id"] for e in results["entries"]] == [cheapest, middle, dearest]
    # 80/100 × 70 = 56 for everyone; price: 30, 800000/1000000 × 30 = 24, 800000/1200000 × 30 = 20.
    assert by_submission[cheapest]["score"] == "86.00"
    assert by_submission[middle]["score"] == "80.00"
    assert by_submission[dearest]["score"] == "76.00"
    assert by_submission[middle]["computed"] == {str(price["id"]): "24.00"}
    explanation = results["computed_criteria"][0]
    assert explanation["benchmark"] == "800000.00" and "评标基准价" in explanation["formula"]


def test_a_zero_price_is_not_a_valid_price_and_scores_nothing_on_price(world, as_user):
    w = world(n_providers=3, n_evaluators=3, rounds=[round_plan(criteria=PRICE_PLAN, min_panel=3)],
              prices=["1000000.00", "800000.00", "900000.00"])
    round_id = w.rounds[0].id
    _panel_and_open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score_judged(as_user, round_id, evaluator, lambda e, c: 50)
    db.session.execute(sa.update(Submission).where(Submission.id == w.submissions[1].id).values(price_fen=0))
    db.session.commit()
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert closed.status_code == 200, closed.json
    label = db.session.scalar(sa.select(RoundEntry.label).where(RoundEntry.round_id == round_id,
                                                                RoundEntry.submission_id == w.submissions[1].id))
    assert f"方案 {label} 的报价为零，不是有效报价" in closed.json["results"]["note"]
    by_submission = {e["submission_id"]: e for e in closed.json["results"]["entries"]}
    # The benchmark is the lowest valid price (900000): 35 + 30; 35 + 27; the zero price 35 + 0.
    assert closed.json["results"]["computed_criteria"][0]["benchmark"] == "900000.00"
    assert by_submission[w.submissions[2].id]["score"] == "65.00"
    assert by_submission[w.submissions[0].id]["score"] == "62.00"
    assert by_submission[w.submissions[1].id]["score"] == "35.00"


def test_no_valid_price_at_all_refuses_the_close(world, as_user):
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan(criteria=PRICE_PLAN, min_panel=3)])
    round_id = w.rounds[0].id
    _panel_and_open(as_user, w, round_id)
    for evaluator in w.evaluators:
        _score_judged(as_user, round_id, evaluator, lambda e, c: 50)
    db.session.execute(sa.update(Submission).where(Submission.id.in_([s.id for s in w.submissions])).values(price_fen=0))
    db.session.commit()
    refused = as_user(w.admin).post(f"/rounds/{round_id}/close")
    assert refused.status_code == 409 and "没有有效报价" in refused.json["error"]["message"]
    assert as_user(w.admin).get(f"/rounds/{round_id}").json["status"] == "open"


def test_metric_criterion_scores_the_declared_value(world, as_user):
    criteria = [{"name": "技术方案", "description": "", "weight": 60, "max_points": 100},
                {"name": "设计 PUE", "description": "", "weight": 40, "max_points": 20, "kind": "metric",
                 "formula": PUE}]
    w = world(n_providers=3, n_evaluators=3, rounds=[round_plan(criteria=criteria, min_panel=3)])
    round_ = w.rounds[0]
    pue = next(c for c in round_.criteria if c.kind == "metric")
    provider_users = [user for _org, user, _app in w.providers]
    review_ops.declare_metrics(provider_users[0], w.submissions[0], {pue.id: "1.20"})
    review_ops.declare_metrics(provider_users[1], w.submissions[1], {str(pue.id): "1.35"})
    with pytest.raises(ValidationFailed) as bad:
        review_ops.declare_metrics(provider_users[2], w.submissions[2], {pue.id: "一点二"})
    assert "应为数字" in bad.value.fields[f"metrics.{pue.id}"]
    db.session.commit()
    _panel_and_open(as_user, w, round_.id)
    for evaluator in w.evaluators:
        _score_judged(as_user, round_.id, evaluator, lambda e, c: 50)
    closed = as_user(w.admin).post(f"/rounds/{round_.id}/close")
    assert closed.status_code == 200, closed.json
    by_submission = {e["submission_id"]: e for e in closed.json["results"]["entries"]}
    # 50/100 × 60 = 30; PUE 1.20 → 20/20 × 40 = 40; 1.35 → 10/20 × 40 = 20; not declared → 0 (noted).
    assert by_submission[w.submissions[0].id]["score"] == "70.00"
    assert by_submission[w.submissions[1].id]["score"] == "50.00"
    assert by_submission[w.submissions[2].id]["score"] == "30.00"
    assert "未申报" in closed.json["results"]["note"]


def test_normalised_reference_beside_the_raw_score(world, as_user):
    plan = round_plan(min_panel=3, criteria=[{"name": "技术方案", "description": "", "weight": 100, "max_points": 100}])
    plan["normalise"] = True
    w = world(n_providers=3, n_evaluators=3, rounds=[plan])
    round_id = w.rounds[0].id
    _panel_and_open(as_user, w, round_id)
    order = {s.id: i for i, s in enumerate(w.submissions)}
    for k, evaluator in enumerate(w.evaluators):
        _score_judged(as_user, round_id, evaluator, lambda e, c, k=k: 90 - 10 * order[e["id"]] - 20 * k)
    closed = as_user(w.admin).post(f"/rounds/{round_id}/close")
    entries = closed.json["results"]["entries"]
    assert [e["submission_id"] for e in entries] == [s.id for s in w.submissions]
    assert entries[0]["score"] == "70.00"  # the raw aggregate stays the score
    assert float(entries[0]["normalised"]) > 0 > float(entries[2]["normalised"])


def test_criteria_are_frozen_once_scoring_started(world, as_user):
    w = world(n_providers=2, n_evaluators=3, rounds=[round_plan(min_panel=3)])
    _panel_and_open(as_user, w, w.rounds[0].id)
    with pytest.raises(Conflict, match="已冻结"):
        review_ops.write_plan(w.challenge, [round_plan(criteria=PRICE_PLAN)])
    assert db.session.get(EvaluationRound, w.rounds[0].id).criteria[0].name == "技术方案"


def test_provider_declares_metric_values_with_the_entry(api, admin, seeded):
    from marketplace.challenges import operations as challenge_ops
    from marketplace.challenges.models import Challenge

    department = factories.create_user("department")
    created = api(department).post("/challenges", json=_challenge_body(
        template_id=seeded["datacenter-efficiency"].family_id, domain="医疗"))
    assert created.status_code == 201, created.json
    challenge = db.session.get(Challenge, created.json["id"])
    challenge_ops.submit_for_review(department, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    db.session.commit()
    rounds = api(department).get(f"/challenges/{challenge.id}/rounds").json["items"]
    pue, flops = [c["id"] for c in rounds[0]["criteria"] if c["kind"] == "metric"][:2]
    _org, user, _app = factories.create_provider(domains=("医疗",), admin=admin)
    entry = {"summary": "液冷方案", "technical_plan": "全液冷", "price_yuan": "900000", "timeline": "6 个月"}
    bad = api(user).post(f"/challenges/{challenge.id}/submissions", json={**entry, "metrics": {str(pue): "低"}})
    assert bad.status_code == 422 and f"metrics.{pue}" in bad.json["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0  # nothing kept
    ok = api(user).post(f"/challenges/{challenge.id}/submissions",
                        json={**entry, "metrics": {str(pue): "1.22", str(flops): "35"}})
    assert ok.status_code == 201, ok.json
    assert ok.json["metrics"] == {str(pue): "1.22", str(flops): "35"}
