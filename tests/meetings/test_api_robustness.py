"""No input makes the matching and events API answer 500: hostile bodies, wrong types, absurd
ids and query strings, for every route of those two areas."""

import re

import pytest

from marketplace.api import ROUTES
from marketplace.extensions import db
from marketplace.meetings import operations as ops
from tests import factories
from tests.api.conftest import assert_error, assert_not_500
from tests.api.test_robustness import BAD_IDS, HOSTILE_QUERIES, HOSTILE_STRINGS, HOSTILE_VALUES, _send
from tests.challenges.conftest import challenge_values
from tests.meetings.conftest import event_values

PREFIXES = ("/events", "/registrations", "/invitations", "/me/recommendations", "/me/invitations")
MINE = [r for r in ROUTES if r.rule.startswith(PREFIXES) or r.rule.endswith(("/matches", "/invitations"))]
IDS = [f"{' '.join(r.methods)} {r.rule}" for r in MINE]


@pytest.fixture
def world(api, admin, organiser):
    from marketplace.challenges import operations as challenge_ops
    from marketplace.matching import operations as matching_ops

    org, provider, _ = factories.create_provider(admin=admin, domains=["医疗"])
    dept = factories.create_user("department", org=factories.create_org("department", name="区卫生健康委"))
    challenge = challenge_ops.create_challenge(dept, challenge_values())
    challenge_ops.submit_for_review(dept, challenge)
    challenge_ops.approve_challenge(admin, challenge)
    invitation = matching_ops.invite_providers(dept, challenge, [org.id])[0]
    event = ops.create_event(organiser, event_values())
    ops.publish_event(organiser, event)
    registration = ops.register(provider, event, attendees=1)
    db.session.commit()
    ids = {"event_id": event.id, "registration_id": registration.id, "challenge_id": challenge.id,
           "invitation_id": invitation.id}
    return {"ids": ids, "callers": {"admin": admin, "department": dept, "provider": provider, "organiser": organiser}}


def _url(route, ids):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route.rule)


def _caller(route, world, api):
    """The role each route is for: the department owning the challenge invites, providers register
    and cancel, the organiser runs its event, the admin reads the rest."""
    roles, people = set(route.roles or ()), world["callers"]
    if route.rule.endswith("/invitations") and route.methods == ("POST",):
        return api(people["department"])
    if roles == {"provider"} or (route.rule == "/registrations/<int:registration_id>"):
        return api(people["provider"])
    if roles and route.rule.startswith(("/events", "/registrations")):
        return api(people["organiser"])
    return api(people["admin"]) if roles else api()


@pytest.mark.parametrize("route", MINE, ids=IDS)
def test_hostile_bodies_never_500(api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    if method == "GET":
        for query in HOSTILE_QUERIES:
            assert_not_500(_send(client, "GET", f"{url}?{query}"))
        return
    for raw in (b"{bad json", b"[1]", b"\xff\xfe"):
        assert_not_500(_send(client, method, url, data=raw, content_type="application/json"))
    fields = ["title", "kind", "starts_at", "ends_at", "venue", "capacity", "registration_deadline",
              "challenge_ids", "attendees", "note", "reason", "provider_org_ids", "requires_approval"]
    for value in HOSTILE_VALUES + HOSTILE_STRINGS[:3] + HOSTILE_STRINGS[4:9]:
        assert_not_500(_send(client, method, url, json=dict.fromkeys(fields, value)))


@pytest.mark.parametrize("route", [r for r in MINE if "<" in r.rule], ids=[i for r, i in zip(MINE, IDS, strict=True) if "<" in r.rule])
def test_absurd_ids_are_404(api, world, route):
    client = _caller(route, world, api)
    for bad in BAD_IDS:
        response = _send(client, route.methods[0], _url(route, dict.fromkeys(world["ids"], bad)), json={})
        assert_error(response, 404)
