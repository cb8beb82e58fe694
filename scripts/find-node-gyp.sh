#!/usr/bin/env bash
# Print the path of npm's own node-gyp (node-gyp.js, run it with node): the one an install's source
# build uses. A bare `node-gyp` is often not on PATH, and a newer one may not support this Node.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
for candidate in "${npm_config_node_gyp:-}" "$npm_root/node_modules/node-gyp/bin/node-gyp.js" \
    "$ROOT/node_modules/node-gyp/bin/node-gyp.js"; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then printf '%s\n' "$candidate"; exit 0; fi
done
echo "npm's node-gyp not found (looked under $npm_root/node_modules/node-gyp)" >&2
exit 1
