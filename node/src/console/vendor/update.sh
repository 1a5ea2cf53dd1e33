#!/usr/bin/env bash
# Refreshes the vendored map libraries from npm at the versions package.json
# and package-lock.json pin (integrity-checked by `npm ci`). The copies in
# this folder are what the node embeds; run this only to change versions,
# then rebuild and run the console's browser tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund)
leaflet="$work/node_modules/leaflet"
cluster="$work/node_modules/leaflet.markercluster"
# The source-map comment is dropped: the node serves no .map files.
sed '/^\/\/# sourceMappingURL=/d' "$leaflet/dist/leaflet.js" > "$here/leaflet.js"
sed '/^\/\/# sourceMappingURL=/d' "$cluster/dist/leaflet.markercluster.js" > "$here/leaflet.markercluster.js"
cp "$leaflet/dist/leaflet.css" "$here/leaflet.css"
cp "$cluster/dist/MarkerCluster.css" "$here/MarkerCluster.css"
cp "$leaflet/LICENSE" "$here/LICENSE.leaflet"
cp "$cluster/MIT-LICENCE.txt" "$here/LICENSE.leaflet.markercluster"
echo "vendored leaflet $(node -p "require('$leaflet/package.json').version"), leaflet.markercluster $(node -p "require('$cluster/package.json').version")"
