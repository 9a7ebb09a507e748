#!/bin/sh
# Regenerates the sample data from the deterministic generator (same bytes every time).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
gen=${GEN_REGISTRY:-$top/bench/gen-registry}
"$gen" residents 2400 20261122 > "$top/seeds/residents.csv"
"$gen" events 1200 20261122 > "$top/seeds/grid-events.csv"
