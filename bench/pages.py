"""Page-level benchmark (issue 15): every main page against a bare Flask route, side by side.

Builds the large dataset in a fresh database, through the real schema (the app's migrations):
BENCH_ROWS challenges (default 100,000; bench/challenge_list.py's generator, bulk-inserted),
the demo (`seed-demo`, through the real operations: rounds with results, projects, cases),
BENCH_PROVIDERS admitted providers with a solution each (default 5,000; bulk) and
BENCH_ENTRIES sealed entries on closed challenges (default 20,000; bulk). It builds the search
index with `rebuild_index()` and prints its throughput. Then it serves the app under gunicorn
(2 sync workers) next to bench/bare_app.py (2 sync workers), drives each page with wrk at 16
connections for BENCH_SECONDS (default 5) right after the bare route, and prints req/s, p99 and
the ratio, the load average beside each row, and the RSS, PSS and USS of the app's workers at the end.

    .venv/bin/python bench/pages.py                                   # SQLite
    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/h10_bench .venv/bin/python bench/pages.py
    BENCH_APP_ROOT=/tmp/before …   # serve another copy of the code (a "before" checkout) on the same data
    BENCH_SKIP_INDEX=1              # no index and no search rows (for "before" code, which builds it in a request)
    BENCH_PORT=6011 (the app; the bare app gets +1)

On PostgreSQL the database is wiped, so its name must contain "bench" (or BENCH_WIPE_OK=1).
Needs wrk (Debian's `wrk` package). Nothing is asserted.
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import challenge_list  # noqa: E402

from marketplace.accounts.models import Organisation, OrganisationKind  # noqa: E402
from marketplace.challenges.models import Challenge  # noqa: E402
from marketplace.extensions import db  # noqa: E402

PROVIDERS = int(os.environ.get("BENCH_PROVIDERS", "5000"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "20000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
PORT = int(os.environ.get("BENCH_PORT", "6011"))
APP_ROOT = os.environ.get("BENCH_APP_ROOT", ROOT)
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def _reset_any(url):
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def load():
    return os.getloadavg()[0]


def add_providers_and_entries(app):
    from marketplace.providers.models import PartnerApplication, Solution
    from marketplace.submissions.models import Submission

    rng = random.Random(15)
    now = datetime.now(UTC).replace(microsecond=0)
    domains = [d for d, _, _ in challenge_list.DOMAINS]
    with app.app_context():
        org = Organisation.__table__
        first = (db.session.scalar(sa.select(sa.func.max(org.c.id))) or 0) + 1
        db.session.execute(org.insert(), [{"name": f"基准服务商{n:05d}科技有限公司", "kind": OrganisationKind.provider,
                                           "created_at": now} for n in range(PROVIDERS)])
        ids = db.session.scalars(sa.select(org.c.id).where(org.c.id >= first).order_by(org.c.id)).all()
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            db.session.execute(PartnerApplication.__table__.insert(), [
                {"organisation_id": i, "credit_code": f"91310000{i:010d}"[:18], "qualifications": "基准资质",
                 "reference_cases": "基准案例", "state": "admitted", "valid_until": date.today() + timedelta(days=365),
                 "decided_at": now, "created_at": now, "updated_at": now} for i in chunk])
            db.session.execute(Solution.__table__.insert(), [
                {"organisation_id": i, "title": f"{rng.choice(domains)}数字化解决方案{i}", "domain": rng.choice(domains),
                 "summary": "基准测试解决方案", "is_active": True, "created_at": now, "updated_at": now} for i in chunk])
        closed = db.session.scalars(sa.select(Challenge.id).where(Challenge.state == "closed")
                                    .order_by(Challenge.id).limit(max(1, ENTRIES // 3))).all()
        rows, seen = [], set()
        while len(rows) < ENTRIES and closed:
            pair = (rng.choice(closed), rng.choice(ids))
            if pair in seen:
                continue
            seen.add(pair)
            rows.append({"challenge_id": pair[0], "provider_id": pair[1], "state": "submitted", "version": 1,
                         "summary": "基准方案", "technical_plan": "基准技术路线", "price_fen": 100_000_00,
                         "timeline": "三个月", "team": "", "submitted_at": now, "created_at": now, "updated_at": now})
            if len(rows) % 5000 == 0:
                db.session.execute(Submission.__table__.insert(), rows[-5000:])
        if len(rows) % 5000:
            db.session.execute(Submission.__table__.insert(), rows[-(len(rows) % 5000):])
        db.session.commit()


def build(url):
    app, seconds = challenge_list.build(url)
    started = time.perf_counter()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    add_providers_and_entries(app)
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"built in {seconds + time.perf_counter() - started:.0f} s (load {load():.1f})", flush=True)
    return app


def build_index(app):
    from marketplace.search.index import get_index, rebuild_index

    with app.app_context():
        started = time.perf_counter()
        count = rebuild_index(app)
        seconds = time.perf_counter() - started
        info = get_index(app).last_rebuild
    print(f"search index: {count} documents in {seconds:.1f} s = {count / seconds:.0f} documents/s "
          f"({info['procs']} processes, load {load():.1f})", flush=True)
    return app.config["SEARCH_INDEX_DIR"]


def serve(module, port, env, chdir):
    cmd = [GUNICORN, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--chdir", chdir, "--log-level", "warning",
           "--timeout", "120", module]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    for _ in range(300):
        try:
            subprocess.run(["curl", "-fsS", "-o", "/dev/null", f"http://127.0.0.1:{port}/"], check=True,
                           capture_output=True, timeout=30)
            return proc
        except subprocess.CalledProcessError:
            time.sleep(0.3)
    raise SystemExit(f"{module} did not start on {port}")


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def wrk(url):
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--latency", url], capture_output=True, text=True,
                         timeout=SECONDS + 120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99_ms, int(non2xx.group(1)) if non2xx else 0


def worker_rss_mb(proc):
    """(RSS, PSS, USS) in MB of each worker of a gunicorn master. RSS counts every page a worker
    maps, also those it shares copy-on-write with the master and the other workers (preload_app);
    PSS splits shared pages among the processes sharing them; USS is what the worker alone holds
    (what stopping it would free)."""
    out = []
    for pid in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split():
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", fh.read(), re.M))
        except OSError:
            continue
        kb = {k: int(v) for k, v in fields.items()}
        out.append((kb["Rss"] / 1024, kb["Pss"] / 1024, (kb["Private_Clean"] + kb["Private_Dirty"]) / 1024))
    return out


def pages(app):
    from marketplace.challenges.queries import ChallengeFilters, encode_cursor

    with app.app_context():
        published = db.session.scalar(sa.select(Challenge.id).where(Challenge.state == "published")
                                      .order_by(Challenge.id.desc()))
        filters = ChallengeFilters(sort="newest")
        items = db.session.scalars(challenge_list.queries.listing_query(filters, challenge_list.LISTED_STATES)
                                   .offset(40000).limit(1)).all()
        deep = encode_cursor(items[0], "newest") if items else ""
    return [
        ("/", "/"), ("/challenges", "/challenges"), ("/challenges?sort=deadline", "/challenges?sort=deadline"),
        ("/challenges?domain=医疗&sort=deadline", "/challenges?domain=%E5%8C%BB%E7%96%97&sort=deadline"),
        ("/challenges/{id}", f"/challenges/{published}"),
        ("/api/v1/challenges", "/api/v1/challenges"),
        ("/api/v1/challenges?page=2000", "/api/v1/challenges?page=2000"),
        ("/api/v1/challenges?cursor=(row 40,000)", f"/api/v1/challenges?cursor={deep}"),
        ("/providers", "/providers"), ("/catalogue", "/catalogue"), ("/cases", "/cases"),
        ("/search?q=养老", "/search?q=%E5%85%BB%E8%80%81"), ("/api/v1/search?q=智慧", "/api/v1/search?q=%E6%99%BA%E6%85%A7"),
        ("/healthz", "/healthz"),
    ]


def run(name, url):
    print(f"\n## {name}\n", flush=True)
    app = build(url)
    if os.environ.get("BENCH_SKIP_INDEX"):  # no search rows: the "before" code would build it in a request
        index_dir = os.path.join(tempfile.mkdtemp(prefix="bench-noindex-"), "index")
    else:
        index_dir = build_index(app)
    # No index keeper (gunicorn.conf.py is read from the working directory): the rows measure
    # serving, and the no-index row the database fallback, not a rebuild running beside them.
    env = dict(os.environ, BENCH_DB_URL=url, BENCH_INDEX_DIR=index_dir, MARKETPLACE_ENV="development",
               SEARCH_KEEPER="0")
    env.pop("REDIS_URL", None) if not os.environ.get("BENCH_REDIS_URL") else env.update(
        REDIS_URL=os.environ["BENCH_REDIS_URL"])
    bare = serve("bare_app:app", PORT + 1, env, HERE)
    shutil.copy(os.path.join(HERE, "pages_wsgi.py"), os.path.join(APP_ROOT, "bench_pages_wsgi.py")) \
        if APP_ROOT != ROOT else None
    module = "bench_pages_wsgi:app" if APP_ROOT != ROOT else "bench.pages_wsgi:app"
    served = serve(module, PORT, env, APP_ROOT)
    rss = []
    try:
        print("| page | req/s | p99 ms | bare req/s | × bare | non-2xx | load |")
        print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
        for label, path in pages(app):
            if os.environ.get("BENCH_SKIP_INDEX") and "search" in path:
                continue
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{PORT}{path}"], timeout=600)
            bare_rps, _, _ = wrk(f"http://127.0.0.1:{PORT + 1}/")
            rps, p99, bad = wrk(f"http://127.0.0.1:{PORT}{path}")
            print(f"| `{label}` | {rps:,.0f} | {p99:.0f} | {bare_rps:,.0f} | {rps / bare_rps:.3f} | {bad} | "
                  f"{load():.1f} |", flush=True)
            rss = worker_rss_mb(served)
        print("\napp workers after the run (RSS / PSS / USS): "
              + ", ".join(f"{r:.0f} / {p:.0f} / {u:.0f} MB" for r, p, u in rss), flush=True)
        if os.environ.get("BENCH_SKIP_NOINDEX") or os.environ.get("BENCH_SKIP_INDEX"):  # "before" code rebuilds inside the request: 0 req/s
            return
        # No index (a new server, a lost index): search must keep answering, without building one.
        moved = index_dir + ".away"
        os.rename(index_dir, moved)
        stop(served)
        served = serve(module, PORT, env, APP_ROOT)
        subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{PORT}/search?q=%E5%85%BB%E8%80%81"],
                       timeout=600)
        rps, p99, bad = wrk(f"http://127.0.0.1:{PORT}/search?q=%E5%85%BB%E8%80%81")
        print(f"\n`/search?q=养老` with no index: {rps:,.0f} req/s, p99 {p99:.0f} ms, non-2xx {bad} "
              f"(load {load():.1f})", flush=True)
        shutil.rmtree(index_dir, ignore_errors=True)
        os.rename(moved, index_dir)
    finally:
        stop(served)
        stop(bare)


def main():
    if os.environ.get("BENCH_WIPE_OK"):  # a helper's own database whose name lacks "bench"
        challenge_list._reset = _reset_any
    print(f"pages benchmark: {challenge_list.ROWS:,} challenges, {PROVIDERS:,} providers, {ENTRIES:,} entries; "
          f"code {APP_ROOT}; wrk 16 connections × {SECONDS} s; {os.cpu_count()} cores", flush=True)
    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    if not os.environ.get("BENCH_SKIP_SQLITE"):
        run("SQLite", f"sqlite:///{tmp}/pages.db")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        run("PostgreSQL", url)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
