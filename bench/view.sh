#!/bin/sh
# bench/view.sh [ROWS] - full and incremental views against their peers
# (bench/all.sh's view section; PAIRS=N pairs a row).
exec sh "$(dirname "$0")/all.sh" "${1:-1000000}" view
