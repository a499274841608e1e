#!/bin/sh
# The whole test suite against a module built with AddressSanitizer and
# UndefinedBehaviorSanitizer.  Debian's nginx is not instrumented, so the
# sanitizer runtimes are preloaded into nginx only (the harness passes
# S3_NGINX_PRELOAD to the nginx it starts, not to the clients); reports go
# to files under $S3_SANITIZER_DIR, and the harness fails a test whose
# server wrote one.
#   scripts/asan.sh [pytest args]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

san="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
-fno-sanitize-recover=undefined"

S3_CFLAGS="$san" S3_LDFLAGS="-fsanitize=address,undefined" \
    scripts/build.sh "$top/build-asan"

# the fault injection build too: t/test_faults.py runs the error paths
S3_CFLAGS="$san -DNGX_HTTP_S3_FAULTS" \
S3_LDFLAGS="-fsanitize=address,undefined" \
    scripts/build.sh "$top/build-asan-faults"

S3_BUILD=$top/build-asan \
UNIT_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
    t/unit/run.sh

dir=$(mktemp -d /tmp/ngx_s3_asan.XXXXXX)

S3_MODULE=$top/build-asan/ngx_http_s3_module.so
S3_FAULTS_MODULE=$top/build-asan-faults/ngx_http_s3_module.so
S3_NGINX_PRELOAD="$(gcc -print-file-name=libasan.so) \
$(gcc -print-file-name=libubsan.so)"
S3_SANITIZER_DIR=$dir
ASAN_OPTIONS="detect_leaks=0:log_path=$dir/asan:abort_on_error=0"
UBSAN_OPTIONS="print_stacktrace=1:log_path=$dir/ubsan"
export S3_MODULE S3_FAULTS_MODULE S3_NGINX_PRELOAD S3_SANITIZER_DIR
export ASAN_OPTIONS UBSAN_OPTIONS

rc=0
/usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE "$@" t/ || rc=$?

if ls "$dir"/* >/dev/null 2>&1; then
    echo "sanitizer reports:" >&2
    cat "$dir"/* >&2
    rc=1
fi

rm -rf "$dir"
exit $rc
