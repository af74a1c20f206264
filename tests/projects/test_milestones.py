"""Unit: overdue computation, progress reports, and the notify-due warnings."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.projects import operations as ops
from marketplace.projects.models import is_overdue
from marketplace.projects.states import MilestoneStatus, ReportStatus

D = date(2026, 12, 1)


@pytest.mark.parametrize(("due", "status", "today", "expected"), [
    (D, MilestoneStatus.open, D - timedelta(days=1), False),
    (D, MilestoneStatus.open, D, False),  # due today is not late yet
    (D, MilestoneStatus.open, D + timedelta(days=1), True),
    (D, MilestoneStatus.open, D + timedelta(days=400), True),
    (D, MilestoneStatus.completed, D + timedelta(days=1), False),  # confirmed complete is never overdue
    (D, MilestoneStatus.completed, D - timedelta(days=1), False),
])
def test_overdue(due, status, today, expected):
    assert is_overdue(due, status, today) is expected


def test_report_confirm_return_and_completion(milestone, dept, provider):
    report = ops.submit_report(provider[1], milestone, percent=60, narrative="核心模块完成")
    with pytest.raises(Conflict, match="尚待"):
        ops.submit_report(provider[1], milestone, percent=70, narrative="再报")
    ops.return_report(dept[1], report, reason="缺少测试报告")
    assert report.status == ReportStatus.returned and milestone.percent == 0
    with pytest.raises(Conflict):
        ops.confirm_report(dept[1], report)
    answer = ops.submit_report(provider[1], milestone, percent=100, narrative="已补测试报告")
    ops.confirm_report(dept[1], answer)
    assert milestone.status == MilestoneStatus.completed and milestone.percent == 100
    assert not milestone.is_overdue(milestone.due_date + timedelta(days=5))
    with pytest.raises(Conflict, match="已确认完成"):
        ops.submit_report(provider[1], milestone, percent=100, narrative="x")


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_percent_range(milestone, provider, percent):
    with pytest.raises(ValidationFailed) as caught:
        ops.submit_report(provider[1], milestone, percent=percent, narrative="x")
    assert caught.value.fields == {"percent": "进度应为 0–100 的整数"}


def test_only_the_projects_provider_reports(milestone, other_provider, dept):
    with pytest.raises(NotAllowed):
        ops.submit_report(other_provider[1], milestone, percent=10, narrative="x")
    with pytest.raises(NotAllowed):
        ops.submit_report(dept[1], milestone, percent=10, narrative="x")


def test_milestone_rules(make_project, dept, other_provider):
    project = make_project("build")
    with pytest.raises(ValidationFailed) as caught:
        ops.add_milestone(dept[1], project, title="x", due_date=today_shanghai() - timedelta(days=1),
                          owner_id=dept[1].id)
    assert "due_date" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:  # the owner must belong to the project
        ops.add_milestone(dept[1], project, title="x", due_date=today_shanghai(), owner_id=other_provider[1].id)
    assert "owner_id" in caught.value.fields


def _inbox(user, kind):
    return db.session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id,
                                                                  Notification.kind == kind)).all()


def test_warnings_three_days_before_and_the_day_after(milestone, provider, dept):
    due = milestone.due_date
    assert ops.warn_due_milestones(due - timedelta(days=4)) == 0
    assert ops.warn_due_milestones(due - timedelta(days=3)) == 1
    assert ops.warn_due_milestones(due - timedelta(days=2)) == 0  # once per due date
    assert ops.warn_due_milestones(due) == 0  # not late on the day itself
    assert ops.warn_due_milestones(due + timedelta(days=1)) == 1
    assert ops.warn_due_milestones(due + timedelta(days=2)) == 0
    assert _inbox(provider[1], "milestone.due_soon") == ["里程碑即将到期"]
    assert _inbox(provider[1], "milestone.overdue") == ["里程碑已逾期"]
    assert _inbox(dept[1], "milestone.overdue") == ["里程碑已逾期"]
    # a completed milestone is not warned about
    milestone.due_date = due + timedelta(days=30)
    milestone.status = MilestoneStatus.completed
    assert ops.warn_due_milestones(due + timedelta(days=27)) == 0


def test_notify_due_command_warns_owners(app, milestone, provider):
    milestone.due_date = today_shanghai() - timedelta(days=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notify-due"])
    assert result.exit_code == 0, result.output
    assert "里程碑提醒 1 条" in result.output
    db.session.expire_all()
    assert _inbox(provider[1], "milestone.overdue") == ["里程碑已逾期"]
