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


def test_openapi_lists_the_error_answers_with_the_error_schema(api):
    """Issue 9: every operation documents its 4xx answers, each with the error envelope."""
    spec = api().get("/openapi.json").get_json()
    responses = spec["components"]["responses"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "ValidationFailed",
                 "TooManyRequests"):
        schema = responses[name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}, name
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message", "fields"]

    def answers(path, method):
        return spec["paths"][path][method]["responses"]

    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = op["responses"]
            assert "401" in codes and "400" in codes, (path, method)
            for code, answer in codes.items():
                if code.startswith("4"):
                    assert answer["$ref"].startswith("#/components/responses/"), (path, method, code)
            if "{" in path:
                assert "404" in codes, (path, method)
                assert all(p["schema"].get("maximum") == 2**31 - 1 for p in op["parameters"] if p["in"] == "path")
            if "description" in op and op["description"].startswith("角色"):
                assert "403" in codes, (path, method)
            if method in ("post", "put", "patch"):
                assert "422" in codes, (path, method)
    assert "429" in answers("/auth/token", "post")
    assert {"401", "403", "409", "422"} <= set(answers("/challenges", "post"))
    assert {"401", "403", "404", "409", "422"} <= set(answers("/rounds/{round_id}/sheet", "put"))
    assert "422" in answers("/challenges", "get")  # ?status= a caller may not list
