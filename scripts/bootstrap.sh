#!/usr/bin/env bash
# Installs what the workspace needs on a fresh machine: pnpm (pinned in package.json)
# and the dependencies from the lockfile. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm@$pnpm_version" >&2
  npm install --global "pnpm@$pnpm_version" >&2
fi

# sqlite3 compiles from source here: node-gyp cannot download headers, so point it at
# the ones installed with Node when they exist.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then
  export npm_config_nodedir=/usr
fi

if [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install --prefer-frozen-lockfile
fi
