"""The evaluation plan on the challenge form (issue 13): start from a template or an earlier
challenge; add, remove and move rows without JavaScript, typed values kept; the tie-break is a
choice among the round's criteria; the weight total is shown."""

import re

from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.review import templates
from tests.challenges.pages.conftest import challenge_form, field_errors, make_challenge, page, redirect_path, submit


def _seed():
    templates.seed_templates()
    db.session.commit()
    return {t.key: t for t in templates.current_templates()}


def _value(body, name):
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', body) or \
        re.search(rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', body)
    return match.group(1) if match else None


def test_new_challenge_from_the_zonghe_template(browser_for, dept):
    shipped = _seed()
    zonghe = shipped["zonghe-standard"]
    web = browser_for(dept)
    body = page(web, f"/challenges/new?template={zonghe.family_id}")
    assert "评审方案已从综合评分法（标准）复制" in body
    assert _value(body, "rounds-0-criteria-4-name") == "报价"
    assert re.search(r'<option selected value="price">|<option value="price" selected>', body)
    assert re.search(r'<select[^>]*name="rounds-0-tie_break"[^>]*>.*<option selected value="技术方案">', body, re.S)
    assert "本轮权重合计：<strong data-weight-total>100</strong>" in body
    assert web.get("/challenges/new?template=99999").status_code == 404

    data = challenge_form(**{k: None for k in challenge_form() if k.startswith("rounds-")})
    data.update({"template_version_id": str(zonghe.id), "rounds-0-name": "综合评审", "rounds-0-aggregation": "mean",
                 "rounds-0-min_panel": "3", "rounds-0-tie_break": "技术方案"})
    for i, (name, weight, points, kind) in enumerate([("技术方案", 70, 70, "judged"), ("报价", 30, 30, "price")]):
        data.update({f"rounds-0-criteria-{i}-name": name, f"rounds-0-criteria-{i}-weight": str(weight),
                     f"rounds-0-criteria-{i}-max_points": str(points), f"rounds-0-criteria-{i}-kind": kind})
    response = submit(web, "/challenges/new", data)
    assert response.status_code == 302, field_errors(response.get_data(as_text=True))
    challenge = db.session.get(Challenge, int(redirect_path(response).rsplit("/", 1)[1]))
    round_ = challenge.rounds[0]
    assert [(c.name, c.kind) for c in round_.criteria] == [("技术方案", "judged"), ("报价", "price")]
    assert round_.template_id == zonghe.id and round_.tie_break_position == 1


def test_plan_buttons_work_without_javascript_and_keep_typed_values(browser_for, dept):
    web = browser_for(dept)
    data = challenge_form(**{"rounds-0-criteria-2-name": "团队", "rounds-0-criteria-2-weight": "10",
                             "rounds-0-criteria-2-max_points": "10", "plan_action": "up-criterion-0-2"})
    moved = submit(web, "/challenges/new", data)
    body = moved.get_data(as_text=True)
    assert moved.status_code == 200
    assert _value(body, "title") == "便捷就医服务2.0：智能分诊导诊"
    assert [_value(body, f"rounds-0-criteria-{i}-name") for i in range(3)] == ["技术方案", "团队", "报价合理性"]
    assert "评分项已上移（尚未保存）" in body
    assert "本轮权重合计：<strong data-weight-total>110</strong>" in body
    assert db.session.query(Challenge).count() == 0  # nothing saved

    removed = submit(web, "/challenges/new", {**data, "plan_action": "remove-criterion-0-0"})
    body = removed.get_data(as_text=True)
    assert [_value(body, f"rounds-0-criteria-{i}-name") for i in range(2)] == ["报价合理性", "团队"]

    many = {**challenge_form(), **{f"rounds-0-criteria-{i}-name": f"评分项{i}" for i in range(6)},
            "plan_action": "add-criterion-0"}
    added = submit(web, "/challenges/new", many).get_data(as_text=True)
    assert 'name="rounds-0-criteria-6-name"' in added and 'name="rounds-0-criteria-7-name"' not in added

    rounds = submit(web, "/challenges/new", {**data, "plan_action": "add-round"}).get_data(as_text=True)
    assert "已添加一轮" in rounds


def test_copy_the_plan_of_an_earlier_challenge(browser_for, dept, department_org):
    earlier = make_challenge(dept, state="draft", title="去年的榜单")
    web = browser_for(dept)
    body = page(web, f"/challenges/new?from={earlier.id}")
    assert "评审方案已从榜单“去年的榜单”复制" in body
    assert _value(body, "rounds-0-criteria-1-name") == "报价"
    assert _value(body, "title") in (None, "")


def test_tie_break_must_be_a_criterion_of_the_round(browser_for, dept):
    web = browser_for(dept)
    response = submit(web, "/challenges/new", challenge_form(**{"rounds-0-tie_break": "不存在的项"}))
    assert response.status_code == 422
    assert "同分比较项须为本轮的一个评分项名称" in field_errors(response.get_data(as_text=True))["rounds-0-tie_break"]
