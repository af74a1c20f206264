"""Request ids, JSON logs and Prometheus metrics.

Every request gets an id (the caller's X-Request-ID when it is sane, else a new one), returned in
X-Request-ID, written on every log line of the request, and passed to the tasks it queues in a
Celery message header, so the worker's log lines carry it too.
"""

import contextvars
import hmac
import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime

from celery import signals
from flask import Response, abort, g, request

request_id_var = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
_HEADER = "request_id"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "process": record.processName if record.processName != "MainProcess" else record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_configured = False


def configure_logging(log_format):
    """One handler on the root logger for the whole process (web or worker), once."""
    global _configured
    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin per command


@signals.setup_logging.connect
def _celery_keeps_our_logging(**kwargs):
    """Connected, so Celery does not install its own handlers: the worker logs like the web
    (create_app has configured it already; this covers a worker started some other way)."""
    configure_logging(os.environ.get("LOG_FORMAT", "json"))


@signals.before_task_publish.connect
def _pass_request_id(headers=None, **kwargs):
    rid = request_id_var.get()
    if rid and headers is not None:
        headers.setdefault(_HEADER, rid)


@signals.task_prerun.connect
def _take_request_id(task=None, **kwargs):
    rid = getattr(task.request, _HEADER, None) if task is not None else None
    if rid:  # an eager task runs in the request's own thread and already has it
        request_id_var.set(rid)


@signals.task_postrun.connect
def _drop_request_id(task=None, **kwargs):
    if task is not None and not task.request.is_eager:
        request_id_var.set(None)


def register_request_hooks(app):
    from marketplace import metrics

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        g.request_token = request_id_var.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        if started is not None:
            metrics.observe_request(request.method, request.endpoint, response.status_code,
                                    time.perf_counter() - started)
        return response

    @app.teardown_request
    def _forget(exc):
        token = g.pop("request_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.get("/metrics")
    def prometheus_metrics():
        if not _may_read_metrics(app.config["METRICS_TOKEN"]):
            abort(404)
        return Response(metrics.exposition(), mimetype=metrics.CONTENT_TYPE)


def _may_read_metrics(token):
    if request.remote_addr in ("127.0.0.1", "::1"):
        return True
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
