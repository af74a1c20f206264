"""A template's versions for the admin (issue 13): what each version changed (criteria diff) and
which challenges copied which version — the pure diff, the page and the API."""

from marketplace.review import templates
from tests import factories
from tests.conftest import login, make_client
from tests.review.test_templates_api import _challenge_body, seeded  # noqa: F401  (fixture)


def _c(name, weight, max_points=100, **extra):
    return {"name": name, "description": "", "weight": weight, "max_points": max_points, "kind": "judged", **extra}


def _r(name, criteria, **extra):
    return {"name": name, "aggregation": "mean", "advance_top": None, "advance_threshold": None, "blind": False,
            "min_panel": 3, "normalise": False, "tie_break": "", "criteria": criteria, **extra}


def test_plan_diff_names_each_change():
    old = [_r("方案评审", [_c("技术方案", 60), _c("团队", 20), _c("案例", 20)]), _r("答辩", [_c("答辩表现", 100)])]
    new = [_r("方案评审", [_c("团队", 20), _c("技术方案", 50, description="含架构"), _c("报价", 30, 30, kind="price")],
              aggregation="median", blind=True),
           _r("路演", [_c("路演表现", 100)])]
    assert templates.plan_diff(old, new) == [
        "新增轮次“路演”（路演表现）",
        "删除轮次“答辩”",
        "轮次“方案评审”：汇总方式 平均分 → 中位数",
        "轮次“方案评审”：盲评 否 → 是",
        "轮次“方案评审”：新增评分项“报价”（30%，报价自动计算）",
        "轮次“方案评审”：删除评分项“案例”（原 20%）",
        "轮次“方案评审”：评分项顺序调整",
        "轮次“方案评审”评分项“技术方案”：权重 60% → 50%",
        "轮次“方案评审”评分项“技术方案”：说明已修改",
    ]
    assert templates.plan_diff(old, old) == []
    formula = {"type": "thresholds", "thresholds": [{"at_most": "1.3", "points": "10"}], "otherwise": "0"}
    looser = {**formula, "thresholds": [{"at_most": "1.4", "points": "10"}]}
    assert templates.plan_diff([_r("评审", [_c("PUE", 100, 10, kind="metric", formula=formula)])],
                               [_r("评审", [_c("PUE", 100, 10, kind="metric", formula=looser)])]) == [
        "轮次“评审”评分项“PUE”：计算公式已修改"]


def test_versions_page_and_api_show_changes_and_copies(api, seeded, admin, app):  # noqa: F811
    department = factories.create_user("department")
    template = seeded["zonghe-standard"]
    family, first_version = template.family_id, template.id
    old_challenge = api(department).post("/challenges", json=_challenge_body(template_id=family, title="旧版榜单"))
    assert old_challenge.status_code == 201, old_challenge.json
    dropped = next(c["weight"] for c in template.rounds[0]["criteria"] if c["name"] == "业绩案例")
    rounds = [{**r, "criteria": [c for c in r["criteria"] if c["name"] != "业绩案例"]} for r in template.rounds]
    rounds[0]["criteria"][0] = {**rounds[0]["criteria"][0], "weight": rounds[0]["criteria"][0]["weight"] + dropped}
    edited = api(admin).put(f"/evaluation-templates/{family}", json={"name": template.name, "description": "",
                                                                      "rounds": rounds})
    assert edited.status_code == 200, edited.json
    new_challenge = api(department).post("/challenges", json=_challenge_body(template_id=family, title="新版榜单"))
    assert new_challenge.status_code == 201, new_challenge.json

    listed = api(admin).get(f"/evaluation-templates/{family}/versions")
    assert listed.status_code == 200, listed.json
    v2, v1 = listed.json["items"]
    assert (v2["version"], v2["current"], v1["version"], v1["current"]) == (2, True, 1, False)
    assert v1["version_id"] == first_version and v1["changes"] == ["初始版本"]
    assert any("删除评分项“业绩案例”" in line for line in v2["changes"])
    assert any("评分项“技术方案”：权重" in line for line in v2["changes"])
    assert [c["id"] for c in v1["challenges"]] == [old_challenge.json["id"]]
    assert [c["id"] for c in v2["challenges"]] == [new_challenge.json["id"]]
    assert api(department).get(f"/evaluation-templates/{family}/versions").status_code == 403
    assert api(admin).get("/evaluation-templates/9999/versions").status_code == 404

    web = make_client(app)
    login(web, admin)
    assert f"/admin/evaluation-templates/{family}/versions" in web.get("/admin/evaluation-templates").get_data(as_text=True)
    page = web.get(f"/admin/evaluation-templates/{family}/versions").get_data(as_text=True)
    assert page.count('data-testid="template-version"') == 2 and "当前版本" in page
    assert "删除评分项“业绩案例”" in page and "初始版本" in page
    assert page.index("新版榜单") < page.index("旧版榜单")  # newest version first, each with its copies
    other = make_client(app)
    login(other, department)
    assert other.get(f"/admin/evaluation-templates/{family}/versions").status_code in (403, 404)
