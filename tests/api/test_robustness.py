""""No input produces a 500": every API route, fed malformed and hostile input, answers with a
4xx in the error envelope (or succeeds)."""

import json
import re
from datetime import timedelta

import pytest

from marketplace.api import ROUTES
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import limiter
from tests.api.conftest import assert_error, assert_not_500

MB = 1024 * 1024
# The routes of issue 2 (other areas add their own routes and their own robustness tests).
ISSUE_2_PREFIXES = ("/auth/", "/me", "/organisations", "/users", "/partner-applications", "/providers",
                    "/catalogue", "/notifications", "/audit", "/openapi.json")
ROUTES = [r for r in ROUTES if r.rule.startswith(ISSUE_2_PREFIXES)]
ROUTE_IDS = [f"{' '.join(r.methods)} {r.rule}" for r in ROUTES]
FORM_ROUTES = [r for r in ROUTES if r.form is not None]
FORM_IDS = [f"{' '.join(r.methods)} {r.rule}" for r in FORM_ROUTES]
GET_ROUTES = [r for r in ROUTES if r.methods == ("GET",)]

HOSTILE_STRINGS = [
    "",
    " ",
    "x" * MB,
    "养" * (MB // 3),
    "a\x00b",
    "\x00",
    "\ud800",
    "abc\udfff",
    "'; DROP TABLE users; --",
    "1' OR '1'='1",
    "<script>alert(1)</script>",
    "%_%",
    "\u202e\ufeff\u200b",
    "😀" * 50,
    "2026-13-45",
    "-1",
    "99999999999999999999",
]
HOSTILE_VALUES = [0, -1, 1.5, 99999999999999999999, 1e308, True, False, None, [], ["a", "b"], [1, [2]],
                  {}, {"a": "b"}, {"a": {"b": [1]}}, [{"x": 1}]]
BAD_IDS = ["0", "-1", "987654", "2147483648", "99999999999999999999", "abc", "1.5", "%00", "1%20"]


@pytest.fixture
def world(api, admin, create_provider, create_user, db):
    """One of everything the routes take an id of, and the right caller per role."""
    applied_org, applied_user, applied_app = create_provider(state="applied", admin=admin)
    org, provider, app = create_provider(state="admitted", admin=admin)
    solution = api(provider).post("/catalogue", json={
        "title": "智慧养老", "domain": "养老", "summary": "为老服务一键通"}).get_json()
    note_id = api(provider).get("/notifications").get_json()["items"][0]["id"]
    evaluator = create_user(role="evaluator")
    ids = {"org_id": org.id, "app_id": applied_app.id, "user_id": evaluator.id,
           "solution_id": solution["id"], "notification_id": note_id}
    return {"ids": ids, "admin": admin, "provider": provider, "org": org}


def _url(route, ids):
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route.rule)


def _caller(route, world, api):
    if route.roles and "admin" in route.roles:
        return api(world["admin"])
    if route.auth or route.roles:
        return api(world["provider"])
    return api()


def _send(client, method, url, **kwargs):
    limiter.reset()  # the login throttle is tested elsewhere; here every attempt must get through
    if "json" in kwargs:
        # json.dumps escapes lone surrogates as \\ud800 (the test client would fail to encode them)
        body = kwargs.pop("json")
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(url, **kwargs)


def _form_fields(app, route):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = route.form(formdata=MultiDict(), meta={"csrf": False})
    return [field.name for field in form]


def _valid_body(route):
    code = "91310104MA00000013"
    return {
        "email": "someone@example.cn", "password": "a-long-password", "name": "某单位", "kind": "department",
        "role": "evaluator", "credit_code": code, "domains": ["养老"], "qualifications": "资质",
        "reference_cases": "案例", "valid_until": (today_shanghai() + timedelta(days=30)).isoformat(),
        "reason": "理由", "note": "说明", "title": "方案", "domain": "养老", "summary": "简介",
    }


