"""Keeps this server's search index built: no cron entry, no request ever building it, no
blocking at startup.

The index is a directory on each web server (SEARCH_INDEX_DIR), so each server needs its own
build: a new server, a restored backup, a lost or damaged directory, a changed dictionary, or
changes pruned from the log before this server saw them. The keeper is `flask search ensure
--watch SECONDS`: a process beside the web workers that calls `ensure_index()` (rebuild if
needed, else catch up) every SECONDS. Three things start it:

- gunicorn's master, once per server, from gunicorn.conf.py's `when_ready` hook (Procfile `web`);
- `flask run` (`make run`), from the app factory, as the embedded scheduler is started there;
- a web worker whose search had to fall back to the database (`nudge()`), when no keeper holds
  this directory's keeper lock: for any other way of serving the app. It starts a one-shot
  `flask search ensure --if-free`, never builds anything itself, and tries at most once per
  NUDGE_EVERY seconds per process.

One keeper per index directory works at a time: each holds an exclusive lock on
`.<dir>.keeper.lock` next to the directory while it lives (a second one waits for it, a one-shot
one gives up); a rebuild also holds the rebuild lock and checks again under it, so two
processes never build the same directory twice over. A watching keeper ends when the process
that started it is gone (its parent changes).
"""

import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)

WATCH_EVERY = 30  # seconds between two checks of a watching keeper
NUDGE_EVERY = 30.0
_nudged_at = {}
_nudge_lock = threading.Lock()


def _lock_path(index_dir):
    index_dir = os.path.abspath(index_dir)
    return os.path.join(os.path.dirname(index_dir), "." + os.path.basename(index_dir) + ".keeper.lock")


@contextmanager
def keeper_lock(index_dir, wait=False):
    """Yields True while this process holds the directory's keeper lock, False if another does."""
    path = _lock_path(index_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def keeper_running(index_dir) -> bool:
    with keeper_lock(index_dir) as mine:
        return not mine


def command(*args):
    """The CLI command line of a keeper, with this interpreter (the same virtualenv)."""
    return [sys.executable, "-m", "flask", "--app", os.environ.get("FLASK_APP", "wsgi"), "search", "ensure", *args]


PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spawn(*args, cwd=None):
    """Start a keeper in the background, in the project directory (where wsgi.py is), in its own
    session (a Ctrl+C in a terminal reaches the server, which ends it, not the rebuild midway).
    Returns the Popen, or None on failure."""
    cwd = cwd or PROJECT_ROOT
    try:
        return subprocess.Popen(command(*args), cwd=cwd, stdin=subprocess.DEVNULL,  # noqa: S603 (fixed argv)
                                start_new_session=True)
    except OSError:
        log.exception("could not start the search index keeper")
        return None


def stop(process, timeout=10):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def watch(app, every=WATCH_EVERY, rounds=None):
    """The watching keeper: `ensure_index()` every `every` seconds while it holds the keeper
    lock (waiting for it while another keeper holds it). Ends when its parent process is gone;
    `rounds` bounds it (tests). Returns the number of rounds run."""
    parent = os.getppid()
    index_dir = app.config["SEARCH_INDEX_DIR"]
    waited = 0
    while True:
        with keeper_lock(index_dir) as mine:
            if mine:
                return _keep(app, every, rounds, parent)
        waited += 1
        if os.getppid() != parent or (rounds is not None and waited > rounds):
            return 0
        time.sleep(every)


def _keep(app, every, rounds, parent):
    from marketplace.extensions import db
    from marketplace.search.index import ensure_index

    log.info("search index keeper watching %s every %s s", app.config["SEARCH_INDEX_DIR"], every)
    done = 0
    while True:
        with app.app_context():
            try:
                reason = ensure_index(app)
                if reason:
                    log.info("search index rebuilt (%s)", reason)
            except Exception:  # the keeper must outlive one bad round (the database away)
                log.exception("search index keeper: ensure failed")
            finally:
                db.session.remove()
        done += 1
        if rounds is not None and done >= rounds:
            return done
        for _ in range(max(1, int(every * 10))):
            if os.getppid() != parent:
                return done
            time.sleep(0.1)


def ensure_once(app, if_free=False):
    """One round (`flask search ensure`): returns (ran, reason). With `if_free`, nothing is done
    when a keeper already holds the directory (it will do the work)."""
    from marketplace.search.index import ensure_index

    if not if_free:
        return True, ensure_index(app)
    with keeper_lock(app.config["SEARCH_INDEX_DIR"]) as mine:
        if not mine:
            return False, None
        return True, ensure_index(app)


def nudge(app):
    """Called by a search that fell back to the database: make sure someone is (re)building.
    Cheap (a non-blocking lock try at most once per NUDGE_EVERY seconds per process); never
    builds anything here."""
    if not app.config.get("SEARCH_KEEPER", True):
        return False
    index_dir = app.config["SEARCH_INDEX_DIR"]
    now = time.monotonic()
    with _nudge_lock:
        if now - _nudged_at.get(index_dir, -NUDGE_EVERY) < NUDGE_EVERY:
            return False
        _nudged_at[index_dir] = now
    if keeper_running(index_dir):
        return False
    log.info("search index %s unavailable and no keeper running: starting one", index_dir)
    return spawn("--if-free") is not None
