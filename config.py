"""Configuration classes. Every setting reads an environment variable and has a working default."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# For development and tests only: anyone who reads this file can forge the chain with it, so
# ProductionConfig.check refuses it.
DEV_AUDIT_HMAC_KEY = "dev-only-audit-hmac-key-not-for-production"  # noqa: S105


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'marketplace.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(BASE_DIR / "instance" / "search-index"))
    # Processes a rebuild analyses documents in (Whoosh's multiprocessing writer); 0 = every core.
    SEARCH_BUILD_PROCS = _env_int("SEARCH_BUILD_PROCS", 0)
    # The index keeper (marketplace/search/keeper.py) beside gunicorn's workers and `flask run`.
    SEARCH_KEEPER = _env_bool("SEARCH_KEEPER", True)
    # Whole public pages for anonymous visitors (core/pagecache.py): Redis with REDIS_URL, else memory.
    PAGE_CACHE = _env_bool("PAGE_CACHE", True)
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
    # Quota per entry (揭榜方案): number of attached files and their total size.
    UPLOAD_MAX_FILES_PER_ENTRY = _env_int("UPLOAD_MAX_FILES_PER_ENTRY", 20)
    UPLOAD_MAX_BYTES_PER_ENTRY = _env_int("UPLOAD_MAX_BYTES_PER_ENTRY", 100 * 1024 * 1024)

    # Sessions and cookies: HttpOnly always, SameSite=Lax, Secure behind HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_I18N_ENABLED = False  # use WTForms' bundled zh translations (no Flask-Babel)

    # API bearer tokens.
    API_TOKEN_TTL_HOURS = _env_int("API_TOKEN_TTL_HOURS", 12)

    # Redis, shared by every worker and server: the task queue (Celery broker) and the login
    # throttle. Empty: tasks run in-process after commit and `flask run` schedules the periodic
    # jobs itself (the one-command default).
    REDIS_URL = os.environ.get("REDIS_URL", "")

    # Login and sign-up throttling (accounts/throttle.py; the README says why these numbers).
    # Counters live in RATELIMIT_STORAGE_URI, else REDIS_URL, else this process's memory.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    LOGIN_LIMIT_ACCOUNT_ADDRESS = os.environ.get("LOGIN_LIMIT_ACCOUNT_ADDRESS", "10 per 15 minutes")
    LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "100 per hour")
    LOGIN_LIMIT_ADDRESS = os.environ.get("LOGIN_LIMIT_ADDRESS", "600 per hour")
    SIGNUP_LIMIT_ADDRESS = os.environ.get("SIGNUP_LIMIT_ADDRESS", "20 per hour")

    # Password hashing (argon2id). Defaults are argon2-cffi's RFC 9106 "low memory" profile.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)

    # Outgoing mail; leave SMTP_HOST empty to keep notifications in-app only.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    SMTP_SSL = _env_bool("SMTP_SSL", False)
    SMTP_TIMEOUT = _env_int("SMTP_TIMEOUT", 10)
    SMTP_FROM = os.environ.get("SMTP_FROM", "揭榜挂帅场景平台 <noreply@localhost>")

    # Task queue and scheduler (see REDIS_URL above).
    EMBEDDED_SCHEDULER = _env_bool("EMBEDDED_SCHEDULER", True)
    OUTBOX_RETRY_SECONDS = _env_int("OUTBOX_RETRY_SECONDS", 30)
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 12)  # about 7 hours of retries
    JOB_INTERVALS = os.environ.get("JOB_INTERVALS", "")  # e.g. "outbox-sweep=5": shorter periods

    # Observability: JSON log lines (text for a terminal), and a bearer token that lets a
    # Prometheus server elsewhere read /metrics (127.0.0.1 may always read it).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

    # Number of reverse proxies in front of the app (X-Forwarded-For hops to trust).
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    PER_PAGE = 20

    # Public notice period: working days skip weekends and these holidays; make-up working
    # days (调休) count. Comma-separated ISO dates.
    NOTICE_HOLIDAYS = os.environ.get("NOTICE_HOLIDAYS", "2026-01-01,2026-02-16,2026-02-17,2026-02-18,2026-02-19,"
                                     "2026-02-20,2026-04-06,2026-05-01,2026-05-04,2026-05-05,2026-06-19,"
                                     "2026-09-25,2026-10-01,2026-10-02,2026-10-05,2026-10-06,2026-10-07")
    NOTICE_WORKDAYS = os.environ.get("NOTICE_WORKDAYS", "")
    # The shortest notice period (working days) the platform accepts; 0 = no minimum. A nonzero
    # notice_days below it is refused; with notice_days 0 (open until the admin finalizes) the
    # award cannot be confirmed before this many working days after publication.
    NOTICE_MIN_WORKING_DAYS = _env_int("NOTICE_MIN_WORKING_DAYS", 0)
    DEVIATION_MARGIN = os.environ.get("DEVIATION_MARGIN", "20")
    # Scoring is due this many days after a round opens (评分期限, shown to the panel and used by
    # the workbench to call evaluators late); the admin may remind a late evaluator once per
    # REMIND_INTERVAL_HOURS for the same round.
    REVIEW_SCORING_DAYS = _env_int("REVIEW_SCORING_DAYS", 7)
    REMIND_INTERVAL_HOURS = _env_int("REMIND_INTERVAL_HOURS", 12)

    # Audit chain: events are chained with HMAC-SHA256 under this key, which must live outside
    # the database (someone who can write the database must not be able to recompute the chain).
    AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY", DEV_AUDIT_HMAC_KEY)
    # Daily checkpoints (seq, head hash, time) are also appended here and mailed to the auditors,
    # where a database writer cannot take them back.
    AUDIT_CHECKPOINT_FILE = os.environ.get("AUDIT_CHECKPOINT_FILE",
                                           str(BASE_DIR / "instance" / "audit-checkpoints.jsonl"))
    AUDIT_CHECKPOINT_EMAILS = os.environ.get("AUDIT_CHECKPOINT_EMAILS", "")  # comma-separated


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Cheap hashing keeps the suite fast; production keeps the real cost.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    RATELIMIT_STORAGE_URI = "memory://"
    SEARCH_BUILD_PROCS = 1  # tiny indexes; the multiprocessing build has its own test
    SEARCH_KEEPER = False  # no background keeper processes in tests (tests/search/test_keeper.py)
    SMTP_HOST = ""
    # No checkpoint file unless a test sets one: a developer's instance/ file would not match a
    # test database.
    AUDIT_CHECKPOINT_FILE = ""
    SERVER_NAME = None
    REDIS_URL = ""  # tasks run eagerly, in the test's process
    EMBEDDED_SCHEDULER = False


class ProductionConfig(Config):
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    # 招标投标法实施条例 第五十四条：中标候选人公示期不得少于 3 日.
    NOTICE_MIN_WORKING_DAYS = _env_int("NOTICE_MIN_WORKING_DAYS", 3)
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls):
        if cls.SECRET_KEY == Config.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production")
        if not cls.AUDIT_HMAC_KEY or cls.AUDIT_HMAC_KEY == DEV_AUDIT_HMAC_KEY or len(cls.AUDIT_HMAC_KEY) < 32:
            raise RuntimeError("AUDIT_HMAC_KEY must be set in production (at least 32 characters, "
                               "kept outside the database)")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
