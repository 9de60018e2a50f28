#!/usr/bin/env bash
# The whole suite, on SQLite and then on PostgreSQL, with the browser tests.
# Installs what it can (Debian's Chromium, as root); says exactly what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${TAMTAM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/tamtam}
REDIS_URL=${TAMTAM_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

need() { echo "make test: $1" >&2; exit 1; }

# --- Chromium for the browser tests (Debian's package; never a downloaded browser) ---------------
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
  else
    need "the browser tests need Debian's Chromium: sudo apt-get install chromium fonts-noto-color-emoji"
  fi
fi

# --- PostgreSQL and Redis: check they answer, start them if they are installed here --------------
pg_up() { "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres", connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || need "PostgreSQL must answer at $PG_URL (apt-get install postgresql, trust auth for 127.0.0.1), or set TAMTAM_TEST_POSTGRES_URL"
fi
redis_up() { "$BIN/python" -c "import socket; socket.create_connection(('127.0.0.1', 6379), 2).close()" 2>/dev/null; }
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || need "Redis must answer at 127.0.0.1:6379 (apt-get install redis-server)"
fi
# RabbitMQ for tests/work/test_scaleout_rabbitmq.py: started when installed; those tests skip without it.
amqp_up() { "$BIN/python" -c "import socket; socket.create_connection(('127.0.0.1', 5672), 2).close()" 2>/dev/null; }
if ! amqp_up && command -v rabbitmq-server >/dev/null; then
  rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do amqp_up && break; sleep 1; done
fi
amqp_up || echo "make test: nothing on 127.0.0.1:5672, the RabbitMQ tests will skip (apt-get install rabbitmq-server)" >&2

# --- Bluesky's real AT Protocol stack for tests/peers/bluesky (npm; instant once installed) -------
if command -v npm >/dev/null; then
  tests/peers/bluesky/setup.sh
elif [ -n "${CI:-}" ]; then
  need "the Bluesky peer tests need npm (apt-get install npm)"
else
  echo "make test: npm is missing, the Bluesky peer tests will skip (apt-get install npm)" >&2
fi

# --- Python peers in their own venvs (.venv-peers/): Synapse (Matrix), mastodon-mock (Mastodon) ----
tests/peers/setup_python_peers.sh

export TAMTAM_TEST_REDIS_URL="$REDIS_URL"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TAMTAM_DATA_DIR="$tmp/data"

echo "== lint =="
"$BIN/ruff" check src tests bench

echo "== suite on SQLite =="
TAMTAM_DATABASE_URL="sqlite:///$tmp/sqlite.db" "$BIN/pytest" -p no:cacheprovider -q "$@"

echo "== suite on PostgreSQL =="
TAMTAM_DATABASE_URL="$PG_URL" "$BIN/pytest" -p no:cacheprovider -q -m "not e2e and not peers" "$@"
