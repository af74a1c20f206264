"""/healthz, /metrics and request ids."""

import json
import logging

from marketplace.notifications.outbox import queue_email
from marketplace.observability import JsonFormatter, RequestIdFilter, request_id_var


def test_request_id_is_kept_or_made_and_returned(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80})
    assert "script" not in made.headers["X-Request-ID"] and len(made.headers["X-Request-ID"]) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != made.headers["X-Request-ID"]


def test_json_log_lines_carry_the_request_id():
    token = request_id_var.set("rid-42")
    try:
        record = logging.LogRecord("marketplace.x", logging.INFO, __file__, 1, "邮件已发送 %s", ("a@b.cn",), None)
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "rid-42" and line["message"] == "邮件已发送 a@b.cn" and line["level"] == "INFO"


def test_metrics_from_localhost_count_requests_and_the_outbox(client, db):
    client.get("/healthz")
    queue_email("m@example.cn", "标题", "正文")
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'marketplace_http_requests_total{endpoint="main.healthz",method="GET",status="200"}' in text
    assert "marketplace_http_request_duration_seconds_bucket" in text
    assert 'marketplace_outbox_messages{state="pending"} 1.0' in text
    assert "marketplace_job_failures_24h" in text


def test_metrics_elsewhere_need_the_token(client, app, monkeypatch):
    remote = {"REMOTE_ADDR": "10.0.0.9"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 404
    ok = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "marketplace_http_requests_total" in ok.get_data(as_text=True)


def test_healthz_reports_redis_down(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "redis": "unreachable"}
