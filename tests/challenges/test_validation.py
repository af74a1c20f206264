"""Challenge validation: 422 with the field and a Chinese message; rich text never runs a script."""

from datetime import timedelta

from marketplace.core.db import utcnow
from marketplace.core.timeutil import isoformat
from tests.challenges.conftest import assert_error, challenge_payload


def _round(weights=(60, 40), max_points=(10, 10), **extra):
    return {"name": "方案评审", "aggregation": "mean", "blind": False,
            "criteria": [{"name": f"评分项{i}", "weight": w, "max_points": m}
                         for i, (w, m) in enumerate(zip(weights, max_points, strict=True))], **extra}


def _without(key):
    body = challenge_payload()
    body.pop(key)
    return body


CASES = [
    ("title missing", _without("title"), "title"),
    ("title blank", challenge_payload(title="   "), "title"),
    ("title too long", challenge_payload(title="榜" * 201), "title"),
    ("budget negative", challenge_payload(budget_yuan="-1.00"), "budget_yuan"),
    ("budget three decimals", challenge_payload(budget_yuan="100.005"), "budget_yuan"),
    ("budget not a number", challenge_payload(budget_yuan="一百万"), "budget_yuan"),
    ("budget missing", _without("budget_yuan"), "budget_yuan"),
    ("budget blank", challenge_payload(budget_yuan="   "), "budget_yuan"),
    ("description blank", challenge_payload(description=" \n "), "description"),
    ("outcomes blank", challenge_payload(outcomes="  "), "outcomes"),
    ("weights sum to 90", challenge_payload(rounds=[_round(weights=(50, 40))]), "rounds.0.criteria"),
    ("weights sum to 110", challenge_payload(rounds=[_round(weights=(70, 40))]), "rounds.0.criteria"),
    ("second round's weights", challenge_payload(rounds=[_round(), _round(weights=(30, 30))]), "rounds.1.criteria"),
    ("max points zero", challenge_payload(rounds=[_round(max_points=(0, 10))]), "rounds.0.criteria.0.max_points"),
    ("max points negative", challenge_payload(rounds=[_round(max_points=(10, -5))]), "rounds.0.criteria.1.max_points"),
    ("race slots zero", challenge_payload(race_slots=0), "race_slots"),
    ("notice days 31", challenge_payload(notice_days=31), "notice_days"),
    ("notice days negative", challenge_payload(notice_days=-1), "notice_days"),
    ("min submissions zero", challenge_payload(min_submissions=0), "min_submissions"),
    ("no rounds", challenge_payload(rounds=[]), "rounds"),
    ("deadline in the past", challenge_payload(deadline=isoformat(utcnow() - timedelta(hours=1))), "deadline"),
    ("deadline malformed", challenge_payload(deadline="下周五下午"), "deadline"),
    ("deadline impossible date", challenge_payload(deadline="2026-02-30T17:00:00+08:00"), "deadline"),
    ("deadline missing", _without("deadline"), "deadline"),
    ("deadline blank", challenge_payload(deadline="  "), "deadline"),
    ("unknown domain", challenge_payload(domain="火星探索"), "domain"),
    ("unknown required domain", challenge_payload(required_domains=["养老", "火星探索"]), "required_domains"),
    ("unknown aggregation", challenge_payload(rounds=[_round(aggregation="max")]), "rounds.0.aggregation"),
]


def test_invalid_challenge_is_422_on_the_field(api, dept):
    as_dept = api(dept)
    for case, body, field in CASES:
        response = as_dept.post("/challenges", json=body)
        assert response.status_code == 422, (case, response.status_code)
        error = assert_error(response, 422, field=field)
        assert error["code"] == "validation_failed", case
    # Nothing half-written.
    assert as_dept.get("/challenges").get_json()["total"] == 0


