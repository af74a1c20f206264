"""The notification inbox and the audit log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.core.timeutil import today_shanghai
from tests.api.conftest import assert_error, assert_page, assert_time


def _admit(api, admin, app):
    until = (today_shanghai() + timedelta(days=180)).isoformat()
    response = api(admin).post(f"/partner-applications/{app.id}/admit", json={"valid_until": until})
    assert response.status_code == 200
    return response


# --- notifications -------------------------------------------------------------------------------

def test_admission_notifies_the_provider(api, admin, applied, create_user):
    org, user, app = applied
    colleague = create_user("provider", org=org)
    assert api(user).get("/notifications").get_json()["total"] == 0
    _admit(api, admin, app)
    for person in (user, colleague):
        body = api(person).get("/notifications").get_json()
        items = assert_page(body, total=1)
        note = items[0]
        assert note["kind"] == "partner.admitted"
        assert "通过" in note["title"]
        assert note["read"] is False and note["read_at"] is None
        assert_time(note["created_at"])
        assert body["unread"] == 1


def test_rejection_notifies_with_the_reason(api, admin, applied):
    _, user, app = applied
    api(admin).post(f"/partner-applications/{app.id}/reject", json={"reason": "缺少等保测评报告"})
    note = api(user).get("/notifications").get_json()["items"][0]
    assert note["kind"] == "partner.rejected"
    assert "缺少等保测评报告" in note["body"]


@pytest.mark.parametrize("action,kind", [("suspend", "partner.suspended"), ("remove", "partner.removed")])
def test_listing_actions_notify(api, admin, create_provider, action, kind):
    org, user, _ = create_provider(admin=admin)
    api(admin).post(f"/providers/{org.id}/{action}", json={"reason": "投诉核查"})
    kinds = [n["kind"] for n in api(user).get("/notifications").get_json()["items"]]
    assert kind in kinds


def test_read_marks_and_filters(api, admin, applied):
    _, user, app = applied
    _admit(api, admin, app)
    client = api(user)
    note = client.get("/notifications").get_json()["items"][0]
    response = client.post(f"/notifications/{note['id']}/read")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == note["id"] and body["read"] is True
    assert_time(body["read_at"])
    assert client.post(f"/notifications/{note['id']}/read").get_json()["read_at"] == body["read_at"]
    inbox = client.get("/notifications").get_json()
    assert inbox["unread"] == 0 and inbox["items"][0]["read"] is True
    assert client.get("/notifications?unread=1").get_json()["total"] == 0


def test_read_all(api, admin, create_provider):
    org, user, _ = create_provider(admin=admin)
    api(admin).post(f"/providers/{org.id}/suspend", json={"reason": "核查"})
    client = api(user)
    assert client.get("/notifications").get_json()["unread"] == 2
    assert client.post("/notifications/read-all").get_json() == {"unread": 0}
    assert client.get("/notifications").get_json()["unread"] == 0


def test_someone_elses_notification_is_404(api, admin, applied, create_user):
    _, user, app = applied
    _admit(api, admin, app)
    note = api(user).get("/notifications").get_json()["items"][0]
    for other in (admin, create_user(role="evaluator"), create_user(role="provider")):
        assert_error(api(other).post(f"/notifications/{note['id']}/read"), 404, "not_found")
    assert api(user).get("/notifications").get_json()["items"][0]["read"] is False


def test_notifications_need_a_login(api):
    assert_error(api().get("/notifications"), 401)
    assert_error(api().post("/notifications/1/read"), 401)
    assert_error(api().post("/notifications/read-all"), 401)


def test_unknown_notification_is_404(api, admin):
    assert_error(api(admin).post("/notifications/987654/read"), 404)


def test_inbox_shows_only_own(api, admin, applied, evaluator):
    _, user, app = applied
    _admit(api, admin, app)
    assert api(evaluator).get("/notifications").get_json()["total"] == 0


# --- audit --------------------------------------------------------------------------------------

def test_audit_filters_by_object(api, admin, applied):
    org, _, app = applied
    _admit(api, admin, app)
    body = api(admin).get(f"/audit?object_type=partner_application&object_id={app.id}").get_json()
    items = assert_page(body)
    actions = [e["action"] for e in items]
    assert actions == ["partner_application.admit", "partner_application.submit"]
    admit = items[0]
    assert admit["object_type"] == "partner_application" and admit["object_id"] == app.id
    assert admit["actor_id"] == admin.id and admit["actor"] == admin.email
    assert admit["before"]["state"] == "applied" and admit["after"]["state"] == "admitted"
    assert admit["source_ip"]
    assert len(admit["hash"]) == 64 and len(admit["prev_hash"]) == 64
    assert_time(admit["created_at"])
    for event in api(admin).get("/audit?object_type=organisation").get_json()["items"]:
        assert event["object_type"] == "organisation"
    assert api(admin).get("/audit?object_type=no_such_thing").get_json()["total"] == 0


def test_audit_records_api_actions(api, admin, create_user):
    user = create_user(role="evaluator")
    api(admin).post(f"/users/{user.id}/deactivate")
    items = api(admin).get(f"/audit?object_type=user&object_id={user.id}&action=user.deactivate").get_json()["items"]
    assert len(items) == 1
    assert items[0]["before"] == {"is_active": True} and items[0]["after"] == {"is_active": False}
    items = api(admin).get(f"/audit?actor_id={admin.id}").get_json()["items"]
    assert {e["actor_id"] for e in items} == {admin.id}


def test_audit_verify(api, admin, applied, db):
    _, _, app = applied
    _admit(api, admin, app)
    count = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    body = api(admin).get("/audit/verify").get_json()
    assert body["ok"] is True
    assert body["events"] == count > 0
    assert body["first_bad_id"] is None


def test_audit_verify_names_an_edited_event(api, admin, applied, db):
    _, _, app = applied
    _admit(api, admin, app)
    event_id = db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.seq)).first()
    db.session.commit()
    # an intruder with database access; PostgreSQL's append-only trigger is switched off for
    # this transaction only (DISABLE/ENABLE TRIGGER are transactional)
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(action="tampered"))
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    body = api(admin).get("/audit/verify").get_json()
    assert body["ok"] is False
    assert body["first_bad_id"] == event_id


@pytest.mark.parametrize("url", ["/audit", "/audit/verify"])
def test_audit_is_admin_only(api, create_user, url):
    assert_error(api().get(url), 401)
    for role in ("provider", "department", "evaluator"):
        assert_error(api(create_user(role=role)).get(url), 403)
