#!/bin/sh
# The integration suite: real nginx, real clients.  Debian's python3 (with
# python3-boto3) on purpose: a python3 earlier on PATH may be another one.
#   scripts/test.sh [pytest args]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ ! -f build/ngx_http_s3_module.so ]; then
    echo "test: build/ngx_http_s3_module.so is missing: run scripts/build.sh" >&2
    exit 1
fi

exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE "$@" t/
