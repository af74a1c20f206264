"""gunicorn settings for the Procfile's `web` process (PORT, WEB_CONCURRENCY from the environment)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = 60
accesslog = None  # the app logs each request with its id; nginx keeps the access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    # /metrics adds up every worker's counters from PROMETHEUS_MULTIPROC_DIR; a dead worker's
    # live gauges are dropped here.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
