"""Who hears of a published case: the subscriber turning case events (events.py) into notices.
Connected by the workflow (marketplace/workflow.py)."""

from marketplace.cases import events
from marketplace.core.urls import link_for
from marketplace.notifications.operations import notify, organisation_users


def on_case_published(case, **_):
    """The project's department and its provider."""
    project = case.project
    users = list(organisation_users(project.department_id))
    if project.provider_id:
        users.extend(organisation_users(project.provider_id))
    notify(users, "case.published", "项目入选最佳实践案例",
           f"项目“{project.title}”已作为最佳实践案例发布在案例库。", link=link_for("cases.detail", case_id=case.id))


SUBSCRIPTIONS = [
    (events.case_published, on_case_published),
]
