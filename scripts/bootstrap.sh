#!/usr/bin/env bash
# Installs what the workspace needs on a fresh machine, as any user: no global install, no
# root. The first install runs the pinned pnpm (package.json's packageManager) through npx,
# which caches it under ~/.npm; the install then puts the same pnpm in node_modules/.bin,
# where the npm scripts find it. Safe to run again.
# Usage: bootstrap.sh [--build]   (--build also builds every package)
# Prints one line per step; the tools' own output (compiler warnings and all) goes to a log
# file, whose path and last lines are printed when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/check-toolchain.sh .

log_dir=node_modules/.cache/llm-settings
mkdir -p "$log_dir"
log="$PWD/$log_dir/setup.log"
: >"$log"

# step <title> <command...>: runs the command with its output in the log.
step() {
  local title=$1
  shift
  echo "set-up: $title" >&2
  if ! "$@" >>"$log" 2>&1; then
    echo "set-up: $title failed; the full output is in $log, its end:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
}

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
  step "installing packages (pnpm install)" "${pnpm[@]}" install --frozen-lockfile
else
  step "installing packages (pnpm install)" "${pnpm[@]}" install --prefer-frozen-lockfile
fi

if [ "${1:-}" = "--build" ]; then
  step "building (pnpm build)" node_modules/.bin/pnpm -r --workspace-concurrency=1 run build
fi
echo "set-up: done (log: $log)" >&2
