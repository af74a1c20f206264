# 揭榜挂帅场景平台 — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
# pytest-xdist: one worker per core; a test module stays on one worker (its module fixtures,
# e.g. the seeded demo, are built once). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -W error::SyntaxWarning -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadscope

.PHONY: run test test-sqlite test-postgres e2e-deps system-deps lint check bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "打开 http://127.0.0.1:5000 （Ctrl+C 停止）"
	$(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on SQLite; again on PostgreSQL when TEST_DATABASE_URL is set.
# Browser tests run when E2E=1 (needs /usr/bin/chromium; .ci/run installs it): in the
# PostgreSQL pass when there is one (the production database), else in the SQLite pass.
test: $(STAMP)
	$(BIN)/ruff check .
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== SQLite (browser tests: in the PostgreSQL pass) =="; \
		env -u TEST_DATABASE_URL E2E=0 $(PYTEST) || exit 1; \
		echo "== PostgreSQL: $$TEST_DATABASE_URL =="; \
		$(PYTEST) || exit 1; \
		echo "== flask db check on an empty PostgreSQL schema (the test workers use their own databases) =="; \
		$(BIN)/python -c "import os, sqlalchemy as sa; e = sa.create_engine(os.environ['TEST_DATABASE_URL']); \
c = e.connect(); c.execute(sa.text('DROP SCHEMA public CASCADE')); c.execute(sa.text('CREATE SCHEMA public')); c.commit()" || exit 1; \
		DATABASE_URL=$$TEST_DATABASE_URL $(FLASK) db upgrade >/dev/null || exit 1; \
		DATABASE_URL=$$TEST_DATABASE_URL $(FLASK) db check || exit 1; \
	else \
		echo "== SQLite =="; \
		$(PYTEST) || exit 1; \
	fi

# Debian packages the PDFs and browser tests need (root): WeasyPrint's pango, a CJK font, chromium.
system-deps:
	apt-get install -y chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

lint: $(STAMP)
	$(BIN)/ruff check .

# Schema and models agree (run on a migrated database).
check: $(STAMP)
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) db check

bench: $(STAMP)
	@for script in bench/*.py; do case $$script in bench/bare_app.py|bench/pages_wsgi.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance/marketplace.db .pytest_cache
