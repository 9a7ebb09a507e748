#!/bin/sh
# bench/sql.sh [ROWS] - strata sql over ROWS records against sqlite3's
# .import of the same CSV plus the same query (bench/all.sh's section).
exec sh "$(dirname "$0")/all.sh" "${1:-1000000}" sql
