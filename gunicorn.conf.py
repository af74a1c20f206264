"""gunicorn settings for the Procfile's `web` process (PORT, WEB_CONCURRENCY from the environment)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = 60
accesslog = None  # the app logs each request with its id; nginx keeps the access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _on(name, default):
    return os.environ.get(name, default).strip().lower() not in {"0", "false", "no", "off"}


# --- memory shared between the workers ---------------------------------------------------------
# The app is imported once, in the master, and jieba's dictionary loaded there too (when_ready),
# before the workers fork: they share those pages copy-on-write (about 90 MB of imported code and
# 60 MB of dictionary) instead of each holding its own copy. gc.freeze() keeps the workers'
# garbage collector from writing to (and so copying) every inherited object. The master opens
# no database connection while loading; post_fork drops any pooled one all the same.
# WEB_PRELOAD=0: every worker imports the app itself, as before.
preload_app = _on("WEB_PRELOAD", "1")


def _marketplace_app(server):
    """The preloaded Flask app, when it is this project's (not e.g. bench/bare_app.py)."""
    if not preload_app or getattr(server, "app", None) is None:
        return None
    app = server.app.wsgi()
    return app if "sqlalchemy" in getattr(app, "extensions", {}) and "SEARCH_INDEX_DIR" in app.config else None


def post_fork(server, worker):
    app = _marketplace_app(server)
    if app is None:
        return
    from marketplace.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)  # a connection the master opened is the master's


def _share_with_workers(server):
    app = _marketplace_app(server)
    if app is None:
        return
    import gc

    try:
        from marketplace.search.index import preload_for_workers

        preload_for_workers(app)
    except Exception as exc:  # search still works: each worker then loads jieba at its first search
        server.log.error("could not load jieba in the master: %s", exc)
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    # /metrics adds up every worker's counters from PROMETHEUS_MULTIPROC_DIR; a dead worker's
    # live gauges are dropped here.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# --- the search index keeper (marketplace/search/keeper.py) ----------------------------------
# Each server keeps its own index directory and no request ever builds it, so the master starts
# `flask search ensure --watch 30` beside the workers, once per server, in the background: the
# site answers at once (search falls back to the database, 索引重建中) while a new, restored or
# lost index is built, and a damaged or outdated one later. SEARCH_KEEPER=0 turns it off (then
# run `flask search ensure` yourself). The keeper ends with the master (on_exit, and it exits by
# itself when its parent is gone).
_keeper = None


def when_ready(server):
    global _keeper
    _share_with_workers(server)
    if not _on("SEARCH_KEEPER", "1"):
        return
    import subprocess
    import sys

    command = [sys.executable, "-m", "flask", "--app", os.environ.get("FLASK_APP", "wsgi"),
               "search", "ensure", "--watch", os.environ.get("SEARCH_KEEPER_EVERY", "30")]
    try:
        _keeper = subprocess.Popen(command, cwd=os.path.dirname(os.path.abspath(__file__)),  # noqa: S603 (fixed argv)
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        server.log.info("search index keeper started (pid %s)", _keeper.pid)
    except OSError as exc:
        server.log.error("could not start the search index keeper: %s", exc)


def on_exit(server):
    if _keeper is not None and _keeper.poll() is None:
        _keeper.terminate()
        try:
            _keeper.wait(10)
        except Exception:
            _keeper.kill()
