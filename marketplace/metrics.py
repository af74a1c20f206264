"""Prometheus metrics. Request counters live in each process; under gunicorn with several
workers set PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py clears it per dead worker) and /metrics
adds up every worker. Queue depth and job failures are read from the database at scrape time,
so any web server reports them for the whole platform, the workers included."""

import os
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter("marketplace_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram("marketplace_http_request_duration_seconds", "HTTP request latency", ["endpoint"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
JOB_FAILURES = Counter("marketplace_job_failures_total", "Periodic job failures in this process", ["job"])


def observe_request(method, endpoint, status, seconds):
    endpoint = endpoint or "unmatched"  # unknown paths share one label: bounded cardinality
    REQUESTS.labels(method=method, endpoint=endpoint, status=str(status)).inc()
    LATENCY.labels(endpoint=endpoint).observe(seconds)


def _process_metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _platform_metrics():
    from marketplace.core.db import utcnow
    from marketplace.extensions import db
    from marketplace.jobs import JobRun
    from marketplace.notifications.outbox import queue_depth

    registry = CollectorRegistry()
    depth = Gauge("marketplace_outbox_messages", "Outgoing emails by state", ["state"], registry=registry)
    for state, count in queue_depth().items():
        depth.labels(state=state).set(count)
    failures = Gauge("marketplace_job_failures_24h", "Failed periodic job runs in the last 24 hours",
                     ["job"], registry=registry)
    last_ok = Gauge("marketplace_job_last_success_timestamp_seconds", "When each periodic job last succeeded",
                    ["job"], registry=registry)
    since = utcnow() - timedelta(hours=24)
    for job, count in db.session.execute(
        sa.select(JobRun.job, sa.func.count()).where(JobRun.ok.is_(False), JobRun.started_at >= since)
        .group_by(JobRun.job)
    ):
        failures.labels(job=job).set(count)
    for job, when in db.session.execute(
        sa.select(JobRun.job, sa.func.max(JobRun.finished_at)).where(JobRun.ok.is_(True)).group_by(JobRun.job)
    ):
        last_ok.labels(job=job).set(when.timestamp())
    return generate_latest(registry)


def exposition() -> bytes:
    return _process_metrics() + _platform_metrics()
