#!/bin/sh
# Build the module with its fault injection points (-DNGX_HTTP_S3_FAULTS)
# into build-faults/: t/test_faults.py runs it (and builds it itself when
# needed).  The production build has no fault point.  Faults are armed at
# run time by <s3_data>/faults (ngx_s3_module/ngx_http_s3_fault.h).
#   scripts/faults.sh            prints the path of the module
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

S3_CFLAGS="-DNGX_HTTP_S3_FAULTS ${S3_CFLAGS:-}" \
    "$top/scripts/build.sh" "$top/build-faults" >&2

echo "$top/build-faults/ngx_http_s3_module.so"