def test_weights_message_names_the_sum(api, dept):
    error = assert_error(api(dept).post("/challenges", json=challenge_payload(rounds=[_round(weights=(50, 40))])),
                         422, field="rounds.0.criteria")
    assert "100" in error["fields"]["rounds.0.criteria"] and "90" in error["fields"]["rounds.0.criteria"]


def test_valid_edges_are_accepted(api, dept):
    body = challenge_payload(title="榜" * 200, budget_yuan="0.01", notice_days=0, race_slots=1,
                             rounds=[_round(weights=(100,), max_points=(1,))])
    response = api(dept).post("/challenges", json=body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["budget_yuan"] == "0.01" and data["notice_days"] == 0 and data["status"] == "draft"
    assert data["rounds"][0]["criteria"][0]["weight"] == 100


def test_patch_is_validated_too(api, dept):
    created = api(dept).post("/challenges", json=challenge_payload()).get_json()
    assert_error(api(dept).patch(f"/challenges/{created['id']}", json={"budget_yuan": "1.999"}), 422,
                 field="budget_yuan")
    assert_error(api(dept).patch(f"/challenges/{created['id']}", json={"notice_days": 31}), 422, field="notice_days")
    assert api(dept).get(f"/challenges/{created['id']}").get_json()["budget_yuan"] == "800000.00"


def test_only_departments_create(api, provider, admin):
    _, provider_user, _ = provider
    assert_error(api(provider_user).post("/challenges", json=challenge_payload()), 403)
    assert_error(api(admin).post("/challenges", json=challenge_payload()), 403)
    assert api().post("/challenges", json=challenge_payload()).status_code == 401


SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>[点我](javascript:alert(2))'


def test_rich_text_never_renders_a_script(api, dept, admin, browser):
    body = challenge_payload(description="场景说明\n\n" + SCRIPT, outcomes="**指标**" + SCRIPT)
    created = api(dept).post("/challenges", json=body)
    assert created.status_code == 201
    challenge_id = created.get_json()["id"]
    # The JSON returns the raw text, exactly as written.
    assert created.get_json()["description"] == "场景说明\n\n" + SCRIPT
    api(dept).post(f"/challenges/{challenge_id}/submit-for-review")
    api(admin).post(f"/challenges/{challenge_id}/approve")
    assert api().get(f"/challenges/{challenge_id}").get_json()["outcomes"] == "**指标**" + SCRIPT

    response = browser().get(f"/challenges/{challenge_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "场景说明" in html and "<strong>指标</strong>" in html
    assert '<script>alert("xss")' not in html
    assert 'href="javascript' not in html.lower()
    assert "<img src=x" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_race_needs_its_milestones_and_a_pilot_budget_within_the_budget(api, dept):
    from tests.challenges.conftest import assert_error, challenge_payload

    client = api(dept)
    missing = client.post("/challenges", json=challenge_payload(race_milestones=[], pilot_budget_yuan=None))
    error = assert_error(missing, 422)
    assert "race_milestones" in error["fields"] and "pilot_budget_yuan" in error["fields"]
    over = client.post("/challenges", json=challenge_payload(pilot_budget_yuan="400000.01"))
    assert "不能超过预算" in assert_error(over, 422, "pilot_budget_yuan")["fields"]["pilot_budget_yuan"]
    bad_row = client.post("/challenges", json=challenge_payload(race_milestones=[{"title": "部署", "due_days": 0}]))
    assert_error(bad_row, 422)
    created = client.post("/challenges", json=challenge_payload())
    assert created.status_code == 201, created.json
    assert created.json["pilot_budget_yuan"] == "100000.00"
    assert created.json["race_milestones"] == [{"title": "试点部署", "due_days": 30, "evidence": "部署报告"}]
    # Without a race the milestones are not kept.
    single = client.post("/challenges", json=challenge_payload(race_slots=1))
    assert single.status_code == 201 and single.json["race_milestones"] == [] and single.json["pilot_budget_yuan"] is None
