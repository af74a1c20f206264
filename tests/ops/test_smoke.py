def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_provider_factory_builds_admitted_listing(create_provider, client):
    org, user, app = create_provider()
    assert app.is_admitted
    listing = client.get("/api/v1/providers").json
    assert [p["id"] for p in listing["items"]] == [org.id]
