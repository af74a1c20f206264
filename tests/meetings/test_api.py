"""The events API as documented in API.md "Events"."""

from datetime import timedelta
from io import BytesIO

from icalendar import Calendar
from openpyxl import load_workbook

from marketplace.core.db import utcnow
from marketplace.core.timeutil import isoformat
from tests import factories
from tests.challenges.conftest import ISO_0800, assert_error
from tests.meetings.conftest import move_event


def _payload(**overrides):
    start = utcnow() + timedelta(days=3)
    body = {"title": "智慧医疗项目路演", "kind": "roadshow", "starts_at": isoformat(start),
            "ends_at": isoformat(start + timedelta(hours=2)), "venue": "区科技园路演厅", "capacity": 4,
            "registration_deadline": isoformat(start - timedelta(days=1)), "description": "入围方案路演。"}
    body.update(overrides)
    return body


def test_create_publish_register_waitlist_cancel_promote(api, organiser, providers):
    created = api(organiser).post("/events", json=_payload())
    assert created.status_code == 201, created.get_json()
    event = created.get_json()
    assert event["status"] == "draft" and ISO_0800.match(event["starts_at"])
    assert api().get(f"/events/{event['id']}").status_code == 404  # a draft is not public
    assert api(organiser).post(f"/events/{event['id']}/publish").get_json()["status"] == "published"
    assert [e["id"] for e in api().get("/events").get_json()["items"]] == [event["id"]]

    url = f"/events/{event['id']}/registrations"
    first = api(providers[0]).post(url, json={"attendees": 3, "note": "总经理带队"})
    assert first.status_code == 201 and first.get_json()["status"] == "registered"
    second = api(providers[1]).post(url, json={"attendees": 2}).get_json()
    assert second["status"] == "waitlisted" and second["waitlist_position"] == 1
    assert api().get(f"/events/{event['id']}").get_json()["seats_left"] == 1
    assert_error(api(providers[0]).post(url, json={"attendees": 1}), 409)
    assert_error(api(providers[2]).post(url, json={"attendees": 6}), 422, "attendees")
    assert_error(api(providers[2]).post(url, json={"attendees": "两"}), 422, "attendees")

    assert_error(api(providers[1]).post(f"/registrations/{first.get_json()['id']}/cancel"), 404)
    cancelled = api(providers[0]).post(f"/registrations/{first.get_json()['id']}/cancel")
    assert cancelled.get_json()["status"] == "cancelled"
    assert api(providers[1]).get(f"/registrations/{second['id']}").get_json()["status"] == "registered"

    listed = api(organiser).get(url).get_json()["items"]
    assert [r["status"] for r in listed] == ["cancelled", "registered"]
    assert_error(api(providers[0]).get(url), 403)
    checked = api(organiser).post(f"/registrations/{second['id']}/check-in")
    assert checked.get_json()["status"] == "attended"

    assert_error(api(organiser).post(f"/events/{event['id']}/cancel", json={}), 422, "reason")
    done = api(organiser).post(f"/events/{event['id']}/cancel", json={"reason": "台风预警"})
    assert done.get_json()["status"] == "cancelled"


def test_registration_after_the_deadline_is_409(api, make_event, providers):
    event = make_event()
    move_event(event, registration_deadline=utcnow() - timedelta(minutes=1))
    assert_error(api(providers[0]).post(f"/events/{event.id}/registrations", json={"attendees": 1}), 409)


def test_field_errors_in_chinese(api, organiser):
    start = utcnow() + timedelta(days=3)
    error = assert_error(api(organiser).post("/events", json=_payload(
        kind="party", capacity=0, ends_at=isoformat(start - timedelta(hours=1)), starts_at="明天")), 422)
    assert {"kind", "capacity", "starts_at"} <= set(error["fields"])
    provider = factories.create_user("provider")
    assert_error(api(provider).post("/events", json=_payload()), 403)


def test_sign_in_sheet_neutralises_formulas_and_ics_is_rfc5545(api, make_event, organiser, providers, client):
    event = make_event()
    api(providers[0]).post(f"/events/{event.id}/registrations", json={"attendees": 2, "note": "=HYPERLINK(\"x\")"})
    sheet = api(organiser).get(f"/events/{event.id}/registrations.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[3][:3] == ("序号", "单位", "人数")
    assert rows[4][1] == "上海第1科技有限公司" and rows[4][2] == 2 and rows[4][5].startswith("'=")
    assert_error(api(providers[0]).get(f"/events/{event.id}/registrations.xlsx"), 403)

    ics = client.get(f"/events/{event.id}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"\r\n" in ics.data and all(len(line) <= 75 for line in ics.data.split(b"\r\n"))
    parsed = Calendar.from_ical(ics.data)
    vevent = parsed.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == event.title
    assert vevent.decoded("DTSTART") == event.starts_at
