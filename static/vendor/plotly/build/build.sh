#!/bin/sh
# Rebuilds ../plotly-bearing.min.js from entry.js and the npm packages pinned in package-lock.json.
# Needs node (20 or later) and npm. The packages are installed in a temporary directory, never here:
# everything under static/ is collected and served as a static file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/.npmrc" "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$here/build.js" \
    "$here/culori-css.mjs" "$here/weakmap.js" "$work/"
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund
node build.js
out=$(cd "$here/.." && pwd)/plotly-bearing.min.js
cp plotly-bearing.min.js "$out"
wc -c "$out"
