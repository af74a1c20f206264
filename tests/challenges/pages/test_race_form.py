"""The horse race part of the challenge form (赛马试点): unified pilot milestones and the pilot
budget per racer, in their own section; rows added by a plain submit button and removed by a tick,
no script needed; errors at the field, typed values kept."""

from decimal import Decimal

from marketplace.challenges.models import Challenge, RaceMilestone
from marketplace.extensions import db
from tests.challenges.pages.conftest import challenge_form, count, field_errors, page, submit

RACE = {
    "race_slots": "3", "pilot_budget_yuan": "200000",
    "race_milestones-0-title": "试点部署完成", "race_milestones-0-due_days": "30",
    "race_milestones-0-evidence": "部署报告",
    "race_milestones-1-title": "试点运行一个月", "race_milestones-1-due_days": "60",
    "race_milestones-1-evidence": "运行日志与实测指标",
    "race_milestones-2-title": "", "race_milestones-2-due_days": "", "race_milestones-2-evidence": "",
}


def test_department_defines_the_race_milestones_and_pilot_budget(browser_for, dept):
    web = browser_for(dept)
    form_page = page(web, "/challenges/new")
    assert form_page.count('data-testid="race-milestone-row"') == 3
    assert 'id="race"' in form_page and "增加一行里程碑" in form_page
    # Adding a row is a submit that only re-renders, keeping what was typed; nothing is saved.
    more = submit(web, "/challenges/new", challenge_form(**RACE, add_race_row="1"))
    body = more.get_data(as_text=True)
    assert more.status_code == 200 and body.count('data-testid="race-milestone-row"') == 4
    assert 'value="试点部署完成"' in body and count(Challenge) == 0

    saved = submit(web, "/challenges/new", challenge_form(**RACE))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    challenge = db.session.scalars(db.select(Challenge)).one()
    assert challenge.pilot_budget_yuan == Decimal("200000.00")
    assert [(m.position, m.title, m.due_days, m.evidence) for m in challenge.race_milestones] == [
        (1, "试点部署完成", 30, "部署报告"), (2, "试点运行一个月", 60, "运行日志与实测指标")]

    # Removing a row on edit: its tick blanks it; the rest is renumbered.
    edit = submit(web, f"/challenges/{challenge.id}/edit", challenge_form(**RACE, **{"race_milestones-0-remove": "y"}))
    assert edit.status_code == 302
    db.session.expire_all()
    assert [(m.position, m.title) for m in challenge.race_milestones] == [(1, "试点运行一个月")]
    assert count(RaceMilestone) == 1


def test_a_race_without_milestones_or_beyond_the_budget_is_refused_at_the_field(browser_for, dept):
    web = browser_for(dept)
    missing = submit(web, "/challenges/new", challenge_form(race_slots="2"))
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422
    errors = field_errors(body)
    assert errors["pilot_budget_yuan"] == ["赛马名额大于 1 时须填写每个团队的试点经费"]
    assert "统一试点里程碑" in body
    too_much = submit(web, "/challenges/new", challenge_form(**{**RACE, "pilot_budget_yuan": "500000"}))
    body = too_much.get_data(as_text=True)
    assert too_much.status_code == 422
    assert "不能超过预算" in field_errors(body)["pilot_budget_yuan"][0]
    assert 'value="试点部署完成"' in body  # typed values kept
    no_days = submit(web, "/challenges/new", challenge_form(**{**RACE, "race_milestones-1-due_days": ""}))
    assert no_days.status_code == 422
    assert field_errors(no_days.get_data(as_text=True))["race_milestones-1-due_days"] == ["请填写到期天数"]
    assert count(Challenge) == 0