# --- malformed bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("route", FORM_ROUTES, ids=FORM_IDS)
def test_malformed_json_is_400(api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    for raw in (b"{bad json", b'{"a": 1', b"\xff\xfe\x00", b"nul\x00l", b"{'a': 1}"):
        response = _send(client, method, url, data=raw, content_type="application/json")
        assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("route", FORM_ROUTES, ids=FORM_IDS)
def test_non_object_json_is_400(api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    for body in ([], [{"name": "x"}], "a string", 42, True, None):
        response = _send(client, method, url, data=json.dumps(body), content_type="application/json")
        assert_error(response, 400)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=FORM_IDS)
def test_other_content_types_do_not_500(api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    for data, content_type in ((b"name=x&kind=provider", "application/x-www-form-urlencoded"),
                               (b"plain text", "text/plain"), (b"", "application/json"),
                               (b"\x00" * 1000, "application/octet-stream"),
                               # a UTF-8-encoded lone surrogate: Python's decoder lets it through
                               (b'{"name": "\xed\xa0\x80", "reason": "\xed\xb0\x80"}', "application/json")):
        assert_not_500(_send(client, method, url, data=data, content_type=content_type))


# --- hostile field values ----------------------------------------------------------------------

@pytest.mark.parametrize("route", FORM_ROUTES, ids=FORM_IDS)
def test_wrong_types_never_500(app, api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    fields = _form_fields(app, route)
    valid = {k: v for k, v in _valid_body(route).items() if k in fields}
    for field in fields:
        for value in HOSTILE_VALUES:
            response = _send(client, method, url, json={**valid, field: value})
            assert_not_500(response)
    # every field wrong at once
    for value in HOSTILE_VALUES:
        assert_not_500(_send(client, method, url, json=dict.fromkeys(fields, value)))


@pytest.mark.parametrize("route", FORM_ROUTES, ids=FORM_IDS)
def test_hostile_strings_never_500(app, api, world, route):
    client, method, url = _caller(route, world, api), route.methods[0], _url(route, world["ids"])
    fields = _form_fields(app, route)
    valid = {k: v for k, v in _valid_body(route).items() if k in fields}
    for field in fields:
        for value in HOSTILE_STRINGS:
            assert_not_500(_send(client, method, url, json={**valid, field: value}))
    # every field hostile at once, also as repeated values
    for value in HOSTILE_STRINGS:
        assert_not_500(_send(client, method, url, json=dict.fromkeys(fields, [value, value])))
    # unknown keys, including odd ones, are ignored
    assert_not_500(_send(client, method, url, json={**valid, "\ud800": "x", "a-0-b": 1, "": None, "x" * 10000: 1}))


def test_huge_strings_are_field_errors(api, admin):
    error = assert_error(api(admin).post("/organisations", json={"name": "x" * MB, "kind": "department"}), 422)
    assert "name" in error["fields"]


def test_stored_text_is_cleaned_and_returned_verbatim(api, admin, create_provider):
    response = _send(api(admin), "POST", "/organisations", json={
        "name": "<script>alert(1)</script>'; DROP TABLE users; --\x00\ud800", "kind": "department"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "<script>alert(1)</script>'; DROP TABLE users; --"
    assert api(admin).get("/users").status_code == 200
    _, user, _ = create_provider(admin=admin)
    body = api(user).post("/catalogue", json={"title": "<img src=x onerror=alert(1)>", "domain": "养老",
                                               "summary": "' OR 1=1 --"}).get_json()
    assert body["title"] == "<img src=x onerror=alert(1)>"
    assert api().get("/catalogue?q=' OR 1=1 --").get_json()["total"] == 0


# --- ids and query strings ----------------------------------------------------------------------

@pytest.mark.parametrize("route", [r for r in ROUTES if "<" in r.rule],
                         ids=[i for r, i in zip(ROUTES, ROUTE_IDS, strict=True) if "<" in r.rule])
def test_unknown_and_absurd_ids_are_404(api, world, route):
    client = _caller(route, world, api)
    for bad in BAD_IDS:
        ids = dict.fromkeys(world["ids"], bad)
        for method in route.methods:
            response = _send(client, method, _url(route, ids), json={"reason": "理由"})
            assert_error(response, 404)


HOSTILE_QUERIES = [
    "page=abc&per_page=100000",
    "page=-5&per_page=-5",
    "page=0&per_page=0",
    "page=99999999999999999999&per_page=99999999999999999999",
    "page=1e3&per_page=1.5",
    "page=100001",
    "q=%ED%A0%80&domain=%FF&status=%C0%AF&object_type=%ED%A0%80&action=%FF",
    "q=%25&object_type=%25&action=%25_",
    "q=' OR 1=1 --&object_type=' OR 1=1 --&action=<script>",
    "object_id=99999999999999999999&actor_id=-1&organisation_id=99999999999999999999",
    "object_id=abc&actor_id=1.5&organisation_id=abc&date_from=yesterday&date_to=2026-02-30",
    "date_from=0001-01-01&date_to=9999-12-31",
    "unread=&page=&per_page=",
    "page=1&page=2&q=a&q=b",
]


@pytest.mark.parametrize("route", GET_ROUTES, ids=[f"GET {r.rule}" for r in GET_ROUTES])
def test_hostile_query_strings_never_500(api, world, route):
    client, url = _caller(route, world, api), _url(route, world["ids"])
    for query in HOSTILE_QUERIES + ["q=" + "x" * 100_000]:
        response = _send(client, "GET", f"{url}?{query}")
        assert_not_500(response)
        if "<" not in route.rule:
            assert response.status_code == 200, (query, response.get_json())
        body = response.get_json()
        if "items" in body:
            assert 1 <= body["page"] <= 100_000
            assert len(body["items"]) <= 100


NUL_QUERIES = [
    "q=%00&domain=%00&status=%00&kind=%00&role=%00&object_type=%00&action=%00",
    "q=a%00b", "object_type=user%00", "page=1&q=x&q=%00", "unread=%00",
]


@pytest.mark.parametrize("route", GET_ROUTES, ids=[f"GET {r.rule}" for r in GET_ROUTES])
def test_nul_in_query_is_400(api, world, route):
    client, url = _caller(route, world, api), _url(route, world["ids"])
    for query in NUL_QUERIES:
        assert_error(_send(client, "GET", f"{url}?{query}"), 400)


@pytest.mark.parametrize("route", GET_ROUTES, ids=[f"GET {r.rule}" for r in GET_ROUTES])
def test_bad_page_params_fall_back(api, world, route):
    client, url = _caller(route, world, api), _url(route, world["ids"])
    body = _send(client, "GET", f"{url}?page=abc&per_page=100000").get_json()
    if "items" in body:
        assert body["page"] == 1
        assert body.get("per_page", 100) <= 100


# --- every route, every caller ----------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_every_route_every_role_never_500(api, world, create_user, route):
    callers = [api(), api(world["admin"]), api(world["provider"]), api(create_user(role="department")),
               api(create_user(role="evaluator")), api(create_user(role="provider"))]
    for client in callers:
        for method in route.methods:
            for body in (None, {"reason": "\x00"}):
                response = _send(client, method, _url(route, world["ids"]), json=body)
                assert_not_500(response)
                if route.auth and client.token is None:
                    assert response.status_code == 401
