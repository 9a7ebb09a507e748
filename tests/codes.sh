#!/bin/sh
# codes.sh - no error code is dropped on its way up (tests/codes/dropped.py
# says what it flags).  TAP output for make check.
exec python3 "${TOP_SRCDIR:?}/tests/codes/dropped.py" "$TOP_SRCDIR"
