"""Needs are public only once published; feedback and triage notes never leak."""

import io

import pytest
from openpyxl import load_workbook

from marketplace.extensions import db
from marketplace.needs import operations as ops
from tests import factories
from tests.conftest import login, make_client

SECRET_NOTE = "内部备注：提出单位此前有过重复申报"
FEEDBACK = "给提出单位：请与区商务委对接"


@pytest.fixture
def world(submit, accepted, published, office, bureau):
    need = published()
    waiting = submit(title="待审查需求甲")
    returned = submit(title="退回需求乙")
    ops.return_need(office, returned, note="补充量化指标", triage_note=SECRET_NOTE)
    rejected = submit(title="未采纳需求丙")
    ops.reject_need(office, rejected, note="不属于场景", triage_note=SECRET_NOTE)
    unpublished = accepted(title="已受理未发布需求丁")
    db.session.commit()
    return {"published": need, "hidden": [waiting, returned, rejected, unpublished]}


def _with_secrets(need, office):
    need.feedback, need.triage_note = FEEDBACK, SECRET_NOTE
    db.session.commit()


def test_anonymous_and_providers_see_published_needs_only(app, api, world, office):
    _with_secrets(world["published"], office)
    _, provider_user, _ = factories.create_provider()
    provider = make_client(app)
    login(provider, provider_user)
    for client in (make_client(app), provider):
        for need in world["hidden"]:
            assert client.get(f"/needs/{need.id}").status_code == 404
        page = client.get(f"/needs/{world['published'].id}").get_data(as_text=True)
        assert world["published"].title in page
        assert SECRET_NOTE not in page and FEEDBACK not in page
        listing = client.get("/needs").get_data(as_text=True)
        assert all(n.title not in listing for n in world["hidden"])
    for caller in (api(), api(provider_user)):
        body = caller.get(f"/needs/{world['published'].id}").get_json()
        assert "triage_note" not in body and "feedback" not in body
        assert SECRET_NOTE not in str(body) and FEEDBACK not in str(body)
        assert [n["id"] for n in caller.get("/needs").get_json()["items"]] == [world["published"].id]
        for need in world["hidden"]:
            assert caller.get(f"/needs/{need.id}").status_code == 404


def test_the_submitter_sees_feedback_but_never_the_internal_note(app, api, world, street):
    returned = world["hidden"][1]
    client = make_client(app)
    login(client, street)
    page = client.get(f"/needs/{returned.id}").get_data(as_text=True)
    assert "补充量化指标" in page and SECRET_NOTE not in page
    body = api(street).get(f"/needs/{returned.id}").get_json()
    assert body["feedback"] == "补充量化指标" and "triage_note" not in body


def test_other_departments_do_not_see_unpublished_needs(app, api, world, other_street):
    for need in world["hidden"]:
        assert api(other_street).get(f"/needs/{need.id}").status_code == 404


def test_the_office_sees_the_internal_note(app, world, office):
    client = make_client(app)
    login(client, office)
    assert SECRET_NOTE in client.get(f"/needs/{world['hidden'][1].id}").get_data(as_text=True)


def test_search_and_export_hold_nothing_private(app, world, office):
    _with_secrets(world["published"], office)
    anonymous = make_client(app)
    searched = anonymous.get("/needs?q=需求").get_data(as_text=True)
    assert all(n.title not in searched for n in world["hidden"])
    data = anonymous.get(f"/need-batches/{world['published'].batch_id}.xlsx").data
    cells = [str(c) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for c in row]
    assert SECRET_NOTE not in cells and FEEDBACK not in cells and world["published"].title in cells
