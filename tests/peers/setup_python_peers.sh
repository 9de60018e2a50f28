#!/usr/bin/env bash
# Installs the Python peers of the connector tests, each in its own venv under .venv-peers/ so their
# pinned dependencies never fight Django's: a real Synapse (matrix-synapse, Matrix) and the mastodon-mock
# emulator (Mastodon). Idempotent: a second run only checks a stamp per venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
ROOT=.venv-peers

install() {  # install NAME "PIP SPECS" "IMPORT CHECK"
  local name=$1 specs=$2 check=$3 venv=$ROOT/$1
  local stamp=$venv/.tamtam-setup-done
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$specs" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
    return 0
  fi
  echo "Installing the $name test peer ($specs) into $venv…"
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $specs
  "$venv/bin/python" -c "$check"
  echo "$specs" >"$stamp"
}

install synapse "matrix-synapse==1.*" "import synapse.app.homeserver"
install mastodon "mastodon-mock==0.6.1" "import mastodon_mock"
