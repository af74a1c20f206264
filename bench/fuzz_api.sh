#!/usr/bin/env bash
# Fuzz the JSON API with schemathesis, once anonymously and once per role, against a served app
# on a scratch database loaded with the demo data. Not part of `make test` (it takes minutes).
#
#   bench/fuzz_api.sh                      # SQLite scratch file, port 5410, 40 examples/operation
#   PORT=5411 EXAMPLES=100 IDENTITIES="admin provider" bench/fuzz_api.sh
#   DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/scratch bench/fuzz_api.sh   # wiped first
#
# Prints, per identity, how many requests the server answered and how many were 5xx (counted
# from gunicorn's access log, so every request schemathesis sent is counted, shrinking included),
# and leaves the schemathesis output and the access log in $OUT. Exit status 1 when any 5xx.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
[ -x "$BIN/schemathesis" ] || BIN=/work/main/.venv/bin
PORT=${PORT:-5410}
EXAMPLES=${EXAMPLES:-40}
OUT=${OUT:-$(mktemp -d /tmp/fuzz-api.XXXXXX)}
export DATABASE_URL=${DATABASE_URL:-sqlite:///$OUT/fuzz.db}
export SEARCH_INDEX_DIR=$OUT/search-index UPLOAD_DIR=$OUT/uploads
export RATELIMIT_ENABLED=0   # the login throttle would otherwise answer most token requests with 429
export SECRET_KEY=fuzz-only-secret
PASSWORD=demo-password-2026  # the demo accounts' password (README)

# Each identity fuzzes a fresh copy of the demo data: the admin's run deactivates users and
# changes passwords, which would otherwise lock the later identities out.
fresh_database() {
  if [[ $DATABASE_URL == postgresql* ]]; then
    "$BIN/python" - <<'PY'
import os, sqlalchemy as sa
engine = sa.create_engine(os.environ["DATABASE_URL"])
with engine.begin() as conn:
    conn.execute(sa.text("DROP SCHEMA public CASCADE")); conn.execute(sa.text("CREATE SCHEMA public"))
PY
  else
    rm -f "${DATABASE_URL#sqlite:///}"
  fi
  rm -rf "$SEARCH_INDEX_DIR" "$UPLOAD_DIR"
  "$BIN/flask" --app wsgi db upgrade >>"$OUT/setup.log" 2>&1
  "$BIN/flask" --app wsgi seed-demo >>"$OUT/setup.log" 2>&1
}

SERVER=
start_server() {
  "$BIN/gunicorn" -w 2 --threads 4 -b "127.0.0.1:$PORT" --access-logfile "$OUT/access.log" \
    --access-logformat '%(s)s %(m)s %(U)s' --error-logfile "$OUT/error.log" --capture-output wsgi:app &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.2; done
  echo "server did not start" >&2; exit 2
}
stop_server() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop_server EXIT

token() {
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$PASSWORD\"}" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

touch "$OUT/access.log"
total_5xx=0
printf '%-12s %9s %6s\n' identity requests 5xx
for identity in ${IDENTITIES:-anonymous admin department provider evaluator}; do
  fresh_database
  start_server
  case $identity in
    anonymous) header=() ;;
    admin) header=(-H "Authorization: Bearer $(token admin@demo.gov.cn)") ;;
    department) header=(-H "Authorization: Bearer $(token dsj@demo.gov.cn)") ;;
    provider) header=(-H "Authorization: Bearer $(token yilian@demo-provider.cn)") ;;
    evaluator) header=(-H "Authorization: Bearer $(token expert1@demo.gov.cn)") ;;
  esac
  before=$(wc -l <"$OUT/access.log")
  # DELETE /auth/token would revoke the run's own token and leave it fuzzing 401s.
  "$BIN/schemathesis" --config-file bench/schemathesis.toml run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    "${header[@]}" --exclude-operation-id revoke_token_delete --checks not_a_server_error --max-examples "$EXAMPLES" --seed 2026 --workers 2 \
    --suppress-health-check all --request-timeout 30 --no-color \
    >"$OUT/schemathesis-$identity.txt" 2>&1 || true
  lines=$(tail -n +"$((before + 1))" "$OUT/access.log")
  requests=$(printf '%s\n' "$lines" | grep -c . || true)
  errors=$(printf '%s\n' "$lines" | grep -c '^5' || true)
  total_5xx=$((total_5xx + errors))
  stop_server
  printf '%-12s %9s %6s\n' "$identity" "$requests" "$errors"
done
echo "output: $OUT"
[ "$total_5xx" -eq 0 ]
