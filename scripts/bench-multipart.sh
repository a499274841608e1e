#!/bin/sh
# The multipart section of scripts/bench.sh alone: CompleteMultipartUpload
# of 2 and 1000 parts, GET of a 1 GiB multipart object against a
# single-part one, an 8-way parallel multipart upload against the dav
# module's PUT.  It writes some GB under /tmp.  The settings are
# bench.sh's (BENCH_MP_*, BENCH_DURATION, BENCH_REPEAT; see
# scripts/bench.sh --help).
#   scripts/bench-multipart.sh
set -eu

BENCH_SECTIONS=multipart BENCH_SIZES=4k BENCH_PUT_SIZES=1m \
    exec "$(dirname "$0")/bench.sh" "$@"
