"""Load test (issue 14): 16 concurrent clients for 60 s of mixed reads and writes against two
app servers sharing one database — browsing the challenge list and pages, searching, providers
submitting and revising entries, evaluators saving score sheets.

It wipes LOAD_DATABASE_URL (a PostgreSQL database whose name contains "bench", or the default
temporary SQLite file), migrates it, builds a small world through the app's own operations and
API (an admin, a department, 16 admitted providers, 4 evaluators, a published challenge open
for entries and a closed one whose evaluation round is open with 8 entries), starts two gunicorn
servers on 127.0.0.1:LOAD_PORT and LOAD_PORT+1, and runs locust headless in-process. It prints
requests, req/s, p50/p95/p99 (ms) and errors per request kind and in total, and exits 1 on any
error. Environment: LOAD_DATABASE_URL, LOAD_REDIS_URL (then Celery and the throttle use it;
default none: tasks run in-process), LOAD_USERS (16), LOAD_SECONDS (60), LOAD_PORT (5520),
LOAD_WEB_WORKERS (2 gunicorn workers × 4 threads per server).

    .venv/bin/python bench/load.py
    LOAD_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/load_bench LOAD_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/load.py
"""

from gevent import monkey  # locust runs on gevent: patch before anything opens a socket

monkey.patch_all()

import itertools  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

