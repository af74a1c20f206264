"""工作台 in a browser: the admin logs in, lands on the workbench, sees the late evaluators first
as a count, follows it to the round and clicks 提醒; the late evaluator — and only they — finds the
reminder, and their own workbench shows the sheet to finish with its deadline."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.people import log_in
from tests.main.conftest import open_first_round, score
from tests.review.conftest import world  # noqa: F401  (the fixture is re-exported)

pytestmark = pytest.mark.e2e


def test_admin_reminds_a_late_evaluator_from_the_workbench(new_page, world):  # noqa: F811
    w = world(n_providers=2, n_evaluators=3)
    round_ = open_first_round(w)
    score(round_, w.evaluators[0])
    score(round_, w.evaluators[1])
    late = w.evaluators[2]

    admin = new_page()
    log_in(admin, w.admin.email)
    expect(admin).to_have_url(re.compile(r"/workbench$"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("工作台")
    count = admin.get_by_test_id("count-late")
    expect(count.get_by_test_id("count-value")).to_have_text("1")
    count.click()
    form = admin.get_by_test_id("late-round")
    expect(form).to_contain_text("评分期限")
    expect(form.get_by_label(re.compile(late.name))).to_be_checked()
    form.get_by_role("button", name="提醒").click()
    expect(admin.get_by_role("alert")).to_contain_text(f"已提醒 1 名专家：{late.name}")
    # Reminded: the box waits out the interval, and a second click is not offered.
    expect(admin.get_by_test_id("late-round").get_by_label(re.compile(late.name))).to_be_disabled()
    expect(admin.get_by_test_id("late-round").get_by_role("button", name="提醒")).to_have_count(0)

    expert = new_page()
    log_in(expert, late.email)
    expect(expert).to_have_url(re.compile(r"/workbench$"))
    expect(expert.get_by_test_id("count-declarations").get_by_test_id("count-value")).to_have_text("1")
    expect(expert.get_by_test_id("queue-declarations")).to_contain_text("评分期限")
    expert.get_by_test_id("inbox-link").click()
    expect(expert.get_by_text("请尽快完成评审")).to_be_visible()

    done = new_page()
    log_in(done, w.evaluators[0].email)
    done.get_by_test_id("inbox-link").click()
    expect(done.get_by_text("请尽快完成评审")).to_have_count(0)
