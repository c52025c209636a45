#!/usr/bin/env bash
# Swift syntax check for machines without a Swift toolchain.
# Usage: tools/swiftcheck/check.sh [--tree] FILE.swift [FILE2.swift ...]
# Installs its pinned npm dependencies into tools/swiftcheck/node_modules on
# first use (npm ci from the committed package-lock.json), then parses every
# file offline with the tree-sitter Swift grammar. File paths are resolved
# relative to the caller's working directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "swiftcheck: node and npm are required (apt-get install nodejs npm)" >&2
  exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "swiftcheck: node >= 18 required, found $(node --version)" >&2
  exit 2
fi

# Install (or reinstall after a lock file change) into node_modules.
install_deps() {
  local want stamp
  want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
  stamp="$here/node_modules/.swiftcheck-lock.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && [ -f "$here/node_modules/@repomix/tree-sitter-wasms/out/tree-sitter-swift.wasm" ] \
     && [ -f "$here/node_modules/web-tree-sitter/web-tree-sitter.wasm" ]; then
    return 0
  fi
  echo "swiftcheck: installing npm dependencies into $here/node_modules" >&2
  local log
  log="$(mktemp)"
  if ! (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund \
        --omit-lockfile-registry-resolved >"$log" 2>&1); then
    cat "$log" >&2
    rm -f "$log"
    echo "swiftcheck: npm ci failed" >&2
    exit 2
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
}

# Serialise concurrent first runs (parallel CI steps) when flock is available.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$here/.install.lock"
  flock 9
  install_deps
  flock -u 9
  exec 9>&-
else
  install_deps
fi

# Run from the caller's cwd so relative FILE paths work as given.
exec node "$here/check.mjs" "$@"