USERS = int(os.environ.get("LOAD_USERS", "16"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
PORT = int(os.environ.get("LOAD_PORT", "5520"))
TMP = tempfile.mkdtemp(prefix="load-")
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL") or f"sqlite:///{TMP}/load.db"
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "")
SERVERS = [f"http://127.0.0.1:{PORT}", f"http://127.0.0.1:{PORT + 1}"]
SEARCH_WORDS = ["养老", "医疗", "社区", "智慧", "监测", "助餐", "平台", "一键", "服务"]

ENV = {
    **os.environ, "MARKETPLACE_ENV": "development", "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
    "UPLOAD_DIR": f"{TMP}/uploads", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024",
    "RATELIMIT_ENABLED": "0", "EMBEDDED_SCHEDULER": "0", "LOG_FORMAT": "json",
    **({"RATELIMIT_STORAGE_URI": REDIS_URL} if REDIS_URL else {}),
}


def build_world():
    """Users through the real operations, challenges and the round through the API of server A."""
    if DATABASE_URL.startswith("postgresql"):
        if "bench" not in DATABASE_URL.rsplit("/", 1)[-1] and not os.environ.get("LOAD_WIPE_ANY"):
            sys.exit("LOAD_DATABASE_URL is wiped: its database name must contain 'bench'")
        engine = sa.create_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    os.environ.update({k: v for k, v in ENV.items() if k != "MARKETPLACE_ENV"}, SEARCH_INDEX_DIR=f"{TMP}/index-setup")
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.operations import issue_token
    from marketplace.extensions import db
    from tests import factories

    app = create_app()
    with app.app_context():
        upgrade()
        admin = factories.create_user("admin", email="admin@bench.cn")
        department = factories.create_user("department", email="dept@bench.cn")
        providers = [factories.create_provider("admitted", admin=admin)[1] for _ in range(USERS)]
        evaluators = [factories.create_user("evaluator", email=f"expert{n}@bench.cn") for n in range(4)]
        tokens = {u.id: issue_token(u)[0] for u in [admin, department, *providers, *evaluators]}
        db.session.commit()
        world = {"admin": tokens[admin.id], "department": tokens[department.id],
                 "providers": [tokens[u.id] for u in providers],
                 "evaluators": [(u.id, tokens[u.id]) for u in evaluators]}
    return app, world


def api(method, path, token, json=None, base=SERVERS[0]):
    response = requests.request(method, f"{base}/api/v1{path}", json=json, timeout=60,
                                headers={"Authorization": f"Bearer {token}"})
    if response.status_code >= 300:
        sys.exit(f"set-up failed: {method} {path} → {response.status_code} {response.text[:300]}")
    return response.json()


def publish(world, title):
    from tests.challenges.conftest import challenge_payload

    challenge = api("POST", "/challenges", world["department"], challenge_payload(title=title))
    api("POST", f"/challenges/{challenge['id']}/submit-for-review", world["department"])
    api("POST", f"/challenges/{challenge['id']}/approve", world["admin"])
    return challenge["id"]


def entry(n):
    return {"summary": f"方案摘要 {n}", "technical_plan": "基于物联网床垫与社区网格员联动的监测方案。" * 5,
            "price_yuan": f"{500000 + n * 1000}.00", "timeline": "签约后 90 天上线"}


def prepare_round(app, world):
    """A closed challenge with 8 entries, its first round open, every evaluator declared."""
    from marketplace.challenges.models import Challenge
    from marketplace.core.db import utcnow
    from marketplace.extensions import db

    closed = publish(world, "社区助餐智能调度系统")
    for n, token in enumerate(world["providers"][:8]):
        api("POST", f"/challenges/{closed}/submissions", token, entry(n))
    with app.app_context():  # the deadline passes (as time would); the next request closes it
        db.session.execute(sa.update(Challenge).where(Challenge.id == closed).values(deadline=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    api("GET", f"/challenges/{closed}", world["admin"])
    rounds = api("GET", f"/challenges/{closed}/rounds", world["admin"])
    round_ = (rounds["items"] if isinstance(rounds, dict) else rounds)[0]
    api("POST", f"/rounds/{round_['id']}/panel", world["admin"], {"evaluator_ids": [e for e, _ in world["evaluators"]]})
    api("POST", f"/rounds/{round_['id']}/open", world["admin"])
    for _, token in world["evaluators"]:
        api("POST", f"/rounds/{round_['id']}/declaration", token, {"conflict_provider_ids": []})
    return round_


def start_servers():
    workers = os.environ.get("LOAD_WEB_WORKERS", "2")
    processes = []
    for n, base in enumerate(SERVERS):
        port = base.rsplit(":", 1)[1]
        log = open(f"{TMP}/web{n}.log", "wb")  # noqa: SIM115 (lives as long as the server)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", workers, "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env={**ENV, "SEARCH_INDEX_DIR": f"{TMP}/index{n}"}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
    for base in SERVERS:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            sys.exit(f"{base} did not start (logs in {TMP})")
        requests.get(f"{base}/search", params={"q": "养老"}, timeout=120)  # builds the index, loads jieba
    return processes


class Client(HttpUser):
    """One of USERS clients: provider, evaluator or visitor by turn, on server A or B by turn."""

    wait_time = between(0.1, 0.5)
    host = SERVERS[0]
    numbers = itertools.count()
    per_role = {"provider": itertools.count(), "evaluator": itertools.count()}
    world = None

    def on_start(self):
        n = next(Client.numbers)
        self.base = SERVERS[n % 2]
        self.role = ("provider", "provider", "evaluator", "visitor")[n % 4]
        w = Client.world
        if self.role == "provider":  # each provider client its own provider: one entry each
            self.token = w["providers"][8 + next(Client.per_role["provider"]) % (len(w["providers"]) - 8)]
        elif self.role == "evaluator":
            self.token = w["evaluators"][next(Client.per_role["evaluator"]) % len(w["evaluators"])][1]
        else:
            self.token = None
        self.submission = None

    def _get(self, path, name, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and path.startswith("/api/") else {}
        return self.client.get(self.base + path, name=name, headers=headers, **kwargs)

    @task(4)
    def browse(self):
        self._get("/challenges", "GET /challenges (page)")
        self._get(f"/challenges/{Client.world['open']}", "GET /challenges/<id> (page)")

    @task(3)
    def search(self):
        self._get("/api/v1/search", "GET /api/v1/search", params={"q": random.choice(SEARCH_WORDS)})

    @task(3)
    def write(self):
        auth = {"Authorization": f"Bearer {self.token}"}
        if self.role == "provider":
            body = entry(random.randint(0, 999))
            if self.submission is None:
                response = self.client.post(f"{self.base}/api/v1/challenges/{Client.world['open']}/submissions",
                                            json=body, headers=auth, name="POST submission")
                if response.ok:
                    self.submission = response.json()["id"]
                return
            self.client.put(f"{self.base}/api/v1/submissions/{self.submission}", json=body, headers=auth,
                            name="PUT submission (new version)")
        elif self.role == "evaluator":
            round_ = Client.world["round"]
            entries = self._get(f"/api/v1/rounds/{round_['id']}/entries", "GET round entries").json()
            items = entries["items"] if isinstance(entries, dict) else entries
            scores = [{"submission_id": e.get("submission_id", e.get("id")), "criterion_id": c["id"],
                       "points": random.randint(0, c["max_points"]), "comment": "方案完整"}
                      for e in items for c in round_["criteria"]]
            self.client.put(f"{self.base}/api/v1/rounds/{round_['id']}/sheet", json={"scores": scores}, headers=auth,
                            name="PUT score sheet")
        else:
            self._get("/search", "GET /search (page)", params={"q": random.choice(SEARCH_WORDS)})


def main():
    app, world = build_world()
    processes = start_servers()
    try:
        world["open"] = publish(world, "智慧养老床位监测平台")
        world["round"] = prepare_round(app, world)
        Client.world = world
        env = Environment(user_classes=[Client])
        runner = env.create_local_runner()
        print(f"{USERS} clients, {SECONDS} s, servers {' and '.join(SERVERS)}, database {DATABASE_URL.split('@')[-1]}, "
              f"{'Redis ' + REDIS_URL if REDIS_URL else 'tasks in-process'}", flush=True)
        runner.start(USERS, spawn_rate=USERS)
        gevent.sleep(SECONDS)
        runner.quit()
        stats = env.stats
        print(f"\n{'request':<34}{'count':>8}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'errors':>8}")
        rows = sorted(stats.entries.values(), key=lambda s: s.name) + [stats.total]
        for s in rows:
            name = "TOTAL" if s is stats.total else s.name
            print(f"{name:<34}{s.num_requests:>8}{s.total_rps:>8.1f}{s.get_response_time_percentile(0.5):>7.0f}"
                  f"{s.get_response_time_percentile(0.95):>7.0f}{s.get_response_time_percentile(0.99):>7.0f}"
                  f"{s.num_failures:>8}")
        for error in stats.errors.values():
            print(f"error: {error.method} {error.name}: {error.error} ×{error.occurrences}")
        return 1 if stats.total.num_failures else 0
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
