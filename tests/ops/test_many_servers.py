"""Two web servers, a Celery worker and celery beat against one PostgreSQL and one Redis, as in
production: search converges across servers, the login throttle is shared, an email queued
while the mail server is down arrives exactly once when it is back, and killing the worker in the
middle loses nothing.

Runs only when TEST_DATABASE_URL is PostgreSQL and Redis (TEST_REDIS_URL, default db 5) answers.
Ports: MANY_SERVERS_PORT_BASE (default 5510) … +2.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from marketplace.accounts.operations import issue_token
from marketplace.notifications.models import EmailOutbox
from marketplace.notifications.states import OutboxState
from tests import factories
from tests.challenges.conftest import challenge_payload
from tests.notifications.conftest import StoringHandler

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PORT = int(os.environ.get("MANY_SERVERS_PORT_BASE", "5510"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _redis_answers():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql") or not _redis_answers(),
    reason="needs TEST_DATABASE_URL on PostgreSQL and a reachable Redis",
)


def wait_for(check, timeout=30, every=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Platform:
    def __init__(self, tmp_path, database_url):
        self.tmp = tmp_path
        self.processes = {}
        self.env = {
            **os.environ,
            "MARKETPLACE_ENV": "development",
            "DATABASE_URL": database_url,  # the test session's own (one per pytest-xdist worker)
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOGIN_LIMIT_ACCOUNT_ADDRESS": "3 per minute",
            "UPLOAD_DIR": str(tmp_path / "uploads"),  # shared by both servers
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(PORT + 2),
            "SMTP_TIMEOUT": "2",
            "OUTBOX_RETRY_SECONDS": "1",
            "JOB_INTERVALS": "outbox-sweep=1",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "1024",
            "LOG_FORMAT": "json",
            "PYTHONPATH": ROOT,
        }

    def start(self, name, args, **env):
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.processes[name] = (subprocess.Popen(args, cwd=ROOT, env={**self.env, **env}, stdout=log,
                                                 stderr=subprocess.STDOUT, start_new_session=True), log)

    def web(self, name, port):
        self.start(name, [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}",
                          "wsgi:app"], SEARCH_INDEX_DIR=str(self.tmp / f"index-{name}"))
        wait_for(lambda: self._healthy(port), timeout=40, what=f"{name} on port {port}")

    def worker(self):
        self.start("worker", [sys.executable, "-m", "celery", "-A", "marketplace.worker", "worker",
                              "--concurrency", "1", "--loglevel", "INFO", "-n", f"w{uuid.uuid4().hex[:6]}@%h"],
                   SEARCH_INDEX_DIR=str(self.tmp / "index-worker"))

    def beat(self):
        self.start("beat", [sys.executable, "-m", "celery", "-A", "marketplace.worker", "beat",
                            "--schedule", str(self.tmp / "beat-schedule"), "--loglevel", "INFO"],
                   SEARCH_INDEX_DIR=str(self.tmp / "index-beat"))

    def kill(self, name, sig=signal.SIGKILL):
        process, log = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=20)
        log.close()

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name):
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def _healthy(port):
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["redis"] == "ok"
        except (requests.RequestException, ValueError, KeyError):
            return False


def _outbox(db):
    db.session.rollback()
    return db.session.scalars(sa.select(EmailOutbox).order_by(EmailOutbox.id)).all()


def test_two_servers_a_worker_and_a_scheduler(app, db, tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    admin = factories.create_user("admin", email="office@example.gov.cn")
    department = factories.create_user("department", email="dept@example.gov.cn")
    factories.create_provider("admitted", admin=admin)
    admin_token, _ = issue_token(admin)
    dept_token, _ = issue_token(department)
    db.session.commit()
    a, b = f"http://127.0.0.1:{PORT}/api/v1", f"http://127.0.0.1:{PORT + 1}/api/v1"

    def call(base, method, path, token, json=None, rid=None):
        headers = {"Authorization": f"Bearer {token}"}
        if rid:
            headers["X-Request-ID"] = rid
        response = requests.request(method, base + path, json=json, headers=headers, timeout=20)
        assert response.status_code < 300, (response.status_code, response.text[:300])
        return response.json()

    def publish(base, title, rid=None):
        challenge = call(base, "POST", "/challenges", dept_token, challenge_payload(title=title))
        call(base, "POST", f"/challenges/{challenge['id']}/submit-for-review", dept_token)
        call(base, "POST", f"/challenges/{challenge['id']}/approve", admin_token, rid=rid)
        return challenge["id"]

    smtp = Controller(StoringHandler(), hostname="127.0.0.1", port=PORT + 2)
    platform = Platform(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    smtp_started = False
    try:
        platform.web("a", PORT)
        platform.web("b", PORT + 1)
        platform.worker()
        platform.beat()

        # Search: posted on A, found on B. No request builds an index: the keeper gunicorn's
        # master started (gunicorn.conf.py) builds B's in the background, and until then B's
        # search answers from the database (rebuilding).
        wait_for(lambda: not requests.get(f"{b}/search", params={"q": "养老"}, timeout=60).json()["rebuilding"],
                 timeout=120, every=1, what="B's index built by its keeper")
        first = publish(a, "智慧养老床位监测平台", rid="rid-first-approval")
        hits = wait_for(lambda: [h for h in requests.get(f"{b}/search", params={"q": "床位监测"}, timeout=30)
                                 .json()["items"] if h["type"] == "challenge"], timeout=15, what="search on B")
        assert [h["id"] for h in hits] == [first]

        # The login throttle counted on A holds on B.
        wrong = {"email": "dept@example.gov.cn", "password": "wrong-password"}
        assert [requests.post(f"{a}/auth/token", json=wrong, timeout=10).status_code for _ in range(3)] == [401] * 3
        assert requests.post(f"{b}/auth/token", json=wrong, timeout=10).status_code == 429

        # The mail server is down: the approval's emails wait in the outbox, retried.
        queued = wait_for(lambda: [r for r in _outbox(db) if r.attempts >= 1] and _outbox(db), what="attempts")
        assert queued and all(r.state == OutboxState.pending for r in queued)
        # the worker's lines for those emails carry the request id of the approval
        wait_for(lambda: "rid-first-approval" in platform.log("worker"), what="request id in the worker log")

        # Kill the worker in the middle; more emails are queued while it is gone.
        platform.kill("worker")
        publish(b, "社区助餐智能调度系统")
        rows = _outbox(db)
        assert len(rows) > len(queued) and all(r.state == OutboxState.pending for r in rows)

        # The mail server and a worker come back: every email arrives exactly once.
        smtp.start()
        smtp_started = True
        platform.worker()
        wait_for(lambda: all(r.state == OutboxState.sent for r in _outbox(db)), timeout=30, what="all sent")
        time.sleep(2)  # a duplicate, if any, would arrive now
        rows = _outbox(db)
        ids = sorted(e.original_content.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
                     for e in smtp.handler.envelopes)
        assert ids == sorted(f"<outbox-{r.id}@marketplace.local>" for r in rows)
        assert all(r.sent_at is not None and r.attempts >= 2 for r in rows[:len(queued)])
    finally:
        platform.stop_all()
        if smtp_started:
            smtp.stop()
