#!/bin/sh
# bench/parcel.sh [ROWS] - the incremental parcel's import time and size
# against git index-pack, gzip and git bundle (bench/all.sh's parcel section).
exec sh "$(dirname "$0")/all.sh" "${1:-1000000}" parcel
