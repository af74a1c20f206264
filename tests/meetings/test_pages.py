"""Event pages: the public list in the header, the organiser's form (errors at the fields,
values kept), registration and the waitlist, the phone check-in page."""

from datetime import timedelta

from marketplace.core.db import utcnow
from marketplace.core.timeutil import to_shanghai
from tests.conftest import csrf_token, login, make_client


def _local(dt):
    return to_shanghai(dt).strftime("%Y-%m-%dT%H:%M")


def test_organiser_creates_and_publishes_with_field_errors(app, organiser):
    client = make_client(app)
    login(client, organiser)
    assert "/events" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/events/new")
    start = utcnow() + timedelta(days=5)
    data = {"csrf_token": token, "title": "创新大赛决赛", "kind": "contest", "starts_at": _local(start),
            "ends_at": _local(start - timedelta(hours=1)), "venue": "区科技馆", "capacity": "30",
            "registration_deadline": _local(start - timedelta(days=1))}
    html = client.post("/events/new", data=data).get_data(as_text=True)
    assert "结束时间必须晚于开始时间" in html and 'value="创新大赛决赛"' in html
    data["ends_at"] = _local(start + timedelta(hours=4))
    response = client.post("/events/new", data=data)
    assert response.status_code == 302
    detail = response.headers["Location"]
    assert "草稿" in client.get(detail).get_data(as_text=True)
    assert make_client(app).get(detail).status_code == 404
    client.post(detail + "/publish", data={"csrf_token": csrf_token(client, detail)})
    public = make_client(app).get("/events").get_data(as_text=True)
    assert "创新大赛决赛" in public and "北京时间" in public


def test_provider_registers_is_waitlisted_and_promoted(app, make_event, providers, organiser):
    event = make_event(capacity=2)
    first, second = make_client(app), make_client(app)
    login(first, providers[0])
    login(second, providers[1])
    url = f"/events/{event.id}"
    first.post(url + "/register", data={"csrf_token": csrf_token(first, url), "attendees": "2"})
    html = second.get(url).get_data(as_text=True)
    assert "名额已满" in html
    second.post(url + "/register", data={"csrf_token": csrf_token(second, url), "attendees": "1"})
    assert "候补第 1 位" in second.get(url).get_data(as_text=True)
    registration_id = event.registrations[0].id
    first.post(f"/registrations/{registration_id}/cancel", data={"csrf_token": csrf_token(first, url)})
    html = second.get(url).get_data(as_text=True)
    assert "已报名" in html and "候补第" not in html

    staff = make_client(app)
    login(staff, organiser)
    page = staff.get(url + "/check-in").get_data(as_text=True)
    assert "上海第2科技有限公司" in page and "上海第1科技有限公司" not in page
    assert 'name="q"' in page
    promoted = event.registrations[1].id
    staff.post(f"/registrations/{promoted}/check-in",
               data={"csrf_token": csrf_token(staff, url + "/check-in"), "next": "checkin"})
    assert "已签到" in staff.get(url + "/check-in").get_data(as_text=True)
    assert staff.get(url + "/registrations.xlsx").status_code == 200
    assert first.get(url + "/registrations").status_code == 403


def test_edit_draft_and_my_events_pages(app, make_event, organiser, providers):
    draft = make_event(publish=False)
    client = make_client(app)
    login(client, organiser)
    url = f"/events/{draft.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{draft.title}"' in html
    token = csrf_token(client, url)
    start = utcnow() + timedelta(days=4)
    response = client.post(url, data={"csrf_token": token, "title": "改名后的对接会", "kind": "roadshow",
                                      "starts_at": _local(start), "ends_at": _local(start + timedelta(hours=2)),
                                      "venue": "新场地", "capacity": "8",
                                      "registration_deadline": _local(start - timedelta(hours=2))})
    assert response.status_code == 302
    assert "改名后的对接会" in client.get("/my/events").get_data(as_text=True)
    provider = make_client(app)
    login(provider, providers[0])
    assert provider.get(url).status_code == 404
    published = make_event()
    assert client.get(f"/events/{published.id}/edit").status_code == 409
    assert "还没有报名任何活动" in provider.get("/my/events").get_data(as_text=True)


def test_event_page_lists_its_linked_challenges(app, make_event, admin):
    from marketplace.challenges import operations as challenge_ops
    from marketplace.extensions import db
    from tests import factories
    from tests.challenges.conftest import challenge_values

    dept = factories.create_user("department", org=factories.create_org("department", name="区卫生健康委"))
    challenge = challenge_ops.create_challenge(dept, challenge_values())
    challenge_ops.submit_for_review(dept, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    db.session.commit()
    event = make_event(challenge_ids=[challenge.id])
    html = make_client(app).get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/challenges/{challenge.id}"' in html and challenge.title in html
