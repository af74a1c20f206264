"""Absurdly deep JSON is malformed input (400), never a RecursionError (500)."""

import pytest


@pytest.mark.parametrize("depth", [950, 100000])
def test_token_endpoint_with_deep_nesting_is_a_400(client, depth):
    # The login throttle reads the e-mail from the JSON body before the view does.
    body = '{"email":' * depth + '"a@b.cn"' + "}" * depth
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
