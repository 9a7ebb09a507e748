#!/bin/sh
# bench/import.sh [ROWS] - import, repository size, re-imports and upsert
# against their peers (bench/all.sh's sections; PAIRS=N pairs a row).
exec sh "$(dirname "$0")/all.sh" "${1:-1000000}" import size reimport upsert
