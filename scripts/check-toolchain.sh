#!/usr/bin/env bash
# Checks, before anything is installed, what set-up needs besides Node.js and npm, so that a
# missing tool is one line here rather than a node-gyp stack trace minutes later.
# Usage: check-toolchain.sh <repo root>
set -euo pipefail
root=${1:-.}

if ! command -v node >/dev/null 2>&1; then
  echo "set-up: Node.js is not installed; llm-settings needs Node.js 20.17 or later" >&2
  exit 1
fi
node_version=$(node -p 'process.versions.node')
if ! node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 20 || (major === 20 && minor >= 17) ? 0 : 1);
'; then
  echo "set-up: Node.js $node_version is too old; llm-settings needs Node.js 20.17 or later" >&2
  exit 1
fi

# sqlite3 is compiled from source where its prebuilt binary cannot be downloaded (no internet,
# or no binary for this platform): that takes python3, make and a C++ compiler. Once built,
# the binding stays, and the tools are no longer needed.
if compgen -G "$root/node_modules/.pnpm/sqlite3@*/node_modules/sqlite3/build/Release/node_sqlite3.node" >/dev/null; then
  exit 0
fi
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || missing+=("a C++ compiler (g++)")
if [ ${#missing[@]} -gt 0 ]; then
  list=${missing[0]}
  for tool in "${missing[@]:1}"; do list+=", $tool"; done
  echo "set-up: sqlite3 must be compiled here and needs python3, make and a C++ compiler; missing: $list (Debian/Ubuntu: apt-get install python3 make g++)" >&2
  exit 1
fi
