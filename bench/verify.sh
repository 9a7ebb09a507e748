#!/bin/sh
# bench/verify.sh [COMMITS] - verify --all against openssl speed -multi 2
# (bench/all.sh's verify section, on COMMITS generated commits).
VERIFY_COMMITS=${1:-100000} exec sh "$(dirname "$0")/all.sh" 1000 verify
