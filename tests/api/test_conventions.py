"""API.md "Conventions": health check, OpenAPI document, error envelope, auth header forms."""

import re

from tests.api.conftest import assert_error

API_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_openapi_is_public_and_openapi3(api):
    response = api().get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["paths"]
    assert "Error" in spec["components"]["schemas"]


def _route_paths(app):
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
        routes.setdefault(path, set()).update(m for m in rule.methods if m in API_METHODS)
    return routes


def _spec_paths(spec):
    base = spec.get("servers", [{"url": ""}])[0]["url"].rstrip("/")
    out = {}
    for path, ops in spec["paths"].items():
        full = base + path
        assert full.startswith("/api/v1/"), full
        out[full[len("/api/v1"):]] = {m.upper() for m in ops if m.upper() in API_METHODS}
    return out


def test_openapi_matches_the_real_routes(app, api):
    spec = api().get("/openapi.json").get_json()
    routes, documented = _route_paths(app), _spec_paths(spec)
    for path, methods in routes.items():
        assert path in documented, f"{path} missing from openapi.json"
        assert methods <= documented[path], (path, methods, documented[path])
    for path, methods in documented.items():
        assert path in routes, f"openapi.json documents {path}, which is no route"
        assert methods <= routes[path], (path, methods, routes[path])


def test_openapi_operations_are_described(api):
    spec = api().get("/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (path, method)
            assert op.get("responses"), (path, method)
            for name in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"]), (path, name)


def test_unknown_api_route_is_json_404(api):
    assert_error(api().get("/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(api):
    response = api().put("/me", json={})
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_missing_token_is_401(api):
    assert_error(api().get("/me"), 401)


def test_malformed_authorization_header_is_401(client):
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "token", "Bearer not-a-real-token",
                   "Bearer " + "x" * 5000):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert_error(response, 401)


def test_chinese_is_sent_unescaped(api, admin):
    response = api(admin).get("/me")
    assert response.status_code == 200
    assert "管理员" in response.get_data(as_text=True)
    assert response.content_type.startswith("application/json")
