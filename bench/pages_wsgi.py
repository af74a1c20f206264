"""The application as bench/pages.py serves it under gunicorn: the built database and index
(BENCH_DB_URL, BENCH_INDEX_DIR), production-like settings otherwise."""

import os
import sys

sys.path.insert(0, os.getcwd())  # --chdir picks the code under test (this branch or a "before" copy)

from config import Config  # noqa: E402
from marketplace import create_app  # noqa: E402


class BenchServeConfig(Config):
    SQLALCHEMY_DATABASE_URI = os.environ["BENCH_DB_URL"]
    SEARCH_INDEX_DIR = os.environ["BENCH_INDEX_DIR"]
    UPLOAD_DIR = os.environ.get("BENCH_UPLOAD_DIR", "/tmp/bench-uploads")
    RATELIMIT_ENABLED = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}


app = create_app(BenchServeConfig)
