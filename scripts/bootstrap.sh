#!/usr/bin/env bash
# Installs what the workspace needs on a fresh machine, as any user: no global install, no
# root. The first install runs the pinned pnpm (package.json's packageManager) through npx,
# which caches it under ~/.npm; the install then puts the same pnpm in node_modules/.bin,
# where the npm scripts find it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/check-toolchain.sh .

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(node_modules/.bin/pnpm --version 2>/dev/null || true)" = "$pnpm_version" ]; then
  pnpm=(node_modules/.bin/pnpm)
else
  pnpm=(npx --yes "pnpm@$pnpm_version")
fi

# sqlite3 compiles from source here: node-gyp cannot download headers, so point it at
# the ones installed with Node when they exist.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then
  export npm_config_nodedir=/usr
fi

if [ -n "${CI:-}" ]; then
  "${pnpm[@]}" install --frozen-lockfile
else
  "${pnpm[@]}" install --prefer-frozen-lockfile
fi
