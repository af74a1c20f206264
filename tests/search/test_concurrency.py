"""Several OS processes (as gunicorn workers, or servers sharing one database and here also
one index directory) commit changes at once: nobody sees a LockError, nothing is lost."""

import logging
import multiprocessing
import os

import sqlalchemy as sa

from marketplace.challenges.models import Challenge
from marketplace.extensions import db
from marketplace.search.query import search

PROCESSES = 3
ROUNDS = 12
PER_PROCESS = 4


def _worker(database_url, index_dir, challenge_ids, worker, queue):
    """A fresh app in a fresh process: commit ROUNDS title changes, searching in between."""
    errors = []

    class Capture(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage() + (f" {record.exc_info[1]!r}" if record.exc_info else ""))

    logging.getLogger().addHandler(Capture())
    try:
        from config import TestingConfig
        from marketplace import create_app
        from marketplace.search.query import search as run_search

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = database_url
            SEARCH_INDEX_DIR = index_dir
            SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}

        app = create_app(Config)
        with app.app_context():
            for r in range(ROUNDS):
                cid = challenge_ids[r % len(challenge_ids)]
                challenge = db.session.get(Challenge, cid)
                challenge.title = f"并发第{worker}组第{r}轮智慧养老"
                db.session.commit()  # the after-commit catch-up runs here
                run_search("养老")  # and a quick catch-up before each search
                db.session.remove()
    except Exception as exc:  # anything a caller would have seen
        errors.append(repr(exc))
    queue.put((worker, errors))
    queue.close()
    queue.join_thread()
    os._exit(0)  # skip interpreter teardown (seconds with an app, a pool and jieba loaded)


def test_concurrent_writers_lose_nothing(app, publish, index, index_dir):
    challenges = [publish(title=f"初始标题{i}", description="待更新") for i in range(PROCESSES * PER_PROCESS)]
    assert search("初始标题").total == len(challenges)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = []
    for w in range(PROCESSES):
        ids = [c.id for c in challenges[w * PER_PROCESS:(w + 1) * PER_PROCESS]]
        p = ctx.Process(target=_worker, args=(app.config["SQLALCHEMY_DATABASE_URI"], str(index_dir), ids, w, queue))
        p.start()
        procs.append(p)
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert all(not errs for errs in results.values()), results
    assert not any("LockError" in e for errs in results.values() for e in errs)

    index.catch_up()  # the final catch-up (normally the next commit or search does it)
    db.session.expire_all()
    expected = {c.id: c.title for c in db.session.scalars(sa.select(Challenge))}
    reader = index.searcher().reader()
    indexed = {int(f["key"].split(":")[1]): f["title"] for _, f in reader.iter_docs() if f["type"] == "challenge"}
    assert indexed == expected
    assert search("初始标题").total == 0
    assert search("智慧养老").total == len(challenges)
    assert index.state().gaps == {}
